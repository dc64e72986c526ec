"""Capacity and allocation: one week per person, shared out over projects.

- A person's *capacity* is the hours a week they work, across every project
  of the workspace (`User.weekly_capacity_hours`, `/project capacity @u 32h`).
  Unset, it is 40h for someone who works on an active project (owner,
  manager, member) and none for everyone else (stakeholders, sponsors,
  clients: any role not in `WORKING_ROLES`).
- Their *allocation* to a project (`Member.weekly_capacity_hours`,
  `/project member capacity PROJECT @u 20h`) is the part of that week the
  project gets. Projects where they work without one share what the
  allocations leave, evenly: that is their *share* there.
- Allocations adding up to more than the capacity are refused when set,
  naming the other projects, unless forced; a capacity lowered under the
  allocations is accepted with a warning (it is a fact, not a plan).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from bot.domain import audit, versions
from bot.domain.access import ALLOWED, Action
from bot.domain.errors import Invalid, PermissionDenied
from bot.domain.format import hours
from bot.models import Member, Project, ProjectState, User

WORKING_ROLES = frozenset(str(r) for r in ALLOWED[Action.WORK])  # owner, manager, member
DEFAULT_CAPACITY = 40.0
MAX_HOURS = 168.0


def capacity_of(explicit: float | None, *, working: bool) -> float | None:
    """Hours a week: the one set, else 40h for someone who works on a project, else none."""
    if explicit is not None:
        return explicit
    return DEFAULT_CAPACITY if working else None


def check_hours(value: float, *, what: str) -> float:
    if not 0 <= value <= MAX_HOURS:
        raise Invalid(f"{what} is from 0 to {hours(MAX_HOURS)} a week (got {hours(value)}).")
    return value


@dataclass(frozen=True)
class Stake:
    """One project in a person's week: their role, the allocation set (None:
    not set) and the share counted for it (hours a week)."""

    project_id: int
    key: str
    name: str
    role: str
    allocation: float | None
    share: float


def shares(capacity: float | None, stakes: list[tuple[int, str, str, str, float | None]]) -> list[Stake]:
    """(project id, key, name, role, allocation) -> each project's share: the
    allocation where one is set, else an even part of what the allocations
    leave of `capacity` (projects where they only read get nothing)."""
    allocated = sum(a for *_, a in stakes if a is not None)
    unset = [s for s in stakes if s[4] is None and s[3] in WORKING_ROLES]
    left = max((capacity or 0.0) - allocated, 0.0) / len(unset) if unset else 0.0
    return [Stake(pid, key, name, role, allocation,
                  allocation if allocation is not None else (left if role in WORKING_ROLES else 0.0))
            for pid, key, name, role, allocation in stakes]


@dataclass(frozen=True)
class Person:
    """Someone's capacity and their stakes in the workspace's active projects."""

    user_id: str
    capacity_set: float | None
    stakes: list[Stake]
    works: bool | None = None  # known without the stakes (the App Home reads no stakes)

    @property
    def working(self) -> bool:
        if self.works is not None:
            return self.works
        return any(s.role in WORKING_ROLES for s in self.stakes)

    @property
    def capacity(self) -> float | None:
        return capacity_of(self.capacity_set, working=self.working)

    @property
    def allocated(self) -> float:
        """The allocations set, added up (shares of what is left are not allocations)."""
        return sum(s.allocation for s in self.stakes if s.allocation is not None)

    def stake(self, project_id: int) -> Stake | None:
        return next((s for s in self.stakes if s.project_id == project_id), None)


def person(*, session: Session, team_id: str, user_id: str, allocation: tuple[int, float | None] | None = None
           ) -> Person:
    """`user_id`'s capacity and stakes (active projects where they are an active
    member), with `allocation` (project id, hours) put in place of the stored one."""
    capacity = session.exec(select(User.weekly_capacity_hours).where(
        User.team_id == team_id, User.user_id == user_id)).first()
    rows = session.exec(select(Project.id, Project.key, Project.name, Member.role, Member.weekly_capacity_hours)
                        .join(Member, Member.project_id == Project.id)
                        .where(Project.team_id == team_id, Project.state == ProjectState.ACTIVE,
                               Member.user_id == user_id, Member.active == True)  # noqa: E712
                        .order_by(Project.id)).all()
    raw = [(pid, key, name, role, allocation[1] if allocation and allocation[0] == pid else hours_)
           for pid, key, name, role, hours_ in rows]
    working = any(role in WORKING_ROLES for _, _, _, role, _ in raw)
    return Person(user_id, capacity, shares(capacity_of(capacity, working=working), raw))


def over_allocation(p: Person, *, project: Project, hours_: float) -> str | None:
    """Why giving `project` `hours_` a week is too much for `p`, or None when it fits."""
    others = [s for s in p.stakes if s.project_id != project.id and s.allocation]
    total = hours_ + sum(s.allocation or 0 for s in others)
    capacity = p.capacity
    if capacity is None:
        return (f"<@{p.user_id}> has no weekly capacity (stakeholders and others who do not work on a "
                f"project have none unless given one): `/project capacity <@{p.user_id}> 20h` gives them one.")
    if total <= capacity + 1e-9:
        return None
    listed = ", ".join(f"{s.name} {hours(s.allocation)}" for s in others)
    already = f" They are allocated {listed} already, so" if others else ""
    return (f"<@{p.user_id}> works {hours(capacity)} a week.{already} {hours(hours_)} on *{project.name}* "
            f"would make {hours(round(total, 2))}, {hours(round(total - capacity, 2))} more than their capacity.")


def allocation_note(p: Person, *, project: Project) -> str:
    """`30h of their 40h allocated` (or the over-allocation) after a change."""
    capacity = p.capacity
    if capacity is None:
        return "They have no weekly capacity."
    allocated = p.allocated
    if allocated > capacity + 1e-9:
        listed = ", ".join(f"{s.name} {hours(s.allocation)}" for s in p.stakes if s.allocation)
        return (f"Allocated {hours(round(allocated, 2))} of their {hours(capacity)} a week "
                f"({listed}): {hours(round(allocated - capacity, 2))} over.")
    return f"{hours(round(allocated, 2))} of their {hours(capacity)} a week allocated."


def active_projects_of(*, session: Session, team_id: str, user_id: str) -> list[Project]:
    """Active projects where `user_id` is an active member."""
    return list(session.exec(select(Project).join(Member, Member.project_id == Project.id).where(
        Project.team_id == team_id, Project.state == ProjectState.ACTIVE, Member.user_id == user_id,
        Member.active == True).order_by(Project.id)))  # noqa: E712


def manages_any(*, session: Session, team_id: str, user_id: str) -> bool:
    """True when `user_id` owns or manages an active project (they see everyone's workload)."""
    return session.exec(select(Member.id).join(Project, Project.id == Member.project_id).where(
        Project.team_id == team_id, Project.state == ProjectState.ACTIVE, Member.user_id == user_id,
        Member.active == True, Member.role.in_([str(r) for r in ALLOWED[Action.MANAGE]]))  # noqa: E712
    ).first() is not None


# --- setting someone's capacity -----------------------------------------------------


def may_set_capacity(*, session: Session, team_id: str, actor: str, user_id: str) -> None:
    """Anyone may set their own capacity; someone else's takes an owner or
    manager of a project they are on (of any project, for someone on none)."""
    if actor == user_id:
        return
    theirs = select(Member.project_id).where(Member.team_id == team_id, Member.user_id == user_id,
                                             Member.active == True)  # noqa: E712
    mine = session.exec(select(Member.project_id, Member.role).where(
        Member.team_id == team_id, Member.user_id == actor, Member.active == True,  # noqa: E712
        Member.role.in_([str(r) for r in ALLOWED[Action.MANAGE]]))).all()
    shared = set(session.exec(theirs)) if mine else set()
    if any(pid in shared for pid, _ in mine) or (mine and not shared):
        return
    raise PermissionDenied(f"Only an owner or manager of a project <@{user_id}> is on can set their capacity "
                           "(everyone may set their own).")


@dataclass
class CapacityChange:
    person: Person
    before: float | None
    changed: bool

    @property
    def warning(self) -> str:
        p = self.person
        if p.capacity is None or p.allocated <= p.capacity + 1e-9:
            return ""
        listed = ", ".join(f"{s.name} {hours(s.allocation)}" for s in p.stakes if s.allocation)
        return (f"Their allocations add up to {hours(round(p.allocated, 2))} ({listed}), "
                f"{hours(round(p.allocated - p.capacity, 2))} more than {hours(p.capacity)}: "
                "lower one with `/project member capacity PROJECT @someone HOURS`.")


def set_capacity(*, session: Session, team_id: str, actor: str, user_id: str, hours_: float | None,
                 now: datetime) -> CapacityChange:
    """Set (None: back to the default) `user_id`'s weekly capacity; audited, and
    repeating it changes nothing."""
    may_set_capacity(session=session, team_id=team_id, actor=actor, user_id=user_id)
    if hours_ is not None:
        check_hours(hours_, what="A weekly capacity")
    user = session.exec(select(User).where(User.team_id == team_id, User.user_id == user_id)).first() \
        or User(team_id=team_id, user_id=user_id)
    before = user.weekly_capacity_hours
    changed = before != hours_
    if changed:
        user.weekly_capacity_hours = hours_
        session.add(user)
        session.flush()
        audit.record(session=session, team_id=team_id, user_id=actor, action="user.capacity", entity="user",
                     entity_id=user.id, before={"user_id": user_id, "weekly_capacity_hours": before},
                     after={"user_id": user_id, "weekly_capacity_hours": hours_}, now=now)
        for project in active_projects_of(session=session, team_id=team_id, user_id=user_id):
            versions.touch(session, project.id)  # their pace there moves the schedule and its forecast
    return CapacityChange(person(session=session, team_id=team_id, user_id=user_id), before, changed)


def capacity_phrase(p: Person) -> str:
    """`40h a week (the default)`, `32h a week`, or none for someone who works on no project."""
    if p.capacity is None:
        return "no weekly capacity"
    default = " (the default)" if p.capacity_set is None else ""
    return f"{hours(p.capacity)} a week{default}"
