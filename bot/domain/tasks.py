"""Tasks: add, list, assign, block, finish, date."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session, select

from bot.domain import audit
from bot.domain.access import Action, require
from bot.domain.errors import Invalid, NotFound
from bot.domain.numbering import next_number
from bot.models import Milestone, Project, Task, TaskStatus

MAX_TITLE = 500


def get_task(*, session: Session, project: Project, number: int) -> Task:
    task = session.exec(
        select(Task).where(Task.project_id == project.id, Task.number == number)
    ).first()
    if task is None:
        raise NotFound(f"*{project.name}* has no task #{number}. `/project task list` shows them.")
    return task


def add_task(
    *,
    session: Session,
    project: Project,
    actor: str,
    title: str,
    assignee: str | None = None,
    due_date: date | None = None,
    estimate_hours: float | None = None,
    milestone: Milestone | None = None,
    now: datetime,
) -> Task:
    """Add a task; members, managers and the owner may."""
    require(session=session, project=project, user_id=actor, action=Action.WORK, what="add tasks")
    title = title.strip()
    if not title:
        raise Invalid("A task needs a title.")
    if len(title) > MAX_TITLE:
        raise Invalid(f"A task title can be at most {MAX_TITLE} characters (this one has {len(title)}).")
    if estimate_hours is not None and not 0 < estimate_hours <= 10_000:
        raise Invalid("An estimate is a positive duration like 3h or 1.5d.")
    task = Task(
        team_id=project.team_id,
        project_id=project.id,
        number=next_number(session=session, model=Task, project_id=project.id),
        title=title,
        assignee_user_id=assignee,
        due_date=due_date,
        estimate_hours=estimate_hours,
        milestone_id=milestone.id if milestone else None,
        created_by=actor,
        created_at=now,
    )
    session.add(task)
    session.flush()
    audit.record(session=session, team_id=project.team_id, user_id=actor, action="task.add",
                 entity="task", entity_id=task.id, project_id=project.id, now=now,
                 after={"number": task.number, "title": title})
    return task


def list_tasks(*, session: Session, project: Project, status: str | None = None,
               assignee: str | None = None, include_done: bool = False) -> list[Task]:
    query = select(Task).where(Task.project_id == project.id)
    if status:
        query = query.where(Task.status == status)
    elif not include_done:
        query = query.where(Task.status != TaskStatus.DONE)
    if assignee:
        query = query.where(Task.assignee_user_id == assignee)
    return list(session.exec(query.order_by(Task.due_date.is_(None), Task.due_date, Task.number)))


def _change(session: Session, project: Project, task: Task, actor: str, action: str, now: datetime,
            **changes) -> Task:
    """Apply and audit `changes`; a change to what is already there is a no-op."""
    before = {k: getattr(task, k) for k in changes}
    if before == changes:
        return task
    for k, v in changes.items():
        setattr(task, k, v)
    session.add(task)
    audit.record(session=session, team_id=project.team_id, user_id=actor, action=action,
                 entity="task", entity_id=task.id, project_id=project.id, before=before, after=changes,
                 now=now)
    session.flush()
    return task


def set_status(*, session: Session, project: Project, actor: str, task: Task, status: TaskStatus,
               reason: str = "", now: datetime) -> Task:
    """Move a task between todo/doing/blocked/done, stamping the times. Idempotent."""
    require(session=session, project=project, user_id=actor, action=Action.WORK, what="update tasks")
    if task.status == status and (status is not TaskStatus.BLOCKED or reason == task.blocked_reason):
        return task
    changes: dict = {"status": str(status)}
    if status is TaskStatus.DONE:
        changes["done_at"] = now
    else:
        changes["done_at"] = None
    if status is TaskStatus.DOING and task.started_at is None:
        changes["started_at"] = now
    if status is TaskStatus.BLOCKED:
        if not reason.strip():
            raise Invalid("Say what blocks it: `task block 3 \"waiting for the vendor\"`.")
        changes["blocked_reason"] = reason.strip()
        if task.status != TaskStatus.BLOCKED:
            changes["blocked_at"] = now
    else:
        changes["blocked_reason"] = ""
        changes["blocked_at"] = None
    return _change(session, project, task, actor, f"task.{status}", now, **changes)


def assign(*, session: Session, project: Project, actor: str, task: Task, assignee: str | None,
           now: datetime) -> Task:
    require(session=session, project=project, user_id=actor, action=Action.WORK, what="assign tasks")
    return _change(session, project, task, actor, "task.assign", now, assignee_user_id=assignee)


def set_due(*, session: Session, project: Project, actor: str, task: Task, due_date: date | None,
            now: datetime) -> Task:
    require(session=session, project=project, user_id=actor, action=Action.WORK, what="date tasks")
    return _change(session, project, task, actor, "task.due", now, due_date=due_date)
