"""`/project status` in full and `/project list` as the owner's portfolio,
both with a constant number of SQL statements whatever the size."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session

from benchmarks.querycount import count_statements
from bot.commands import Context, dispatch
from bot.domain.replies import Intent
from bot.domain.status import build_status
from bot.models import StandupAnswer, StandupConfig, StandupParticipant, StandupRun, Task
from tests.support.helpers import Runner
from tests.support.judgement_history import NOW, TODAY, build_history

TEAM = "T0TEST"
ALICE = "U0ALICE"


def _history(db_engine, **kw):
    with Session(db_engine, expire_on_commit=False) as s:
        project = build_history(s, team_id=TEAM, **kw)
        s.commit()
        return project


def _standups(db_engine, project_id: int) -> None:
    """Two runs this week: 4 asked, 1 away (no answer), 3 answers; an old run outside the week."""
    with Session(db_engine) as s:
        cfg = StandupConfig(team_id=TEAM, project_id=project_id)
        s.add(cfg)
        s.flush()
        for back, people in ((1, [("U1", True), ("U2", True), ("U3", "away")]),
                             (2, [("U1", True), ("U2", False)]), (12, [("U1", False)])):
            d = TODAY - timedelta(days=back)
            at = datetime(d.year, d.month, d.day, 9, tzinfo=UTC)
            run = StandupRun(team_id=TEAM, standup_id=cfg.id, project_id=project_id, run_date=d,
                             scheduled_at=at, closes_at=at + timedelta(hours=2), state="closed")
            s.add(run)
            s.flush()
            for user, answered in people:
                s.add(StandupParticipant(team_id=TEAM, run_id=run.id, user_id=user,
                                         status="away" if answered == "away" else "asked"))
                if answered is True:
                    s.add(StandupAnswer(team_id=TEAM, run_id=run.id, project_id=project_id, user_id=user,
                                        answers={"done": "x"}))
        s.commit()


def test_status_tells_the_whole_story(db_engine):
    project = _history(db_engine)
    _standups(db_engine, project.id)
    reply = Runner(db_engine, NOW)("status shop", user=ALICE)
    text = reply.plain()
    expected = [
        ":large_yellow_circle: *Amber: CPI 0.87 (under 0.90); 2 high risks open*",
        "Progress: ▓▓▓▓▓▓▓░░░ 72% of estimated hours · 16 of 21 tasks done",
        "Due: Fri 19 Feb 2027 (84 days left)",
        "Schedule: SPI 0.96 · 85% likely done by Wed 6 Jan 2027 (due Fri 19 Feb 2027)",
        "Budget: $82,800 of $100,000 (83%) · 72% earned · CPI 0.87 · EAC $115,000 · VAC -$15,000",
        "Open work: 3 todo, 1 doing, 1 blocked",
        "Standups (7 days): 75% answered (3 of 4)",
        "*Milestones*\n• *Build* Fri 11 Dec\n• *Launch* Fri 19 Feb 2027",
        "*Top risks*\n• R2 Risk 2: high (16) · <@U0BOB>\n• R1 Risk 1: high (12) · <@U0BOB>\n"
        "• R3 Risk 3: medium (6) · <@U0BOB>",
        "*Blocked*\n⛔ #14 Build task 14 (<@U0CAROL>): Waiting for the payment provider",
    ]
    for line in expected:
        assert line in text, line
    assert [(b.label, b.intent) for b in reply.buttons] == [
        ("Refresh", Intent.REFRESH_STATUS), ("Post to channel", Intent.POST_STATUS),
        ("Add task", Intent.ADD_TASK), ("Add risk", Intent.ADD_RISK), ("Chart", Intent.CHART)]


def test_a_fresh_project_is_honest_about_what_it_cannot_know(db_engine, now):
    run = Runner(db_engine, now)
    run('new "Intranet" key intranet due 2027-03-31')
    text = run("status intranet").plain()
    assert "Green: nothing planned yet to judge it by (add tasks or milestones)" in text
    assert "Budget: $0 spent; no budget set" in text
    assert "Schedule: No tasks yet, so nothing to forecast." in text
    assert "Standups (7 days): none held" in text
    run('task add "Plan the intranet" estimate 3h')
    text = run("status intranet").plain()
    assert "Not enough history to forecast yet" in text and "Green: on track" in text


def test_a_day_one_deposit_is_not_judged_as_a_cost_overrun(db_engine, now):
    """Nothing earned yet: CPI is 0.00 by arithmetic, but 5% spent on day one is a deposit,
    not a red project; at 10% spent with nothing earned the verdict judges it."""
    run = Runner(db_engine, now)
    run('new "Intranet" key intranet due 2027-03-31 budget 10000')
    run('task add "Plan the intranet" estimate 3h')
    run('spend 500 hardware "Deposit"')
    text = run("status intranet").plain()
    assert "CPI 0.00 (under" not in text and "Green: on track" in text
    run('spend 500 hardware "Second deposit"')
    text = run("status intranet").plain()
    assert "Red: CPI 0.00 (under 0.80)" in text


def test_unestimated_tasks_count_as_the_average_estimate(db_engine, now):
    run = Runner(db_engine, now)
    run('new "Intranet" key intranet due 2027-03-31')
    run('task add "Big" estimate 6h')
    run('task add "Small" estimate 2h')
    run('task add "Unknown"')  # counts as 4h, the average
    run("task done 1")
    with Session(db_engine) as s:
        from bot.domain.projects import get_project

        report = build_status(session=s, project=get_project(session=s, team_id=TEAM, key="intranet"),
                              today=now.date())
    assert (report.work_unit, report.work_total, report.work_done) == ("hours", 12.0, 6.0)
    assert "50% of estimated hours · 1 of 3 tasks done" in run("status intranet").plain()


def _count(engine, text: str) -> tuple[int, str]:
    with Session(engine, expire_on_commit=False) as session:
        ctx = Context(session=session, team_id=TEAM, user_id=ALICE, now=NOW)
        with count_statements(engine) as counter:
            reply = dispatch(text, ctx, raise_unexpected=True)
    assert not reply.error, reply.plain()
    return counter.count, reply.plain()


def test_status_statements_do_not_grow_with_the_project(db_engine):
    _history(db_engine, key="small", channel=None)
    big = _history(db_engine, key="big", channel=None)
    with Session(db_engine) as s:
        s.add_all(Task(team_id=TEAM, project_id=big.id, number=100 + i, title=f"More {i}",
                       estimate_hours=3, status="done" if i % 2 else "blocked",
                       done_at=NOW - timedelta(days=i % 40) if i % 2 else None,
                       blocked_at=NOW - timedelta(days=3)) for i in range(300))
        s.commit()
    n_small, _ = _count(db_engine, "status small")
    n_big, text = _count(db_engine, "status big")
    # the project, its version (for the cache), eleven aggregate queries
    assert n_small == n_big <= 13, (n_small, n_big)
    assert "and 146 more: `/project task list big blocked`" in text


def test_portfolio_groups_by_objective_with_colour_forecast_and_budget(db_engine, now):
    _history(db_engine)
    run = Runner(db_engine, NOW)
    run('new "Office network move" key network objective "Keep the shop running" due 2027-01-15 budget 8k',
        user=ALICE)
    text = run("list", user=ALICE).plain()
    assert text.index("*Grow online sales*") < text.index("*Keep the shop running*")
    assert ("🟡" in text or ":large_yellow_circle: *Shop relaunch* `shop`" in text)
    assert ("▓▓▓▓▓▓▓░░░ 72% of estimated hours · 16 of 21 tasks done · due Fri 19 Feb 2027 · 85% by Wed 6 Jan 2027 · budget 83% used of $100,000"
            "\n    CPI 0.87 (under 0.90); 2 high risks open") in text
    assert ":large_green_circle: *Office network move* `network`" in text
    assert "1 amber, 1 green." in text


def test_list_statements_are_the_same_for_2_and_12_projects(db_engine):
    for i in range(2):
        _history(db_engine, key=f"p{i}", channel=None, snapshots=False)
    few, _ = _count(db_engine, "list")
    for i in range(2, 12):
        _history(db_engine, key=f"p{i}", channel=None, snapshots=False)
    many, text = _count(db_engine, "list")
    assert few == many, (few, many)
    assert text.count("Shop relaunch") == 12 and "12 amber." in text


def test_holidays_from_the_standup_calendar_move_the_forecast(db_engine):
    project = _history(db_engine, snapshots=False)
    with Session(db_engine) as s:
        plain = build_status(session=s, project=project, today=TODAY).forecast
        s.add(StandupConfig(team_id=TEAM, project_id=project.id, holidays_country="US"))
        s.commit()
        with_holidays = build_status(session=s, project=project, today=TODAY).forecast
    # Veterans Day (11 Nov) and Thanksgiving (26 Nov) leave the history ...
    assert with_holidays.history_days == plain.history_days - 2
    # ... and no forecast date falls on a holiday (Christmas, New Year) or a weekend.
    for d in (with_holidays.p50, with_holidays.p85, with_holidays.p95):
        assert d.weekday() < 5 and d not in (date(2026, 12, 25), date(2027, 1, 1))
    assert (with_holidays.p50, with_holidays.p85) == (date(2026, 12, 24), date(2027, 1, 7))
