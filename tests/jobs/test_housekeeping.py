"""Old delivery claims are forgotten; recent ones keep guarding against retries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from sqlmodel import Session, select

from bot.config import Settings
from bot.domain.idempotency import claim
from bot.jobs import housekeeping
from bot.models import ProcessedRequest

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def test_claims_older_than_a_week_go_and_recent_ones_still_refuse_a_retry(db_engine, monkeypatch):
    monkeypatch.setattr(housekeeping, "BATCH", 3)  # several batches
    with Session(db_engine) as s:
        for i in range(7):
            assert claim(session=s, team_id="T1", key=f"event:old{i}", now=NOW - timedelta(days=8, hours=i))
        assert claim(session=s, team_id="T1", key="event:recent", now=NOW - timedelta(days=6))
        s.commit()
    assert housekeeping.prune_processed_requests(engine=db_engine, now=NOW) == 7
    assert housekeeping.prune_processed_requests(engine=db_engine, now=NOW) == 0
    with Session(db_engine) as s:
        assert list(s.exec(select(ProcessedRequest.key))) == ["event:recent"]
        assert not claim(session=s, team_id="T1", key="event:recent", now=NOW)  # a late retry still does nothing


def test_the_job_runs_daily_at_a_quiet_hour():
    scheduler = BackgroundScheduler(timezone="UTC")
    housekeeping.register_jobs(scheduler, Settings())
    job = scheduler.get_job(housekeeping.JOB_ID)
    assert job.func is housekeeping.prune_processed_requests
    assert str(job.trigger) == "cron[hour='3', minute='17']"
