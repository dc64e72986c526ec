"""Who holds the worker lease, and when the scheduler last ran: read, never changed.

- The lease (`leader.py`): on PostgreSQL the session holding the advisory lock,
  named by its `application_name` (the lease connection sets it to
  "pm-bot worker <host> pid <pid>") and dated by when that session started;
  on SQLite the OS lock file, which says that a process on this machine holds
  it but not which (probing takes the lock for an instant, then frees it).
- The last run: the scheduler stores each job's next run time in
  `apscheduler_jobs` and moves it on every time the job runs, so the
  every-minute sweep's next run time, minus its minute, is when the scheduler
  last ran (or started); one far in the past means no scheduler is running.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from filelock import FileLock, Timeout
from sqlalchemy import select, text
from sqlalchemy.engine import Engine

from bot.jobs.leader import LOCK_KEY, lease_for
from bot.models import scheduler_jobs

SWEEP_JOB_ID = "standups:sweep"  # registered by standup_jobs.register_jobs, every minute
SWEEP_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class WorkerStatus:
    held: bool
    holder: str = ""  # who, when the database can say
    since: datetime | None = None  # when the holder took the lease (PostgreSQL)
    next_sweep: datetime | None = None  # None: the scheduler never ran on this database

    @property
    def last_sweep(self) -> datetime | None:
        return self.next_sweep - SWEEP_EVERY if self.next_sweep else None


def worker_status(engine: Engine, database_url: str) -> WorkerStatus:
    held, holder, since = (_postgres_holder(engine) if engine.dialect.name == "postgresql"
                           else _file_lock_holder(database_url))
    with engine.connect() as conn:
        epoch = conn.execute(select(scheduler_jobs.c.next_run_time)
                             .where(scheduler_jobs.c.id == SWEEP_JOB_ID)).scalar()
    next_sweep = datetime.fromtimestamp(epoch, UTC) if epoch is not None else None
    return WorkerStatus(held=held, holder=holder, since=since, next_sweep=next_sweep)


def _postgres_holder(engine: Engine) -> tuple[bool, str, datetime | None]:
    with engine.connect() as conn:
        row = conn.execute(text(
            "SELECT a.application_name, a.client_addr, a.backend_start FROM pg_locks l "
            "LEFT JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
            "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND ((l.classid::bigint << 32) | l.objid::bigint) = :k"), {"k": LOCK_KEY}).first()
    if row is None:
        return False, "", None
    name = row.application_name or "a session without a name"
    where = f" from {row.client_addr}" if row.client_addr else ""
    return True, f"{name}{where}", row.backend_start


def _file_lock_holder(database_url: str) -> tuple[bool, str, datetime | None]:
    path = lease_for(database_url).path  # type: ignore[attr-defined]  # a FileLease on SQLite
    lock = FileLock(str(path), thread_local=False)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        return True, f"a process on this machine (lock file {path})", None
    lock.release()
    return False, "", None
