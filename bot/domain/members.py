"""Project members: roles, hourly rates, weekly capacity."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, select

from bot.domain import audit
from bot.domain.access import ALLOWED, Action, require, role_of
from bot.domain.errors import Invalid, NotFound, PermissionDenied
from bot.models import CLOSED_TASK_STATES, Member, Project, Role, Task, User


def list_members(*, session: Session, project: Project) -> list[Member]:
    return list(session.exec(
        select(Member).where(Member.project_id == project.id, Member.active == True)  # noqa: E712
        .order_by(Member.id)
    ))


def get_member(*, session: Session, project: Project, user_id: str) -> Member:
    member = session.exec(
        select(Member).where(Member.project_id == project.id, Member.user_id == user_id,
                             Member.active == True)  # noqa: E712
    ).first()
    if member is None:
        raise NotFound(f"<@{user_id}> is not a member of *{project.name}*.")
    return member


def add_member(*, session: Session, project: Project, actor: str, user_id: str,
               role: Role = Role.MEMBER, now: datetime) -> tuple[Member, bool]:
    """Add (or re-activate) a member; returns (member, created). Idempotent."""
    require(session=session, project=project, user_id=actor, action=Action.MANAGE,
            what="add members")
    if role is Role.OWNER:
        raise Invalid("A project has one owner; add them as a manager instead.")
    member = session.exec(
        select(Member).where(Member.project_id == project.id, Member.user_id == user_id)
    ).first()
    created = member is None or not member.active
    if member is None:
        member = Member(team_id=project.team_id, project_id=project.id, user_id=user_id, role=role,
                        created_at=now)
    else:
        member.active = True
        if created:
            member.role = role
    if created and role is Role.CLIENT:
        member.weekly_capacity_hours = 0.0  # outside the team: no hours of theirs are planned
    session.add(member)
    session.flush()
    if created:
        audit.record(session=session, team_id=project.team_id, user_id=actor, action="member.add",
                     entity="member", entity_id=member.id, project_id=project.id, now=now,
                     after={"user_id": user_id, "role": str(role)})
    return member, created


def open_tasks_of(*, session: Session, project: Project, user_id: str) -> list[Task]:
    """The person's tasks on the project that are neither done nor cancelled."""
    return list(session.exec(select(Task).where(Task.project_id == project.id, Task.assignee_user_id == user_id,
                                                Task.status.not_in(CLOSED_TASK_STATES))
                             .order_by(Task.number)))


def check_removable(*, session: Session, project: Project, actor: str, user_id: str) -> None:
    """Raise unless `actor` may take `user_id` off the project."""
    require(session=session, project=project, user_id=actor, action=Action.MANAGE,
            what="remove members")
    if user_id == project.owner_user_id:
        raise Invalid("The owner cannot be removed; give ownership to someone else first.")


@dataclass
class Removal:
    """What `remove_member` did: the tasks it moved, notes, and whether they were off already."""

    moved: list[Task] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    already: bool = False


def remove_member(*, session: Session, project: Project, actor: str, user_id: str,
                  reassign_to: str | None = None, now: datetime) -> Removal:
    """Take someone off the project; their open tasks go to `reassign_to` (who must
    be on it, or is added, see `ensure_assignable`), else to nobody. Each moved
    task is audited as an assignment. Someone already off changes nothing."""
    check_removable(session=session, project=project, actor=actor, user_id=user_id)
    member = session.exec(select(Member).where(Member.project_id == project.id,
                                               Member.user_id == user_id)).first()
    if member is None:
        raise NotFound(f"<@{user_id}> is not a member of *{project.name}*.")
    if not member.active:
        return Removal(already=True)
    if reassign_to == user_id:
        raise Invalid(f"Reassign <@{user_id}>'s tasks to someone else.")
    result = Removal()
    if reassign_to:
        result.notes = ensure_assignable(session=session, project=project, actor=actor, assignee=reassign_to,
                                         now=now)
    for task in open_tasks_of(session=session, project=project, user_id=user_id):
        task.assignee_user_id = reassign_to
        session.add(task)
        audit.record(session=session, team_id=project.team_id, user_id=actor, action="task.assign",
                     entity="task", entity_id=task.id, project_id=project.id, now=now,
                     before={"assignee_user_id": user_id}, after={"assignee_user_id": reassign_to})
        result.moved.append(task)
    member.active = False
    session.add(member)
    audit.record(session=session, team_id=project.team_id, user_id=actor, action="member.remove",
                 entity="member", entity_id=member.id, project_id=project.id, now=now,
                 before={"user_id": user_id}, after={"open_tasks_to": reassign_to} if result.moved else {})
    session.flush()
    return result


def ensure_assignable(*, session: Session, project: Project, actor: str, assignee: str | None,
                      now: datetime) -> list[str]:
    """Only people on the project work on its tasks. Someone not on it is added
    as a member when the actor may add members (the owner or a manager), and
    the returned note says so; otherwise the assignment is refused with the
    command that adds them. A stakeholder may hold a task (content the client
    supplies, say) but cannot mark it done: they get no Done button."""
    if assignee is None:
        return []
    role = role_of(session=session, project=project, user_id=assignee)
    if role is not None:
        return []
    if role_of(session=session, project=project, user_id=actor) not in ALLOWED[Action.MANAGE]:
        raise Invalid(f"<@{assignee}> is not on *{project.name}*. The owner or a manager can add them: "
                      f"`/project member add {project.key} <@{assignee}>`, then assign the task.")
    add_member(session=session, project=project, actor=actor, user_id=assignee, now=now)
    return [f"<@{assignee}> was not on *{project.name}*, so they were added as a member."]


def update_member(*, session: Session, project: Project, actor: str, user_id: str,
                  role: Role | None = None, hourly_rate_cents: int | None = None,
                  weekly_capacity_hours: float | None = None, clear_capacity: bool = False,
                  now: datetime) -> Member:
    """Change a member's role, rate or allocation (owner/manager only);
    `clear_capacity` takes their allocation away (a share of what is left)."""
    what = "change roles" if role else "change rates" if hourly_rate_cents is not None else "change capacity"
    require(session=session, project=project, user_id=actor, action=Action.MANAGE, what=what)
    member = get_member(session=session, project=project, user_id=user_id)
    before: dict = {}
    after: dict = {}
    if role is not None:
        if role is Role.OWNER or user_id == project.owner_user_id:
            if role is Role.OWNER and user_id != project.owner_user_id:
                # hand over ownership (only the owner may): the old owner becomes a manager
                if actor != project.owner_user_id:
                    raise PermissionDenied(
                        f"Only the owner (<@{project.owner_user_id}>) can hand *{project.name}* over.")
                old = session.exec(select(Member).where(
                    Member.project_id == project.id, Member.user_id == project.owner_user_id)).first()
                if old:
                    old.role = Role.MANAGER
                    session.add(old)
                before["owner"], after["owner"] = project.owner_user_id, user_id
                project.owner_user_id = user_id
                session.add(project)
            elif role is not Role.OWNER:
                raise Invalid("The owner's role cannot change; make someone else owner first.")
        before["role"], after["role"] = member.role, str(role)
        member.role = role
        if role is Role.CLIENT and member.weekly_capacity_hours:
            before["weekly_capacity_hours"], after["weekly_capacity_hours"] = member.weekly_capacity_hours, 0.0
            member.weekly_capacity_hours = 0.0
    if hourly_rate_cents is not None:
        if hourly_rate_cents < 0:
            raise Invalid("An hourly rate cannot be negative.")
        before["hourly_rate_cents"], after["hourly_rate_cents"] = member.hourly_rate_cents, hourly_rate_cents
        member.hourly_rate_cents = hourly_rate_cents
    if weekly_capacity_hours is not None or clear_capacity:
        if weekly_capacity_hours is not None and member.role == Role.CLIENT and role is None:
            raise Invalid(f"<@{user_id}> is a client of *{project.name}*: clients have no capacity on the "
                          "project (their tasks are theirs to finish, not planned hours).")
        if weekly_capacity_hours is not None and not 0 <= weekly_capacity_hours <= 168:
            raise Invalid("Weekly capacity is between 0 and 168 hours.")
        if member.weekly_capacity_hours != weekly_capacity_hours:
            before["weekly_capacity_hours"], after["weekly_capacity_hours"] = (
                member.weekly_capacity_hours, weekly_capacity_hours)
        member.weekly_capacity_hours = weekly_capacity_hours
    if before == after:
        return member  # nothing changes (a repeated request, say)
    session.add(member)
    audit.record(session=session, team_id=project.team_id, user_id=actor, action="member.update",
                 entity="member", entity_id=member.id, project_id=project.id, now=now,
                 before={"user_id": user_id, **before}, after={"user_id": user_id, **after})
    session.flush()
    return member


def remember_user(*, session: Session, team_id: str, user_id: str, name: str = "",
                  timezone: str = "", is_bot: bool | None = None, deleted: bool | None = None,
                  refreshed_at: datetime | None = None, now: datetime) -> User:
    """Create or refresh the cached name/timezone of a Slack user (and, from
    a users.info answer, whether they are a bot or deleted, and when it came)."""
    user = session.exec(select(User).where(User.team_id == team_id, User.user_id == user_id)).first()
    if user is None:
        user = User(team_id=team_id, user_id=user_id, created_at=now)
    if name:
        user.name = name
    if timezone:
        user.timezone = timezone
    if is_bot is not None:
        user.is_bot = is_bot
    if deleted is not None:
        user.deleted = deleted
    if refreshed_at is not None:
        user.refreshed_at = refreshed_at
    session.add(user)
    session.flush()
    return user


def fresh_users(*, session: Session, team_id: str, user_ids: list[str], since: datetime) -> set[str]:
    """Of `user_ids`, those whose cached Slack profile was refreshed after `since`."""
    return set(session.exec(select(User.user_id).where(
        User.team_id == team_id, User.user_id.in_(user_ids), User.refreshed_at.is_not(None),
        User.refreshed_at > since)))


def user_names(*, session: Session, team_id: str) -> dict[str, str]:
    """user_id -> display name for every known user of the workspace."""
    return {u.user_id: u.name for u in session.exec(select(User).where(User.team_id == team_id))}
