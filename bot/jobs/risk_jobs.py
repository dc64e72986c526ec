"""Scheduled risk detection: every active project's detectors, hourly.

`register_jobs(scheduler, settings)` is discovered by the scheduler wiring
(`bot.jobs.scheduler.register_all`); the job uses the scheduler's engine and
takes `now` so tests can freeze time. A change made through a command
re-runs the detectors it can affect at once (`bot.domain.alerts.after_change`).
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.domain.alerts import ACTIVE_STATES, SyncResult, check_project
from bot.jobs.scheduler import job_engine
from bot.models import Alert, Project, ProjectState, utcnow

log = logging.getLogger(__name__)
JOB_ID = "risk-detectors"


def detect_all(*, engine: Engine | None = None, now: datetime | None = None) -> dict[int, SyncResult]:
    """Run every detector on every active project (and resolve what is left open
    on projects that are done or on hold), one transaction per project."""
    engine = engine or job_engine()
    now = now or utcnow()
    with Session(engine) as session:
        ids = set(session.exec(select(Project.id).where(Project.state == ProjectState.ACTIVE)))
        ids |= set(session.exec(select(Alert.project_id).where(Alert.state.in_(ACTIVE_STATES))))
    results: dict[int, SyncResult] = {}
    for project_id in sorted(ids):
        with Session(engine, expire_on_commit=False) as session:
            project = session.get(Project, project_id)
            if project is None:
                continue
            try:
                results[project_id] = check_project(session=session, project=project, now=now)
                session.commit()
            except Exception:  # one broken project must not stop the others' alerts
                session.rollback()
                log.exception("risk detectors failed for project %s (%s)", project.key, project_id)
    return results


def register_jobs(scheduler, settings) -> None:
    """Hourly detection for every project (one job, stable id)."""
    scheduler.add_job(detect_all, trigger="interval", hours=1, id=JOB_ID, replace_existing=True,
                      coalesce=True, max_instances=1,
                      misfire_grace_time=settings.scheduler_misfire_grace_seconds)
