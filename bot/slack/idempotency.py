"""Claim a Slack delivery or submission once: `claim()` is False the second time.

The claim is a `processed_requests` row written in the caller's transaction,
so it commits together with the change it guards (a retried event, a modal
submitted twice) and rolls back with it when that change fails. Claim first
in the transaction: losing a race rolls the session back.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.models import ProcessedRequest


def claim(*, session: Session, team_id: str, key: str, result: dict | None = None) -> bool:
    """Record `key` as handled; False when it already was."""
    key = key[:200]
    if session.exec(select(ProcessedRequest.id).where(ProcessedRequest.team_id == team_id,
                                                      ProcessedRequest.key == key)).first():
        return False
    try:
        session.add(ProcessedRequest(team_id=team_id, key=key, result=result or {}))
        session.flush()
    except IntegrityError:  # a concurrent delivery claimed it first
        session.rollback()
        return False
    return True
