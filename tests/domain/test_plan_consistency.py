"""The plan never says what cannot be true: earned value never exceeds the
budget, work outside any milestone still earns value, a finished project's
estimate at completion is what it cost, and a finished project raises no
budget or schedule questions."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from bot.domain import costs, tasks
from bot.domain.detectors import budget_burn, limits_for, load_snapshot, schedule_slip
from bot.domain.evm import EarnedValue, PlannedMilestone, allocate, earned_value, planned_value
from bot.domain.report import decisions_needed
from bot.domain.status import build_status
from bot.models import TaskStatus
from tests.support.factories import OWNER, make_project

START, DUE = date(2027, 1, 1), date(2027, 3, 31)

milestone = st.builds(
    PlannedMilestone,
    budget_cents=st.one_of(st.none(), st.integers(0, 2_000_000)),
    due_date=st.one_of(st.none(), st.dates(START, DUE)),
    estimate_total=st.floats(0, 500),
    estimate_done=st.just(0.0),
    done=st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(bac=st.integers(1, 5_000_000), milestones=st.lists(milestone, max_size=6),
       other_total=st.floats(0, 500), share=st.floats(0, 1), today=st.dates(START - timedelta(days=30),
                                                                            DUE + timedelta(days=60)))
def test_earned_and_planned_value_never_exceed_the_budget(bac, milestones, other_total, share, today):
    done = [PlannedMilestone(m.budget_cents, m.due_date, m.estimate_total, m.estimate_total * share, m.done)
            for m in milestones]
    ev = earned_value(bac=bac, milestones=done, other_total=other_total, other_done=other_total * share)
    pv = planned_value(bac=bac, start=START, due=DUE, today=today, milestones=done, other_total=other_total)
    assert 0 <= ev <= bac
    assert 0 <= pv <= bac + 1  # rounding of the per-milestone shares
    values, rest = allocate(bac=bac, milestones=done, other_total=other_total)
    assert sum(v for _, v in values) + rest <= bac + 1e-6


def test_overcommitted_milestones_are_scaled_to_the_budget():
    """€8,000 budget, milestones of €1,500 + €4,000 + €3,000 = €8,500 (accepted with force):
    each is worth its share of €8,000, so finishing all of them earns exactly €8,000."""
    ms = [PlannedMilestone(150_000, date(2027, 1, 15), 10, 10), PlannedMilestone(400_000, date(2027, 2, 15), 20, 20),
          PlannedMilestone(300_000, date(2027, 3, 15), 10, 10)]
    assert earned_value(bac=800_000, milestones=ms, other_total=0, other_done=0) == 800_000
    first_only = [ms[0], PlannedMilestone(400_000, date(2027, 2, 15), 20, 0), PlannedMilestone(300_000, date(2027, 3, 15), 10, 0)]
    assert earned_value(bac=800_000, milestones=first_only, other_total=0, other_done=0) == round(150_000 * 8 / 8.5)
    assert planned_value(bac=800_000, start=START, due=DUE, today=DUE, milestones=ms) == 800_000


def test_work_outside_any_milestone_earns_value_even_when_milestones_take_the_whole_budget():
    """Milestones worth the whole €8,000 with 30h of work; 10h of tasks in no milestone.
    The outside work gets its share of all the work (10 of 40h: €2,000) and the
    milestones divide the other €6,000 in proportion to their budgets."""
    ms = [PlannedMilestone(500_000, date(2027, 1, 31), 20, 0), PlannedMilestone(300_000, date(2027, 2, 28), 10, 0)]
    values, rest = allocate(bac=800_000, milestones=ms, other_total=10)
    assert [round(v) for _, v in values] == [375_000, 225_000] and round(rest) == 200_000
    assert earned_value(bac=800_000, milestones=ms, other_total=10, other_done=10) == 200_000
    assert earned_value(bac=800_000, milestones=ms, other_total=10, other_done=5) == 100_000


def test_a_finished_projects_estimate_at_completion_is_its_actual_cost():
    e = EarnedValue(bac=800_000, pv=800_000, ev=800_000, ac=1_050_750, finished=True)
    assert e.eac == 1_050_750 and e.etc == 0 and e.vac == -250_750
    assert e.cpi is not None and round(e.cpi, 2) == 0.76


def _finished_over_budget(engine, now):
    """€8,000 project, two tasks, both done, €10,507.50 spent."""
    project = make_project(engine, key="netmove", name="Office network move", budget_cents=800_000,
                           due_date=date(2026, 12, 18), now=now - timedelta(days=40))
    with Session(engine, expire_on_commit=False) as s:
        for title in ("Cabling", "Switch-over"):
            t = tasks.add_task(session=s, project=project, actor=OWNER, title=title, estimate_hours=10,
                               now=now - timedelta(days=30))
            tasks.set_status(session=s, project=project, actor=OWNER, task=t, status=TaskStatus.DONE,
                             now=now - timedelta(days=2))
        costs.record_spend(session=s, project=project, actor=OWNER, amount_cents=1_050_750,
                           category="contractors", spent_on=now.date() - timedelta(days=3), today=now.date(),
                           now=now)
        s.commit()
    return project


def test_a_finished_project_over_budget_reports_its_real_cost_and_asks_nothing(db_engine, now):
    project = _finished_over_budget(db_engine, now)
    with Session(db_engine, expire_on_commit=False) as s:
        report = build_status(session=s, project=project, today=now.date())
        assert report.finished
        assert report.evm.ev == 800_000 and report.evm.ac == 1_050_750
        assert report.evm.eac == 1_050_750  # never a forecast below what was spent
        assert decisions_needed(report) == []  # no "approve more budget or cut scope?"
        snapshot = load_snapshot(session=s, project=project, now=now)
        limits = limits_for(project)
        assert budget_burn(snapshot, limits) == [] and schedule_slip(snapshot, limits) == []


def test_an_unfinished_project_over_budget_still_asks(db_engine, now):
    project = _finished_over_budget(db_engine, now)
    with Session(db_engine, expire_on_commit=False) as s:
        tasks.add_task(session=s, project=project, actor=OWNER, title="Label ports", estimate_hours=10, now=now)
        s.commit()
        report = build_status(session=s, project=project, today=now.date())
        assert not report.finished and report.evm.eac > report.evm.ac
        assert any("approve more budget or cut scope" in d for d in decisions_needed(report))
        assert budget_burn(load_snapshot(session=s, project=project, now=now), limits_for(project))


def test_cancelled_tasks_and_milestones_are_out_of_value_and_alerts(db_engine, now):
    project = _finished_over_budget(db_engine, now)
    with Session(db_engine, expire_on_commit=False) as s:
        junk = tasks.add_task(session=s, project=project, actor=OWNER, title="junk", estimate_hours=40,
                              due_date=now.date() - timedelta(days=5), now=now)
        assert not build_status(session=s, project=project, today=now.date()).finished
        tasks.cancel_task(session=s, project=project, actor=OWNER, task=junk, reason="typo", now=now)
        s.commit()
        report = build_status(session=s, project=project, today=now.date())
        assert report.finished and report.total == 2 and report.overdue_tasks == 0
        snapshot = load_snapshot(session=s, project=project, now=now)
        assert all(t.title != "junk" for t in snapshot.tasks)
