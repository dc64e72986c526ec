"""The APScheduler 3.x scheduler: one job store in the bot's database.

Rules every job follows: an explicit id, `replace_existing=True`,
`coalesce=True` (a backlog runs once), a misfire grace from
`SCHEDULER_MISFIRE_GRACE_SECONDS` (a run missed by more is skipped), and a
module-level function that takes `now` and calls the domain. Each module in
`bot/jobs/` may define `register_jobs(scheduler, settings)`; `register_all`
finds them. Only the leader (see `bot.jobs.leader`) runs a scheduler.
"""

from __future__ import annotations

import copy
import functools
import importlib
import logging
import pickle
import pkgutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, tzinfo

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED, BaseScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.util import astimezone, datetime_to_utc_timestamp
from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
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


class JobStore(SQLAlchemyJobStore):
    """The SQLAlchemy job store, plus two things 10,000 standups need:

    - `batch()`: adds, replacements and removals made inside it (by this
      thread) are written together in one transaction at its end, an upsert
      per job, instead of one transaction each;
    - `stored_states(prefix)`: the pickled state of each stored job by id,
      read straight from the table, so callers can check a job without
      unpickling every job."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._batches = threading.local()

    @contextmanager
    def batch(self) -> Iterator[None]:
        if getattr(self._batches, "rows", None) is not None:  # nested: the outer batch writes
            yield
            return
        self._batches.rows, self._batches.removed = {}, set()
        try:
            yield
            self._write_batch(self._batches.rows, self._batches.removed)
        finally:
            self._batches.rows = self._batches.removed = None

    def _write_batch(self, rows: dict[str, dict], removed: set[str]) -> None:
        if not rows and not removed:
            return
        table = self.jobs_t
        insert = pg_insert if self.engine.dialect.name == "postgresql" else sqlite_insert
        with self.engine.begin() as connection:
            if removed:
                connection.execute(delete(table).where(table.c.id.in_(removed)))
            if rows:
                statement = insert(table)
                connection.execute(statement.on_conflict_do_update(
                    index_elements=[table.c.id], set_={"next_run_time": statement.excluded.next_run_time,
                                                      "job_state": statement.excluded.job_state}),
                    list(rows.values()))  # executemany: compiled once, sent in pages

    def _batched(self, job) -> bool:
        rows = getattr(self._batches, "rows", None)
        if rows is None:
            return False
        self._batches.removed.discard(job.id)
        rows[job.id] = {"id": job.id, "next_run_time": datetime_to_utc_timestamp(job.next_run_time),
                        "job_state": pickle.dumps(job.__getstate__(), self.pickle_protocol)}
        return True

    def add_job(self, job):
        if not self._batched(job):
            super().add_job(job)

    def update_job(self, job):
        if not self._batched(job):
            super().update_job(job)

    def remove_job(self, job_id):
        rows = getattr(self._batches, "rows", None)
        if rows is None:
            return super().remove_job(job_id)
        rows.pop(job_id, None)
        self._batches.removed.add(job_id)

    def stored_states(self, prefix: str) -> dict[str, bytes]:
        table = self.jobs_t
        with self.engine.connect() as connection:
            return dict(connection.execute(select(table.c.id, table.c.job_state)
                                           .where(table.c.id.startswith(prefix, autoescape=True))).all())

    def count(self) -> int:
        with self.engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(self.jobs_t)).scalar_one()


def stored_name_is(state: bytes, name: str) -> bool:
    """True when a job's pickled state holds `name` (the job's fingerprint)
    without unpickling it: the name is pickled as its own string, so its
    encoding appears verbatim. A miss only costs a needless replace."""
    encoded = name.encode()
    return len(encoded) < 256 and (b"\x8c" + bytes([len(encoded)]) + encoded) in state


class Scheduler(BackgroundScheduler):
    """A BackgroundScheduler that leaves the job store alone once shut down.

    APScheduler 3.x runs one more round of job processing after `shutdown()`:
    with the executors already closed, a job due at that moment cannot run but
    its next run time is still advanced, so the run would be lost on restart.

    The next run times of the jobs fired together (500 standups at 09:00) are
    written in one transaction after they are handed to the executor, not one
    transaction each; if that write fails the jobs are due again at the next
    wake-up (a coalesced re-fire, which finds their runs already open)."""

    def _process_jobs(self):
        if self.state == STATE_STOPPED:
            return None
        store = self._jobstores.get("default")
        if not isinstance(store, JobStore):
            return super()._process_jobs()
        try:
            with store.batch():
                return super()._process_jobs()
        except Exception:  # the database went away mid-write: try again shortly
            log.exception("saving the next run times of fired jobs failed; retrying")
            return 1.0


def build_scheduler(settings: Settings, engine: Engine) -> BackgroundScheduler:
    """A BackgroundScheduler on the bot's database, in UTC, with the job defaults above."""
    global _engine, _settings, _scheduler
    _engine, _settings = engine, settings
    _scheduler = Scheduler(
        jobstores={"default": JobStore(engine=engine, tablename=JOBS_TABLE)},
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


class Ahead(BaseTrigger):
    """Fires `seconds` before `trigger` does (a standup opens ahead of its time);
    a job added less than `seconds` before a time fires at once for it.
    The job finds the time it fired for with `standup_jobs.moment_for`."""

    def __init__(self, trigger: BaseTrigger, seconds: float):
        self.trigger, self.seconds = trigger, seconds

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        lead = timedelta(seconds=self.seconds)
        if previous_fire_time is None:  # just added: a time under a minute away is still today's
            fire = self.trigger.get_next_fire_time(None, now)
            return max(fire - lead, now) if fire else None
        previous = previous_fire_time + lead
        fire = self.trigger.get_next_fire_time(previous, now + lead)
        return fire - lead if fire else None

    def __str__(self) -> str:
        return f"{self.seconds:g}s before {self.trigger}"


def _is_repeat(moment: datetime) -> bool:
    """True for the second occurrence of a local time the autumn change repeats."""
    return moment.fold == 1 and moment.replace(fold=0).utcoffset() != moment.utcoffset()


def daily_trigger(hhmm: str, days: str, timezone: str) -> WallClockTrigger:
    """`09:30` on `mon-fri` in `Europe/Berlin`.

    Compiling a cron trigger's fields is most of the cost of creating 10,000
    standup jobs, so a trigger is a copy of one compiled for the same hour,
    minute and days (cron fields never change once compiled), given its zone."""
    hour, minute = hhmm.split(":")
    weekdays = ",".join(WEEKDAY_NAMES[d] for d in sorted(parse_weekdays(days or "mon-fri")))
    trigger = copy.copy(_compiled(int(hour), int(minute), weekdays))
    trigger.timezone = _zone(timezone)
    return trigger


@functools.lru_cache(maxsize=4096)
def _compiled(hour: int, minute: int, weekdays: str) -> WallClockTrigger:
    return WallClockTrigger(hour=hour, minute=minute, day_of_week=weekdays, timezone="UTC")


@functools.cache
def _zone(name: str) -> tzinfo:
    """Zones stay loaded (zoneinfo keeps only a few it is not handed back)."""
    return astimezone(name)


def job_count(scheduler: BaseScheduler) -> int:
    """How many jobs are stored (without unpickling them with the bot's `JobStore`)."""
    store = scheduler._lookup_jobstore("default")
    return store.count() if isinstance(store, JobStore) else len(scheduler.get_jobs())


def sync_jobs(scheduler: BackgroundScheduler, *, prefix: str,
              desired: dict[str, tuple[str, Callable[[], dict]]]) -> dict[str, int]:
    """Make the jobs whose id starts with `prefix` equal `desired` (id -> (name,
    builder of add_job kwargs)); the name is the job's fingerprint. A job whose
    name already matches is left alone, so its next run time is kept. With the
    bot's `JobStore` the stored jobs are checked without unpickling them and
    every change is written in one transaction."""
    store = scheduler._lookup_jobstore("default")
    if isinstance(store, JobStore):
        states = store.stored_states(prefix)
        unchanged = {job_id for job_id, (name, _) in desired.items()
                     if job_id in states and stored_name_is(states[job_id], name)}
        existing, batch = set(states), store.batch()
    else:
        jobs = {job.id: job for job in scheduler.get_jobs() if job.id.startswith(prefix)}
        unchanged = {job_id for job_id, (name, _) in desired.items()
                     if job_id in jobs and jobs[job_id].name == name}
        existing, batch = set(jobs), contextmanager(lambda: (yield))()
    counts = {"added": 0, "replaced": 0, "removed": 0}
    with batch:
        for job_id, (_, build) in desired.items():
            if job_id in unchanged:
                continue
            scheduler.add_job(id=job_id, replace_existing=True, **build())
            counts["replaced" if job_id in existing else "added"] += 1
        for job_id in existing - set(desired):
            scheduler.remove_job(job_id)
            counts["removed"] += 1
    return counts
