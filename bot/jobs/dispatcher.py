"""Deliver pending outbox rows through a `Notifier`, with retries.

Rows are claimed one at a time in send order. A temporary failure sets
`next_attempt_at` (honouring Retry-After, else exponential backoff); a
permanent failure marks the row failed with the reason.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.domain.outbox import Notifier, PermanentFailure, TemporaryFailure
from bot.models import OutboxMessage, utcnow

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8


def backoff(attempts: int) -> float:
    return min(2.0 ** attempts, 300.0)


def deliver_pending(engine: Engine, notifier: Notifier, *, now: datetime | None = None,
                    limit: int = 100) -> int:
    """Send up to `limit` due messages; returns how many were sent."""
    now = now or utcnow()
    sent = 0
    with Session(engine, expire_on_commit=False) as session:
        ids = session.exec(
            select(OutboxMessage.id).where(OutboxMessage.state == "pending",
                                           OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.id).limit(limit)
        ).all()
    for message_id in ids:
        with Session(engine, expire_on_commit=False) as session:
            row = session.get(OutboxMessage, message_id)
            if row is None or row.state != "pending":
                continue
            row.attempts += 1
            try:
                result = notifier.send(row, session=session)
            except TemporaryFailure as exc:
                delay = exc.retry_after if exc.retry_after is not None else backoff(row.attempts)
                row.last_error = str(exc)[:500]
                if row.attempts >= MAX_ATTEMPTS:
                    row.state = "failed"
                    log.error("outbox %s gave up after %s attempts: %s", row.idempotency_key, row.attempts, exc)
                else:
                    row.next_attempt_at = utcnow() + timedelta(seconds=delay)
            except PermanentFailure as exc:
                row.state = "failed"
                row.last_error = str(exc)[:500]
                log.error("outbox %s failed permanently: %s", row.idempotency_key, exc)
            else:
                row.state = "sent"
                row.result = result or {}
                row.sent_at = utcnow()
                sent += 1
            session.add(row)
            session.commit()
    return sent
