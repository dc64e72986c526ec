"""The audit log: who changed what, when, with old and new values."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from bot.models import AuditEntry


def _plain(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


RECORDED = "audit_recorded"  # session.info: the entries this session wrote


def record(
    *,
    session: Session,
    team_id: str,
    user_id: str,
    action: str,
    entity: str,
    entity_id: int | None,
    project_id: int | None = None,
    now: datetime,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEntry:
    """Add an audit entry in the caller's transaction, stamped with the
    caller's clock (`now`: the command's or the job's time)."""
    entry = AuditEntry(
        created_at=now,
        team_id=team_id,
        project_id=project_id,
        user_id=user_id,
        action=action,
        entity=entity,
        entity_id=entity_id,
        before={k: _plain(v) for k, v in (before or {}).items()},
        after={k: _plain(v) for k, v in (after or {}).items()},
    )
    session.add(entry)
    session.info.setdefault(RECORDED, []).append(entry)
    return entry


def mark_before_changes(session: Session) -> int | None:
    """The audit id just below what this session recorded (for the `since`
    queries that find what a command changed), or None when it changed nothing.
    Call after the command committed, so the entries have their ids."""
    ids = [e.id for e in session.info.get(RECORDED, ()) if e.id is not None]
    return min(ids) - 1 if ids else None


def last_id(session: Session) -> int:
    """The newest audit entry's id (0 if none): a mark to find what a command changed."""
    return session.exec(select(func.coalesce(func.max(AuditEntry.id), 0))).one()
