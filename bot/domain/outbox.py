"""The durable outbox: every message that leaves the bot is a row first.

A caller enqueues in the same transaction as the state change that causes the
message, with an idempotency key; a second enqueue with the same key is a
no-op, so retried deliveries and double clicks never send twice. A dispatcher
(`bot.jobs.dispatcher`) hands pending rows to a `Notifier`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from sqlmodel import Session, select

from bot.domain.replies import Reply, reply_to_dict
from bot.models import OutboxMessage


class Kind(StrEnum):
    POST = "post"  # a message in a channel (optionally in a thread)
    DM = "dm"  # a direct message to a user
    UPDATE = "update"  # edit a message sent earlier
    PUBLISH_HOME = "publish_home"  # re-render a user's App Home
    UPLOAD = "upload"  # a file (chart) into a channel or thread


class Notifier(Protocol):
    """Delivers one outbox row; returns what the transport answered (e.g. {"ts": ...}).

    Raise `TemporaryFailure` to retry later or `PermanentFailure` to give up."""

    def send(self, message: OutboxMessage, *, session: Session) -> dict: ...


class TemporaryFailure(Exception):
    """Try again later (rate limit, timeout, 5xx)."""

    def __init__(self, reason: str, retry_after: float | None = None):
        super().__init__(reason)
        self.retry_after = retry_after


class PermanentFailure(Exception):
    """Will never succeed as is (channel_not_found, not_in_channel, account_inactive)."""


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
) -> tuple[OutboxMessage, bool]:
    """Add a message unless one with `key` exists; returns (row, created).

    `extra` carries transport hints: `thread_key` (reply in the thread of the
    message sent under that key), `update_key` (edit that message), `ts`,
    `file_path`, `title`."""
    existing = session.exec(select(OutboxMessage).where(OutboxMessage.idempotency_key == key)).first()
    if existing is not None:
        return existing, False
    payload = dict(extra or {})
    if reply is not None:
        payload["reply"] = reply_to_dict(reply)
    row = OutboxMessage(team_id=team_id, idempotency_key=key, kind=str(kind), channel_id=channel_id,
                        user_id=user_id, project_id=project_id, payload=payload)
    session.add(row)
    session.flush()
    return row, True


def sent_ts(*, session: Session, key: str) -> tuple[str | None, str | None]:
    """(channel, ts) of a message already delivered under `key`, if any."""
    row = session.exec(select(OutboxMessage).where(OutboxMessage.idempotency_key == key)).first()
    if row is None or row.state != "sent":
        return None, None
    return row.result.get("channel", row.channel_id), row.result.get("ts")
