"""Per-project sequence numbers (#1, #2, ...) for tasks, milestones, risks."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select


def next_number(*, session: Session, model: type, project_id: int) -> int:
    """One more than the highest number used in the project (unique-constrained)."""
    current = session.exec(
        select(func.max(model.number)).where(model.project_id == project_id)
    ).one()
    return (current or 0) + 1
