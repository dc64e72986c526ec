"""Amounts, durations and times as people type them, and a new project's
currency following the workspace."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot.commands.grammar import UsageError, parse_money
from bot.domain.standups import parse_hhmm
from bot.models import CostEntry, Member, Project, Task, TimeEntry
from tests.support.factories import make_project
from tests.support.helpers import Runner, ok, refused


@pytest.fixture
def euro_project(db_engine, now):
    run = Runner(db_engine, now, currency="EUR")
    ok(run('new "Office move" key move budget 8000'))
    ok(run("member add <@U0FRANK|frank> <@U0MEMB|memb>"))
    return run


def test_spending_as_typed(euro_project, db_engine):
    run = euro_project
    assert "Recorded €1,200 on *network* (gear) for Fri 27 Nov 2026" in ok(run("spend 1.2k network gear"))
    assert "Recorded €2,400 on *hardware*" in ok(run("spend 2400 EUR hardware"))
    assert "Recorded €300 on *hardware*" in ok(run("spend EUR 300 hardware"))
    assert "Recorded €49 on *travel* (Train to Berlin) for Fri 20 Nov 2026" in ok(
        run("spend 49€ travel Train to Berlin last friday"))
    assert "keeps its budget in EUR" in refused(run("spend 100 USD hardware"))
    with Session(db_engine) as s:
        rows = s.exec(select(CostEntry.amount_cents, CostEntry.category, CostEntry.description)
                      .order_by(CostEntry.id)).all()
    assert rows == [(120_000, "network", "gear"), (240_000, "hardware", ""), (30_000, "hardware", ""),
                    (4_900, "travel", "Train to Berlin")]


def test_rates_durations_and_estimates_as_typed(euro_project, db_engine):
    run = euro_project
    assert "'s rate on *Office move* is €85/h" in ok(run("member rate <@U0FRANK|frank> €85/h"))
    ok(run("member rate <@U0MEMB|memb> 70 EUR per hour"))
    assert "in EUR" in refused(run("member rate <@U0FRANK|frank> $90/h"))
    assert "3h" in ok(run('task add "Move the server" estimate 3 hours'))
    assert "Logged 2.5h" in ok(run("log 2,5h task 1", user="U0FRANK"))
    assert "Logged 1.5h" in ok(run("log 90 min fixing the router yesterday", user="U0FRANK"))
    with Session(db_engine) as s:
        rates = dict(s.exec(select(Member.user_id, Member.hourly_rate_cents)).all())
        assert (rates["U0FRANK"], rates["U0MEMB"]) == (8_500, 7_000)
        assert s.exec(select(Task.estimate_hours)).one() == 3.0
        entries = s.exec(select(TimeEntry.minutes, TimeEntry.note).order_by(TimeEntry.id)).all()
    assert entries == [(150, ""), (90, "fixing the router")]


@pytest.mark.parametrize("text, hhmm", [
    ("9:30am", "09:30"), ("9:30 am", "09:30"), ("9am", "09:00"), ("12am", "00:00"), ("12pm", "12:00"),
    ("5:15pm", "17:15"), ("09.30", "09:30"), ("17:00", "17:00"),
])
def test_times_of_day_as_typed(text, hhmm):
    assert parse_hhmm(text) == hhmm


def test_standup_and_report_times_as_typed(db_engine, now):
    make_project(db_engine)
    run = Runner(db_engine, now)
    assert "09:30 mon-fri" in ok(run("standup set 9:30am"))
    assert "17:15 mon-fri" in ok(run("standup set 5:15 pm"))
    assert "Fridays at 16:00" in ok(run("report schedule fri 4pm"))
    assert "Expected a time like 09:30" in refused(run("standup set 9:30 close 25:00"))


@pytest.mark.parametrize("text", ["SAP2400", "2400USDEUR", "$2400€"])
def test_an_amount_naming_no_or_two_currencies_is_refused(text):
    with pytest.raises(UsageError):
        parse_money(text)


def test_a_new_project_takes_the_currency_its_workspace_already_uses(db_engine, now):
    dollars = Runner(db_engine, now)  # DEFAULT_CURRENCY unset: USD
    ok(dollars('new "First" budget €5k'))
    assert "budget €9,000" in ok(dollars('new "Second" budget 9000'))  # all projects are in EUR
    ok(dollars('new "Third" budget £100'))
    assert "budget $1,000" in ok(dollars('new "Fourth" budget 1000'))  # mixed: the setting
    other = Runner(db_engine, now, team_id="T0OTHER", currency="EUR")
    assert "budget €2,000" in ok(other('new "Elsewhere" budget 2000'))  # DEFAULT_CURRENCY=EUR
    with Session(db_engine) as s:
        assert s.exec(select(Project.currency).where(Project.key == "second")).one() == "EUR"
