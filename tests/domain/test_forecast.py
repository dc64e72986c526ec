"""Monte Carlo forecast: reproducible, honest about thin history, counting only
working days, fast enough for a portfolio."""

from __future__ import annotations

import time
from datetime import date

import numpy as np
from sqlmodel import Session

from bot.domain import status_cache
from bot.domain.calendar import WorkCalendar
from bot.domain.forecast import TRIALS, daily_throughput, forecast, simulate_days
from bot.domain.status import build_status
from tests.support.judgement_history import DUE, TODAY, build_history

FRIDAY = date(2026, 11, 27)
CAL = WorkCalendar()
HISTORY = [0, 1, 2, 0, 3, 1, 0, 2, 1, 1, 0, 0, 2, 1, 3]


def test_same_history_gives_the_same_dates():
    a = forecast(history=HISTORY, remaining=20, today=FRIDAY, calendar=CAL)
    b = forecast(history=HISTORY, remaining=20, today=FRIDAY, calendar=CAL)
    assert a.ok and a == b
    assert a.trials == TRIALS
    assert a.p50 <= a.p85 <= a.p95


def test_steady_throughput_gives_an_exact_date_on_a_working_day():
    # Two tasks every working day, ten left: five working days after Friday is next Friday.
    f = forecast(history=[2.0] * 10, remaining=10, today=FRIDAY, calendar=CAL)
    assert f.p50 == f.p85 == f.p95 == date(2026, 12, 4)
    assert f.phrase(due=date(2026, 12, 1), today=FRIDAY) == "85% likely done by Fri 4 Dec (due Tue 1 Dec)"


def test_company_days_off_and_holidays_push_the_date():
    off = WorkCalendar(days_off=frozenset({date(2026, 11, 30), date(2026, 12, 1)}))
    assert forecast(history=[2.0] * 10, remaining=10, today=FRIDAY, calendar=off).p85 == date(2026, 12, 8)
    us = WorkCalendar(country="US")  # Christmas Day is a holiday
    f = forecast(history=[1.0] * 10, remaining=1, today=date(2026, 12, 24), calendar=us)
    assert f.p85 == date(2026, 12, 28)


def test_too_little_history_says_so_instead_of_guessing():
    f = forecast(history=[1, 0, 2], remaining=5, today=FRIDAY, calendar=CAL)
    assert not f.ok and f.p85 is None
    assert f.phrase(due=None) == ("Not enough history to forecast yet: work was finished on 2 of the 3 "
                                  "working days so far (a forecast needs work finished on at least 3 of "
                                  "10 working days).")
    new = forecast(history=[], remaining=5, today=FRIDAY, calendar=CAL)
    assert "no working day has passed since the start yet" in new.reason and "0 of the last 0" not in new.reason
    idle = forecast(history=[0] * 20 + [1, 1], remaining=5, today=FRIDAY, calendar=CAL)
    assert not idle.ok and "2 of the last 22" in idle.reason


def test_hopelessly_slow_pace_gets_no_date():
    f = forecast(history=[0.01] + [0.0] * 9 + [0.01, 0.01], remaining=500, today=FRIDAY, calendar=CAL)
    assert not f.ok and "more than five years" in f.reason


def test_nothing_left_is_done():
    assert forecast(history=HISTORY, remaining=0, today=FRIDAY, calendar=CAL).finished


def test_history_skips_weekends_and_credits_weekend_work_to_friday():
    finished = [(date(2026, 11, 21), 3.0), (date(2026, 11, 20), 1.0), (date(2026, 11, 23), 2.0)]
    days = daily_throughput(finished=finished, calendar=CAL, today=FRIDAY, start=date(2026, 11, 16))
    # Mon 16 .. Thu 26 Nov: 9 working days; Saturday's 3 counted on Friday 20th.
    assert len(days) == 9
    assert days[4] == 4.0 and days[5] == 2.0 and sum(days) == 6.0


def test_simulation_respects_the_throughput_it_is_given():
    days = simulate_days([0.0, 2.0], 10, trials=2000)
    # Half the days finish 2: about ten working days for ten items, never fewer than five.
    assert days.min() >= 5
    assert 8 <= float(sorted(days)[1000]) <= 12


def test_ten_thousand_trials_run_well_under_100_ms():
    forecast(history=HISTORY, remaining=60, today=FRIDAY, calendar=CAL)  # warm up numpy
    best = min(_timed(lambda: forecast(history=HISTORY, remaining=60, today=FRIDAY, calendar=CAL))
               for _ in range(3))
    assert best < 0.1, f"forecast took {best * 1000:.0f} ms"


def _timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def test_twelve_week_history_forecast_is_reproducible(db_engine):
    with Session(db_engine, expire_on_commit=False) as s:
        project = build_history(s)
        s.commit()
        first = build_status(session=s, project=project, today=TODAY).forecast
        status_cache.clear()  # computed again, not served from the cache
        again = build_status(session=s, project=project, today=TODAY).forecast
    assert first == again
    assert (first.unit, first.remaining, first.history_days) == ("hours", 56.0, 30)
    assert (first.p50, first.p85, first.p95) == (date(2026, 12, 25), date(2027, 1, 6), date(2027, 1, 13))
    assert first.phrase(due=DUE, today=TODAY) == "85% likely done by Wed 6 Jan 2027 (due Fri 19 Feb 2027)"


def test_forecast_dates_are_the_working_days_the_trials_need():
    """P50/P85/P95 are found in one walk over the calendar: the same dates as
    counting that many working days after today, holidays and days off skipped."""
    cal = WorkCalendar(country="US", days_off=frozenset({date(2026, 12, 7)}))
    f = forecast(history=HISTORY, remaining=60, today=FRIDAY, calendar=cal)
    days = simulate_days(HISTORY, 60)
    p50, p85, p95 = (int(x) for x in np.percentile(days, (50, 85, 95), method="inverted_cdf"))
    assert (f.p50, f.p85, f.p95) == tuple(cal.add_working_days(FRIDAY, n) for n in (p50, p85, p95))
