"""Earned value: the published textbook example, the plan and work rules, the
edge cases (no cost yet, nothing done, over budget, finished early), and the
constructed 12-week history end to end on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session

from bot.domain.evm import EarnedValue, PlannedMilestone, earned_value, planned_value
from bot.domain.status import build_status
from tests.support.judgement_history import EXPECTED, TODAY, build_history

DOLLAR = 100


def test_schwalbe_textbook_example():
    """Kathy Schwalbe, *Information Technology Project Management*, ch. 7
    "Project Cost Management", earned value exercise: a six-month project with
    BAC $200,000, three months in, PV $120,000, EV $100,000, AC $90,000.
    Published answers: CV $10,000, SV -$20,000, CPI 1.11, SPI 0.83,
    EAC = BAC / CPI = $180,000. ETC, VAC, TCPI and the atypical EAC follow
    from the same formulas (PMBOK Guide, 6th ed., table 7-1)."""
    e = EarnedValue(bac=200_000 * DOLLAR, pv=120_000 * DOLLAR, ev=100_000 * DOLLAR, ac=90_000 * DOLLAR)
    assert e.cv == 10_000 * DOLLAR
    assert e.sv == -20_000 * DOLLAR
    assert e.cpi == pytest.approx(1.111, abs=0.001)
    assert e.spi == pytest.approx(0.833, abs=0.001)
    assert e.eac == 180_000 * DOLLAR
    assert e.etc == 90_000 * DOLLAR
    assert e.vac == 20_000 * DOLLAR
    assert e.eac_atypical == 190_000 * DOLLAR  # AC + (BAC - EV)
    assert e.tcpi == pytest.approx(100_000 / 110_000)  # 0.909: the rest may be done less efficiently
    # Schwalbe's follow-up: the estimated time to complete is 6 months / SPI = 7.2 months.
    assert 6 / e.spi == pytest.approx(7.2)


def test_construction_example_eac_and_tcpi():
    """CE board review, "Project Control and Earned Value": BAC P5,000,000,
    EV P1,500,000, AC P1,800,000 gives CPI 0.833 and EAC P6,000,000; with
    BAC P10M, EV P3M, AC P3.5M the TCPI is 1.077."""
    e = EarnedValue(bac=5_000_000, pv=1_500_000, ev=1_500_000, ac=1_800_000)
    assert e.cpi == pytest.approx(0.8333, abs=1e-4)
    assert e.eac == 6_000_000
    assert EarnedValue(bac=10_000_000, pv=0, ev=3_000_000, ac=3_500_000).tcpi == pytest.approx(1.077, abs=1e-3)


def test_no_cost_yet_has_no_cpi_and_eac_is_the_budget():
    e = EarnedValue(bac=50_000, pv=10_000, ev=8_000, ac=0)
    assert e.cpi is None
    assert e.eac == 50_000  # nothing spent says nothing about overruns: forecast = budget
    assert e.vac == 0 and e.etc == 50_000
    assert e.tcpi == pytest.approx(42_000 / 50_000)


def test_nothing_done_yet_spends_without_earning():
    e = EarnedValue(bac=50_000, pv=10_000, ev=0, ac=5_000)
    assert e.spi == 0 and e.cpi == 0
    assert e.eac == 55_000  # CPI 0 says nothing about the rest: AC + remaining budget
    assert e.vac == -5_000


def test_nothing_planned_yet_has_no_spi():
    assert EarnedValue(bac=50_000, pv=0, ev=0, ac=0).spi is None


def test_over_budget_has_no_tcpi_and_a_negative_vac():
    e = EarnedValue(bac=10_000, pv=10_000, ev=8_000, ac=12_000)
    assert e.cpi == pytest.approx(2 / 3)
    assert e.eac == 15_000
    assert e.vac == -5_000
    assert e.tcpi is None  # no efficiency lands on budget once it is spent


def test_finished_early_and_under_budget():
    e = EarnedValue(bac=10_000, pv=7_000, ev=10_000, ac=9_000)
    assert e.spi == pytest.approx(10 / 7)
    assert e.eac == 9_000 and e.etc == 0 and e.vac == 1_000
    assert e.tcpi == 0


def test_planned_value_is_linear_from_start_to_due_without_milestone_budgets():
    start, due = date(2027, 1, 1), date(2027, 1, 11)
    assert planned_value(bac=1000, start=start, due=due, today=date(2026, 12, 31), milestones=[]) == 0
    assert planned_value(bac=1000, start=start, due=due, today=date(2027, 1, 4), milestones=[]) == 300
    assert planned_value(bac=1000, start=start, due=due, today=date(2027, 2, 1), milestones=[]) == 1000


def test_planned_value_follows_milestone_budgets_by_their_dates():
    start = date(2027, 1, 1)
    ms = [PlannedMilestone(600, date(2027, 1, 11), 0, 0), PlannedMilestone(400, date(2027, 1, 21), 0, 0)]
    pv = lambda d: planned_value(bac=1000, start=start, due=date(2027, 1, 21), today=d, milestones=ms)  # noqa: E731
    assert pv(date(2027, 1, 6)) == 300  # half of M1's span
    assert pv(date(2027, 1, 11)) == 600
    assert pv(date(2027, 1, 16)) == 800  # M1 + half of M2 (from M1's date)


def test_earned_value_weights_milestones_by_budget():
    ms = [PlannedMilestone(800, date(2027, 1, 11), estimate_total=10, estimate_done=10),
          PlannedMilestone(None, None, estimate_total=90, estimate_done=0)]
    # The small milestone carries most of the budget: finishing it earns 800, not 10%.
    assert earned_value(bac=1000, milestones=ms, other_total=0, other_done=0) == 800


def test_a_reached_milestone_without_tasks_earns_its_budget():
    reached = PlannedMilestone(300, date(2027, 1, 11), 0, 0, done=True)
    open_ = PlannedMilestone(200, date(2027, 1, 21), 0, 0)
    assert earned_value(bac=1000, milestones=[reached, open_], other_total=10, other_done=5) == 550


def test_twelve_week_history_gives_the_documented_numbers(db_engine):
    with Session(db_engine, expire_on_commit=False) as s:
        project = build_history(s)
        s.commit()
        report = build_status(session=s, project=project, today=TODAY)
    assert report.evm is not None
    assert report.evm.as_dict() == EXPECTED
