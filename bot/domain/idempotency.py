"""Claim a Slack delivery or submission once: `claim()` is False the second time.

The claim is a `processed_requests` row written in the caller's transaction,
so it commits together with the change it guards (a retried event, a modal
submitted twice, a slash command body delivered twice) and rolls back with it
when that change fails. Losing a race rolls the session back.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.models import ProcessedRequest


def claim(*, session: Session, team_id: str, key: str, now: datetime, result: dict | None = None) -> bool:
    """Record `key` as handled at `now` (with `result`, what the first delivery
    answered); False when it already was."""
    key = key[:200]
    if session.exec(select(ProcessedRequest.id).where(ProcessedRequest.team_id == team_id,
                                                      ProcessedRequest.key == key)).first():
        return False
    try:
        session.add(ProcessedRequest(team_id=team_id, key=key, result=result or {}, created_at=now))
        session.flush()
    except IntegrityError:  # a concurrent delivery claimed it first
        session.rollback()
        return False
    return True


def earlier_result(*, session: Session, team_id: str, key: str) -> dict | None:
    """The `result` stored by whoever claimed `key`, or None if nobody has."""
    return session.exec(select(ProcessedRequest.result).where(ProcessedRequest.team_id == team_id,
                                                              ProcessedRequest.key == key[:200])).first()
