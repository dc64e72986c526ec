"""People across projects: one capacity per person, allocations checked at
entry, `people`, `chart load`, the overload alert across projects and Home's
"My week", all with the same numbers. The story from the issue: Dan is set to
40h on the website, 10h on the network move and 30h on the CRM."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.domain import alerts as alert_service
from bot.models import Alert, AuditEntry, Member, Project, User
from bot.slack.home import home_reply
from tests.support.helpers import TEAM, Runner, ok, refused

ALICE, DAN, BOB, ERIN = "U0ALICE", "U0DAN", "U0BOB", "U0ERIN"
NOW = datetime(2026, 12, 14, 8, 0, tzinfo=UTC)  # Mon 14 Dec 2026, 09:00 in Berlin


@pytest.fixture
def run(db_engine):
    return Runner(db_engine, NOW, timezone="Europe/Berlin")


def three_projects(run) -> None:
    ok(run('new "Website relaunch" key website due 2027-01-29', user=ALICE, channel="C0WEB"))
    ok(run(f"member add <@{DAN}> <@{BOB}>", user=ALICE, channel="C0WEB"))
    ok(run(f"member add <@{ERIN}> role stakeholder", user=ALICE, channel="C0WEB"))
    ok(run('new "Office network move" key netmove due 2027-01-05', user=ALICE, channel="C0NET"))
    ok(run(f"member add <@{DAN}>", user=ALICE, channel="C0NET"))
    ok(run('new "CRM" key crm due 2027-02-26', user=ALICE, channel="C0CRM"))
    ok(run(f"member add <@{DAN}>", user=ALICE, channel="C0CRM"))


def story(run) -> None:
    """The 80h week, forced through, and work due in the week of 14 Dec."""
    three_projects(run)
    ok(run(f"member capacity website <@{DAN}> 40h", user=ALICE))
    ok(run(f"member capacity netmove <@{DAN}> 10h force", user=ALICE))
    ok(run(f"member capacity crm <@{DAN}> 30h force", user=ALICE))
    ok(run(f'task add website "Design the templates" <@{DAN}> due 2026-12-16 estimate 20h', user=ALICE))
    ok(run(f'task add website "Build the pages" <@{DAN}> due 2026-12-18 estimate 15h', user=ALICE))
    ok(run(f'task add crm "Import contacts" <@{DAN}> due 2026-12-17 estimate 26h', user=ALICE))
    ok(run(f'task add netmove "Cable the office" <@{DAN}> due 2027-01-05 estimate 35h', user=ALICE))


def test_the_80h_week_is_caught_at_entry_naming_the_other_projects(run, db_engine):
    three_projects(run)
    assert "40h a week for *Website relaunch*. 40h of their 40h a week allocated." in ok(
        run(f"member capacity website <@{DAN}> 40h", user=ALICE))
    text = refused(run(f"member capacity netmove <@{DAN}> 10h", user=ALICE))
    assert (f"<@{DAN}> works 40h a week. They are allocated Website relaunch 40h already, so 10h on "
            "*Office network move* would make 50h, 10h more than their capacity.") in text
    assert "add `force` to allocate it anyway" in text
    forced = ok(run(f"member capacity netmove <@{DAN}> 10h force", user=ALICE))
    assert "Allocated 50h of their 40h a week (Website relaunch 40h, Office network move 10h): 10h over." in forced
    assert "Allocated anyway (`force`)" in forced
    text = refused(run(f"member capacity crm <@{DAN}> 30h", user=ALICE))
    assert "allocated Website relaunch 40h, Office network move 10h already, so 30h on *CRM* would make 80h" in text
    with Session(db_engine) as s:  # the refusal stored nothing
        crm = s.exec(select(Member.weekly_capacity_hours).join(Project, Project.id == Member.project_id)
                     .where(Project.key == "crm", Member.user_id == DAN)).one()
    assert crm is None
    assert "Only the project's owner or a manager can change capacity" in refused(
        run(f"member capacity crm <@{DAN}> 30h force", user=BOB))


def test_capacity_is_one_number_per_person_with_defaults_by_role(run, db_engine):
    three_projects(run)
    assert f"<@{DAN}>'s capacity, for all projects together: 40h a week (the default)." in ok(
        run(f"capacity <@{DAN}>", user=ALICE))
    assert "no weekly capacity" in ok(run(f"capacity <@{ERIN}>", user=ALICE))  # a stakeholder: none
    changed = ok(run(f"capacity <@{DAN}> 32h", user=ALICE))
    assert f"<@{DAN}>'s capacity, for all projects together, is now 32h a week (was the default)." in changed
    assert "Nothing changed" in ok(run(f"capacity <@{DAN}> 32", user=ALICE))  # a repeat changes nothing
    assert "Only an owner or manager of a project" in refused(run(f"capacity <@{DAN}> 20h", user=BOB))
    assert "is now 30h a week" in ok(run("capacity 30h", user=BOB))  # anyone may set their own
    assert "from 0 to 168 (got 200)" in refused(run(f"capacity <@{DAN}> 200h", user=ALICE))
    ok(run(f"member capacity website <@{DAN}> 30h", user=ALICE))
    lowered = ok(run(f"capacity <@{DAN}> 20h", user=ALICE))
    assert "⚠️ Their allocations add up to 30h (Website relaunch 30h), 10h more than 20h" in lowered
    assert "is now 40h a week (the default) (was 20h)" in ok(run(f"capacity <@{DAN}> default", user=ALICE))
    with Session(db_engine) as s:
        audited = s.exec(select(AuditEntry.before, AuditEntry.after).where(AuditEntry.action == "user.capacity")).all()
        stored = s.exec(select(User.weekly_capacity_hours).where(User.user_id == DAN)).one()
    assert [(b["weekly_capacity_hours"], a["weekly_capacity_hours"]) for b, a in audited] == [
        (None, 32.0), (None, 30.0), (32.0, 20.0), (20.0, None)]
    assert stored is None


def test_an_allocation_can_be_taken_back_and_member_list_shows_shares(run):
    three_projects(run)
    ok(run(f"member capacity website <@{DAN}> 30h", user=ALICE))
    listed = ok(run("member list website", user=ALICE))
    assert f"<@{DAN}> · member · no rate · 30h/week" in listed
    assert f"<@{BOB}> · member · no rate · 40h/week (share)" in listed
    assert f"<@{ERIN}> · stakeholder · no rate · no capacity" in listed
    assert f"<@{ALICE}> · owner · no rate · 13.3h/week (share)" in listed  # 40h over three projects
    assert "has no allocation on *Website relaunch* now (a share of 13.3h a week)" in ok(
        run(f"member capacity website <@{DAN}> none", user=ALICE))


def test_people_shows_capacity_allocations_open_work_and_six_weeks(run):
    story(run)
    text = ok(run("people", user=ALICE))
    assert f"*<@{DAN}>* · 40h a week (the default) · allocated 80h: *40h over* ⚠️" in text
    assert "• *Website relaunch* `website`: 40h a week allocated · 35h open in 2 tasks" in text
    assert "• *Office network move* `netmove`: 10h a week allocated · 35h open in 1 task · done about Wed 6 Jan 2027 at 10h a week" in text
    assert ("Due per week (from Monday): *this week 61h/40h* ⚠️ · 21 Dec 0h/40h · 28 Dec 0h/40h · "
            "4 Jan 2027 35h/40h · 11 Jan 2027 0h/40h · 18 Jan 2027 0h/40h") in text
    assert text.index(f"<@{DAN}>") < text.index(f"<@{BOB}>")  # the most loaded first
    assert f"<@{ERIN}>" not in text  # a stakeholder with no work is not anyone's workload
    mine = ok(run("people", user=DAN))
    assert "Your workload" in mine and f"<@{BOB}>" not in mine and "61h/40h" in mine
    assert "Only project owners and managers see other people's workload" in refused(
        run(f"people <@{DAN}>", user=BOB))
    assert "There is 1 page of people (asked for page 3)." in refused(run("people page 3", user=ALICE))


def test_the_overload_alert_is_raised_in_each_project_with_the_same_numbers(run, db_engine):
    story(run)
    with Session(db_engine, expire_on_commit=False) as s:
        for key in ("website", "crm", "netmove"):
            project = s.exec(select(Project).where(Project.key == key)).one()
            alert_service.check_project(session=s, project=project, now=NOW)
        s.commit()
        alerts = {(s.get(Project, a.project_id).key, a.fingerprint): a for a in s.exec(select(Alert))}
    reason = (f"<@{DAN}> has 61h of work due in the week of Mon 14 Dec against 40h "
              "(Website relaunch 35h, CRM 26h).")
    assert alerts[("website", f"overload:{DAN}")].reason == reason == alerts[("crm", f"overload:{DAN}")].reason
    assert ("netmove", f"overload:{DAN}") not in alerts  # nothing of it is due that week
    assert alerts[("crm", f"overload:{DAN}")].severity == "critical"  # over 1.5 x capacity
    share = alerts[("netmove", f"share:{DAN}")]
    assert share.reason.startswith(f"At 10h a week on *Office network move*, <@{DAN}>'s 35h of open work here "
                                   "is done about Wed 6 Jan 2027, after the due date Tue 5 Jan 2027")
    listed = ok(run("alerts crm", user=ALICE))
    assert reason in listed


def test_chart_load_marks_the_over_allocated_week_with_the_same_numbers(run):
    story(run)
    reply = run("chart load all weeks 6", user=ALICE)
    text = ok(reply)
    assert ("Load of 3 people over 6 weeks from Mon 14 Dec: 1 week over capacity "
            f"(<@{DAN}> in the week of Mon 14 Dec: 61h against 40h).") in text
    png = Path(reply.image_path)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    from PIL import Image  # matplotlib's own dependency

    with Image.open(png) as image:
        assert image.size[0] == 800
    project = ok(run("chart website load", user=ALICE))  # the same, as a kind of chart
    assert "Website relaunch: load, 8 weeks from Mon 14 Dec" in project and "61h against 40h" in project
    assert "Load of 1 person" in ok(run("chart load", user=DAN, channel="C0CRM"))  # a member: their row
    assert "`weeks` is from 1 to 26 (got 40)" in refused(run("chart load all weeks 40", user=ALICE))
    assert "`weeks` goes with `chart load`" in refused(run("chart website burnup weeks 4", user=ALICE))


def test_home_my_week_agrees_with_people(run, db_engine):
    story(run)
    ok(run(f"ooo <@{BOB}> 2026-12-16", user=ALICE, channel="C0WEB"))
    with Session(db_engine) as s:
        dan = home_reply(session=s, team_id=TEAM, user_id=DAN, now=NOW).plain()
        bob = home_reply(session=s, team_id=TEAM, user_id=BOB, now=NOW).plain()
        erin = home_reply(session=s, team_id=TEAM, user_id=ERIN, now=NOW).plain()
    assert ("*My week* (Mon 14 Dec – Sun 20 Dec): 61h due of your 40h ⚠️ *21h over*.\n"
            "Website relaunch 35h · CRM 26h") in dan
    assert "*My week* (Mon 14 Dec – Sun 20 Dec): 0h due of your 32h, less 1 day away." in bob
    assert "this week 0h/32h (1 day away)" in ok(run("people", user=BOB))
    assert "0h due; you have no weekly capacity" in erin
