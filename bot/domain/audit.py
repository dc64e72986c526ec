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


def record(
    *,
    session: Session,
    team_id: str,
    user_id: str,
    action: str,
    entity: str,
    entity_id: int | None,
    project_id: int | None = None,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEntry:
    """Add an audit entry in the caller's transaction."""
    entry = AuditEntry(
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
    return entry


def last_id(session: Session) -> int:
    """The newest audit entry's id (0 if none): a mark to find what a command changed."""
    return session.exec(select(func.coalesce(func.max(AuditEntry.id), 0))).one()
