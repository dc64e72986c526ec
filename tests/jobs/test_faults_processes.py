"""Under faults, against real processes (`python -m bot worker` / `web` as the
Procfile starts them) and a PostgreSQL server the test controls: nothing is
lost, nothing doubled, nothing late, and the worker never dies.

Each test prints what it measured (how late the last message was).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

import bot
from bot.db import make_engine
from bot.domain.outbox import Kind, enqueue
from bot.domain.replies import Reply
from bot.jobs.leader import LOCK_KEY
from bot.jobs.worker import SENDERS
from bot.models import OutboxMessage, utcnow
from tests.conftest import REQUIRE_PG
from tests.support.fakeslack import FakeSlack
from tests.support.helpers import TEAM
from tests.support.pgserver import PrivatePostgres, _free_port, available, wait_until
from tests.support.slackhttp import BOT_TOKEN, SIGNING_SECRET, get

ROOT = Path(bot.__file__).resolve().parents[1]  # the repository


@pytest.fixture(scope="module")
def private_pg() -> Iterator[PrivatePostgres]:
    reason = available()
    if reason:
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL suite required (REQUIRE_POSTGRES=1) but {reason}", pytrace=False)
        pytest.skip(reason)
    with PrivatePostgres() as server:
        yield server


@pytest.fixture
def database(private_pg) -> str:
    return private_pg.new_database()


@contextmanager
def slow_slack(post_seconds: float) -> Iterator[FakeSlack]:
    """The fake Web API, each chat.postMessage taking `post_seconds` (a slow network),
    so sends are in flight when the test strikes."""
    with FakeSlack() as fake:
        answer = fake.handle

        def slowly(method, params, token):
            if method == "chat.postMessage":
                time.sleep(post_seconds)
            return answer(method, params, token)

        fake.handle = slowly  # type: ignore[method-assign]
        yield fake


def _start(command: str, url: str, fake: FakeSlack, log: Path, **env: str) -> subprocess.Popen:
    values = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_", "TOKEN_"))}
    values.update(PYTHONPATH=str(ROOT), DATABASE_URL=url, SLACK_BOT_TOKEN=BOT_TOKEN,
                  SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=fake.api_url, LOG_LEVEL="INFO", **env)
    with open(log, "a") as out:
        return subprocess.Popen([sys.executable, "-m", "bot", command], cwd=log.parent, env=values,
                                stdout=out, stderr=subprocess.STDOUT)


def _stop(*processes: subprocess.Popen) -> list[int | None]:
    """SIGTERM, then wait; the exit codes (SIGKILL after 30 s)."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    codes = []
    for process in processes:
        try:
            codes.append(process.wait(timeout=30))
        except subprocess.TimeoutExpired:
            process.kill()
            codes.append(process.wait())
    return codes


def _queue(url: str, keys: list[str], *, not_before=None) -> None:
    """One DM per key (a standup prompt), due now or at `not_before`."""
    engine = make_engine(url)
    with Session(engine) as session:
        for key in keys:
            enqueue(session=session, team_id=TEAM, key=key, kind=Kind.DM, user_id="U" + key.rsplit(":", 1)[-1],
                    reply=Reply.text(f"Time for the standup ({key})"), not_before=not_before, now=datetime.now(UTC))
        session.commit()
    engine.dispose()


def _delivered(fake: FakeSlack) -> dict[str, list[float]]:
    """outbox key -> the moments (monotonic) Slack accepted a post carrying it."""
    out: dict[str, list[float]] = {}
    for call in fake.calls_to("chat.postMessage"):
        key = ((call.params.get("metadata") or {}).get("event_payload") or {}).get("outbox_key")
        out.setdefault(key, []).append(call.at)
    return out


def _recorded(url: str) -> Counter:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return Counter(session.exec(select(OutboxMessage.state)))
    finally:
        engine.dispose()


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:] if log.exists() else ""


# --- 1. the worker rides out a database outage of any length --------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("outage_seconds", [20, pytest.param(180, id="3min")])
def test_the_worker_rides_out_a_database_outage_and_then_delivers_everything(
        private_pg, database, tmp_path, outage_seconds):
    before = [f"standup:1:prompt:{n:04d}" for n in range(60)]
    during = [f"standup:2:prompt:{n:04d}" for n in range(20)]
    log = tmp_path / "worker.log"
    _queue(database, before)
    with slow_slack(post_seconds=0.5) as fake:
        worker = _start("worker", database, fake, log)
        try:
            assert wait_until(lambda: len(_delivered(fake)) >= 10, 60), _tail(log)
            _queue(database, during, not_before=utcnow() + timedelta(seconds=5))  # due mid-outage
            private_pg.stop()  # with sends in flight: posted, but not recorded
            in_flight = len(_delivered(fake))
            down_until = time.monotonic() + outage_seconds
            while time.monotonic() < down_until:
                assert worker.poll() is None, f"the worker exited during the outage:\n{_tail(log)}"
                time.sleep(0.5)
            private_pg.start()
            recovered = time.monotonic()
            everything = set(before + during)
            assert wait_until(lambda: everything <= set(_delivered(fake)), 90), (
                f"undelivered: {sorted(everything - set(_delivered(fake)))[:10]}\n{_tail(log)}")
            assert wait_until(lambda: _recorded(database) == Counter(sent=len(everything)), 30), (
                _recorded(database), _tail(log))
            assert worker.poll() is None, _tail(log)
        finally:
            codes = _stop(worker)
    delivered = _delivered(fake)
    doubled = {k: len(v) for k, v in delivered.items() if len(v) > 1}
    assert not doubled, doubled
    late = max(min(delivered[k]) for k in everything) - recovered
    print(f"\noutage {outage_seconds} s: {in_flight} of {len(before)} sent before it; "
          f"last message {late:.1f} s after the database came back")
    assert late < 60, f"the last message went {late:.1f} s after recovery\n{_tail(log)}"
    assert codes == [0], _tail(log)  # and it still stops cleanly
    assert "Traceback" not in _tail(log).split("database reachable again")[-1], _tail(log)


# --- 4. a claim lasts about as long as one send ---------------------------------------------


def _leader_since(url: str, timeout: float) -> float:
    """The moment (monotonic) some worker holds the leader lease, polling from now."""
    engine = make_engine(url)
    query = text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                 "AND ((classid::bigint << 32) | objid::bigint) = :k")
    try:
        with engine.connect() as conn:
            assert wait_until(lambda: conn.execute(query, {"k": LOCK_KEY}).scalar() > 0, timeout, step=0.05)
        return time.monotonic()
    finally:
        engine.dispose()


def _sending(url: str) -> int:
    return _recorded(url)["sending"]


@pytest.mark.slow
@pytest.mark.parametrize("how", ["SIGKILL, standby takes over", "SIGTERM, new worker started"])
def test_after_the_leader_dies_mid_fan_out_every_remaining_prompt_goes_within_30_s(
        database, tmp_path, how):
    prompts = [f"standup:7:prompt:{n:04d}" for n in range(300)]
    _queue(database, prompts)
    logs = [tmp_path / "first.log", tmp_path / "second.log"]
    workers: list[subprocess.Popen] = []
    with slow_slack(post_seconds=0.15) as fake:
        try:
            workers.append(_start("worker", database, fake, logs[0]))
            assert wait_until(lambda: len(_delivered(fake)) >= 20, 60), _tail(logs[0])
            if how.startswith("SIGKILL"):
                workers.append(_start("worker", database, fake, logs[1]))  # the standby
                assert wait_until(lambda: "standby" in _tail(logs[1]), 60), _tail(logs[1])
            assert wait_until(lambda: len(_delivered(fake)) >= 60, 60), _tail(logs[0])
            if how.startswith("SIGKILL"):
                workers[0].send_signal(signal.SIGKILL)
                struck = time.monotonic()
                workers[0].wait(10)
                held = _sending(database)  # claims the dead leader left behind
            else:
                at_term = len(_delivered(fake))
                assert _stop(workers[0]) == [0], _tail(logs[0])
                held = _sending(database)
                assert held == 0  # a worker that stops hands its unsent claims back ...
                finishing = len(_delivered(fake)) - at_term
                assert finishing <= SENDERS, finishing  # ... after the sends in flight, one a sender
                struck = time.monotonic()
                workers.append(_start("worker", database, fake, logs[1]))
            sent_before = len(_delivered(fake))
            new_leader = _leader_since(database, 60)
            assert wait_until(lambda: set(prompts) <= set(_delivered(fake)), 120), (
                len(set(prompts) - set(_delivered(fake))), _tail(logs[1]))
            assert wait_until(lambda: _recorded(database) == Counter(sent=len(prompts)), 30), (
                _recorded(database), _tail(logs[1]))
        finally:
            _stop(*workers)
    delivered = _delivered(fake)
    doubled = {k: len(v) for k, v in delivered.items() if len(v) > 1}
    assert not doubled, doubled
    last = max(min(times) for times in delivered.values())
    print(f"\n{how}: {sent_before} of 300 sent before, {held} claims held at that moment; "
          f"new leader {new_leader - struck:.1f} s later; "
          f"last prompt {last - new_leader:.1f} s after the new leader started")
    assert last - new_leader <= 30, _tail(logs[1])


# --- 5. the web process delivers what is pending, without waiting for a request ---------------


@pytest.mark.slow
def test_the_web_process_delivers_pending_messages_without_any_request_when_no_worker_runs(
        database, tmp_path):
    """No worker: a message queued by someone else (the worker before it died, a
    retry backing off) goes out without anybody using the bot, also long after
    the web process last had a request (it used to give up after 60 s idle)."""
    from tests.support.slackhttp import SlackApp

    log, port = tmp_path / "web.log", _free_port()
    with FakeSlack() as fake:
        web = _start("web", database, fake, log, PORT=str(port))
        try:
            base = f"http://127.0.0.1:{port}"
            assert wait_until(lambda: _healthy(base), 60), _tail(log)
            client = SlackApp(base, fake)
            assert client.slash('new "Office network move"', channel="C0NET").status == 200
            client.wait_reply(timeout=20)  # the last request the web process sees
            fake.wait_for("views.publish", timeout=20)  # what it queued itself went at once
            start = time.monotonic()
            _queue(database, ["reminder:1:now:0001"])
            later_due = utcnow() + timedelta(seconds=65)  # after the old pump's 60 s of idling
            _queue(database, ["reminder:1:later:0002"], not_before=later_due)
            assert wait_until(lambda: "reminder:1:now:0001" in _delivered(fake), 30), _tail(log)
            now_late = min(_delivered(fake)["reminder:1:now:0001"]) - start
            assert wait_until(lambda: "reminder:1:later:0002" in _delivered(fake), 65 + 30), _tail(log)
            later_late = min(_delivered(fake)["reminder:1:later:0002"]) - (start + 65)
            assert web.poll() is None, _tail(log)
        finally:
            codes = _stop(web)
    assert len(fake.calls_to("chat.postMessage")) == 2
    print(f"\nweb process alone: a message due now went after {now_late:.1f} s, "
          f"one due 65 s later went {later_late:.1f} s after its time")
    assert codes == [0], _tail(log)


def _healthy(base: str) -> bool:
    try:
        return get(base + "/healthz", timeout=1).status == 200
    except OSError:
        return False
