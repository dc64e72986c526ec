"""Milestones corrected (`milestone edit|cancel|reopen`) and kept consistent with
the project: budgets that add up to more than the project's are refused naming
the sum and the budget (`force` accepts, status shows it); dates outside the
project's warn in the reply and are listed in status."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from bot.models import AuditEntry, Milestone
from tests.support.factories import MEMBER, make_project
from tests.support.helpers import Runner, ok, refused


@pytest.fixture
def run(db_engine, now):
    planned = Runner(db_engine, datetime(2026, 11, 2, 9, tzinfo=UTC), currency="EUR",
                     timezone="Europe/Berlin")  # the plan is made on the first day (no past due dates)
    ok(planned('new "Office network move" key netmove due 2026-12-18 budget €8000 start 2026-11-02'))
    ok(planned(f"member add <@{MEMBER}>"))
    ok(planned('milestone add "Survey" due 2026-11-13 budget 1500'))
    ok(planned('milestone add "Cabling" due 2026-12-04 budget 4000'))
    return Runner(db_engine, now, currency="EUR", timezone="Europe/Berlin")


def _milestones(engine) -> list[Milestone]:
    with Session(engine) as s:
        return list(s.exec(select(Milestone).order_by(Milestone.number)))


def test_budgets_over_the_project_are_refused_naming_the_sum_and_the_budget(run, db_engine):
    text = refused(run('milestone add "Switch-over" due 2026-12-17 budget 3000'))
    assert "milestone budgets would add up to €8,500, more than the project's budget of €8,000 (by €500)" in text
    assert "`force`" in text
    assert len(_milestones(db_engine)) == 2  # nothing saved


def test_force_accepts_and_status_shows_the_overcommitment(run):
    text = ok(run('milestone add "Switch-over" due 2026-12-17 budget 3000 force'))
    assert "⚠️ Accepted with `force`: milestone budgets would add up to €8,500" in text
    status = ok(run("status"))
    assert "*Plan problems*" in status
    assert "Milestone budgets add up to €8,500, more than the project's budget of €8,000 (by €500)." in status
    ok(run("milestone edit M3 budget 2500"))
    assert "Plan problems" not in ok(run("status"))  # resolved


def test_editing_a_budget_over_the_project_is_refused_unless_forced(run, db_engine):
    assert "would add up to €9,500" in refused(run("milestone edit M2 budget 8000"))
    assert _milestones(db_engine)[1].planned_budget_cents == 400_000
    assert "Accepted with `force`" in ok(run("milestone edit M2 budget 8000 force"))


def test_lowering_the_project_budget_below_its_milestones_is_refused_unless_forced(run):
    text = refused(run("edit budget 5000"))
    assert "milestone budgets would add up to €5,500, more than the project's budget of €5,000" in text
    assert "Accepted with `force`" in ok(run("edit budget 5000 force"))


def test_a_milestone_after_the_projects_due_date_warns_and_is_listed_in_status(run):
    text = ok(run('milestone add "Party" due 2026-12-22'))
    assert "⚠️ M3 is due Tue 22 Dec 2026, after the project's due date Fri 18 Dec 2026." in text
    assert "⚠️ Milestone M3 Party is due Tue 22 Dec, after the project's due date Fri 18 Dec." in ok(run("status"))
    text = ok(run("edit due 2026-12-01"))  # moving the project's date names what now falls outside it
    assert "Milestone M2 Cabling is due Fri 4 Dec, after the project's due date Tue 1 Dec." in text


def test_a_milestone_before_the_start_warns(run):
    ok(run('new "Phone system" key phones start 2027-01-04 due 2027-02-26'))
    assert "before the project's start Mon 4 Jan 2027" in ok(run('milestone add phones "Kick-off" due 2027-01-01'))


def test_edit_changes_several_fields_and_a_repeat_changes_nothing(run, db_engine):
    text = ok(run('milestone edit M2 name "Cabling and patching" due 2026-12-07 effort 60h'))
    assert "name: “Cabling” → “Cabling and patching”" in text
    assert "due: Fri 4 Dec 2026 → Mon 7 Dec 2026" in text and "effort: _not set_ → 60h" in text
    assert "nothing to change" in ok(run('milestone edit M2 name "Cabling and patching" due 2026-12-07'))
    with Session(db_engine) as s:
        edits = s.exec(select(AuditEntry).where(AuditEntry.action == "milestone.edit")).all()
    assert len(edits) == 1 and edits[0].before["name"] == "Cabling"
    assert "Only the project's owner or a manager can edit milestones" in refused(
        run("milestone edit M2 budget 1", user=MEMBER))


def test_cancel_frees_its_budget_keeps_its_tasks_and_reopen_brings_it_back(run, db_engine):
    ok(run('task add "Pull cables" milestone M2 estimate 10h'))
    text = ok(run('milestone cancel M2 "Done by the landlord"'))
    assert "Its budget of €4,000 no longer counts." in text
    assert "Its open task #1 stays open, outside any milestone" in text
    assert "was already cancelled" in ok(run("milestone cancel M2"))
    assert "✕ M2 *Cabling*" in ok(run("milestone list"))
    assert "Cabling" not in ok(run("status")).split("*Milestones*")[-1].split("Refresh")[0]
    assert "is cancelled" in refused(run("milestone done M2"))
    assert "is cancelled" in refused(run('task add "More cables" milestone M2'))
    ok(run('milestone add "Switch-over" due 2026-12-17 budget 6500'))  # fits now that M2's 4000 is free
    text = refused(run("milestone reopen M2"))
    assert "would add up to €12,000" in text
    assert "is open again (it was cancelled)" in ok(run("milestone reopen M2 force"))
    assert "is open already" in ok(run("milestone reopen M2"))


def test_a_reached_milestone_can_be_reopened(run):
    ok(run("milestone done M1"))
    assert "is open again (it was reached)" in ok(run("milestone reopen M1"))
    assert "is reached" in ok(run("milestone done M1"))


def test_a_project_with_the_same_name_as_an_open_one_is_refused_with_its_key(run):
    text = refused(run('new "office network  MOVE"'))
    assert "There is already an open project called *Office network move* (key `netmove`)" in text
    assert "There is already an open project" in refused(run('new "Office network move!" key other'))
    ok(run("delete netmove confirm"))
    assert "started" in ok(run('new "Office network move"'))  # the first one is archived: the name is free


@pytest.mark.parametrize("name", ["milestone edit", "milestone cancel", "milestone reopen"])
def test_help_has_examples(run, name):
    assert "• `/project milestone" in ok(run(f"help {name}"))


def test_plan_problems_survive_only_while_true(db_engine, now):
    make_project(db_engine, key="site", name="Site", budget_cents=100_000, now=now)
    run = Runner(db_engine, now)
    assert "Plan problems" not in ok(run("status site"))
