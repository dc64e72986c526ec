"""Milestones: dated checkpoints with planned budget and effort."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session, select

from bot.domain import audit
from bot.domain.access import Action, require
from bot.domain.errors import Invalid, NotFound
from bot.domain.format import truncate
from bot.domain.numbering import next_number
from bot.models import Milestone, Project


def list_milestones(*, session: Session, project: Project) -> list[Milestone]:
    return list(session.exec(
        select(Milestone).where(Milestone.project_id == project.id)
        .order_by(Milestone.due_date.is_(None), Milestone.due_date, Milestone.number)
    ))


def find_milestone(*, session: Session, project: Project, ref: str) -> Milestone:
    """A milestone by number (`2`, `M2`) or by case-insensitive name."""
    ref = ref.strip()
    number = ref[1:] if ref[:1] in {"m", "M", "#"} and ref[1:].isdigit() else ref
    query = select(Milestone).where(Milestone.project_id == project.id)
    if number.isdigit():
        found = session.exec(query.where(Milestone.number == int(number))).first()
    else:
        found = next((m for m in session.exec(query) if m.name.lower() == ref.lower()), None)
    if found is None:
        raise NotFound(f"*{project.name}* has no milestone `{truncate(ref, 40)}`. `/project milestone list` shows them.")
    return found


def add_milestone(*, session: Session, project: Project, actor: str, name: str,
                  due_date: date | None = None, planned_budget_cents: int | None = None,
                  planned_effort_hours: float | None = None, now: datetime) -> Milestone:
    require(session=session, project=project, user_id=actor, action=Action.MANAGE,
            what="add milestones")
    name = name.strip()
    if not name:
        raise Invalid("A milestone needs a name.")
    if len(name) > 200:
        raise Invalid("A milestone name can be at most 200 characters.")
    if planned_budget_cents is not None and planned_budget_cents < 0:
        raise Invalid("A planned budget cannot be negative.")
    milestone = Milestone(
        team_id=project.team_id, project_id=project.id,
        number=next_number(session=session, model=Milestone, project_id=project.id),
        name=name, due_date=due_date, planned_budget_cents=planned_budget_cents,
        planned_effort_hours=planned_effort_hours, created_at=now,
    )
    session.add(milestone)
    session.flush()
    audit.record(session=session, team_id=project.team_id, user_id=actor, action="milestone.add",
                 entity="milestone", entity_id=milestone.id, project_id=project.id, now=now,
                 after={"name": name, "due_date": due_date})
    return milestone


def complete_milestone(*, session: Session, project: Project, actor: str, milestone: Milestone,
                       now: datetime) -> Milestone:
    """Mark done (idempotent: a second call keeps the first time)."""
    require(session=session, project=project, user_id=actor, action=Action.MANAGE,
            what="complete milestones")
    if milestone.done_at is None:
        milestone.done_at = now
        session.add(milestone)
        audit.record(session=session, team_id=project.team_id, user_id=actor, action="milestone.done",
                     entity="milestone", entity_id=milestone.id, project_id=project.id, now=now)
        session.flush()
    return milestone
