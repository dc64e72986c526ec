"""Tasks: add, list, assign, block, finish, date; edit, cancel, reopen.

A cancelled task is out of progress, earned value, forecasts and alerts but
stays in the project's history (`task list cancelled`, `history task N`);
`reopen` brings a done or cancelled task back. Nothing is ever erased.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session, select

from bot.domain import audit
from bot.domain.access import Action, require, require_task_work
from bot.domain.errors import Invalid, NotFound
from bot.domain.members import ensure_assignable
from bot.domain.numbering import next_number
from bot.models import CLOSED_TASK_STATES, Milestone, Project, Task, TaskStatus

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
    told: list[str] | None = None,
    now: datetime,
) -> Task:
    """Add a task; members, managers and the owner may. What else it did (adding
    the assignee to the project, see `ensure_assignable`) is appended to `told`."""
    require(session=session, project=project, user_id=actor, action=Action.WORK, what="add tasks")
    title = title.strip()
    if not title:
        raise Invalid("A task needs a title.")
    if len(title) > MAX_TITLE:
        raise Invalid(f"A task title can be at most {MAX_TITLE} characters (this one has {len(title)}).")
    if estimate_hours is not None and not 0 < estimate_hours <= 10_000:
        raise Invalid("An estimate is a positive duration like 3h or 1.5d.")
    notes = ensure_assignable(session=session, project=project, actor=actor, assignee=assignee, now=now)
    if milestone is not None and milestone.cancelled_at is not None:
        raise Invalid(f"Milestone M{milestone.number} is cancelled; `/project milestone reopen "
                      f"{project.key} M{milestone.number}` first, or choose another.")
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
    if told is not None:
        told.extend(notes)
    return task


def list_tasks(*, session: Session, project: Project, status: str | None = None,
               assignee: str | None = None, include_done: bool = False) -> list[Task]:
    query = select(Task).where(Task.project_id == project.id)
    if status:
        query = query.where(Task.status == status)
    elif not include_done:
        query = query.where(Task.status.not_in(CLOSED_TASK_STATES))
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
    """Move a task between todo/doing/blocked/done, stamping the times. Idempotent.
    A client may move the tasks assigned to them."""
    require_task_work(session=session, project=project, user_id=actor, assignee=task.assignee_user_id,
                      what="update tasks")
    if task.status == TaskStatus.CANCELLED:
        raise Invalid(f"#{task.number} is cancelled; `/project task reopen {project.key} {task.number}` "
                      "brings it back first.")
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
           now: datetime) -> list[str]:
    """Give the task to `assignee` (see `ensure_assignable`); returns notes for the reply."""
    require(session=session, project=project, user_id=actor, action=Action.WORK, what="assign tasks")
    notes = [] if assignee == task.assignee_user_id else ensure_assignable(
        session=session, project=project, actor=actor, assignee=assignee, now=now)
    _change(session, project, task, actor, "task.assign", now, assignee_user_id=assignee)
    return notes


def set_due(*, session: Session, project: Project, actor: str, task: Task, due_date: date | None,
            now: datetime) -> Task:
    require(session=session, project=project, user_id=actor, action=Action.WORK, what="date tasks")
    return _change(session, project, task, actor, "task.due", now, due_date=due_date)


# --- corrections -------------------------------------------------------------------

MAX_ESTIMATE = 10_000
EDITABLE = ("title", "estimate_hours", "milestone_id", "due_date", "assignee_user_id")


@dataclass
class Edited:
    """What `edit_task` did: old and new values of the fields that changed, and notes."""

    before: dict = field(default_factory=dict)
    after: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def edit_task(*, session: Session, project: Project, actor: str, task: Task, changes: dict,
              now: datetime) -> Edited:
    """Change a task's title, estimate, milestone, due date or assignee (several at
    once); fields already so are left alone. Audited as one `task.edit` entry."""
    require(session=session, project=project, user_id=actor, action=Action.WORK, what="edit tasks")
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise Invalid(f"A task's {', '.join(sorted(unknown))} cannot be edited.")
    if "title" in changes:
        changes["title"] = str(changes["title"]).strip()
        if not changes["title"]:
            raise Invalid("A task needs a title.")
        if len(changes["title"]) > MAX_TITLE:
            raise Invalid(f"A task title can be at most {MAX_TITLE} characters.")
    estimate = changes.get("estimate_hours")
    if estimate is not None and not 0 < estimate <= MAX_ESTIMATE:
        raise Invalid("An estimate is a positive duration like 3h or 1.5d.")
    if changes.get("milestone_id") is not None:
        milestone = session.get(Milestone, changes["milestone_id"])
        if milestone is None or milestone.project_id != project.id:
            raise Invalid("That milestone is not in this project.")
        if milestone.cancelled_at is not None and milestone.id != task.milestone_id:
            raise Invalid(f"Milestone M{milestone.number} is cancelled; choose another or reopen it.")
    result = Edited()
    changed = {k: v for k, v in changes.items() if getattr(task, k) != v}
    if "assignee_user_id" in changed:
        result.notes = ensure_assignable(session=session, project=project, actor=actor,
                                         assignee=changed["assignee_user_id"], now=now)
    if not changed:
        return result  # a repeated request changes nothing
    result.before = {k: getattr(task, k) for k in changed}
    result.after = changed
    for k, v in changed.items():
        setattr(task, k, v)
    session.add(task)
    audit.record(session=session, team_id=project.team_id, user_id=actor, action="task.edit",
                 entity="task", entity_id=task.id, project_id=project.id, now=now,
                 before=result.before, after=changed)
    session.flush()
    return result


def cancel_task(*, session: Session, project: Project, actor: str, task: Task, reason: str = "",
                now: datetime) -> bool:
    """Take a task out of the plan (progress, value, forecasts, alerts), keeping
    it and why. False when it was already cancelled (nothing changes)."""
    require(session=session, project=project, user_id=actor, action=Action.WORK, what="cancel tasks")
    if task.status == TaskStatus.CANCELLED:
        return False
    reason = reason.strip()
    if len(reason) > MAX_TITLE:
        raise Invalid(f"A reason can be at most {MAX_TITLE} characters.")
    before = {"status": task.status}
    task.status, task.cancelled_at, task.cancel_reason = TaskStatus.CANCELLED, now, reason
    task.done_at, task.blocked_at, task.blocked_reason = None, None, ""
    session.add(task)
    audit.record(session=session, team_id=project.team_id, user_id=actor, action="task.cancel",
                 entity="task", entity_id=task.id, project_id=project.id, now=now, before=before,
                 after={"status": TaskStatus.CANCELLED.value, "reason": reason})
    session.flush()
    return True


def reopen_task(*, session: Session, project: Project, actor: str, task: Task, now: datetime) -> bool:
    """Bring a done or cancelled task back as to do. False when it is open already."""
    require(session=session, project=project, user_id=actor, action=Action.WORK, what="reopen tasks")
    if task.status not in CLOSED_TASK_STATES:
        return False
    before = {"status": task.status}
    task.status, task.done_at, task.cancelled_at, task.cancel_reason = TaskStatus.TODO, None, None, ""
    session.add(task)
    audit.record(session=session, team_id=project.team_id, user_id=actor, action="task.reopen",
                 entity="task", entity_id=task.id, project_id=project.id, now=now, before=before,
                 after={"status": TaskStatus.TODO.value})
    session.flush()
    return True
