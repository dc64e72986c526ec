"""Dependencies through the commands, on SQLite and PostgreSQL: links and
cycles, "waiting on", done asks first, the schedule's critical path and slack,
the forecast along the network, and the timeline chart."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.domain.projects import get_project
from bot.domain.status import build_status
from bot.models import AuditEntry, TaskLink
from tests.support.helpers import TEAM, Runner, ok, refused

ALICE, BOB = "U0ALICE", "U0BOB"
NOW = datetime(2026, 12, 14, 8, 0, tzinfo=UTC)  # Mon 14 Dec 2026


@pytest.fixture
def run(db_engine):
    return Runner(db_engine, NOW)


def plan(run) -> None:
    """Design (Bob at 20h a week: 4h a day) -> Build -> Test (+2d), and Copy -> Photos beside them."""
    ok(run('new "Website" key web due 2027-01-29', user=ALICE, channel="C0WEB"))
    ok(run(f"member add <@{BOB}>", user=ALICE, channel="C0WEB"))
    ok(run(f"member capacity <@{BOB}> 20h", user=ALICE, channel="C0WEB"))
    ok(run('milestone add "Launch" due 2026-12-22', user=ALICE, channel="C0WEB"))
    ok(run(f'task add "Design" estimate 2d <@{BOB}>', user=ALICE, channel="C0WEB"))
    ok(run('task add "Build" estimate 3d after #1', user=ALICE, channel="C0WEB"))
    ok(run('task add "Test" estimate 1d after #2 +2d milestone M1 due 2026-12-18', user=ALICE, channel="C0WEB"))
    ok(run('task add "Copy" estimate 1d', user=ALICE, channel="C0WEB"))
    ok(run('task add "Photos" estimate 2d after #4', user=ALICE, channel="C0WEB"))


def test_links_are_made_listed_undone_and_cycles_refused_by_name(run, db_engine):
    plan(run)
    said = refused(run("task link 1 after 3", user=ALICE, channel="C0WEB"))
    assert "That would make a cycle: #3 → #1 → #2 → #3." in said
    assert "#1 cannot wait on itself." in refused(run("task link 1 after #1", user=ALICE, channel="C0WEB"))
    assert "has no task #9" in refused(run('task add "Later" after #9', user=ALICE, channel="C0WEB"))
    assert "now waits on #1 +1d" in ok(run("task link 3 after 1 +1d", user=ALICE, channel="C0WEB"))
    assert "already waits on #1 +1d" in ok(run("task link web 3 after #1 +1d", user=ALICE, channel="C0WEB"))
    listed = ok(run("task list", user=ALICE, channel="C0WEB"))
    assert "#3 Test" in listed and "waiting on #1, #2" in listed
    assert "no longer waits on #1" in ok(run("task unlink 3 1", user=ALICE, channel="C0WEB"))
    assert "is not waiting on #1; nothing to unlink" in ok(run("task unlink 3 1", user=ALICE, channel="C0WEB"))
    told = ok(run("history task 3", user=ALICE, channel="C0WEB"))
    assert "made *#3 Test* wait on #1 +1d" in told and "made *#3 Test* stop waiting on #1" in told
    expected = "Expected task numbers after `after`"
    assert expected in refused(run("task link 3", user=ALICE, channel="C0WEB"))
    with Session(db_engine) as s:
        pairs = {(link.after_task_id, link.task_id, link.lag_days) for link in s.exec(select(TaskLink))}
        actions = [a.action for a in s.exec(select(AuditEntry).where(AuditEntry.action.like("task.%link")))]
    assert len(pairs) == 3 and any(lag == 2 for *_, lag in pairs)
    assert actions.count("task.link") == 4 and actions.count("task.unlink") == 1


def test_done_asks_while_a_predecessor_is_open(run):
    plan(run)
    asked = run("task done 2", user=ALICE, channel="C0WEB")
    assert "#2 *Build* waits on #1 Design, not done yet. Mark it done anyway?" in ok(asked)
    assert asked.sections[0].buttons[0].value == "web:2 anyway"
    assert "is done" in ok(run("task done web 2 anyway", user=ALICE, channel="C0WEB"))
    ok(run("task done 1", user=ALICE, channel="C0WEB"))
    assert "is done" in ok(run("task done 3", user=ALICE, channel="C0WEB"))  # nothing open before it


def test_schedule_shows_the_critical_path_with_slack_and_the_late_milestone(run):
    plan(run)
    text = ok(run("schedule", user=ALICE, channel="C0WEB"))
    # Design: 16h at Bob's 4h a day = 4 days; Build 3; two days' lag; Test 1
    assert "*Planned finish: Fri 25 Dec*" in text and "3 on the critical path" in text
    crit = text.split("*Critical path*")[1].split("*With slack*")[0]
    assert [int(n) for n in re.findall(r"• #(\d+)", crit)] == [1, 2, 3]
    assert "#1 Design · <@U0BOB> · 4d · Mon 14 Dec → Thu 17 Dec" in crit
    assert "#3 Test · 1d · Fri 25 Dec · after #2 · ⚠️ 7 days after its due date" in crit
    assert "#5 Photos · 2d · Tue 15 Dec → Wed 16 Dec · after #4 · slack 7d" in text
    assert "• M1 Launch: Fri 25 Dec · ⚠️ due Tue 22 Dec, 3 days late" in text
    assert "8h a day when unassigned" in text


def _p85(db_engine) -> date:
    with Session(db_engine) as s:
        f = build_status(session=s, project=get_project(session=s, team_id=TEAM, key="web"),
                         today=NOW.date()).forecast
    assert f is not None and f.method == "network" and f.ok, f
    return f.p85  # type: ignore[return-value]


def test_the_forecast_moves_when_a_critical_task_slips_and_not_when_one_with_slack_does(run, db_engine):
    plan(run)
    first = _p85(db_engine)
    ok(run("task edit 5 estimate 4d", user=ALICE, channel="C0WEB"))  # Photos: 2 of its 7 days of slack
    assert _p85(db_engine) == first
    ok(run("task edit 2 estimate 5d", user=ALICE, channel="C0WEB"))  # Build is on the critical path
    later = _p85(db_engine)
    assert (later - first).days >= 2
    assert f"85% likely done by {later:%a} {later.day} {later:%b}" in ok(run("status", user=ALICE, channel="C0WEB"))


def test_timeline_chart_is_a_png_of_the_schedule(run):
    plan(run)
    reply = run("chart timeline", user=ALICE, channel="C0WEB")
    assert "5 open tasks, 3 on the critical path, planned finish Fri 25 Dec, 1 task planned after its due date" \
        in ok(reply)
    assert Path(reply.image_path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert ok(run("chart web timeline", user=ALICE, channel="C0WEB")).startswith("Website: timeline")


def test_the_schedule_slip_alert_names_the_late_task_on_the_critical_path(run, db_engine):
    from bot.domain.detectors import limits_for, load_snapshot, schedule_slip

    ok(run('new "Shop" key shop due 2026-12-21', user=ALICE, channel="C0SHOP"))
    ok(run('milestone add "Launch" due 2026-12-18', user=ALICE, channel="C0SHOP"))
    ok(run('task add "Set up the shop" estimate 2d', user=ALICE, channel="C0SHOP"))
    ok(run('task add "Integrate payment" estimate 5d due 2026-12-16 after #1', user=ALICE, channel="C0SHOP"))
    ok(run('task add "Go live" estimate 1d milestone M1 after #2', user=ALICE, channel="C0SHOP"))
    ok(run('task add "Write the FAQ" estimate 1d', user=ALICE, channel="C0SHOP"))  # slack: never the cause
    with Session(db_engine) as s:
        project = get_project(session=s, team_id=TEAM, key="shop")
        snap = load_snapshot(session=s, project=project, now=NOW)
        [finding] = schedule_slip(snap, limits_for(project))
    assert finding.reason.startswith("#2 Integrate payment is 6 days late and on the critical path: "
                                     "Launch (M1) moves from Fri 18 Dec to Wed 23 Dec. The forecast is after "
                                     "the due date Mon 21 Dec: 85% likely done by "), finding.reason
    assert finding.numbers["cause_task"] == 2 and finding.numbers["cause_days_late"] == 6
    assert finding.fingerprint == "schedule_slip"


def test_a_new_capacity_moves_the_schedule_and_the_cached_forecast(run, db_engine):
    plan(run)
    ok(run(f"member capacity <@{BOB}> none", user=ALICE, channel="C0WEB"))  # his share: all of his 40h
    assert "#1 Design · <@U0BOB> · 2d ·" in ok(run("schedule", user=ALICE, channel="C0WEB"))
    before = _p85(db_engine)
    ok(run(f"capacity <@{BOB}> 10h", user=ALICE, channel="C0WEB"))  # 2h a day: Design takes 8 days
    assert "#1 Design · <@U0BOB> · 8d ·" in ok(run("schedule", user=ALICE, channel="C0WEB"))
    assert (_p85(db_engine) - before).days >= 6  # not the status cached under the old version
