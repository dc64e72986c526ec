"""The outbox delivers every message once, in order, through failures.

These tests drive the dispatcher with a scripted notifier standing in for
Slack (the end-to-end runs against the fake Web API are in
test_outbox_faults.py)."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event
from sqlmodel import Session, select

from bot.domain.outbox import Kind, PermanentFailure, TemporaryFailure, cancel, enqueue, sent_ts
from bot.domain.projects import create_project
from bot.domain.replies import Reply
from bot.jobs import outbox_sender
from bot.jobs.outbox_sender import CLAIM_SECONDS, GIVE_UP_AFTER, deliver_pending
from bot.models import OutboxMessage
from tests.support.helpers import TEAM


class Crash(BaseException):
    """The process dies: nothing after it runs."""


class ScriptedSlack:
    """Records what it 'posts'; fails according to `script[key]` (a list of
    exceptions raised on successive attempts, or 'crash-after-send')."""

    def __init__(self, script: dict | None = None):
        self.script = script or {}
        self.delivered: list[str] = []
        self.lock = threading.Lock()

    def send(self, message: OutboxMessage, *, session: Session) -> dict:
        steps = self.script.get(message.idempotency_key, [])
        step = steps.pop(0) if steps else None
        if isinstance(step, Exception):
            raise step
        with self.lock:
            self.delivered.append(message.idempotency_key)
            ts = f"1700000000.{len(self.delivered):06d}"
        if step == "crash-after-send":
            raise Crash()
        return {"ts": ts, "channel": message.channel_id}

    def find_sent(self, message: OutboxMessage, *, session: Session) -> dict | None:
        if message.idempotency_key in self.delivered:
            return {"ts": "found", "channel": message.channel_id}
        return None


class NoReconcile(ScriptedSlack):
    find_sent = None  # type: ignore[assignment]


def _project(session: Session):
    p = create_project(session=session, team_id=TEAM, name="Website", owner_user_id="U0OWNER", now=datetime.now(UTC))
    p.channel_id = "C0PROJ"
    session.commit()
    return p


def _post(session: Session, key: str, project_id: int | None = None, channel: str = "C0PROJ", **extra):
    row, created = enqueue(session=session, team_id=TEAM, key=key, kind=Kind.POST,
                           reply=Reply.text(key), channel_id=channel, project_id=project_id,
                           extra=extra or None, now=datetime.now(UTC))
    return row


def _rows(engine) -> dict[str, OutboxMessage]:
    with Session(engine) as s:
        return {r.idempotency_key: r for r in s.exec(select(OutboxMessage))}


def test_a_message_enqueued_twice_is_sent_once_and_its_ts_is_kept(db_engine, now):
    with Session(db_engine) as s:
        _post(s, "hello")
        _post(s, "hello")
        s.commit()
    slack = ScriptedSlack()
    assert deliver_pending(db_engine, slack, now=now) == 1
    assert deliver_pending(db_engine, slack, now=now) == 0
    assert slack.delivered == ["hello"]
    with Session(db_engine) as s:
        assert sent_ts(session=s, key="hello") == ("C0PROJ", "1700000000.000001")


def test_rate_limit_waits_retry_after_and_holds_back_the_channel(db_engine, now):
    with Session(db_engine) as s:
        _post(s, "first")
        _post(s, "second")
        _post(s, "elsewhere", channel="C0OTHER")
        s.commit()
    slack = ScriptedSlack({"first": [TemporaryFailure("ratelimited", retry_after=30)]})
    assert deliver_pending(db_engine, slack, now=now) == 1
    assert slack.delivered == ["elsewhere"]
    rows = _rows(db_engine)
    assert rows["first"].next_attempt_at == now + timedelta(seconds=30)
    assert rows["second"].next_attempt_at == now + timedelta(seconds=30)
    assert deliver_pending(db_engine, slack, now=now + timedelta(seconds=29)) == 0
    assert deliver_pending(db_engine, slack, now=now + timedelta(seconds=30)) == 2
    assert slack.delivered == ["elsewhere", "first", "second"]


def test_server_errors_back_off_and_give_up_only_after_a_day_then_tell_the_owner(db_engine, now, caplog,
                                                                                monkeypatch):
    assert timedelta(hours=24) == GIVE_UP_AFTER
    give_up = timedelta(hours=1)  # a day of 5-minute retries, shortened for the test's speed
    monkeypatch.setattr(outbox_sender, "GIVE_UP_AFTER", give_up)
    with Session(db_engine) as s:
        p = _project(s)
        _post(s, "flaky", project_id=p.id)
        s.commit()
    slack = ScriptedSlack({"flaky": [TemporaryFailure("HTTP 500")] * 1000})
    clock = now
    waits = []
    for _ in range(400):
        deliver_pending(db_engine, slack, now=clock)
        row = _rows(db_engine)["flaky"]
        if row.state != "pending":
            break
        waits.append((row.next_attempt_at - clock).total_seconds())
        clock = row.next_attempt_at
    assert waits[:9] == [2, 4, 8, 16, 32, 64, 128, 256, 300]
    rows = _rows(db_engine)
    assert rows["flaky"].state == "failed"
    assert give_up <= clock - now < give_up + timedelta(minutes=6)
    assert f"gave up after {rows['flaky'].attempts} attempts: HTTP 500" in rows["flaky"].last_error
    [notice] = [r for k, r in rows.items() if k.startswith("outbox-failed:")]
    assert notice.kind == "dm" and notice.user_id == "U0OWNER"
    assert "giving up on post to channel C0PROJ" in caplog.text


def test_a_missing_channel_fails_at_once_with_a_log_line_and_a_dm_to_the_owner(db_engine, now, caplog):
    with Session(db_engine) as s:
        p = _project(s)
        _post(s, "alert", project_id=p.id)
        s.commit()
    slack = ScriptedSlack({"alert": [PermanentFailure("channel_not_found")]})
    with caplog.at_level(logging.ERROR):
        assert deliver_pending(db_engine, slack, now=now) == 1  # the notice to the owner
    rows = _rows(db_engine)
    assert rows["alert"].state == "failed" and rows["alert"].attempts == 1
    assert "outbox alert: giving up on post to channel C0PROJ: channel_not_found" in caplog.text
    [notice] = [r for k, r in rows.items() if k.startswith("outbox-failed:")]
    assert notice.state == "sent"
    text = notice.payload["reply"]["sections"][0]["text"]
    assert "could not be delivered to <#C0PROJ>" in text and "`/project link #channel`" in text


def test_an_update_waits_until_the_message_it_edits_is_sent(db_engine, now):
    with Session(db_engine) as s:
        _post(s, "post")
        enqueue(session=s, team_id=TEAM, key="edit", kind=Kind.UPDATE, reply=Reply.text("v2"),
                channel_id="C0PROJ", extra={"update_key": "post"}, now=datetime.now(UTC))
        s.commit()
    slack = ScriptedSlack({"post": [TemporaryFailure("timeout", maybe_sent=False)]})
    assert deliver_pending(db_engine, slack, now=now) == 0
    assert _rows(db_engine)["edit"].attempts == 0  # waiting is not a failed attempt
    assert _rows(db_engine)["edit"].next_attempt_at > _rows(db_engine)["post"].next_attempt_at
    assert deliver_pending(db_engine, slack, now=now + timedelta(seconds=10)) == 2
    assert slack.delivered == ["post", "edit"]


def test_an_update_of_a_message_that_failed_fails_without_a_second_notice(db_engine, now):
    with Session(db_engine) as s:
        p = _project(s)
        _post(s, "post", project_id=p.id)
        enqueue(session=s, team_id=TEAM, key="edit", kind=Kind.UPDATE, reply=Reply.text("v2"),
                channel_id="C0PROJ", project_id=p.id, extra={"update_key": "post"}, now=datetime.now(UTC))
        s.commit()
    slack = ScriptedSlack({"post": [PermanentFailure("not_in_channel")]})
    deliver_pending(db_engine, slack, now=now)
    rows = _rows(db_engine)
    assert rows["edit"].state == "failed"
    assert "depends on message post, which failed" in rows["edit"].last_error
    notices = [k for k in rows if k.startswith("outbox-failed:")]
    assert len(notices) == 1 and "not_in_channel" in notices[0]


def test_a_crash_between_send_and_commit_does_not_send_twice(db_engine, now):
    with Session(db_engine) as s:
        _post(s, "alert")
        s.commit()
    slack = ScriptedSlack({"alert": ["crash-after-send"]})
    with pytest.raises(Crash):
        deliver_pending(db_engine, slack, now=now)
    assert _rows(db_engine)["alert"].state == "sending"
    assert deliver_pending(db_engine, slack, now=now + timedelta(seconds=CLAIM_SECONDS - 1)) == 0
    assert deliver_pending(db_engine, slack, now=now + timedelta(seconds=CLAIM_SECONDS)) == 1
    assert slack.delivered == ["alert"]
    row = _rows(db_engine)["alert"]
    assert row.state == "sent" and row.result["ts"] == "found"


def test_without_reconciliation_a_crash_is_retried_at_least_once(db_engine, now):
    with Session(db_engine) as s:
        _post(s, "alert")
        s.commit()
    slack = NoReconcile({"alert": ["crash-after-send"]})
    with pytest.raises(Crash):
        deliver_pending(db_engine, slack, now=now)
    deliver_pending(db_engine, slack, now=now + timedelta(seconds=CLAIM_SECONDS))
    assert slack.delivered == ["alert", "alert"]  # the documented at-least-once case


def test_a_dropped_connection_is_reconciled_before_retrying(db_engine, now):
    with Session(db_engine) as s:
        _post(s, "a")
        s.commit()

    class DropAfterSend(ScriptedSlack):
        def send(self, message, *, session):
            result = super().send(message, session=session)
            if len(self.delivered) == 1:
                raise TemporaryFailure("connection reset", maybe_sent=True)
            return result

    slack = DropAfterSend()
    deliver_pending(db_engine, slack, now=now)
    deliver_pending(db_engine, slack, now=now + timedelta(minutes=1))
    assert slack.delivered == ["a"]
    assert _rows(db_engine)["a"].state == "sent"


def test_a_cancelled_message_and_its_edits_are_never_sent(db_engine, now, caplog):
    with Session(db_engine) as s:
        _post(s, "night")
        enqueue(session=s, team_id=TEAM, key="night-edit", kind=Kind.UPDATE, reply=Reply.text("v2"),
                channel_id="C0PROJ", extra={"update_key": "night"}, now=datetime.now(UTC))
        s.commit()
        assert cancel(session=s, key="night")
        s.commit()
        assert not cancel(session=s, key="night")
    slack = ScriptedSlack()
    with caplog.at_level(logging.ERROR):
        assert deliver_pending(db_engine, slack, now=now) == 0
    assert slack.delivered == [] and caplog.text == ""
    assert {k: r.state for k, r in _rows(db_engine).items()} == {"night": "cancelled",
                                                                  "night-edit": "cancelled"}


def test_two_dispatchers_at_once_send_each_message_exactly_once(db_engine, now, monkeypatch):
    monkeypatch.setattr(outbox_sender, "CANDIDATES", 5)
    with Session(db_engine) as s:
        for i in range(60):
            _post(s, f"m{i}", channel=f"C{i % 4}")
        s.commit()
    slack = ScriptedSlack({f"m{i}": [TemporaryFailure("HTTP 503")] for i in range(0, 60, 7)})
    errors: list[BaseException] = []
    # Both senders live on one clock: neither starts the next 10 s step before the
    # other has finished this one (on diverging frozen clocks one would see the
    # other's live claims as run out after CLAIM_SECONDS and take them over).
    same_clock = threading.Barrier(2, timeout=60)

    def work():
        try:
            for step in range(6):
                deliver_pending(db_engine, slack, now=now + timedelta(seconds=10 * step))
                same_clock.wait()
        except BaseException as exc:  # surfaced below
            errors.append(exc)
            same_clock.abort()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(slack.delivered) == sorted(f"m{i}" for i in range(60))
    assert all(r.state == "sent" for r in _rows(db_engine).values())


def test_two_sessions_enqueueing_the_same_key_at_once_store_one_row(db_engine, now):
    def the_other_click_commits_first(session, flush_context, instances):
        with Session(db_engine) as other:
            _post(other, "double-click")
            other.commit()

    with Session(db_engine, expire_on_commit=False) as second:
        event.listen(second, "before_flush", the_other_click_commits_first, once=True)
        row, created = enqueue(session=second, team_id=TEAM, key="double-click", kind=Kind.POST,
                               reply=Reply.text("again"), channel_id="C0PROJ", now=datetime.now(UTC))
        second.commit()
    assert not created and row.payload["reply"]["sections"][0]["text"] == "double-click"
    assert list(_rows(db_engine)) == ["double-click"]


def test_parallel_senders_split_the_destinations_and_keep_each_ones_order(db_engine, now):
    """The worker's senders on PostgreSQL: each owns a share of the channels and
    DMs, so every message goes once and each destination hears them in order."""
    if db_engine.dialect.name != "postgresql":
        pytest.skip("the worker runs one sender on SQLite")
    with Session(db_engine) as s:
        for n in range(5):
            for channel in ("C0A", "C0B", "C0C", "C0D", "C0E", "C0F"):
                _post(s, f"{channel}:{n}", channel=channel)
        s.commit()
    slack = ScriptedSlack()
    shares = [threading.Thread(target=deliver_pending, args=(db_engine, slack),
                               kwargs={"now": now, "share": (i, 3)}) for i in range(3)]
    for sender in shares:
        sender.start()
    for sender in shares:
        sender.join()
    assert sorted(slack.delivered) == sorted(_rows(db_engine)) and len(slack.delivered) == 30
    for channel in ("C0A", "C0B", "C0C", "C0D", "C0E", "C0F"):
        assert [k for k in slack.delivered if k.startswith(channel)] == [f"{channel}:{n}" for n in range(5)]
    alone = ScriptedSlack()
    with Session(db_engine) as s:
        _post(s, "C0A:late", channel="C0A")
        s.commit()
    owners = [deliver_pending(db_engine, alone, now=now, share=(i, 3)) for i in range(3)]
    assert sorted(owners) == [0, 0, 1] and alone.delivered == ["C0A:late"]  # exactly one share owns C0A


def test_messages_to_different_places_are_claimed_together_but_one_channel_waits_its_turn(
        db_engine, now, monkeypatch):
    """A claim takes up to `BATCH` rows (three here) for different destinations
    in one transaction; a second row for the same channel waits for a later
    claim. Rows claimed by a dispatcher that died are sent once their lease ends."""
    monkeypatch.setattr(outbox_sender, "BATCH", 3)
    with Session(db_engine) as s:
        for key, channel in [("a1", "C0A"), ("a2", "C0A"), ("b1", "C0B"), ("c1", "C0C"), ("d1", "C0D")]:
            _post(s, key, channel=channel)
        s.commit()
    first = outbox_sender._claim_next(db_engine, now)
    assert [c.row.idempotency_key for c in first] == ["a1", "b1", "c1"]  # a2 waits behind a1
    assert {r.state for k, r in _rows(db_engine).items() if k in ("a1", "b1", "c1")} == {"sending"}
    slack = ScriptedSlack()  # the dispatcher holding those three died before sending them
    assert deliver_pending(db_engine, slack, now=now) == 2
    assert slack.delivered == ["a2", "d1"]  # not the claimed ones while their lease runs
    later = now + timedelta(seconds=CLAIM_SECONDS)
    assert deliver_pending(db_engine, slack, now=later) == 3  # leases over: each sent, once
    assert slack.delivered == ["a2", "d1", "a1", "b1", "c1"]
    assert deliver_pending(db_engine, slack, now=later) == 0


def test_a_claim_lasts_while_its_holder_renews_it_is_handed_back_on_stop_and_freed_by_a_new_leader(
        db_engine, now):
    """A claim runs out `CLAIM_SECONDS` after its last renewal; a sender told to
    stop hands back what it did not send; a new leader frees an earlier leader's
    claims at once (and leaves the web process's alone)."""
    with Session(db_engine) as s:
        for key, channel in [("old", "C0A"), ("web", "C0B"), ("kept", "C0C"), ("s1", "C0D"), ("s2", "C0E")]:
            _post(s, key, channel=channel)
        s.commit()
    outbox_sender._claim_next(db_engine, now, holder="worker:host:1:aaaa")  # old, web, kept, s1, s2
    with db_engine.begin() as conn:  # the second and third are held by others
        conn.execute(OutboxMessage.__table__.update().where(OutboxMessage.idempotency_key == "web")
                     .values(claimed_by="web:host:2:bbbb"))
        conn.execute(OutboxMessage.__table__.update().where(OutboxMessage.idempotency_key == "kept")
                     .values(claimed_by="worker:host:3:cccc"))
    slack = ScriptedSlack()
    later = now + timedelta(seconds=CLAIM_SECONDS - 5)
    assert outbox_sender.renew_claims(db_engine, "worker:host:3:cccc", now=later) == 1
    assert deliver_pending(db_engine, slack, now=later + timedelta(seconds=6)) == 4  # all but the renewed one
    assert "kept" not in slack.delivered

    with Session(db_engine) as s:
        for n in range(3):
            _post(s, f"q{n}", channel=f"C1{n}")
        s.commit()
    stop = threading.Event()

    class StopsAfterOne(ScriptedSlack):
        def send(self, message, *, session):
            stop.set()  # SIGTERM arrives during the first send of the batch
            return super().send(message, session=session)

    quitting = StopsAfterOne()
    assert deliver_pending(db_engine, quitting, now=now, holder="worker:host:3:cccc", stop=stop) == 1
    rows = _rows(db_engine)
    assert [rows[f"q{n}"].state for n in range(3)] == ["sent", "pending", "pending"]
    assert rows["q1"].attempts == 0 and rows["q1"].claimed_by is None  # as if never claimed

    assert outbox_sender.free_claims_of_dead(db_engine, role="worker", alive="worker:host:4:dddd", now=now) == 1
    assert deliver_pending(db_engine, slack, now=now) == 3  # kept (freed at once), q1, q2
    assert sorted(slack.delivered).count("kept") == 1
