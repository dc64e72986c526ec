"""Daily housekeeping: forget Slack deliveries older than a week.

`processed_requests` holds one row per handled delivery so a retry or a double
click does nothing (`bot.domain.idempotency`). Slack retries an event within
about an hour and a modal or a command is delivered twice within seconds, so a
week of rows is ample; older ones are deleted in small batches so SQLite's
write lock is never held for long.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.jobs.scheduler import job_engine
from bot.models import ProcessedRequest, utcnow

log = logging.getLogger(__name__)
JOB_ID = "housekeeping:processed-requests"
KEEP = timedelta(days=7)
BATCH = 5_000


def prune_processed_requests(*, engine: Engine | None = None, now: datetime | None = None) -> int:
    """Delete delivery claims older than `KEEP`; returns how many went."""
    engine = engine or job_engine()
    cutoff = (now or utcnow()) - KEEP
    removed = 0
    while True:
        with Session(engine) as session:
            ids = list(session.exec(select(ProcessedRequest.id).where(ProcessedRequest.created_at < cutoff)
                                    .limit(BATCH)))
            if not ids:
                break
            session.exec(delete(ProcessedRequest).where(ProcessedRequest.id.in_(ids)))  # type: ignore[union-attr]
            session.commit()
            removed += len(ids)
    if removed:
        log.info("housekeeping: forgot %d Slack deliveries older than %d days", removed, KEEP.days)
    return removed


def register_jobs(scheduler, settings) -> None:
    """Once a day at 03:17 UTC (a quiet hour, off the round minutes other jobs use)."""
    scheduler.add_job(prune_processed_requests, trigger="cron", hour=3, minute=17, id=JOB_ID,
                      replace_existing=True, coalesce=True, max_instances=1,
                      misfire_grace_time=settings.scheduler_misfire_grace_seconds)
