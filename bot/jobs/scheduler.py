"""The APScheduler 3.x scheduler: one job store in the bot's database.

Rules every job follows: an explicit id, `replace_existing=True`,
`coalesce=True` (a backlog runs once), a misfire grace from
`SCHEDULER_MISFIRE_GRACE_SECONDS` (a run missed by more is skipped), and a
module-level function that takes `now` and calls the domain. Each module in
`bot/jobs/` may define `register_jobs(scheduler, settings)`; `register_all`
finds them. Only the leader (see `bot.jobs.leader`) runs a scheduler.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.engine import Engine

from bot.config import Settings
from bot.domain.calendar import WEEKDAY_NAMES, parse_weekdays

log = logging.getLogger(__name__)
JOBS_TABLE = "apscheduler_jobs"

_engine: Engine | None = None
_settings: Settings | None = None
_scheduler: BackgroundScheduler | None = None


def job_engine() -> Engine:
    """The engine jobs use (set by `build_scheduler`; jobs are pickled without it)."""
    if _engine is None:
        raise RuntimeError("no scheduler engine: build_scheduler() was not called")
    return _engine


def job_settings() -> Settings:
    if _settings is None:
        raise RuntimeError("no scheduler settings: build_scheduler() was not called")
    return _settings


def current_scheduler() -> BackgroundScheduler | None:
    return _scheduler


class Scheduler(BackgroundScheduler):
    """A BackgroundScheduler that leaves the job store alone once shut down.

    APScheduler 3.x runs one more round of job processing after `shutdown()`:
    with the executors already closed, a job due at that moment cannot run but
    its next run time is still advanced, so the run would be lost on restart."""

    def _process_jobs(self):
        if self.state == STATE_STOPPED:
            return None
        return super()._process_jobs()


def build_scheduler(settings: Settings, engine: Engine) -> BackgroundScheduler:
    """A BackgroundScheduler on the bot's database, in UTC, with the job defaults above."""
    global _engine, _settings, _scheduler
    _engine, _settings = engine, settings
    _scheduler = Scheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename=JOBS_TABLE)},
        executors={"default": {"type": "threadpool", "max_workers": 10}},  # a burst of standups at 09:00
        job_defaults={"coalesce": True, "max_instances": 1,
                      "misfire_grace_time": settings.scheduler_misfire_grace_seconds},
        timezone="UTC",
    )
    return _scheduler


def register_all(scheduler: BackgroundScheduler, settings: Settings) -> list[str]:
    """Call `register_jobs(scheduler, settings)` of every module in bot/jobs/."""
    import bot.jobs

    found = []
    for module in pkgutil.iter_modules(bot.jobs.__path__):
        if module.name.startswith("_"):
            continue
        mod = importlib.import_module(f"bot.jobs.{module.name}")
        register = getattr(mod, "register_jobs", None)
        if callable(register):
            register(scheduler, settings)
            found.append(module.name)
    log.info("jobs registered by: %s", ", ".join(found) or "nothing")
    return found


class WallClockTrigger(CronTrigger):
    """A cron trigger at local wall-clock time that fires once per day across DST:
    a time in the spring-forward gap fires once (at the instant the clock
    skipped to), a time repeated in the autumn fires only at its first occurrence."""

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        fire = super().get_next_fire_time(previous_fire_time, now)
        while fire is not None and _is_repeat(fire):
            later = (fire.astimezone(UTC) + timedelta(seconds=1)).astimezone(fire.tzinfo)
            fire = super().get_next_fire_time(fire, later)
        return fire


def _is_repeat(moment: datetime) -> bool:
    """True for the second occurrence of a local time the autumn change repeats."""
    return moment.fold == 1 and moment.replace(fold=0).utcoffset() != moment.utcoffset()


def daily_trigger(hhmm: str, days: str, timezone: str) -> WallClockTrigger:
    """`09:30` on `mon-fri` in `Europe/Berlin`."""
    hour, minute = hhmm.split(":")
    weekdays = ",".join(WEEKDAY_NAMES[d] for d in sorted(parse_weekdays(days or "mon-fri")))
    return WallClockTrigger(hour=int(hour), minute=int(minute), day_of_week=weekdays, timezone=timezone)


def sync_jobs(scheduler: BackgroundScheduler, *, prefix: str,
              desired: dict[str, tuple[str, Callable[[], dict]]]) -> dict[str, int]:
    """Make the jobs whose id starts with `prefix` equal `desired` (id -> (name,
    builder of add_job kwargs)); the name is the job's fingerprint. A job whose
    name already matches is left alone, so its next run time is kept."""
    existing = {job.id: job for job in scheduler.get_jobs() if job.id.startswith(prefix)}
    counts = {"added": 0, "replaced": 0, "removed": 0}
    for job_id, (name, build) in desired.items():
        job = existing.get(job_id)
        if job is not None and job.name == name:
            continue
        scheduler.add_job(id=job_id, replace_existing=True, **build())
        counts["replaced" if job else "added"] += 1
    for job_id in set(existing) - set(desired):
        scheduler.remove_job(job_id)
        counts["removed"] += 1
    return counts
