"""One active scheduler: leader election between worker processes.

APScheduler 3.x must not run two schedulers on one job store (duplicate or
missed runs). Each worker asks for a lease; the one that gets it is the
leader and runs the scheduler and the outbox senders, the others wait as
standbys and retry.

- PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`) held on a
  dedicated connection outside any pool. When the leader dies, PostgreSQL ends
  its session and frees the lock, and a standby takes over. The leader checks
  its connection every loop and steps down if it is gone (the lock may be too).
- SQLite: an OS file lock next to the database file (`filelock`), freed by
  the OS when the process dies.
"""

from __future__ import annotations

import logging
import os
import socket
from pathlib import Path
from typing import Protocol

from filelock import FileLock, Timeout
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)
LOCK_KEY = 7_451_029_318_442  # "pm-bot scheduler": any fixed bigint shared by all workers


class Lease(Protocol):
    def try_acquire(self) -> bool: ...
    def still_held(self) -> bool: ...
    def release(self) -> None: ...


class PostgresLease:
    """A PostgreSQL advisory lock on its own connection."""

    def __init__(self, url: str, key: int = LOCK_KEY):
        self.key = key
        # named, so `doctor` can say who leads (pg_stat_activity.application_name)
        name = f"pm-bot worker {socket.gethostname()} pid {os.getpid()}"[:63]
        self._engine = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT",
                                     connect_args={"application_name": name})
        self._conn: Connection | None = None

    def try_acquire(self) -> bool:
        if self._conn is not None:
            return True
        conn = self._engine.connect()
        try:
            got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar())
        except Exception:
            conn.close()
            raise
        if not got:
            conn.close()
            return False
        self._conn = conn
        return True

    def still_held(self) -> bool:
        if self._conn is None:
            return False
        try:
            held = self._conn.execute(text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND pid = pg_backend_pid() AND ((classid::bigint << 32) | objid::bigint) = :k"),
                {"k": self.key}).scalar()
        except Exception as exc:  # noqa: BLE001 - any failure means we cannot prove we lead
            log.error("leader connection lost (%s): stepping down", exc.__class__.__name__)
            self._drop()
            return False
        if not held:
            self._drop()
        return bool(held)

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
            except Exception:  # noqa: BLE001 - closing the session frees it anyway
                log.warning("advisory unlock failed; closing the session frees the lock")
        self._drop()

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:  # noqa: BLE001 - connection already broken
                log.debug("closing a broken leader connection failed")
            self._conn = None


class FileLease:
    """An exclusive OS file lock (SQLite deployments: one machine)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        # not thread-local: the lease is checked from whichever thread leads
        self._lock = FileLock(str(self.path), thread_local=False)

    def try_acquire(self) -> bool:
        if self._lock.is_locked:
            return True
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            return False
        return True

    def still_held(self) -> bool:
        return self._lock.is_locked

    def release(self) -> None:
        if self._lock.is_locked:
            self._lock.release()


def lease_for(database_url: str) -> Lease:
    """The right lease for the database: advisory lock or file lock."""
    if database_url.startswith("postgresql"):
        return PostgresLease(database_url)
    path = database_url.split("///", 1)[-1]
    if not path or path == ":memory:":
        path = "data/bot.sqlite3"
    return FileLease(f"{path}.scheduler.lock")
