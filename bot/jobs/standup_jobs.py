"""Standup jobs: thin wrappers that take `now` and call `bot.domain.standups`.

- `standup:{config_id}` (or `standup:{config_id}:{zone}` with per-member
  times): a wall-clock cron in the standup's (or a member's) zone that fires
  `OPEN_AHEAD` before the standup time and opens the day's run, its prompts
  queued and held until that time; the outbox senders are woken at that time, so
  500 standups at 09:00 cost nothing at 09:00 but sending.
- `standups:sweep` every minute: prompts not yet sent, reminders, closes and
  summaries; opens a run the scheduler fired but never committed (a crash).
- `standups:sync` every minute: keeps the cron jobs equal to the standup
  settings, so `/project standup set` in the web process reaches the worker.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from bot.config import Settings
from bot.db import session_scope
from bot.domain import standups
from bot.jobs.outbox_sender import kick_delivery, kick_delivery_at
from bot.jobs.scheduler import (
    Ahead,
    current_scheduler,
    daily_trigger,
    job_engine,
    job_settings,
    sync_jobs,
)
from bot.models import Member, Project, StandupConfig, StandupRun, User, utcnow

log = logging.getLogger(__name__)
PREFIX = "standup:"
OPEN_AHEAD = timedelta(seconds=60)  # runs open this long before their time; prompts wait for it
AHEAD_NAME = f"opens {OPEN_AHEAD.total_seconds():g}s ahead"  # in each job's name: a new lead re-creates the jobs


@dataclass
class SweepResult:
    started: list[int] = field(default_factory=list)
    prompted: int = 0
    reminded: int = 0
    closed: list[int] = field(default_factory=list)


def open_standup(engine: Engine, *, config_id: int, now: datetime, zone: str | None = None,
                 run_date: date | None = None, until: datetime | None = None) -> standups.StartResult | None:
    """Open the run of `config_id` due at `now`, or ahead for the moment
    `until` (its own transaction)."""
    with session_scope(engine) as session:
        config = session.get(StandupConfig, config_id)
        if config is None:
            return None
        if run_date is None and zone:
            run_date = max(until or now, now).astimezone(ZoneInfo(zone)).date()
        result = standups.start_run(session=session, config=config, now=now, run_date=run_date, until=until)
    if result.run is None:
        log.info("standup %s not run at %s: %s", config_id, now.isoformat(), result.reason)
    return result


def open_standups(engine: Engine, *, due: list[standups.Due], now: datetime) -> dict[int, standups.StartResult]:
    """Open the runs of many standups (config id, zone, moment it is for) in one
    transaction; if that fails, each in its own, so one bad standup does not
    hold back the others. Wakes the outbox senders when the prompts fall due."""
    try:
        with session_scope(engine) as session:
            results = standups.start_runs(session=session, due=due, now=now)
    except Exception:
        log.exception("opening %d standups together failed; opening them one by one", len(due))
        results = {}
        for config_id, zone, moment in due:
            try:
                result = open_standup(engine, config_id=config_id, zone=zone, now=now, until=moment)
            except Exception:
                log.exception("standup %s could not be opened; the sweep retries it", config_id)
                continue
            if result is not None:
                results[config_id] = result
    skipped = {c: r.reason for c, r in results.items() if r.run is None}
    if skipped:
        log.info("standups not run at %s: %s", now.isoformat(), skipped)
    kick_delivery()
    for moment in {m for _, _, m in due if m is not None and m > now}:
        kick_delivery_at(moment)
    return results


class Opener:
    """Gathers the standup jobs the scheduler fires together (500 at 09:00)
    and opens them in batches: the first job thread to arrive opens what has
    queued up, the others only queue theirs and return. A batch lost to a
    crash is opened by the sweep's catch-up, as a crashed single job would be."""

    BATCH = 1000

    def __init__(self):
        self._lock = threading.Lock()
        self._busy = threading.Lock()
        self._queue: list[standups.Due] = []

    def open(self, engine: Engine, config_id: int, zone: str | None, moment: datetime | None = None) -> None:
        with self._lock:
            self._queue.append((config_id, zone, moment))
        while self._busy.acquire(blocking=False):
            try:
                with self._lock:
                    batch, self._queue = self._queue[:self.BATCH], self._queue[self.BATCH:]
                if batch:
                    open_standups(engine, due=batch, now=utcnow())
            finally:
                self._busy.release()
            with self._lock:
                if not self._queue:
                    return


_opener = Opener()


def sweep(engine: Engine, *, now: datetime, grace: timedelta) -> SweepResult:
    """Catch-up opens, then prompts, reminders and closes for every open run;
    one transaction per run so one failure does not hold back the others."""
    out = SweepResult()
    with Session(engine) as session:
        due = standups.due_configs(session=session, now=now, grace=grace)
    for config_id, run_date in due:
        result = open_standup(engine, config_id=config_id, now=now, run_date=run_date)
        if result and result.run is not None:
            out.started.append(result.run.id)
    with Session(engine) as session:
        run_ids = standups.due_run_ids(session=session, now=now)
    for run_id in run_ids:
        with session_scope(engine) as session:
            run = session.get(StandupRun, run_id)
            if run is None:
                continue
            progress = standups.advance_run(session=session, run=run, now=now)
        out.prompted += len(progress.prompted)
        out.reminded += len(progress.reminded)
        if progress.closed:
            out.closed.append(run_id)
    return out


def desired_jobs(engine: Engine) -> dict[str, tuple[str, Callable[[], dict]]]:
    """One cron job per active standup (per member zone with per-member times):
    job id -> (fingerprint name, a builder of its add_job arguments)."""
    jobs: dict[str, tuple[str, Callable[[], dict]]] = {}
    with Session(engine) as session:
        running = standups.running_standups(session=session)
    for s in running:
        for zone in s.zones:
            job_id = f"{PREFIX}{s.config_id}" if zone == s.zone else f"{PREFIX}{s.config_id}:{zone}"
            name = f"standup {s.config_id} {s.time_local} {s.days} {zone} {AHEAD_NAME}"
            jobs[job_id] = (name, partial(_job_spec, s.config_id, s.time_local, s.days, zone, name))
    return jobs


def _job_spec(config_id: int, time_local: str, days: str, zone: str, name: str) -> dict:
    return {"func": start_standup_job, "args": [config_id, zone, time_local, days], "name": name,
            "trigger": Ahead(daily_trigger(time_local, days, zone), OPEN_AHEAD.total_seconds())}


def settings_signature(engine: Engine) -> tuple:
    """Changes whenever a standup's schedule could: settings, projects, people, zones."""
    with Session(engine) as session:
        return (
            *session.exec(select(func.count(StandupConfig.id), func.max(StandupConfig.updated_at))).one(),
            session.exec(select(func.max(Project.updated_at))).one(),
            session.exec(select(func.max(User.refreshed_at))).one(),
            session.exec(select(func.count(Member.id)).where(Member.active == True)).one(),  # noqa: E712
        )


# --- job functions (module level: the job store pickles a reference) ---------


def start_standup_job(config_id: int, zone: str, time_local: str, days: str) -> None:
    """Fired `OPEN_AHEAD` before the standup time (or late, within the misfire
    grace): open the run for that time, which is found from the trigger."""
    grace = timedelta(seconds=job_settings().scheduler_misfire_grace_seconds)
    _opener.open(job_engine(), config_id, zone, moment_for(time_local, days, zone, fired_at=utcnow(), grace=grace))


def moment_for(time_local: str, days: str, zone: str, *, fired_at: datetime, grace: timedelta) -> datetime | None:
    """The standup time (UTC) a job firing at `fired_at` is for: the first one
    from `grace` before it, so a late firing (within the grace) names its own."""
    moment = daily_trigger(time_local, days, zone).get_next_fire_time(None, fired_at - grace)
    return moment.astimezone(UTC) if moment else None


def sweep_job(now: datetime | None = None) -> None:
    grace = timedelta(seconds=job_settings().scheduler_misfire_grace_seconds)
    result = sweep(job_engine(), now=now or utcnow(), grace=grace)
    if result.started or result.prompted or result.reminded or result.closed:
        log.info("standups: started %s, prompted %s, reminded %s, closed %s", result.started,
                 result.prompted, result.reminded, result.closed)


_last_signature: tuple | None = None


def sync_job() -> None:
    """Every minute: re-read the settings only when something changed."""
    global _last_signature
    scheduler, engine = current_scheduler(), job_engine()
    signature = settings_signature(engine)
    if scheduler is not None and signature != _last_signature:
        sync_standup_jobs(scheduler, engine)
        _last_signature = signature


def sync_standup_jobs(scheduler: BaseScheduler, engine: Engine) -> dict[str, int]:
    counts = sync_jobs(scheduler, prefix=PREFIX, desired=desired_jobs(engine))
    if any(counts.values()):
        log.info("standup jobs: %s", counts)
    return counts


def register_jobs(scheduler: BaseScheduler, settings: Settings) -> None:
    """Call with the scheduler started (paused): existing standup jobs keep
    their stored next run time, so a run missed while down still fires."""
    scheduler.add_job(sweep_job, IntervalTrigger(minutes=1), id="standups:sweep", name="standups sweep",
                      replace_existing=True)
    scheduler.add_job(sync_job, IntervalTrigger(minutes=1), id="standups:sync", name="standups sync",
                      replace_existing=True)
    sync_standup_jobs(scheduler, job_engine())
