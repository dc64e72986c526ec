"""Dates that cannot be misread: numeric forms by `DATE_ORDER`, no year made
up, due dates never in the past, the weekday rule the same on every day."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.commands.dates import FUTURE, PAST, DateError, check_tense, parse_date
from bot.config import ConfigError, load_settings
from tests.support.factories import make_project
from tests.support.helpers import Runner, ok, refused

THU = date(2026, 12, 3)  # a Thursday


@pytest.mark.parametrize("text, order, expected", [
    ("12/31", "DMY", date(2026, 12, 31)),  # valid only month-first: 31 Dec, never a year 2031
    ("12/31", "MDY", date(2026, 12, 31)),
    ("31/12", "DMY", date(2026, 12, 31)),
    ("31/12", "MDY", date(2026, 12, 31)),
    ("1/2", "DMY", date(2027, 2, 1)),
    ("1/2", "MDY", date(2027, 1, 2)),
    ("31.12.", "DMY", date(2026, 12, 31)),
    ("24.12.2026", "DMY", date(2026, 12, 24)),
    ("12/24/26", "MDY", date(2026, 12, 24)),
    ("2027/3/31", "DMY", date(2027, 3, 31)),
])
def test_numeric_days_and_months_follow_the_setting_only_when_both_fit(text, order, expected):
    assert parse_date(text, today=THU, order=order) == expected


@pytest.mark.parametrize("text, message", [
    ("32/12", "`32/12` is not a date: December has 31 days."),
    ("13/13", "neither 13 nor 13 can be a month"),
    ("31/4", "April has 30 days"),
    ("2027-02-30", "February 2027 has 28 days"),
    ("29 Feb", "29 February comes only in leap years"),
    ("Fri 31 Dec 2026", "31 December 2026 is a Thursday, not a Friday"),
    ("in 30 months", "more than two years away; write the year"),
    ("December", "Expected a date like"),
    ("3 hours", "Expected a date like"),
])
def test_a_date_that_cannot_be_read_one_way_is_refused_with_why(text, message):
    with pytest.raises(DateError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_date(text, today=THU)


def test_a_year_is_never_made_up():
    """Without a year: the next such day, unless it fell in the last two
    months; a far date needs its year written in full."""
    assert parse_date("31 Mar", today=THU) == date(2027, 3, 31)
    assert parse_date("5 Jun", today=THU) == date(2027, 6, 5)
    assert parse_date("1 Dec", today=THU) == date(2026, 12, 1)  # two days ago, not next year
    assert parse_date("20 Oct", today=THU) == date(2026, 10, 20)  # within two months
    assert parse_date("1 Sep", today=THU) == date(2027, 9, 1)  # longer ago: the next one
    assert parse_date("Thu 31 Dec 2026", today=THU) == date(2026, 12, 31)  # as the replies show it
    assert parse_date("March 31st, 2029", today=THU) == date(2029, 3, 31)  # written out: allowed
    assert parse_date("5 Jun", today=THU, tense=PAST) == date(2026, 6, 5)  # spent: the past one


def test_a_due_date_in_the_past_is_refused_saying_how_long_ago():
    value = parse_date("1 Dec", today=THU, tense=FUTURE)
    with pytest.raises(DateError, match=r"`1 Dec` is Tue 1 Dec 2026: that was two days ago, "
                                        r"and a due date cannot be in the past\."):
        check_tense(value, "1 Dec", today=THU, tense=FUTURE)
    with pytest.raises(DateError, match="yesterday"):
        check_tense(THU - timedelta(days=1), "", today=THU, tense=FUTURE)
    with pytest.raises(DateError, match="which is in the future"):
        check_tense(THU + timedelta(days=1), "tomorrow", today=THU, tense=PAST)


@pytest.mark.parametrize("offset", range(7))
def test_next_weekday_means_the_same_on_every_day_of_the_week(offset):
    """`thu`, `thursday` and `next thu` are the first Thursday after today
    (a week later on a Thursday); `this thu` is today on a Thursday;
    `last thu` the one before today."""
    today = date(2026, 11, 30) + timedelta(days=offset)  # Mon 30 Nov .. Sun 6 Dec
    first_after = today + timedelta(days=(3 - today.weekday()) % 7 or 7)
    for text in ("thu", "thursday", "next thu", "next thursday", "on thursday"):
        got = parse_date(text, today=today)
        assert got == first_after and got.weekday() == 3 and 1 <= (got - today).days <= 7, text
    assert parse_date("this thu", today=today) == today + timedelta(days=(3 - today.weekday()) % 7)
    last = parse_date("last thursday", today=today)
    assert last.weekday() == 3 and 1 <= (today - last).days <= 7
    assert parse_date("friday", today=today, tense=PAST) <= today  # spent on a Friday: the last one


def test_date_order_is_a_setting_dmy_by_default():
    assert load_settings(env={}, env_file=None).date_order == "DMY"
    assert load_settings(env={"DATE_ORDER": "mdy"}, env_file=None).date_order == "MDY"
    with pytest.raises(ConfigError, match="DATE_ORDER must be DMY"):
        load_settings(env={"DATE_ORDER": "YMD"}, env_file=None)


def test_commands_spell_the_date_out_and_refuse_a_past_due_date(db_engine, now):
    """As the owner types them (Fri 27 Nov 2026)."""
    make_project(db_engine, task_titles=("Choose hosting",))
    run = Runner(db_engine, now)
    assert "due Thu 31 Dec 2026" in ok(run('task add "Order the cake" due 12/31'))
    us = Runner(db_engine, now, date_order="MDY")
    assert "due Sat 2 Jan 2027" in ok(us('task add "Fireworks" due 1/2'))
    assert "due Mon 1 Feb 2027" in ok(run('task add "Tax papers" due 1/2'))
    text = refused(run("task due 1 25 Nov"))
    assert "`25 Nov` is Wed 25 Nov 2026: that was two days ago, and a due date cannot be in the past." in text
    text = refused(run('task add "Leaflets" due 32/12'))
    assert "`32/12` is not a date: December has 31 days." in text and "Leaflets" not in ok(run("task list"))
    assert "is due Thu 3 Dec 2026" in ok(run("task due 1 next thu"))
    assert "a review date cannot be in the past" in refused(run('risk add "Late cake" likelihood 2 impact 2 review 20 Nov'))
    assert "for Fri 20 Nov 2026" in ok(run("spend 40 food 20 Nov"))  # the past one, a week ago
