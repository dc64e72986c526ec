"""Budget actuals through `/project spend|log|costs`: what is stored, what it
costs, who may, and what bad input is told."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import Session, select

from bot.models import AuditEntry, CostEntry, TimeEntry
from tests.support.helpers import Runner

OWNER, BOB, CAROL, ERIN = "U0OWNER", "U0BOB", "U0CAROL", "U0ERIN"


@pytest.fixture
def run(db_engine, now):
    r = Runner(db_engine, now)
    assert not r('new "Website relaunch" key web due 2027-03-31 budget $25k start 2026-10-01').error
    for who, role in ((BOB, "manager"), (CAROL, "member"), (ERIN, "stakeholder")):
        assert not r(f"member add <@{who}> role {role}").error
    assert not r(f"member rate <@{BOB}> 85").error
    return r


def test_spend_is_recorded_against_the_budget(run, db_engine):
    reply = run('spend 1200 licenses "Design tool seats"')
    assert reply.plain() == ("Recorded $1,200 on *licenses* (Design tool seats) for Fri 27 Nov 2026 as C1. "
                             "Spent so far: $1,200 of $25,000 (5%).")
    run("spend $349.99 hosting 3 Nov")
    with Session(db_engine) as s:
        rows = s.exec(select(CostEntry).order_by(CostEntry.id)).all()
        assert [(r.amount_cents, r.category, r.spent_on) for r in rows] == [
            (120_000, "licenses", date(2026, 11, 27)), (34_999, "hosting", date(2026, 11, 3))]
        assert s.exec(select(AuditEntry).where(AuditEntry.action == "cost.add")).all()
    assert "$1,549.99 of $25,000 (6%)" in run("status").plain()


@pytest.mark.parametrize("text, message", [
    ("spend 0 licenses", "more than zero"),
    ("spend 100 labour", "use `/project log 3h`"),
    ("spend 100 licenses tomorrow", "is Sat 28 Nov 2026, which is in the future"),
    ("spend €100 licenses", "keeps its budget in USD"),
    ("spend 100", "Expected a category"),
    ("spend lots licenses", "Expected an amount like 25000"),
])
def test_bad_spending_is_refused_with_what_was_expected(run, db_engine, text, message):
    reply = run(text)
    assert reply.error and message in reply.plain()
    with Session(db_engine) as s:
        assert s.exec(select(CostEntry)).all() == []


def test_only_owner_and_managers_record_spending(run):
    denied = run("spend 100 licenses", user=CAROL)
    assert denied.error and "Only the project's owner or a manager can record spending" in denied.plain()
    assert not run("spend 100 licenses", user=BOB).error


def test_logged_hours_keep_the_rate_at_the_time(run, db_engine):
    assert "At $85/h that is $255." in run(f"log 3h <@{BOB}>").plain()
    run(f"member rate <@{BOB}> 100")
    run(f"log 2h <@{BOB}> yesterday")
    with Session(db_engine) as s:
        entries = s.exec(select(TimeEntry).order_by(TimeEntry.id)).all()
    assert [(e.minutes, e.rate_cents, e.worked_on) for e in entries] == [
        (180, 8_500, date(2026, 11, 27)), (120, 10_000, date(2026, 11, 26))]
    costs = run("costs by member").plain()
    assert "<@U0BOB>: $455 · 5h" in costs or "@U0BOB: $455 · 5h" in costs
    assert "$455 of $25,000" in run("status").plain()


def test_members_log_their_own_time_but_not_others(run):
    assert "No hourly rate is set for you" in run("log 90m", user=CAROL).plain()
    denied = run(f"log 1h <@{BOB}>", user=CAROL)
    assert denied.error and "log time for someone else" in denied.plain()
    assert run("log 1h", user=ERIN).error  # stakeholders read only


def test_log_on_a_task_and_bad_durations(run):
    run('task add "Choose hosting" estimate 4h')
    assert "on #1 Choose hosting" in run("log 2h task 1").plain()
    assert "has no task #9" in run("log 2h task 9").plain()
    assert "Log between a few minutes and 24h" in run("log 30h").plain()
    assert "Expected a duration like 3h" in run("log soon").plain()


def test_costs_break_down_by_category_member_and_month(run):
    run('spend 1200 licenses "Seats" 2 Oct')
    run("spend 300 hosting 5 Nov")
    run(f"log 4h <@{BOB}> 5 Nov")
    run("log 2h")  # the owner, without a rate
    by_category = run("costs").plain()
    assert "• licenses: $1,200\n• labour: $340 · 6h (2h without a rate)\n• hosting: $300" in by_category
    assert "Labour $340 (6h logged), other $1,500." in by_category
    assert "• 2026-10: $1,200\n• 2026-11: $640 · 6h" in run("costs by month").plain()
    assert "other spending (not labour): $1,500" in run("costs by member").plain()
    assert run("costs by colour").error


def test_empty_costs_say_how_to_start(run):
    assert "Nothing recorded yet" in run("costs").plain()


def test_a_repeated_command_is_not_stored_twice(run, db_engine):
    run('spend 1200 licenses "Seats"')
    again = run('spend 1200 licenses "Seats"')
    assert again.plain().startswith("Already recorded a moment ago: $1,200 on *licenses*")
    run(f"log 3h <@{BOB}>")
    assert run(f"log 3h <@{BOB}>").plain().startswith("Already logged a moment ago: 3h")
    later = Runner(db_engine, run.now + timedelta(minutes=5))
    assert later('spend 1200 licenses "Seats"').plain().startswith("Recorded")  # a real second purchase
    with Session(db_engine) as s:
        assert len(s.exec(select(CostEntry)).all()) == 2
        assert len(s.exec(select(TimeEntry)).all()) == 1
