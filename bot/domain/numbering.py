"""Per-project sequence numbers (#1, #2, ...) for tasks, milestones, risks.

One counter row per project and kind, advanced by a single upsert
(`INSERT ... ON CONFLICT DO UPDATE ... RETURNING`): concurrent requests queue
on that row (PostgreSQL's row lock, SQLite's write lock) and each gets the
next number, so none is refused. The first number of a kind starts after the
highest one already stored (projects numbered before the counters existed).
"""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from bot.models import ProjectCounter


def next_number(*, session: Session, model: type, project_id: int) -> int:
    """The project's next number for `model` (a table with `project_id`, `number`)."""
    after_highest = (select(func.coalesce(func.max(model.number), 0) + 1)
                     .where(model.project_id == project_id).scalar_subquery())
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = (insert(ProjectCounter)
                 .values(project_id=project_id, name=model.__tablename__, value=after_highest))
    statement = statement.on_conflict_do_update(
        index_elements=["project_id", "name"], set_={"value": ProjectCounter.value + 1},
    ).returning(ProjectCounter.value)
    return session.execute(statement).scalar_one()
