"""One active scheduler: two real worker processes, one leader; kill it and the
standby takes over, and every job still fires exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path

import pytest
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import text

import bot
from bot.db import make_engine
from bot.jobs.leader import FileLease, PostgresLease

ROOT = Path(bot.__file__).resolve().parents[1]  # the repository
HERE = Path(__file__).resolve().parent  # where pytest imports this module from (`record_firing`)
WORKER = """
import os
from bot.config import Settings
from bot.jobs.worker import run_worker

class Quiet:
    def send(self, message, *, session):
        return {"ts": "1.0"}

run_worker(Settings(database_url=os.environ["DATABASE_URL"]), notifier=Quiet(), poll_seconds=0.2,
           standby_seconds=0.2)
"""


@lru_cache(maxsize=2)
def _engine(url: str):
    return make_engine(url)


def record_firing(label: str) -> None:
    """A test job: one row per firing, with the firing process."""
    with _engine(os.environ["DATABASE_URL"]).begin() as conn:
        conn.execute(text("INSERT INTO leader_firings (label, pid, at) VALUES (:l, :p, :a)"),
                     {"l": label, "p": os.getpid(), "a": datetime.now(UTC).replace(tzinfo=None)})


def firings(engine) -> list[tuple[str, int, datetime]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT label, pid, at FROM leader_firings ORDER BY at"))]


def test_only_one_lease_holder_on_postgres_and_it_is_freed_when_the_session_dies(pg_database_url):
    first, second = PostgresLease(pg_database_url), PostgresLease(pg_database_url)
    try:
        assert first.try_acquire() and first.still_held()
        assert not second.try_acquire()
        with make_engine(pg_database_url).connect() as conn:  # the leader's connection dies
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' "
                              "AND granted AND database = (SELECT oid FROM pg_database "
                              "WHERE datname = current_database())"))
            conn.commit()
        assert not first.still_held()  # it notices and steps down
        assert second.try_acquire()
    finally:
        first.release()
        second.release()


def test_only_one_lease_holder_on_sqlite(tmp_path):
    first, second = FileLease(tmp_path / "bot.sqlite3.scheduler.lock"), FileLease(
        tmp_path / "bot.sqlite3.scheduler.lock")
    assert first.try_acquire() and not second.try_acquire()
    first.release()
    assert second.try_acquire() and second.still_held()
    second.release()


def test_a_file_lease_taken_in_one_thread_is_held_and_released_from_another(tmp_path):
    lease, rival = FileLease(tmp_path / "bot.sqlite3.scheduler.lock"), FileLease(
        tmp_path / "bot.sqlite3.scheduler.lock")
    taker = threading.Thread(target=lease.try_acquire)
    taker.start()
    taker.join()
    assert lease.still_held() and not rival.try_acquire()  # the leading loop runs in another thread
    lease.release()
    assert not lease.still_held() and rival.try_acquire()
    rival.release()


@pytest.mark.slow
def test_two_workers_one_leader_failover_and_each_job_fires_exactly_once(pg_database_url, tmp_path):
    engine = make_engine(pg_database_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE leader_firings (label text, pid int, at timestamp)"))
    start = datetime.now(UTC) + timedelta(seconds=4)
    setup = BackgroundScheduler(jobstores={"default": SQLAlchemyJobStore(engine=engine)}, timezone="UTC")
    setup.start(paused=True)
    for k in range(8):  # one-shot jobs a second apart: each must run once, on whichever leader
        setup.add_job(record_firing, "date", run_date=start + timedelta(seconds=k), args=[f"once-{k}"],
                      id=f"test:once:{k}", misfire_grace_time=60)
    setup.add_job(record_firing, "interval", seconds=1, start_date=start, args=["tick"], id="test:tick",
                  coalesce=True, misfire_grace_time=60)
    setup.shutdown(wait=False)

    env = {**os.environ, "DATABASE_URL": pg_database_url,  # the jobs name this module as pytest does
           "PYTHONPATH": os.pathsep.join([str(ROOT), str(HERE)])}
    logs = [open(tmp_path / f"worker{i}.log", "w") for i in (1, 2)]  # noqa: SIM115
    workers = [subprocess.Popen([sys.executable, "-c", WORKER], cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT) for log in logs]
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not any(label == "once-2" for label, *_ in firings(engine)):
            time.sleep(0.1)
        before = firings(engine)
        leaders = {pid for _, pid, _ in before}
        assert len(leaders) == 1, before  # one scheduler fired, never both
        (leader_pid,) = leaders
        leader = next(w for w in workers if w.pid == leader_pid)
        standby = next(w for w in workers if w.pid != leader_pid)
        time.sleep(0.5)  # between two firings
        leader.send_signal(signal.SIGKILL)
        killed_at = datetime.now(UTC).replace(tzinfo=None)
        leader.wait(timeout=5)
        while time.monotonic() < deadline and not any(label == "once-7" for label, *_ in firings(engine)):
            time.sleep(0.1)
        time.sleep(1.2)
        rows = firings(engine)
        assert standby.poll() is None  # the standby is alive and now leads
    finally:
        for w in workers:
            if w.poll() is None:
                w.send_signal(signal.SIGTERM)
        for w in workers:
            try:
                w.wait(timeout=10)
            except subprocess.TimeoutExpired:
                w.kill()
        for log in logs:
            log.close()
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE leader_firings"))
            conn.execute(text("DELETE FROM apscheduler_jobs"))
        engine.dispose()
    once = sorted(label for label, _, _ in rows if label.startswith("once-"))
    assert once == [f"once-{k}" for k in range(8)], (once, (tmp_path / "worker1.log").read_text()[-2000:])
    assert {pid for _, pid, at in rows if at > killed_at} == {standby.pid}  # the standby took over
    assert {pid for _, pid, at in rows if at < killed_at} == {leader_pid}
    old_ticks = [at for label, pid, at in rows if label == "tick" and pid == leader_pid]
    new_ticks = [at for label, pid, at in rows if label == "tick" and pid == standby.pid]
    assert old_ticks and new_ticks and max(old_ticks) < min(new_ticks)  # one scheduler at a time
    for ticks in (old_ticks, new_ticks):  # once a second, not twice: a scheduler firing each tick twice
        # makes a close pair every second; a catch-up after a slow start may make one
        ticks = sorted(ticks)
        close = [(a, b) for a, b in zip(ticks, ticks[1:], strict=False) if (b - a).total_seconds() < 0.5]
        assert len(close) <= 1, ticks
