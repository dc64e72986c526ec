"""Each detector fires on a project history that warrants it and stays quiet
on one that does not. Time is frozen at Friday 27 Nov 2026, 10:00 UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session

from bot.domain.detectors import DEFAULTS, DETECTORS, Finding, load_snapshot
from bot.domain.status import build_status
from bot.models import (
    CostEntry,
    DayOff,
    Member,
    Milestone,
    Project,
    Risk,
    StandupAnswer,
    StandupConfig,
    StandupParticipant,
    StandupRun,
    Task,
    TimeEntry,
)
from tests.support.factories import MEMBER, OWNER, make_project
from tests.support.helpers import TEAM

TODAY = date(2026, 11, 27)


class History:
    """Builds a project's past directly in the tables, then runs a detector."""

    def __init__(self, engine, now, **project):
        self.engine, self.now = engine, now
        self.project = make_project(engine, **project)
        self.rows: list = []
        self.tasks = 0

    def add(self, row):
        self.rows.append(row)
        return row

    def task(self, *, due: date | None = None, done: date | None = None, assignee: str | None = MEMBER,
             estimate: float | None = None, blocked_since: datetime | None = None, milestone=None):
        self.tasks += 1
        return self.add(Task(
            team_id=TEAM, project_id=self.project.id, number=self.tasks, title=f"Task {self.tasks}",
            assignee_user_id=assignee, due_date=due, estimate_hours=estimate,
            status="done" if done else "blocked" if blocked_since else "todo",
            done_at=datetime(done.year, done.month, done.day, 15, tzinfo=UTC) if done else None,
            blocked_at=blocked_since, blocked_reason="waiting for the registrar" if blocked_since else "",
            milestone_id=milestone))

    def standups(self, days: list[date], *, answers: dict[date, dict[str, str]],
                 asked: tuple[str, ...] = (MEMBER,), away: dict[date, set[str]] | None = None):
        """Closed standup runs on `days`; answers[day][user] = blocker text ('' = none)."""
        with Session(self.engine) as s:
            config = StandupConfig(team_id=TEAM, project_id=self.project.id)
            s.add(config)
            s.flush()
            for d in days:
                at = datetime(d.year, d.month, d.day, 9, 30, tzinfo=UTC)
                run = StandupRun(team_id=TEAM, standup_id=config.id, project_id=self.project.id,
                                 run_date=d, scheduled_at=at, closes_at=at + timedelta(hours=2),
                                 state="closed" if d < TODAY else "open")
                s.add(run)
                s.flush()
                for user in asked:
                    status = "away" if user in (away or {}).get(d, set()) else "asked"
                    s.add(StandupParticipant(team_id=TEAM, run_id=run.id, user_id=user, status=status))
                for user, blocker in answers.get(d, {}).items():
                    s.add(StandupAnswer(team_id=TEAM, run_id=run.id, project_id=self.project.id,
                                        user_id=user, blocker=blocker, answers={"today": "work"}))
            s.commit()

    def findings(self, detector: str, **limits) -> list[Finding]:
        with Session(self.engine, expire_on_commit=False) as s:
            for row in self.rows:
                s.add(row)
            s.commit()
            self.rows = []
            snapshot = load_snapshot(session=s, project=self.project, now=self.now)
            return DETECTORS[detector](snapshot, {**DEFAULTS, **limits})


@pytest.fixture
def history(db_engine, now):
    return lambda **project: History(db_engine, now, **project)


# --- 1. past due -------------------------------------------------------------------


def test_tasks_past_due_are_grouped_per_assignee_and_the_oldest_sets_severity(history):
    h = history()
    h.task(due=date(2026, 11, 20))
    h.task(due=date(2026, 11, 25))
    h.task(due=date(2026, 11, 26), assignee=None)
    found = {f.fingerprint: f for f in h.findings("past_due")}
    assert set(found) == {f"past_due:{MEMBER}", "past_due:unassigned"}
    mine = found[f"past_due:{MEMBER}"]
    assert mine.severity == "critical"  # 7 days late
    assert mine.reason == f"<@{MEMBER}> has 2 tasks past due (#1, #2), the oldest 7 days late."
    assert mine.numbers == {"tasks": [1, 2], "oldest_days_late": 7}
    assert found["past_due:unassigned"].severity == "warning"


def test_tasks_due_today_or_done_late_are_not_past_due(history):
    h = history()
    h.task(due=TODAY)
    h.task(due=date(2026, 11, 20), done=date(2026, 11, 24))
    assert h.findings("past_due") == []


def test_a_milestone_past_due_fires_until_it_is_reached(db_engine, history):
    h = history()
    with Session(db_engine) as s:
        m = Milestone(team_id=TEAM, project_id=h.project.id, number=1, name="Design approved",
                      due_date=date(2026, 11, 25))
        s.add(m)
        s.commit()
        mid = m.id
    h.task(milestone=mid)
    found = h.findings("past_due")
    assert [f.fingerprint for f in found] == ["milestone:1"]
    assert found[0].reason == ("Milestone M1 *Design approved* was due Wed 25 Nov and is 2 days late "
                               "with 1 open task.")
    with Session(db_engine) as s:
        m = s.get(Milestone, mid)
        m.done_at = datetime(2026, 11, 26, tzinfo=UTC)
        s.add(m)
        s.commit()
    assert h.findings("past_due") == []


# --- 2. schedule slip ------------------------------------------------------------------


def test_with_too_little_history_for_a_forecast_a_slow_pace_still_warns(history):
    h = history(due_date=date(2026, 12, 18))
    for d in (date(2026, 11, 18), date(2026, 11, 25)):
        h.task(done=d)
    for _ in range(8):
        h.task()
    [f] = h.findings("schedule_slip")
    # 2 tasks in 14 days = 1 a week; 8 left -> 56 days -> Fri 22 Jan, 35 days late
    assert f.numbers["forecast"] == "2027-01-22" and f.numbers["slip_days"] == 35
    assert f.severity == "critical"
    assert f.reason.startswith("Too little history for a forecast yet, but at the recent pace (1.0 tasks a "
                               "week) the 8 tasks left finish around Fri 22 Jan 2027, 35 days after")


def test_the_slip_alert_quotes_the_forecast_status_shows(db_engine, history):
    """One forecast: the alert's dates are `/project status`'s, never a second estimate."""
    h = history(due_date=date(2026, 12, 4))
    for d in (date(2026, 11, 9), date(2026, 11, 16), date(2026, 11, 23)):
        h.task(done=d)
    for _ in range(6):
        h.task()
    [f] = h.findings("schedule_slip")
    with Session(db_engine) as s:
        status = build_status(session=s, project=s.get(Project, h.project.id), today=TODAY)
    p50, p85 = status.forecast.p50, status.forecast.p85
    assert (f.numbers["forecast"], f.numbers["p50"]) == (p85.isoformat(), p50.isoformat())
    assert f.numbers["slip_days"] == (p85 - date(2026, 12, 4)).days
    assert f.reason.startswith("The forecast is after the due date Fri 4 Dec: "
                               + status.forecast.phrase(due=None, today=TODAY))
    assert f.severity == "critical"  # even the 50% date is after the due date


def test_a_pace_that_finishes_in_time_is_quiet(history):
    h = history(due_date=date(2026, 12, 18))
    for i in range(8):
        h.task(done=date(2026, 11, 16) + timedelta(days=i))
    h.task()
    h.task()
    assert h.findings("schedule_slip") == []


def test_slip_by_hours_when_every_task_is_estimated_and_nothing_moving_warns(history):
    h = history(due_date=date(2026, 12, 18))
    h.task(estimate=8, done=date(2026, 10, 20))  # long before the 14-day window
    h.task(estimate=16)
    [f] = h.findings("schedule_slip")
    assert f.reason == ("Nothing was finished in the last 14 days; 16h remain and the due date is "
                        "Fri 18 Dec.")


# --- 3. budget burn ----------------------------------------------------------------------


def test_spend_ahead_of_work_fires_with_costs_and_time_at_rates(db_engine, history):
    h = history(budget_cents=1_000_000)
    with Session(db_engine) as s:
        member = s.exec(Member.__table__.select().where(Member.user_id == MEMBER)).first()
        s.get(Member, member.id).hourly_rate_cents = 10_000
        s.commit()
    h.add(CostEntry(team_id=TEAM, project_id=h.project.id, amount_cents=300_000, spent_on=TODAY))
    h.add(TimeEntry(team_id=TEAM, project_id=h.project.id, user_id=MEMBER, minutes=20 * 60, rate_cents=10_000,
                    worked_on=TODAY))  # 20h at the member's $100 when logged = $2,000
    for i in range(10):
        h.task(done=date(2026, 11, 20) if i < 3 else None)
    [f] = h.findings("budget_burn")
    assert f.reason == ("50% of the budget is spent ($5,000 of $10,000) for work that has earned 30% of "
                        "it: spending runs 20 percentage points ahead of the work, CPI 0.60 (under 0.90).")
    assert f.severity == "warning"


def test_the_budget_alert_measures_work_and_cpi_exactly_as_status_does(db_engine, history):
    """Milestone budgets and unestimated tasks (at the average) count alike in the
    alert and in `/project status`, so the two never show different CPIs."""
    h = history(budget_cents=1_000_000)
    with Session(db_engine) as s:
        design = Milestone(team_id=TEAM, project_id=h.project.id, number=1, name="Design",
                           due_date=date(2026, 11, 20), planned_budget_cents=600_000)
        s.add(design)
        s.commit()
        design_id = design.id
    h.task(done=date(2026, 11, 19), estimate=8, milestone=design_id)
    h.task(estimate=8, milestone=design_id)
    h.task(done=date(2026, 11, 19))  # unestimated: counts as the 8 h average
    h.task()
    h.add(CostEntry(team_id=TEAM, project_id=h.project.id, amount_cents=700_000, spent_on=TODAY))
    [f] = h.findings("budget_burn")
    with Session(db_engine) as s:
        status = build_status(session=s, project=s.get(Project, h.project.id), today=TODAY)
    assert status.evm.ev == 500_000 and f.numbers["cpi"] == round(status.evm.cpi, 4) == 0.7143
    assert f.reason.startswith("70% of the budget is spent ($7,000 of $10,000) for work that has earned "
                               "50% of it")
    assert status.progress_phrase().startswith("50% ") and "The work is" not in f.reason  # one share, said once


def test_the_budget_alert_says_why_its_share_differs_from_progress(db_engine, history):
    h = history(budget_cents=1_000_000)
    with Session(db_engine) as s:
        design = Milestone(team_id=TEAM, project_id=h.project.id, number=1, name="Design",
                           due_date=date(2026, 11, 20), planned_budget_cents=900_000)
        s.add(design)
        s.commit()
        design_id = design.id
    h.task(estimate=8, milestone=design_id)
    h.task(done=date(2026, 11, 19), estimate=8)
    h.task(done=date(2026, 11, 19), estimate=8)
    h.add(CostEntry(team_id=TEAM, project_id=h.project.id, amount_cents=500_000, spent_on=TODAY))
    [f] = h.findings("budget_burn")
    with Session(db_engine) as s:
        status = build_status(session=s, project=s.get(Project, h.project.id), today=TODAY)
    assert f.reason.startswith("50% of the budget is spent ($5,000 of $10,000) for work that has earned 10% "
                               "of it: spending runs 40 percentage points ahead of the work, CPI 0.20 (under 0.90).")
    assert f.reason.endswith("(The work is 67% of estimated hours · 2 of 3 tasks done; its earned value "
                             "weighs it by the milestones' budgets.)")
    assert status.progress_phrase() == "67% of estimated hours · 2 of 3 tasks done"


def test_spend_in_step_with_work_is_quiet(history):
    h = history(budget_cents=1_000_000)
    h.add(CostEntry(team_id=TEAM, project_id=h.project.id, amount_cents=500_000, spent_on=TODAY))
    for i in range(10):
        h.task(done=date(2026, 11, 20) if i < 5 else None)
    assert h.findings("budget_burn") == []
    assert h.findings("budget_burn", burn_points=-5, cpi_min=1.01) != []  # thresholds matter


# --- 4. blockers --------------------------------------------------------------------------


def test_the_same_person_blocked_in_two_standups_in_a_row_fires(history):
    h = history()
    h.standups([date(2026, 11, 25), date(2026, 11, 26), TODAY],
               answers={date(2026, 11, 25): {MEMBER: ""},
                        date(2026, 11, 26): {MEMBER: "no DNS access"},
                        TODAY: {MEMBER: "still no DNS access"}})
    [f] = h.findings("blockers")
    assert f.fingerprint == f"blocker:{MEMBER}" and f.subject == MEMBER
    assert f.reason == (f"<@{MEMBER}> has reported a blocker in 2 standups in a row since Thu 26 Nov: "
                        "“still no DNS access”.")


def test_a_single_fresh_blocker_is_quiet(history):
    h = history()
    h.standups([date(2026, 11, 26), TODAY],
               answers={date(2026, 11, 26): {MEMBER: ""}, TODAY: {MEMBER: "no DNS access"}})
    assert h.findings("blockers") == []


def test_a_task_blocked_for_more_than_two_working_days_fires_and_a_fresh_one_does_not(history):
    h = history()
    h.task(blocked_since=datetime(2026, 11, 23, 9, tzinfo=UTC))  # Mon: 4 working days
    h.task(blocked_since=datetime(2026, 11, 25, 9, tzinfo=UTC))  # Wed: 2 working days
    [f] = h.findings("blockers")
    assert f.fingerprint == "blocked_task:1"
    assert f.reason == ("#1 *Task 1* has been blocked for 4 working days: “waiting for the registrar”.")


# --- 5. silent members ----------------------------------------------------------------------


def test_missing_two_standups_in_a_row_while_not_away_fires(history):
    h = history()
    h.standups([date(2026, 11, 24), date(2026, 11, 25), date(2026, 11, 26)],
               answers={date(2026, 11, 24): {MEMBER: ""}})
    [f] = h.findings("silent")
    assert f.fingerprint == f"silent:{MEMBER}"
    assert f.reason == f"<@{MEMBER}> missed the last 2 standups (Wed 25 Nov, Thu 26 Nov) and is not marked away."


def test_a_long_silence_says_since_when_instead_of_listing_a_few(history):
    h = history()
    days = [date(2026, 11, 16) + timedelta(days=i) for i in range(11) if (date(2026, 11, 16)
                                                                         + timedelta(days=i)).weekday() < 5]
    h.standups(days, answers={})  # Mon 16 .. Thu 26 Nov: 9 runs, none answered
    [f] = h.findings("silent")
    assert f.reason == f"<@{MEMBER}> missed 9 standups in a row since Mon 16 Nov and is not marked away."


def test_missed_standups_while_away_are_quiet(history):
    h = history()
    h.standups([date(2026, 11, 25), date(2026, 11, 26)], answers={},
               away={date(2026, 11, 26): {MEMBER}})
    assert h.findings("silent") == []
    h2 = history(key="crm", name="CRM")
    h2.standups([date(2026, 11, 25), date(2026, 11, 26)], answers={})
    h2.add(DayOff(team_id=TEAM, user_id=MEMBER, start_date=date(2026, 11, 25), end_date=TODAY))
    assert h2.findings("silent") == []


# --- 6. risk register gaps -----------------------------------------------------------------


def _risk(h: History, n: int, likelihood: int, impact: int, **kw) -> Risk:
    return h.add(Risk(team_id=TEAM, project_id=h.project.id, number=n, title=f"Risk {n}",
                      likelihood=likelihood, impact=impact, **kw))


def test_a_critical_risk_without_owner_or_mitigation_fires_critical(history):
    h = history()
    _risk(h, 1, 4, 5)
    _risk(h, 2, 3, 4, owner_user_id=OWNER)  # high, owned, but no mitigation
    _risk(h, 3, 2, 2)  # low: no owner needed
    found = {f.fingerprint: f for f in h.findings("risk_gaps")}
    assert set(found) == {"risk:1:gaps", "risk:2:gaps"}
    assert found["risk:1:gaps"].severity == "critical"
    assert found["risk:1:gaps"].reason == "R1 *Risk 1* scores 20 (critical) but has no owner and no mitigation."
    assert found["risk:2:gaps"].reason == "R2 *Risk 2* scores 12 (high) but has no mitigation."


def test_owned_mitigated_or_closed_risks_are_quiet_unless_past_review(history):
    h = history()
    _risk(h, 1, 5, 5, owner_user_id=OWNER, mitigation="Second host")
    _risk(h, 2, 5, 5, state="closed")
    _risk(h, 3, 4, 4, owner_user_id=OWNER, response="accept")
    assert h.findings("risk_gaps") == []
    _risk(h, 4, 1, 2, review_date=date(2026, 11, 20), owner_user_id=OWNER)
    [f] = h.findings("risk_gaps")
    assert f.fingerprint == "risk:4:review"
    assert f.reason == f"R4 *Risk 4* was due for review Fri 20 Nov (7 days ago); owner <@{OWNER}>."


# --- 7. overload ------------------------------------------------------------------------------


def test_estimates_due_next_week_above_capacity_minus_days_away_fire(history):
    h = history()
    h.task(due=date(2026, 12, 1), estimate=16)
    h.task(due=date(2026, 12, 3), estimate=14)
    h.task(due=date(2026, 12, 10), estimate=40)  # after the week: not counted
    assert h.findings("overload") == []  # 30h of 40h
    h.add(DayOff(team_id=TEAM, user_id=MEMBER, start_date=date(2026, 11, 30), end_date=date(2026, 12, 1)))
    [f] = h.findings("overload")
    assert f.reason == (f"<@{MEMBER}> has 30h of work due in the week of Mon 30 Nov against 24h, "
                        "40h a week less 2 days away (Website relaunch 30h).")
    assert f.numbers["tasks"] == [1, 2] and f.severity == "warning"


def test_the_snapshot_reads_a_fixed_number_of_statements_however_many_people(db_engine, now):
    """What the detectors read is batched: 3 people or 30 cost the same."""
    from benchmarks.querycount import count_statements
    from bot.domain.availability import set_own_holidays
    from bot.models import Role

    counts = []
    for key, size in (("small", 3), ("large", 30)):
        project = make_project(db_engine, key=key, people={f"U0P{key}{n}": Role.MEMBER for n in range(size)})
        with Session(db_engine) as s:
            set_own_holidays(session=s, team_id=TEAM, actor=f"U0P{key}0", user_id=f"U0P{key}0", code="US", now=now)
            s.commit()
        with Session(db_engine) as s, count_statements(db_engine) as counter:
            snapshot = load_snapshot(session=s, project=s.get(Project, project.id), now=now)
        counts.append(counter.count)
        assert date(2026, 11, 26) in snapshot.away[f"U0P{key}0"]  # Thanksgiving, their own holiday
    assert counts[0] == counts[1]
