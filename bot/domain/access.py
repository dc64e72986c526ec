"""Who may do what on a project.

owner/manager: budget, due date, members, scope, milestones, delete;
member: add and update tasks; stakeholder (and anyone else): read;
client (someone outside the team, a Slack Connect guest say): read, without
rates, anyone's hours or internal risks, and move the tasks given to them
(start, block, done).
"""

from __future__ import annotations

from enum import StrEnum

from sqlmodel import Session, select

from bot.domain.errors import Invalid, PermissionDenied
from bot.models import Member, Project, ProjectState, Role


class Action(StrEnum):
    MANAGE = "manage"  # budget, due, members, scope, milestones, channel, delete
    WORK = "work"  # tasks


ALLOWED: dict[Action, frozenset[Role]] = {
    Action.MANAGE: frozenset({Role.OWNER, Role.MANAGER}),
    Action.WORK: frozenset({Role.OWNER, Role.MANAGER, Role.MEMBER}),
}


def role_of(*, session: Session, project: Project, user_id: str) -> Role | None:
    """The user's role on the project, or None when not a member."""
    if user_id and user_id == project.owner_user_id:
        return Role.OWNER
    member = session.exec(
        select(Member).where(
            Member.project_id == project.id,
            Member.user_id == user_id,
            Member.active == True,  # noqa: E712
        )
    ).first()
    return Role(member.role) if member else None


def require(*, session: Session, project: Project, user_id: str, action: Action, what: str) -> Role:
    """Raise `PermissionDenied` naming who may do `what` unless allowed. Work on
    a deleted (archived) project is refused until it is brought back."""
    if action is Action.WORK and project.state == ProjectState.CANCELLED:
        raise Invalid(f"*{project.name}* is deleted (archived), so nothing on it changes; "
                      f"`/project edit {project.key} state active` brings it back.")
    role = role_of(session=session, project=project, user_id=user_id)
    if role in ALLOWED[action]:
        return role
    who = "the project's owner or a manager" if action is Action.MANAGE else "project members"
    owner = f" (owner: <@{project.owner_user_id}>)" if project.owner_user_id else ""
    raise PermissionDenied(f"Only {who} can {what} on *{project.name}*{owner}.")


def require_task_work(*, session: Session, project: Project, user_id: str, assignee: str | None,
                      what: str) -> Role:
    """`require` WORK, except that a client may move a task assigned to them."""
    role = role_of(session=session, project=project, user_id=user_id)
    if role is Role.CLIENT and assignee == user_id and project.state != ProjectState.CANCELLED:
        return role
    return require(session=session, project=project, user_id=user_id, action=Action.WORK, what=what)


def is_client(*, session: Session, project: Project, user_id: str) -> bool:
    """True for a client of the project: they see no internal risks."""
    return role_of(session=session, project=project, user_id=user_id) is Role.CLIENT


def can_work(*, session: Session, project: Project, user_id: str) -> bool:
    """True when `user_id` may work on the project's tasks (owner, manager, member),
    so replies offer them task buttons (Done, Edit, Assign to me) and no one else."""
    return project.state != ProjectState.CANCELLED and \
        role_of(session=session, project=project, user_id=user_id) in ALLOWED[Action.WORK]


def sees_rates(*, session: Session, project: Project, user_id: str) -> bool:
    """Hourly rates (and what one person's hours cost) are for the owner and managers."""
    return role_of(session=session, project=project, user_id=user_id) in ALLOWED[Action.MANAGE]
