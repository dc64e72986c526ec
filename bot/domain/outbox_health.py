"""How the outbox is doing, for `doctor`: messages waiting too long, and recent failures.

A message is late when it is still `pending` or `sending` more than
`LATE_AFTER` past its due time (the worker delivers within seconds when it
runs). Failures are the rows given up on in the last `RECENT` (by the time
they were last tried), grouped by Slack's reason, with one destination each.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, func, select

from bot.domain.outbox import State
from bot.models import OutboxMessage

LATE_AFTER = timedelta(minutes=5)
RECENT = timedelta(days=1)


@dataclass(frozen=True)
class FailureGroup:
    reason: str
    count: int
    example: str  # a channel or user it was for


@dataclass(frozen=True)
class OutboxHealth:
    waiting: int  # pending or sending
    late: int
    oldest_late: datetime | None
    failures: tuple[FailureGroup, ...]

    @property
    def failed(self) -> int:
        return sum(group.count for group in self.failures)


def outbox_health(*, session: Session, now: datetime) -> OutboxHealth:
    """Counts across every workspace (the whole deployment's delivery)."""
    waiting_states = (State.PENDING.value, State.SENDING.value)
    waiting = session.exec(select(func.count()).select_from(OutboxMessage)
                           .where(OutboxMessage.state.in_(waiting_states))).one()
    late, oldest = session.exec(
        select(func.count(), func.min(OutboxMessage.next_attempt_at))
        .where(OutboxMessage.state.in_(waiting_states), OutboxMessage.next_attempt_at < now - LATE_AFTER)).one()
    rows = session.exec(
        select(OutboxMessage.last_error, func.count(), func.min(func.coalesce(OutboxMessage.channel_id,
                                                                              OutboxMessage.user_id)))
        .where(OutboxMessage.state == State.FAILED.value, OutboxMessage.next_attempt_at >= now - RECENT)
        .group_by(OutboxMessage.last_error).order_by(func.count().desc(), OutboxMessage.last_error)).all()
    failures = tuple(FailureGroup(reason or "unknown", count, example or "") for reason, count, example in rows)
    return OutboxHealth(waiting=waiting, late=late, oldest_late=oldest, failures=failures)
