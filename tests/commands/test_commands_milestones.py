"""`/project milestone add|list|done`."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from bot.models import Milestone
from tests.support.factories import make_project
from tests.support.helpers import Runner, ok, refused


def milestones(engine) -> list[Milestone]:
    with Session(engine) as s:
        return list(s.exec(select(Milestone).order_by(Milestone.number)))


def test_add_a_milestone_with_due_date_budget_and_effort(db_engine, now):
    make_project(db_engine)
    text = ok(Runner(db_engine, now)('milestone add "Design approved" due 15 Jan budget 5k effort 60h'))
    assert "Milestone M1 *Design approved* added to Website relaunch" in text
    assert "due Fri 15 Jan 2027" in text and "budget $5,000" in text
    (m,) = milestones(db_engine)
    assert (m.name, m.due_date, m.planned_budget_cents, m.planned_effort_hours) == (
        "Design approved", date(2027, 1, 15), 500_000, 60.0)


def test_unquoted_milestone_name(db_engine, now):
    make_project(db_engine)
    ok(Runner(db_engine, now)("milestone add Shop live due 1 Feb"))
    (m,) = milestones(db_engine)
    assert (m.name, m.due_date) == ("Shop live", date(2027, 2, 1))


def test_list_in_date_order_with_done_ones_marked(db_engine, now):
    make_project(db_engine)
    run = Runner(db_engine, now)
    assert "has no milestones yet" in ok(run("milestone list"))
    ok(run('milestone add "Launch" due 2027-03-01'))
    ok(run('milestone add "Design approved" due 2026-12-01'))
    ok(run("milestone done M2"))
    text = ok(run("milestone list"))
    assert text.index("Design approved") < text.index("Launch")
    assert "● M2 *Design approved*" in text and "○ M1 *Launch*" in text


def test_done_by_number_or_name_and_twice_is_a_no_op(db_engine, now):
    make_project(db_engine)
    run = Runner(db_engine, now)
    ok(run('milestone add "Design approved"'))
    assert "is reached" in ok(run('milestone done "design approved"'))
    first = milestones(db_engine)[0].done_at
    assert first is not None
    assert "was already reached" in ok(run("milestone done M1"))
    assert milestones(db_engine)[0].done_at == first


def test_milestone_bad_input(db_engine, now):
    make_project(db_engine)
    run = Runner(db_engine, now)
    text = refused(run("milestone add"))
    assert "Expected a milestone name" in text and "Usage: `/project milestone add" in text
    assert "no milestone `M7`" in refused(run("milestone done M7"))
    assert "duration like 3h" in refused(run('milestone add "X" effort lots'))
    assert "at most 200 characters" in refused(run('milestone add "' + "m" * 201 + '"'))
