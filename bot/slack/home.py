"""The App Home: a personal dashboard, and who needs theirs re-published.

`home_reply()` builds it as a `Reply` (rendered by `render.render_home`): my
open tasks, overdue first then by due date; my projects with their state and
progress; quick actions. `enqueue_home_refreshes()` looks at the audit rows a
request wrote and queues a `PUBLISH_HOME` outbox row for every person the
change concerns (the actor, a task's assignee, a project's owner).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import or_
from sqlmodel import Session, select

from bot.domain import audit
from bot.domain.format import bar, day, truncate
from bot.domain.outbox import Kind, enqueue
from bot.domain.replies import Button, Intent, Reply, Section
from bot.domain.status import build_statuses
from bot.models import AuditEntry, Member, OutboxMessage, Project, ProjectState, Task, TaskStatus

TASK_LIMIT = 40
PROJECT_LIMIT = 20
DONE_BUTTONS = 5
OPEN_STATES = (ProjectState.ACTIVE, ProjectState.ON_HOLD)


def _today(project: Project, now: datetime) -> date:
    return now.astimezone(ZoneInfo(project.timezone)).date()


def my_open_tasks(*, session: Session, team_id: str, user_id: str, now: datetime) -> list[tuple[Task, Project]]:
    """Open tasks assigned to the user in open projects: overdue first, then by due date."""
    rows = session.exec(
        select(Task, Project).join(Project, Project.id == Task.project_id)
        .where(Task.team_id == team_id, Task.assignee_user_id == user_id,
               Task.status != TaskStatus.DONE, Project.state.in_(OPEN_STATES))
    ).all()

    def order(row: tuple[Task, Project]):
        task, project = row
        overdue = task.due_date is not None and task.due_date < _today(project, now)
        return (not overdue, task.due_date is None, task.due_date or date.max, project.key, task.number)

    return sorted(rows, key=order)


def my_projects(*, session: Session, team_id: str, user_id: str) -> list[Project]:
    """Open projects the user owns or is an active member of."""
    member_of = select(Member.project_id).where(Member.team_id == team_id, Member.user_id == user_id,
                                                Member.active == True)  # noqa: E712
    return list(session.exec(
        select(Project).where(Project.team_id == team_id, Project.state.in_(OPEN_STATES),
                              or_(Project.owner_user_id == user_id, Project.id.in_(member_of)))
        .order_by(Project.due_date.is_(None), Project.due_date, Project.key)
    ))


def home_reply(*, session: Session, team_id: str, user_id: str, now: datetime) -> Reply:
    """The dashboard for one person."""
    tasks = my_open_tasks(session=session, team_id=team_id, user_id=user_id, now=now)
    sections: list[Section] = []
    if tasks:
        lines = []
        for task, project in tasks[:TASK_LIMIT]:
            today = _today(project, now)
            due = ""
            if task.due_date:
                late = " ⚠️ *overdue*" if task.due_date < today else ""
                due = f" · due {day(task.due_date, today=today)}{late}"
            state = " · ⛔ blocked" if task.status == TaskStatus.BLOCKED else ""
            lines.append(f"`{project.key}` #{task.number} {truncate(task.title, 150)}{due}{state}")
        more = len(tasks) - TASK_LIMIT
        if more > 0:
            lines.append(f"_and {more} more: `/project task list KEY mine` shows a project's._")
        buttons = [Button(f"Done: {project.key} #{task.number}", Intent.TASK_DONE,
                          f"{project.key}:{task.number}")
                   for task, project in tasks[:DONE_BUTTONS]]
        sections.append(Section(text=f"*My open tasks ({len(tasks)})*\n" + "\n".join(lines),
                                buttons=buttons))
    else:
        sections.append(Section(text="*My open tasks*\nNothing assigned to you. :tada:"))
    projects = my_projects(session=session, team_id=team_id, user_id=user_id)
    if projects:
        lines = []
        shown = projects[:PROJECT_LIMIT]
        reports = build_statuses(session=session, projects=shown, today=now.astimezone(UTC).date())
        for p in shown:
            report = reports[p.id]
            state = "" if p.state == ProjectState.ACTIVE else f" _({p.state.replace('_', ' ')})_"
            health = f"{report.health.icon} " if report.health else ""
            why = f"\n_{truncate(report.health.summary, 200)}_" if report.health and report.health.reasons else ""
            due = f" · due {day(p.due_date, today=report.today)}" if p.due_date else ""
            lines.append(f"{health}*{truncate(p.name, 80)}* `{p.key}`{state}\n"
                         f"{bar(report.fraction_done)} {round(report.fraction_done * 100)}% · "
                         f"{report.done}/{report.total} tasks{due}{why}")
        if len(projects) > PROJECT_LIMIT:
            lines.append(f"_and {len(projects) - PROJECT_LIMIT} more: `/project list` shows all._")
        buttons = []
        for p in projects[:5]:
            buttons.append(Button(f"Status: {truncate(p.name, 60)}", Intent.REFRESH_STATUS, p.key))
            if p.owner_user_id == user_id:
                buttons.append(Button(f"Edit: {truncate(p.name, 60)}", Intent.EDIT_PROJECT, p.key))
        sections.append(Section(text="*My projects*\n" + "\n".join(lines), buttons=buttons))
    else:
        sections.append(Section(text="*My projects*\nYou are not on a project yet."))
    return Reply(
        title="Your projects and tasks",
        sections=sections,
        buttons=[Button("New project", Intent.NEW_PROJECT, style="primary"),
                 Button("Refresh", Intent.REFRESH_HOME)],
        footer=f"Updated {now:%Y-%m-%d %H:%M} UTC. `/project help` lists every command.",
    )


def audit_mark(session: Session) -> int:
    """The newest audit id now; pass it to `enqueue_home_refreshes` after a change."""
    return audit.last_id(session)


def concerned_users(*, session: Session, team_id: str, since_audit_id: int) -> set[str]:
    """Everyone whose Home a change after `since_audit_id` affects."""
    users: set[str] = set()
    entries = session.exec(select(AuditEntry).where(AuditEntry.team_id == team_id,
                                                    AuditEntry.id > since_audit_id)).all()
    for entry in entries:
        if entry.user_id:
            users.add(entry.user_id)
        before_after = {**entry.before, **entry.after}
        if before_after.get("assignee_user_id"):
            users.add(before_after["assignee_user_id"])
        if entry.entity == "task" and entry.entity_id:
            task = session.get(Task, entry.entity_id)
            if task is not None and task.assignee_user_id:
                users.add(task.assignee_user_id)
        if entry.project_id:
            project = session.get(Project, entry.project_id)
            if project is not None and project.owner_user_id:
                users.add(project.owner_user_id)
    return users


def enqueue_home_refresh(*, session: Session, team_id: str, user_id: str, cause: str) -> bool:
    """Queue a Home re-publish for one user unless one is already pending."""
    pending = session.exec(select(OutboxMessage.id).where(
        OutboxMessage.team_id == team_id, OutboxMessage.user_id == user_id,
        OutboxMessage.kind == str(Kind.PUBLISH_HOME), OutboxMessage.state == "pending")).first()
    if pending:
        return False
    _, created = enqueue(session=session, team_id=team_id, key=f"home:{team_id}:{user_id}:{cause}"[:200],
                         kind=Kind.PUBLISH_HOME, user_id=user_id)
    return created


def enqueue_home_refreshes(*, session: Session, team_id: str, since_audit_id: int, cause: str) -> set[str]:
    """Queue Home re-publishes for everyone a change concerns; returns them."""
    users = concerned_users(session=session, team_id=team_id, since_audit_id=since_audit_id)
    for user_id in sorted(users):
        enqueue_home_refresh(session=session, team_id=team_id, user_id=user_id, cause=cause)
    return users
