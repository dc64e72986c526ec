"""Red/amber/green: each rule, its reason, per-project thresholds, the daily
snapshot and the trend."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session, select

from bot.domain.health import (
    DEFAULTS,
    Signals,
    assess,
    record_snapshot,
    thresholds,
    trend,
    trend_phrase,
)
from bot.domain.status import build_status
from bot.models import HealthSnapshot, Project
from tests.support.judgement_history import EXPECTED_HEALTH, TODAY, build_history

D = date(2026, 11, 27)


def test_a_project_with_nothing_wrong_is_green_and_says_so():
    h = assess(Signals(today=D, spi=1.02, cpi=1.1, days_since_start=30))
    assert h.summary == "Green: on track (SPI 1.02, CPI 1.10)"


def test_an_empty_plan_is_not_called_on_track_but_its_risks_still_count():
    empty = assess(Signals(today=D, planned=False))
    assert empty.summary == "Green: nothing planned yet to judge it by (add tasks or milestones)"
    risky = assess(Signals(today=D, planned=False, risk_bands={"critical": 1}))
    assert risky.summary == "Red: 1 critical risk open"


def test_cpi_under_amber_and_high_risks_make_amber_with_both_reasons():
    h = assess(Signals(today=D, spi=1.0, cpi=0.87, days_since_start=30, risk_bands={"high": 2, "low": 3}))
    assert h.summary == "Amber: CPI 0.87 (under 0.90); 2 high risks open"


def test_spi_and_cpi_under_red_are_red():
    assert assess(Signals(today=D, spi=0.8, days_since_start=30)).summary == "Red: SPI 0.80 (under 0.85)"
    assert assess(Signals(today=D, cpi=0.75)).summary == "Red: CPI 0.75 (under 0.80)"


def test_spi_is_not_judged_in_the_first_days():
    assert assess(Signals(today=D, spi=0.2, days_since_start=2)).rag == "green"


def test_p85_after_due_is_amber_and_p50_after_due_is_red():
    amber = assess(Signals(today=D, due=date(2027, 3, 1), p50=date(2027, 2, 20), p85=date(2027, 3, 14)))
    assert amber.summary == "Amber: 85% forecast Sun 14 Mar 2027 is after the due date Mon 1 Mar 2027"
    red = assess(Signals(today=D, due=date(2027, 3, 1), p50=date(2027, 3, 5), p85=date(2027, 3, 14)))
    assert red.rag == "red" and "50% forecast" in red.reasons[0]


def test_overdue_milestones_amber_then_red_after_a_week():
    amber = assess(Signals(today=D, overdue_milestones=[("Design", 3)]))
    assert amber.summary == "Amber: milestone Design 3 days overdue"
    red = assess(Signals(today=D, overdue_milestones=[("Design", 3), ("Build", 9)]))
    assert red.summary == "Red: milestone Build 9 days overdue (+1 more milestone)"


def test_critical_risk_is_red_and_aging_blockers_escalate():
    assert assess(Signals(today=D, risk_bands={"critical": 1})).summary == "Red: 1 critical risk open"
    h = assess(Signals(today=D, blocker_ages=[(4, 1), (5, 3), (6, 9)]))
    assert h.rag == "red"
    assert h.reasons == ["1 task blocked over 5 days (longest 9 days)", "1 task blocked over 2 days"]


def test_red_reasons_come_before_amber_ones():
    h = assess(Signals(today=D, cpi=0.85, risk_bands={"critical": 1}))
    assert h.summary == "Red: 1 critical risk open; CPI 0.85 (under 0.90)"
    assert h.headline(limit=1) == "Red: 1 critical risk open; and 1 more"


def test_finished_project_is_green():
    assert assess(Signals(today=D, cpi=0.5, finished=True)).summary == "Green: all work is done"


def test_thresholds_come_from_project_settings_and_ignore_junk():
    p = Project(team_id="T", key="k", name="K", settings={"health": {"cpi_amber": 0.85, "spi_red": "x",
                                                                     "unknown": 1}})
    limits = thresholds(p)
    assert limits["cpi_amber"] == 0.85 and limits["spi_red"] == DEFAULTS["spi_red"]
    assert assess(Signals(today=D, cpi=0.87), limits).rag == "green"


def test_twelve_week_history_is_amber_with_its_reasons(db_engine):
    with Session(db_engine, expire_on_commit=False) as s:
        project = build_history(s)
        s.commit()
        report = build_status(session=s, project=project, today=TODAY)
    assert report.health.summary == EXPECTED_HEALTH


def test_snapshot_is_one_row_per_day_and_the_trend_reads_well(db_engine):
    with Session(db_engine, expire_on_commit=False) as s:
        project = build_history(s, snapshots=False)
        s.commit()
        green, amber = assess(Signals(today=D)), assess(Signals(today=D, cpi=0.87))
        record_snapshot(session=s, project=project, today=D - timedelta(days=2), health=green, metrics={}, now=datetime.now(UTC))
        record_snapshot(session=s, project=project, today=D, health=green, metrics={"cpi": 1}, now=datetime.now(UTC))
        record_snapshot(session=s, project=project, today=D, health=amber, metrics={"cpi": 0.87}, now=datetime.now(UTC))
        s.commit()
        rows = s.exec(select(HealthSnapshot).where(HealthSnapshot.project_id == project.id)
                      .order_by(HealthSnapshot.day)).all()
        assert [(r.day, r.rag) for r in rows] == [(D - timedelta(days=2), "green"), (D, "amber")]
        assert rows[-1].reasons == ["CPI 0.87 (under 0.90)"] and rows[-1].metrics == {"cpi": 0.87}
        history = trend(session=s, project=project, since=D - timedelta(days=14))
    assert trend_phrase(history, "amber") == "Green → Amber"
    assert trend_phrase(history[:1], "green").startswith("Green since Wed 25 Nov")
    assert trend_phrase([], "green") == "no history yet"


def test_health_command_shows_and_changes_thresholds(db_engine, now):
    from tests.support.helpers import Runner

    run = Runner(db_engine, now)
    run('new "Intranet" key intranet budget 10k')
    run("member add <@U0CAROL> role member")
    assert "`cpi_amber` 0.9" in run("health").plain()
    changed = run("health cpi_amber 0.85 blocker_red_days 7").plain()
    assert "`cpi_amber` 0.85 (default 0.9)" in changed and "`blocker_red_days` 7 (default 5)" in changed
    assert "A red threshold must not be above its amber one." in run("health cpi_red 0.9").plain()
    assert "takes a number" in run("health spi_red soon").plain()
    assert "one of spi_amber" in run("health colour 1").plain()
    denied = run("health cpi_amber 0.5", user="U0CAROL")
    assert denied.error and "change health thresholds" in denied.plain()
    with Session(db_engine) as s:
        project = s.exec(select(Project).where(Project.key == "intranet")).one()
    assert project.settings["health"] == {"cpi_amber": 0.85, "blocker_red_days": 7.0}
    assert thresholds(project)["cpi_amber"] == 0.85
