"""The App Home's data: a person's open tasks and projects, and who needs
their Home re-published after a change.

`enqueue_home_refreshes()` looks at the audit rows a request wrote and queues
a `PUBLISH_HOME` outbox row for every person the change concerns (the actor,
a task's assignee, a project's owner); the transport renders the Home when
the row is sent.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, literal, or_
from sqlmodel import Session, select

from bot.domain.access import ALLOWED, Action
from bot.domain.calendar import expand, holidays_between
from bot.domain.capacity import WORKING_ROLES, Person
from bot.domain.outbox import Kind, enqueue
from bot.domain.workload import Load, Work, build_load, monday, person_today
from bot.models import (
    CLOSED_TASK_STATES,
    AuditEntry,
    DayOff,
    Member,
    OutboxMessage,
    Project,
    ProjectState,
    Role,
    Task,
    User,
)

OPEN_STATES = (ProjectState.ACTIVE, ProjectState.ON_HOLD)


def project_today(project: Project, now: datetime) -> date:
    """Today in the project's zone."""
    return now.astimezone(ZoneInfo(project.timezone)).date()


def my_open_tasks(*, session: Session, team_id: str, user_id: str,
                  now: datetime) -> list[tuple[Task, Project, bool]]:
    """Open tasks assigned to the user in open projects, overdue first, then by due
    date; each with whether the user may work on it (not as a stakeholder, say)."""
    membership = and_(Member.project_id == Project.id, Member.user_id == user_id,
                      Member.active == True)  # noqa: E712
    rows = session.exec(
        select(Task, Project, Member.role).join(Project, Project.id == Task.project_id)
        .outerjoin(Member, membership)
        .where(Task.team_id == team_id, Task.assignee_user_id == user_id,
               Task.status.not_in(CLOSED_TASK_STATES), Project.state.in_(OPEN_STATES))
    ).all()
    working = {str(r) for r in ALLOWED[Action.WORK]}

    def order(row: tuple[Task, Project, bool]):
        task, project, _ = row
        overdue = task.due_date is not None and task.due_date < project_today(project, now)
        return (not overdue, task.due_date is None, task.due_date or date.max, project.key, task.number)

    return sorted(((task, project, role in working or project.owner_user_id == user_id
                    or (role == Role.CLIENT and project.state != ProjectState.CANCELLED))  # their own task
                   for task, project, role in rows), key=order)


def my_projects(*, session: Session, team_id: str, user_id: str) -> list[Project]:
    """Open projects the user owns or is an active member of."""
    member_of = select(Member.project_id).where(Member.team_id == team_id, Member.user_id == user_id,
                                                Member.active == True)  # noqa: E712
    return list(session.exec(
        select(Project).where(Project.team_id == team_id, Project.state.in_(OPEN_STATES),
                              or_(Project.owner_user_id == user_id, Project.id.in_(member_of)))
        .order_by(Project.due_date.is_(None), Project.due_date, Project.key)
    ))


def my_week(*, session: Session, team_id: str, user_id: str, now: datetime,
            tasks: list[tuple[Task, Project, bool]]) -> Load:
    """This week's `Load` of the user (hours due against capacity, as
    `/project people` counts it) from their open tasks (`my_open_tasks`) and
    one statement for their capacity, zone, holidays and absences."""
    anchor = select(literal(1).label("one")).subquery()
    works = (select(Member.id).join(Project, Project.id == Member.project_id)
             .where(Member.team_id == team_id, Member.user_id == user_id, Member.active == True,  # noqa: E712
                    Member.role.in_(sorted(WORKING_ROLES)), Project.state == ProjectState.ACTIVE)
             .exists().label("works"))
    soon = now.date()
    start, end = monday(soon) - timedelta(days=7), monday(soon) + timedelta(days=14)
    rows = session.exec(
        select(User.weekly_capacity_hours, User.timezone, User.holidays, DayOff.start_date, DayOff.end_date, works)
        .select_from(anchor)
        .outerjoin(User, and_(User.team_id == team_id, User.user_id == user_id))
        .outerjoin(DayOff, and_(DayOff.team_id == team_id, DayOff.user_id == user_id,
                                DayOff.start_date <= end, DayOff.end_date >= start))).all()
    capacity, zone, region, working = rows[0][0], rows[0][1] or "", rows[0][2] or "", bool(rows[0][5])
    away = expand((r[3], r[4]) for r in rows if r[3] is not None)
    if region:
        country, _, subdiv = region.partition("-")
        away |= set(holidays_between(start, end, country=country, subdiv=subdiv))
    work = [Work(user_id, p.id, t.due_date, t.estimate_hours or 0.0, 1, int(t.estimate_hours is not None))
            for t, p, _ in tasks if p.state == ProjectState.ACTIVE]
    return build_load(person=Person(user_id, capacity, [], works=working), name="", weeks=1,
                      today=person_today(zone, now), work=work, away=away)


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
        if entry.entity in ("user", "member", "day_off") and before_after.get("user_id"):
            users.add(before_after["user_id"])  # their capacity, allocation or days away: "My week"
        if entry.entity == "task" and entry.entity_id:
            task = session.get(Task, entry.entity_id)
            if task is not None and task.assignee_user_id:
                users.add(task.assignee_user_id)
        if entry.project_id:
            project = session.get(Project, entry.project_id)
            if project is not None and project.owner_user_id:
                users.add(project.owner_user_id)
    return users


def enqueue_home_refresh(*, session: Session, team_id: str, user_id: str, cause: str, now: datetime) -> bool:
    """Queue a Home re-publish for one user unless one is already pending."""
    pending = session.exec(select(OutboxMessage.id).where(
        OutboxMessage.team_id == team_id, OutboxMessage.user_id == user_id,
        OutboxMessage.kind == str(Kind.PUBLISH_HOME), OutboxMessage.state == "pending")).first()
    if pending:
        return False
    _, created = enqueue(session=session, team_id=team_id, key=f"home:{team_id}:{user_id}:{cause}"[:200],
                         kind=Kind.PUBLISH_HOME, user_id=user_id, now=now)
    return created


def enqueue_home_refreshes(*, session: Session, team_id: str, since_audit_id: int, cause: str,
                           now: datetime) -> set[str]:
    """Queue Home re-publishes for everyone a change concerns; returns them."""
    users = concerned_users(session=session, team_id=team_id, since_audit_id=since_audit_id)
    for user_id in sorted(users):
        enqueue_home_refresh(session=session, team_id=team_id, user_id=user_id, cause=cause, now=now)
    return users
