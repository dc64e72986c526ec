"""doctor's view of the background: who holds the worker lease and when the
scheduler last ran (read from a real worker), and late or failed outbox messages."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session

from bot.config import Settings
from bot.doctor import Status
from bot.doctor.delivery import outbox_check, worker_check
from bot.domain.outbox import Kind, State, enqueue
from bot.domain.replies import Reply
from bot.jobs.leader import lease_for
from bot.jobs.worker import run_worker
from bot.jobs.worker_status import SWEEP_JOB_ID, worker_status
from bot.models import OutboxMessage, utcnow
from tests.support.helpers import TEAM


def url_of(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


class Quiet:
    def send(self, message, *, session):
        return {"ts": "1.0"}


def test_the_worker_lease_holder_and_its_last_run_come_from_a_real_worker(db_engine):
    settings = Settings(database_url=url_of(db_engine))
    assert not worker_status(db_engine, settings.database_url).held
    assert worker_check(settings, db_engine, utcnow()).status is Status.FAIL
    stop = threading.Event()
    thread = threading.Thread(target=run_worker, args=(settings,), daemon=True,
                              kwargs=dict(stop=stop, notifier=Quiet(), poll_seconds=0.2, standby_seconds=0.2))
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not (status := worker_status(db_engine, settings.database_url)).next_sweep:
            assert time.monotonic() < deadline, "the worker never stored its sweep"
            time.sleep(0.1)
        assert status.held
        now = utcnow()
        assert now - timedelta(seconds=30) < status.last_sweep <= now  # it started moments ago
        check = worker_check(settings, db_engine, now)
        assert check.status is Status.OK and "the scheduler last ran about" in check.detail
        if db_engine.dialect.name == "postgresql":
            assert status.holder.startswith("pm-bot worker ") and f"pid {__import__('os').getpid()}" in status.holder
            assert status.since is not None
        else:
            assert "a process on this machine" in status.holder
        later = now + timedelta(minutes=10)  # the worker is held but nothing moved for ten minutes: stuck
        assert "last ran about" in worker_check(settings, db_engine, later).detail
        assert worker_check(settings, db_engine, later).status is Status.FAIL
    finally:
        stop.set()
        thread.join(30)
    gone = worker_check(settings, db_engine, utcnow())
    assert gone.status is Status.FAIL and "no worker holds the lease" in gone.detail
    assert "python -m bot worker" in gone.fix


def test_the_sweep_job_the_doctor_reads_is_the_one_the_worker_registers():
    from apscheduler.schedulers.background import BackgroundScheduler

    from bot.jobs import standup_jobs

    scheduler = BackgroundScheduler()
    scheduler.start(paused=True)
    try:
        original = standup_jobs.sync_standup_jobs
        standup_jobs.sync_standup_jobs = lambda *a, **k: {}
        standup_jobs.register_jobs(scheduler, Settings())
    finally:
        standup_jobs.sync_standup_jobs = original
        job = scheduler.get_job(SWEEP_JOB_ID)
        scheduler.shutdown(wait=False)
    assert job is not None and job.trigger.interval == timedelta(minutes=1)


def test_a_lease_held_by_another_process_on_sqlite_is_seen(sqlite_engine):
    url = url_of(sqlite_engine)
    lease = lease_for(url)
    assert lease.try_acquire()
    try:
        assert worker_status(sqlite_engine, url).held
    finally:
        lease.release()
    assert not worker_status(sqlite_engine, url).held
    assert lease.try_acquire()  # the probe let go of the lock again
    lease.release()


def _queue(engine, key: str, **values) -> None:
    with Session(engine) as s:
        row, _ = enqueue(session=s, team_id=TEAM, key=key, kind=Kind.POST, channel_id=values.pop("channel", "C1"),
                         reply=Reply.text(key), now=datetime.now(UTC))
        s.commit()
        if values:
            s.execute(update(OutboxMessage).where(OutboxMessage.id == row.id).values(**values))
            s.commit()


def test_late_and_failed_messages_are_reported_with_what_to_do(db_engine, now):
    assert [c.status for c in outbox_check(db_engine, now)] == [Status.OK]
    _queue(db_engine, "fresh", next_attempt_at=now)
    assert "1 message waiting, none late" in outbox_check(db_engine, now)[0].detail
    _queue(db_engine, "stuck", next_attempt_at=now - timedelta(minutes=12))
    _queue(db_engine, "a", state=State.FAILED, last_error="not_in_channel", next_attempt_at=now, channel="C9")
    _queue(db_engine, "b", state=State.FAILED, last_error="not_in_channel", next_attempt_at=now, channel="C9")
    _queue(db_engine, "c", state=State.FAILED, last_error="channel_not_found", next_attempt_at=now, channel="C7")
    _queue(db_engine, "old", state=State.FAILED, last_error="is_archived", next_attempt_at=now - timedelta(days=3))
    checks = outbox_check(db_engine, now)
    assert [c.status for c in checks] == [Status.FAIL] * 3
    late, in_channel, not_found = checks
    assert "1 message waiting more than 5 minutes" in late.detail and "worker" in late.fix
    assert "2 messages given up in the last day: not_in_channel (e.g. to C9)" in in_channel.detail
    assert "/invite" in in_channel.fix
    assert "channel_not_found (e.g. to C7)" in not_found.detail and "/invite" in not_found.fix
    assert not any("is_archived" in c.detail for c in checks)  # three days ago: not news
