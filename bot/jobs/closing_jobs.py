"""Scheduled retrospective summaries: hourly, each closed project whose
answers have been collected for the days its owner chose gets its summary
posted in its channel (and its "do differently" answers kept as lessons).

`register_jobs(scheduler, settings)` is discovered by the scheduler wiring;
the job takes `now` so tests can freeze time. A reopened project's
retrospective is never summarised by the job (`retro KEY summary` still can).
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.domain.closing.retro import due_closures, summarise
from bot.jobs.scheduler import job_engine
from bot.models import Project, ProjectClosure, utcnow

log = logging.getLogger(__name__)
JOB_ID = "retro-summaries"


def summarise_due(*, engine: Engine | None = None, now: datetime | None = None) -> list[int]:
    """Summarise every retrospective whose time is up; returns the closure ids done,
    one transaction each (one broken project does not stop the others)."""
    engine = engine or job_engine()
    now = now or utcnow()
    with Session(engine) as session:
        due = due_closures(session, now)
    done = []
    for closure_id in due:
        with Session(engine, expire_on_commit=False) as session:
            closure = session.get(ProjectClosure, closure_id)
            project = session.get(Project, closure.project_id) if closure else None
            if closure is None or project is None:
                continue
            try:
                _, summarised = summarise(session=session, project=project, closure=closure, now=now)
                session.commit()
            except Exception:  # noqa: BLE001 - logged; the next run tries again
                session.rollback()
                log.exception("retrospective summary failed for project %s", project.key)
                continue
            if summarised:
                done.append(closure_id)
    return done


def register_jobs(scheduler, settings) -> None:
    """Hourly (one job, stable id)."""
    scheduler.add_job(summarise_due, trigger="interval", hours=1, id=JOB_ID, replace_existing=True,
                      coalesce=True, max_instances=1,
                      misfire_grace_time=settings.scheduler_misfire_grace_seconds)
