"""The durable outbox: every message that leaves the bot is a row first.

A caller enqueues in the same transaction as the state change that causes the
message, with an idempotency key; a second enqueue with the same key is a
no-op, so retried deliveries and double clicks never send twice. An outbox sender
(`bot.jobs.outbox_sender`) hands due rows to a `Notifier`.

Row states: `pending` (due at `next_attempt_at`), `sending` (claimed by a
sender; `next_attempt_at` is the end of its claim), `sent`, `failed`,
`cancelled` (withdrawn before it was sent, e.g. an alert that cleared during
quiet hours).

Delivery guarantee: at-least-once towards Slack, exactly-once in the common
case. A row is claimed and committed as `sending` before the Slack call and
marked `sent` after it. If the outcome of a call is unknown (the connection
dropped after the request left, or the process died between the call and the
commit) the row is retried with `result["maybe_sent"]`, and a notifier that
also implements `Reconciler.find_sent` is asked first whether Slack already
holds the message (the Slack notifier tags each post with the row's key in
message metadata). Without a reconciler such a retry may duplicate a message.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol, runtime_checkable

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.domain.replies import Reply, reply_to_dict
from bot.models import OutboxMessage


class Kind(StrEnum):
    POST = "post"  # a message in a channel (optionally in a thread)
    DM = "dm"  # a direct message to a user
    UPDATE = "update"  # edit a message sent earlier
    PUBLISH_HOME = "publish_home"  # re-render a user's App Home
    UPLOAD = "upload"  # a file (chart) into a channel or thread
    EMAIL = "email"  # an email (the weekly report) to one address, sent over SMTP


class State(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Notifier(Protocol):
    """Delivers one outbox row; returns what the transport answered (e.g. {"ts": ...}).

    Raise `TemporaryFailure` to retry later or `PermanentFailure` to give up."""

    def send(self, message: OutboxMessage, *, session: Session) -> dict: ...


@runtime_checkable
class Reconciler(Protocol):
    """Optional notifier extension: find a message an earlier, unconfirmed
    attempt may already have delivered; returns the send result or None."""

    def find_sent(self, message: OutboxMessage, *, session: Session) -> dict | None: ...


class TemporaryFailure(Exception):
    """Try again later (rate limit, timeout, 5xx, dropped connection).

    `maybe_sent` says the request may have reached Slack (a timeout or a
    connection dropped after sending), so the retry reconciles first;
    `attempt_at` (Unix seconds) is when that request left, which bounds the
    search for it (kept in the row's `result["maybe_sent_at"]`)."""

    def __init__(self, reason: str, retry_after: float | None = None, *, maybe_sent: bool = False,
                 attempt_at: float | None = None, channel_wide: bool = True):
        super().__init__(reason)
        self.retry_after = retry_after
        self.maybe_sent = maybe_sent
        self.attempt_at = attempt_at
        self.channel_wide = channel_wide  # a Retry-After holds the channel's other messages back too


class PermanentFailure(Exception):
    """Will never succeed as is (channel_not_found, not_in_channel, account_inactive)."""


DEPENDENCY_KEYS = ("update_key", "thread_key")
# payload entries that hold a secret (an emailed status-page link): kept only
# until the row is sent or given up, then wiped (`scrubbed`)
SECRET_KEYS = ("secret_link",)
# set in `session.info` when a message was queued, so the caller can start delivery at once
OUTBOX_QUEUED = "outbox_queued"
# A message without `not_before` is due whatever clock the sender runs on
# (the real one, or a test's frozen `now`).
DUE_AT_ONCE = datetime(2000, 1, 1, tzinfo=UTC)


def enqueue(
    *,
    session: Session,
    team_id: str,
    key: str,
    kind: Kind,
    reply: Reply | None = None,
    channel_id: str | None = None,
    user_id: str | None = None,
    project_id: int | None = None,
    extra: dict | None = None,
    not_before: datetime | None = None,
    now: datetime,
) -> tuple[OutboxMessage, bool]:
    """Add a message unless one with `key` exists; returns (row, created).

    `extra` carries transport hints: `thread_key` (reply in the thread of the
    message sent under that key), `update_key` (edit that message), `ts`,
    `file_path`, `title`. A row with `thread_key`/`update_key` waits until that
    message is sent. `not_before` holds the message back (quiet hours);
    without it the message is due at once. `now` (the caller's clock) stamps the row."""
    if len(key) > 200:
        raise ValueError(f"outbox key longer than 200 characters: {key[:40]}...")
    existing = session.exec(select(OutboxMessage).where(OutboxMessage.idempotency_key == key)).first()
    if existing is not None:
        return existing, False
    payload = dict(extra or {})
    if reply is not None:
        payload["reply"] = reply_to_dict(reply)
    row = OutboxMessage(team_id=team_id, idempotency_key=key, kind=str(kind), channel_id=channel_id,
                        user_id=user_id, project_id=project_id, payload=payload,
                        next_attempt_at=not_before or DUE_AT_ONCE, created_at=now)
    try:
        with session.begin_nested():  # a concurrent enqueue of the same key (a double click) wins
            session.add(row)
            session.flush()
        session.info[OUTBOX_QUEUED] = True
    except IntegrityError:
        existing = session.exec(select(OutboxMessage).where(OutboxMessage.idempotency_key == key)).first()
        if existing is None:
            raise
        return existing, False
    return row, True


def scrubbed(payload: dict | None) -> dict:
    """`payload` without its secrets (what a sent or failed row keeps)."""
    return {k: v for k, v in (payload or {}).items() if k not in SECRET_KEYS}


def next_attempt_after(*, session: Session, after: datetime) -> datetime | None:
    """When the first pending message held past `after` falls due (quiet
    hours, a retry's backoff), or None."""
    return session.exec(select(OutboxMessage.next_attempt_at).where(
        OutboxMessage.state == State.PENDING, OutboxMessage.next_attempt_at > after)
        .order_by(OutboxMessage.next_attempt_at).limit(1)).first()


def cancel(*, session: Session, key: str) -> bool:
    """Withdraw a message that has not been sent yet; True if it was withdrawn."""
    row = session.exec(select(OutboxMessage).where(OutboxMessage.idempotency_key == key)).first()
    if row is None or row.state != State.PENDING:
        return False
    row.state = State.CANCELLED
    session.add(row)
    session.flush()
    return True


def state_of(*, session: Session, key: str) -> str | None:
    """The state of the message enqueued under `key`, or None if there is none."""
    return session.exec(select(OutboxMessage.state).where(OutboxMessage.idempotency_key == key)).first()


def sent_ts(*, session: Session, key: str) -> tuple[str | None, str | None]:
    """(channel, ts) of a message already delivered under `key`, if any."""
    row = session.exec(select(OutboxMessage).where(OutboxMessage.idempotency_key == key)).first()
    if row is None or row.state != State.SENT:
        return None, None
    return row.result.get("channel", row.channel_id), row.result.get("ts")
