"""Workload: what each person has due, week by week, against their capacity,
across all the workspace's active projects. `/project people`, `chart load`,
the overload alert and Home's "My week" all read these numbers.

- Weeks run Monday to Sunday; *this week* holds today in the person's own
  time zone (their Slack zone, else UTC).
- A task's estimate counts in the week it is due; open work already overdue
  counts in this week (it is still to do). Work without a due date, and
  tasks without an estimate, are counted apart.
- A week's capacity is the person's capacity less the weekdays they are
  away (out of office, their own public holidays): 40h with a day away is 32h.
- On one project, the person's *share* (`bot.domain.capacity`) is the pace
  their open work there moves at: `finish_at_share` says when it is done.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func
from sqlmodel import Session, select

from bot.domain.access import ALLOWED, Action
from bot.domain.calendar import expand, holidays_between
from bot.domain.capacity import WORKING_ROLES, Person, capacity_of, shares
from bot.models import CLOSED_TASK_STATES, DayOff, Member, Project, ProjectState, Role, Task, User

WEEKS = 6
EPSILON = 1e-9


def monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


def person_today(zone: str, now: datetime) -> date:
    """Today in the person's zone (UTC when it is unknown or not a zone)."""
    try:
        return now.astimezone(ZoneInfo(zone or "UTC")).date()
    except (ZoneInfoNotFoundError, ValueError):
        return now.astimezone(UTC).date()


@dataclass(frozen=True)
class Work:
    """Open tasks of one person on one project due on one day (`due` None: undated)."""

    user_id: str
    project_id: int
    due: date | None
    hours: float  # their estimates added up
    tasks: int
    estimated: int


@dataclass
class Week:
    """One week of someone's work: hours due per project against the week's capacity."""

    start: date  # a Monday
    capacity: float | None  # after days away; None: no capacity
    days_away: int
    due: dict[int, float] = field(default_factory=dict)  # project id -> hours
    overdue: float = 0.0  # of which already overdue (this week only)

    @property
    def total(self) -> float:
        return sum(self.due.values())

    @property
    def over(self) -> bool:
        return self.capacity is not None and self.total > self.capacity + EPSILON

    def ratio(self) -> float | None:
        if self.capacity is None:
            return None
        if self.capacity <= 0:
            return float("inf") if self.total > 0 else 0.0
        return self.total / self.capacity


@dataclass
class Load:
    """One person's week-by-week workload across projects."""

    person: Person
    name: str
    today: date
    weeks: list[Week]
    open_hours: dict[int, float] = field(default_factory=dict)  # project id -> estimated hours open
    open_tasks: dict[int, int] = field(default_factory=dict)
    unestimated: dict[int, int] = field(default_factory=dict)  # open tasks without an estimate
    away: frozenset[date] = frozenset()

    @property
    def user_id(self) -> str:
        return self.person.user_id

    @property
    def over_allocated(self) -> bool:
        cap = self.person.capacity
        return cap is not None and self.person.allocated > cap + EPSILON

    def peak(self) -> float:
        """The worst week's load against capacity (and over-allocation), for sorting."""
        ratios = [r for w in self.weeks if (r := w.ratio()) is not None]
        cap = self.person.capacity
        allocated = self.person.allocated / cap if cap else 0.0
        return max([*ratios, allocated, 0.0])

    def projects(self) -> list[int]:
        """Projects with a stake or open work, in stake order."""
        ids = [s.project_id for s in self.person.stakes]
        return ids + sorted(p for p in set(self.open_hours) | set(self.open_tasks) if p not in ids)

    def share(self, project_id: int) -> float:
        stake = self.person.stake(project_id)
        return stake.share if stake else 0.0

    def finish_at_share(self, project_id: int) -> date | None:
        """When their open estimated work on the project is done at their share
        there (hours a week over Monday-Friday, days away skipped); None without
        a share or work, or beyond five years."""
        left, per_day = self.open_hours.get(project_id, 0.0), self.share(project_id) / 5
        if left <= EPSILON or per_day <= EPSILON:
            return None
        d, days = self.today, 0
        while days < 1300:
            if d.weekday() < 5 and d not in self.away:
                left -= per_day
                days += 1
                if left <= EPSILON:
                    return d
            d += timedelta(days=1)
        return None


def week_capacity(capacity: float | None, start: date, away: Collection[date]) -> tuple[float | None, int]:
    """(capacity of the week starting `start` less the weekdays away, weekdays away)."""
    gone = sum(1 for i in range(5) if start + timedelta(days=i) in away)
    if capacity is None:
        return None, gone
    return capacity * (5 - gone) / 5, gone


def build_load(*, person: Person, name: str, today: date, work: list[Work], away: Collection[date],
               weeks: int = WEEKS) -> Load:
    """The `Load` of one person from their open work and days away (pure)."""
    first = monday(today)
    days_away = frozenset(away)
    load = Load(person=person, name=name, today=today, away=days_away, weeks=[])
    for i in range(weeks):
        start = first + timedelta(weeks=i)
        cap, gone = week_capacity(person.capacity, start, days_away)
        load.weeks.append(Week(start=start, capacity=cap, days_away=gone))
    horizon = first + timedelta(weeks=weeks)
    for w in work:
        load.open_hours[w.project_id] = load.open_hours.get(w.project_id, 0.0) + w.hours
        load.open_tasks[w.project_id] = load.open_tasks.get(w.project_id, 0) + w.tasks
        if w.tasks - w.estimated:
            load.unestimated[w.project_id] = load.unestimated.get(w.project_id, 0) + w.tasks - w.estimated
        if w.due is None or w.hours <= 0 or w.due >= horizon:
            continue
        week = load.weeks[0] if w.due < first else load.weeks[(w.due - first).days // 7]
        week.due[w.project_id] = week.due.get(w.project_id, 0.0) + w.hours
        if w.due < today:
            week.overdue += w.hours
    return load


@dataclass
class Workload:
    """Everyone's `Load` (by user id) and the active projects they refer to."""

    projects: dict[int, Project]
    people: dict[str, Load]

    def name(self, project_id: int) -> str:
        p = self.projects.get(project_id)
        return p.name if p else "another project"

    def managers(self) -> set[str]:
        """People who own or manage an active project (they see everyone's workload)."""
        managing = {str(r) for r in ALLOWED[Action.MANAGE]}
        return {user_id for user_id, load in self.people.items()
                if any(s.role in managing for s in load.person.stakes)}


def _work_rows(session: Session, team_id: str, user_ids: Collection[str] | None) -> list[Work]:
    query = (select(Task.assignee_user_id, Task.project_id, Task.due_date,
                    func.coalesce(func.sum(Task.estimate_hours), 0.0), func.count(), func.count(Task.estimate_hours))
             .join(Project, Project.id == Task.project_id)
             .where(Project.team_id == team_id, Project.state == ProjectState.ACTIVE,
                    Task.assignee_user_id.is_not(None), Task.status.not_in(CLOSED_TASK_STATES))
             .group_by(Task.assignee_user_id, Task.project_id, Task.due_date))
    if user_ids is not None:
        query = query.where(Task.assignee_user_id.in_(list(user_ids)))
    return [Work(u, pid, due, float(h or 0), int(n), int(e)) for u, pid, due, h, n, e in session.exec(query)]


def load_people(*, session: Session, team_id: str, now: datetime, user_ids: Collection[str] | None = None,
                weeks: int = WEEKS) -> Workload:
    """The workload of `user_ids` (default: everyone with a capacity who is on
    an active project, and anyone with open work in one) in five statements,
    however many people and projects there are."""
    projects = {p.id: p for p in session.exec(select(Project).where(
        Project.team_id == team_id, Project.state == ProjectState.ACTIVE))}
    members = select(Member.user_id, Member.project_id, Member.role, Member.weekly_capacity_hours).join(
        Project, Project.id == Member.project_id).where(
        Project.team_id == team_id, Project.state == ProjectState.ACTIVE, Member.active == True  # noqa: E712
    ).order_by(Member.project_id)
    if user_ids is not None:
        members = members.where(Member.user_id.in_(list(user_ids)))
    stakes: dict[str, list[tuple]] = defaultdict(list)
    for user_id, pid, role, allocation in session.exec(members):
        stakes[user_id].append((pid, projects[pid].key, projects[pid].name, role, allocation))
    work = _work_rows(session, team_id, user_ids)
    people = set(user_ids) if user_ids is not None else set(stakes) | {w.user_id for w in work}
    if not people:
        return Workload(projects=projects, people={})
    users = {u.user_id: u for u in session.exec(select(User).where(User.team_id == team_id,
                                                                   User.user_id.in_(sorted(people))))}
    utc_today = now.astimezone(UTC).date()
    start, end = monday(utc_today - timedelta(days=1)), monday(utc_today + timedelta(days=1)) + timedelta(weeks=weeks)
    away: dict[str, set[date]] = defaultdict(set)
    for row in session.exec(select(DayOff).where(DayOff.team_id == team_id, DayOff.user_id.in_(sorted(people)),
                                                 DayOff.start_date <= end, DayOff.end_date >= start)):
        away[row.user_id] |= expand([(row.start_date, row.end_date)])
    clients = {(u, pid) for u, rows in stakes.items() for pid, _, _, role, _ in rows if role == Role.CLIENT}
    by_user: dict[str, list[Work]] = defaultdict(list)
    for w in work:
        if (w.user_id, w.project_id) not in clients:  # a client's tasks are theirs, not planned hours
            by_user[w.user_id].append(w)
    out = {}
    for user_id in people:
        user = users.get(user_id)
        if user is not None and user.holidays:
            country, _, subdiv = user.holidays.partition("-")
            away[user_id] |= set(holidays_between(start, end, country=country, subdiv=subdiv))
        mine = stakes.get(user_id, [])
        explicit = user.weekly_capacity_hours if user is not None else None
        working = any(role in WORKING_ROLES for _, _, _, role, _ in mine)
        person = Person(user_id, explicit, shares(capacity_of(explicit, working=working), mine))
        out[user_id] = build_load(person=person, name=user.name if user else "", weeks=weeks,
                                  today=person_today(user.timezone if user else "", now),
                                  work=by_user.get(user_id, []), away=away.get(user_id, set()))
    if user_ids is None:  # everyone: who works, or has work; not a reader with nothing to do
        out = {u: ld for u, ld in out.items() if ld.person.capacity is not None or ld.open_tasks}
    return Workload(projects=projects, people=out)
