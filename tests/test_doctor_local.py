"""`doctor`'s local half and what runs in the background: settings, the
database, the worker's lease and last run, the outbox; and the one-line hint
`run` prints before starting."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import update
from sqlmodel import Session

from bot.config import Settings
from bot.db import downgrade, make_engine, upgrade
from bot.doctor import Status, quick_hint, render, run_doctor
from bot.doctor.delivery import outbox_check, worker_check
from bot.doctor.local import database_check, settings_checks
from bot.doctor.report import fail, ok, skip
from bot.domain.outbox import Kind, State, enqueue
from bot.domain.replies import Reply
from bot.jobs.leader import lease_for
from bot.jobs.worker import run_worker
from bot.jobs.worker_status import SWEEP_JOB_ID, worker_status
from bot.models import OutboxMessage, scheduler_jobs, utcnow
from tests.helpers import TEAM

SECRET_32 = "8f742231b10e8888abcd99e0a1b2c3d4"


def url_of(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def by_name(checks, name):
    (found,) = [c for c in checks if c.name == name]
    return found


@pytest.mark.parametrize(("settings", "name", "status", "words"), [
    (Settings(), "mode", Status.OK, "local shell only"),
    (Settings(slack_app_token="xapp-1-a"), "mode", Status.FAIL, "SLACK_APP_TOKEN set but SLACK_BOT_TOKEN is empty"),
    (Settings(slack_bot_token="xapp-1-a", slack_signing_secret=SECRET_32), "SLACK_BOT_TOKEN", Status.FAIL,
     "is an app-level token, not a bot token"),
    (Settings(slack_bot_token="xoxb-1", slack_app_token="xoxb-2"), "SLACK_APP_TOKEN", Status.FAIL,
     "is a bot token, not an app-level token"),
    (Settings(slack_bot_token="xoxb-1"), "SLACK_SIGNING_SECRET", Status.FAIL, "is empty"),
    (Settings(slack_bot_token="xoxb-1", slack_signing_secret="a" * 24), "SLACK_SIGNING_SECRET", Status.FAIL,
     "has 24 characters (the length of the old Verification Token)"),
    (Settings(slack_bot_token="xoxb-1", slack_signing_secret=SECRET_32), "SLACK_SIGNING_SECRET", Status.OK,
     "32 characters"),
    (Settings(slack_bot_token="xoxb-1", slack_app_token="xapp-1"), "SLACK_SIGNING_SECRET", Status.SKIP,
     "not used in Socket Mode"),
    (Settings(slack_client_id="111.222"), "mode", Status.FAIL, "only one of SLACK_CLIENT_ID"),
    (Settings(slack_client_id="111.222", slack_client_secret="c", slack_signing_secret=SECRET_32,
              token_encryption_key="not-a-key"), "TOKEN_ENCRYPTION_KEY", Status.FAIL, "not a Fernet key"),
    (Settings(slack_client_id="my-app", slack_client_secret="c", slack_signing_secret=SECRET_32),
     "SLACK_CLIENT_ID", Status.FAIL, "digits.digits"),
])
def test_each_setting_is_checked_for_its_shape(settings, name, status, words):
    found = by_name(settings_checks(settings), name)
    assert found.status is status and words in found.detail, found
    assert status is not Status.FAIL or found.fix


def test_no_check_ever_prints_a_secret():
    settings = Settings(slack_bot_token="xoxp-1-very-secret-user-token", slack_app_token="xoxb-secret-bot",
                        slack_signing_secret="secret-signing-value", slack_client_secret="secret-client")
    text = render(settings_checks(settings))
    assert not any(secret in text for secret in ("very-secret", "secret-bot", "secret-signing", "secret-client"))


def test_a_database_behind_on_migrations_is_caught_on_both_databases(db_engine):
    settings = Settings(database_url=url_of(db_engine))
    assert database_check(settings)[0].status is Status.OK
    downgrade(db_engine, "0004")
    try:
        check, engine = database_check(settings)
        assert check.status is Status.FAIL and engine is None
        assert "is at 0004: 2 migrations not applied (0005, 0006)" in check.detail
        assert check.fix == "python -m bot db upgrade (`make run` and the Procfile's release step run it)"
    finally:
        upgrade(db_engine)


def test_a_missing_or_unreachable_database_is_one_clear_failure(tmp_path):
    missing = tmp_path / "nothing-here.sqlite3"
    check, _ = database_check(Settings(database_url=f"sqlite:///{missing}"))
    assert check.status is Status.FAIL and "no database file" in check.detail and not missing.exists()
    check, _ = database_check(Settings(database_url="postgresql+psycopg://pm:hunter2@127.0.0.1:1/pm"))
    assert check.status is Status.FAIL and "cannot connect to postgresql+psycopg://pm:***@127.0.0.1:1/pm" in \
        check.detail and "hunter2" not in check.detail


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
                         reply=Reply.text(key))
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


def test_render_puts_the_fix_under_its_failure_and_counts():
    text = render([ok("database", "fine"), fail("scopes", "lacks x", "add x\nthen reinstall"), skip("server", "n/a")])
    assert text.splitlines() == [
        "ok    database  fine",
        "FAIL  scopes    lacks x",
        "                -> add x",
        "                   then reinstall",
        "skip  server    n/a",
        "",
        "1 of 2 checks failed: fix them from the top, then run `python -m bot doctor` again."]
    assert render([ok("database", "fine")]).endswith("The one check passed.\n")


def test_quick_doctor_needs_no_network_and_gives_one_line(sqlite_engine, monkeypatch):
    import socket

    def no_network(*args, **kwargs):
        raise AssertionError("the quick checks opened a connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    settings = Settings(database_url=url_of(sqlite_engine), slack_bot_token="xoxb-1", slack_signing_secret="x" * 24)
    checks = run_doctor(settings, quick=True)
    assert [c.name for c in checks] == ["mode", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "database"]
    hint = quick_hint(settings)
    assert hint.startswith("SLACK_SIGNING_SECRET: has 24 characters") and "\n" not in hint
    assert "To fix: Basic Information → App Credentials" in hint
    assert quick_hint(Settings(database_url=url_of(sqlite_engine))) is None


def test_run_prints_the_hint_before_starting(sqlite_engine, tmp_path, monkeypatch):
    from bot.__main__ import cli

    monkeypatch.chdir(tmp_path)  # no .env here
    env = {"DATABASE_URL": url_of(sqlite_engine), "SLACK_APP_TOKEN": "xapp-1-a", "SLACK_BOT_TOKEN": "",
           "SLACK_SIGNING_SECRET": "", "SLACK_CLIENT_ID": "", "SLACK_CLIENT_SECRET": ""}
    result = CliRunner().invoke(cli, ["run"], env=env, input="")
    hints = [line for line in result.stderr.splitlines() if line.startswith("Hint: ")]
    assert hints == ["Hint: mode: SLACK_APP_TOKEN set but SLACK_BOT_TOKEN is empty, so `run` opens the local "
                     "shell instead of Slack. To fix: copy the Bot User OAuth Token (xoxb-...) from "
                     "api.slack.com/apps → your app → OAuth & Permissions (`python -m bot doctor` checks "
                     "everything)"]
    assert "No Slack credentials found: starting the local shell" in result.stdout


def test_run_socket_without_an_app_token_stops_with_one_line(sqlite_engine, tmp_path, monkeypatch):
    from bot.__main__ import cli

    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["run", "--socket"], env={"DATABASE_URL": url_of(sqlite_engine),
                                                              "SLACK_APP_TOKEN": "", "SLACK_BOT_TOKEN": "xoxb-1"})
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "Configuration error: --socket needs SLACK_APP_TOKEN (xapp-...); `slack run` sets it, or see the "
        "README's manual path"]


def test_the_doctor_never_touches_the_database_it_reads(sqlite_engine):
    before = _snapshot(sqlite_engine)
    run_doctor(Settings(database_url=url_of(sqlite_engine)))
    assert _snapshot(sqlite_engine) == before


def _snapshot(engine):
    with make_engine(str(engine.url)).connect() as conn:
        return [tuple(r) for r in conn.execute(scheduler_jobs.select())], \
            [tuple(r) for r in conn.exec_driver_sql("SELECT * FROM status_marks")]
