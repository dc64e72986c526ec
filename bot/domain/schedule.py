"""Dates from the plan: each open task's earliest start and finish, its slack,
the critical path and the project's finish, from estimates, the assignees'
pace on the project and the dependencies (`bot.domain.network`).

- A task takes its estimate at its assignee's *share* of their week on this
  project (`bot.domain.capacity`: the allocation, else an even part of what
  allocations leave), spread over the project's working days: 20h a week is
  4h a working day. Unassigned tasks, and people with no share, go at 8h a day.
- A task without an estimate counts as the project's average estimate (one
  day when nothing is estimated). A task in progress has the working days
  since it started taken off (it keeps at least half a day).
- Done and cancelled tasks hold nothing up. Time starts today (the next
  working day on a day off), on the project's working calendar.
- People are not levelled: two tasks of one person may run side by side; the
  share already slows each of them down to that person's pace on the project.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from bot.domain.calendar import WorkCalendar, work_calendar
from bot.domain.capacity import WORKING_ROLES, capacity_of, shares
from bot.domain.network import Edge, critical_path
from bot.models import (
    CLOSED_TASK_STATES,
    Member,
    Milestone,
    Project,
    ProjectState,
    Task,
    TaskLink,
    TaskStatus,
    User,
)

HOURS_PER_DAY = 8.0  # the pace of an unassigned task, or of someone with no share
WORKDAYS_PER_WEEK = 5
MIN_LEFT = 0.5  # working days a task in progress keeps, however long it has run
HORIZON = 5 * 260  # working days the calendar is walked at most


@dataclass
class Planned:
    """One open task in the schedule."""

    id: int
    number: int
    title: str
    status: str
    assignee: str | None
    milestone_id: int | None
    due: date | None
    hours_per_day: float
    days: float  # working days left
    start: date
    finish: date
    slack: float  # working days it may slip without moving the finish
    critical: bool
    waiting_on: list[int] = field(default_factory=list)  # numbers of open predecessors

    @property
    def late_days(self) -> int:
        """Calendar days its planned finish lies after its due date (0 when on time)."""
        return max((self.finish - self.due).days, 0) if self.due else 0


@dataclass
class MilestoneDates:
    id: int
    number: int
    name: str
    due: date | None
    finish: date  # when its last open task finishes

    @property
    def label(self) -> str:
        return f"{self.name} (M{self.number})"


@dataclass
class Schedule:
    project: Project
    today: date
    tasks: list[Planned]  # open tasks, by number
    critical: list[Planned]  # in the order they run
    finish: date | None  # when the last open task finishes (None: nothing open)
    milestones: list[MilestoneDates]
    assumptions: list[str]
    links: int  # links between open tasks
    network: tuple[list[float], list[Edge], list[float]] = ((), (), ())  # type: ignore[assignment]
    first_day: date | None = None  # day 0 of the network (today, or the next working day)
    calendar: WorkCalendar = field(default_factory=WorkCalendar)

    def task(self, number: int) -> Planned | None:
        return next((t for t in self.tasks if t.number == number), None)

    def date_after(self, days: float) -> date:
        """The working day on which `days` working days from day 0 are done."""
        return working_day(self.calendar, self.first_day or self.today, max(math.ceil(days - 1e-9) - 1, 0))


def working_day(calendar: WorkCalendar, first: date, index: int) -> date:
    """The `index`-th working day counting `first` (a working day) as 0."""
    return calendar.add_working_days(first, index) if index else first


def first_working_day(calendar: WorkCalendar, today: date) -> date:
    d = today
    for _ in range(HORIZON):
        if calendar.is_working_day(d):
            return d
        d += timedelta(days=1)
    return today


def project_today(project: Project, now: datetime) -> date:
    return now.astimezone(ZoneInfo(project.timezone or "UTC")).date()


def paces(*, session: Session, project: Project, user_ids: set[str]) -> dict[str, float]:
    """Hours a working day each person gives this project: their share of the
    week (`bot.domain.capacity.shares`) over five days; 8h when they have none."""
    if not user_ids:
        return {}
    rows = session.exec(select(Member.user_id, Member.project_id, Member.role, Member.weekly_capacity_hours)
                        .join(Project, Project.id == Member.project_id)
                        .where(Project.team_id == project.team_id, Project.state == ProjectState.ACTIVE,
                               Member.active == True, Member.user_id.in_(sorted(user_ids)))  # noqa: E712
                        .order_by(Member.project_id))
    stakes: dict[str, list[tuple]] = defaultdict(list)
    for user_id, pid, role, allocation in rows:
        stakes[user_id].append((pid, "", "", role, allocation))
    explicit = dict(session.exec(select(User.user_id, User.weekly_capacity_hours).where(
        User.team_id == project.team_id, User.user_id.in_(sorted(user_ids)))).all())
    out = {}
    for user_id in user_ids:
        mine = stakes.get(user_id, [])
        working = any(role in WORKING_ROLES for _, _, _, role, _ in mine)
        found = next((s for s in shares(capacity_of(explicit.get(user_id), working=working), mine)
                      if s.project_id == project.id), None)
        out[user_id] = found.share / WORKDAYS_PER_WEEK if found and found.share > 0 else HOURS_PER_DAY
    return out


def load_schedule(*, session: Session, project: Project, now: datetime | None = None,
                  today: date | None = None, calendar: WorkCalendar | None = None) -> Schedule:
    """The project's schedule as of `now` (or the project's `today`), on its
    working `calendar` (read when not given); see the module's rules."""
    if today is None:
        assert now is not None, "load_schedule needs now or today"
        today = project_today(project, now)
    tasks = list(session.exec(select(Task).where(Task.project_id == project.id,
                                                 Task.status.not_in(list(CLOSED_TASK_STATES)))
                              .order_by(Task.number)))
    ids = {t.id for t in tasks}
    links = [(b, a, lag) for b, a, lag in session.exec(
        select(TaskLink.after_task_id, TaskLink.task_id, TaskLink.lag_days)
        .where(TaskLink.project_id == project.id)) if a in ids]
    estimates = list(session.exec(select(Task.estimate_hours).where(
        Task.project_id == project.id, Task.status != TaskStatus.CANCELLED, Task.estimate_hours.is_not(None))))
    milestones = list(session.exec(select(Milestone).where(Milestone.project_id == project.id,
                                                           Milestone.cancelled_at.is_(None),
                                                           Milestone.done_at.is_(None))))
    numbers = dict(session.exec(select(Task.id, Task.number).where(Task.project_id == project.id)).all())
    rates = paces(session=session, project=project, user_ids={t.assignee_user_id for t in tasks
                                                              if t.assignee_user_id})
    if calendar is None:
        calendar = work_calendar(session=session, project=project, start=today,
                                 end=today + timedelta(days=3 * 365))
    return build_schedule(project=project, today=today, tasks=tasks, links=links, numbers=numbers,
                          average=sum(estimates) / len(estimates) if estimates else None, rates=rates,
                          milestones=milestones, calendar=calendar)


def _elapsed(calendar: WorkCalendar, task: Task, project: Project, today: date) -> int:
    if task.status != TaskStatus.DOING or task.started_at is None:
        return 0
    started = task.started_at.astimezone(ZoneInfo(project.timezone or "UTC")).date()
    return calendar.working_days_between(started, today) if started < today else 0


def build_schedule(*, project: Project, today: date, tasks: list[Task], links: list[tuple[int, int, int]],
                   numbers: dict[int, int], average: float | None, rates: dict[str, float],
                   milestones: list[Milestone], calendar: WorkCalendar) -> Schedule:
    """The schedule from rows already read: open `tasks`, `links` (before id,
    after id, lag) among them or from closed tasks, task id -> number."""
    index = {t.id: i for i, t in enumerate(tasks)}
    assumptions = []
    unestimated = [t for t in tasks if not t.estimate_hours]
    fallback = average or HOURS_PER_DAY
    if unestimated:
        what = f"the average estimate ({fallback:g}h)" if average else "one day"
        assumptions.append(f"{len(unestimated)} task{'s' if len(unestimated) != 1 else ''} without an "
                           f"estimate counted as {what}.")
    durations, per_day = [], []
    for t in tasks:
        rate = rates.get(t.assignee_user_id or "", HOURS_PER_DAY)
        days = (t.estimate_hours or fallback) / rate
        elapsed = _elapsed(calendar, t, project, today)
        if elapsed:
            days = max(days - elapsed, min(days, MIN_LEFT))
        durations.append(days)
        per_day.append(rate)
    edges: list[Edge] = []
    waiting: dict[int, list[int]] = defaultdict(list)
    for before, after, lag in links:
        if before in index:
            edges.append((index[before], index[after], float(lag)))
            waiting[after].append(numbers.get(before, 0))
        # a closed predecessor holds nothing up; its lag still counts from today
    release = [0.0] * len(tasks)
    for before, after, lag in links:
        if before not in index and lag:
            release[index[after]] = max(release[index[after]], float(lag))
    cpm = critical_path(durations, edges, release)
    first = first_working_day(calendar, today)
    sched = Schedule(project=project, today=today, tasks=[], critical=[], finish=None, milestones=[],
                     assumptions=assumptions, links=len(edges), network=(durations, edges, release),
                     first_day=first, calendar=calendar)
    dates = _DateCache(calendar, first)
    for i, t in enumerate(tasks):
        sched.tasks.append(Planned(
            id=t.id, number=t.number, title=t.title, status=t.status, assignee=t.assignee_user_id,
            milestone_id=t.milestone_id, due=t.due_date, hours_per_day=per_day[i], days=durations[i],
            start=dates.at(math.floor(cpm.early_start[i] + 1e-9)),
            finish=dates.at(max(math.ceil(cpm.early_finish[i] - 1e-9) - 1, 0)),
            slack=cpm.slack(i), critical=cpm.critical(i), waiting_on=sorted(waiting.get(t.id, []))))
    sched.critical = [sched.tasks[i] for i in cpm.critical_nodes()]
    if tasks:
        sched.finish = dates.at(max(math.ceil(cpm.finish - 1e-9) - 1, 0))
    sched.milestones = _milestone_dates(milestones, sched.tasks)
    return sched


def _milestone_dates(milestones: list[Milestone], planned: list[Planned]) -> list[MilestoneDates]:
    out = []
    for m in sorted(milestones, key=lambda m: m.number):
        finishes = [t.finish for t in planned if t.milestone_id == m.id]
        if finishes:
            out.append(MilestoneDates(m.id, m.number, m.name, m.due_date, max(finishes)))
    return out


class _DateCache:
    """Working day number -> date, walked once."""

    def __init__(self, calendar: WorkCalendar, first: date):
        self.calendar, self.days = calendar, [first]

    def at(self, index: int) -> date:
        index = min(index, HORIZON)
        d = self.days[-1]
        while len(self.days) <= index:
            d += timedelta(days=1)
            if self.calendar.is_working_day(d):
                self.days.append(d)
        return self.days[index]


@dataclass(frozen=True)
class SlipCause:
    """A late task on the critical path and what it moves."""

    task: Planned
    what: str  # `Launch (M3)` or `the project`
    due: date | None
    finish: date

    def sentence(self, today: date) -> str:
        """`#7 Integrate payment is 5 days late and on the critical path: Launch (M3) moves from 1 Feb to 6 Feb.`"""
        from bot.domain.format import day, plural, truncate

        t = self.task
        late = plural(t.late_days, "day")
        head = f"#{t.number} {truncate(t.title, 80)} is {late} late and on the critical path"
        if self.due is None or self.finish <= self.due:
            return f"{head}."
        return (f"{head}: {self.what} moves from {day(self.due, today=today)} to "
                f"{day(self.finish, today=today)}.")


def slip_cause(s: Schedule, *, due: date | None) -> SlipCause | None:
    """The most late open task on the critical path (planned to finish after its
    due date), and the first milestone after it on the path that now finishes
    after its own due date (else the project against `due`)."""
    late = [t for t in s.critical if t.late_days > 0]
    if not late or s.finish is None:
        return None
    worst = max(late, key=lambda t: (t.late_days, -s.critical.index(t)))
    after = s.critical[s.critical.index(worst):]
    by_id = {m.id: m for m in s.milestones}
    for t in after:
        m = by_id.get(t.milestone_id or -1)
        if m is not None and m.due and m.finish > m.due:
            return SlipCause(worst, m.label, m.due, m.finish)
    return SlipCause(worst, "the project's finish", due, s.finish)


def with_cause(schedule: Schedule | None, *, due: date | None, today: date, reason: str,
               numbers: dict) -> tuple[str, dict]:
    """A schedule-slip reason with its cause first, when a late task on the
    critical path explains it; the cause's task number joins the numbers."""
    cause = slip_cause(schedule, due=due) if schedule is not None else None
    if cause is None:
        return reason, numbers
    return f"{cause.sentence(today)} {reason}", {"cause_task": cause.task.number,
                                                 "cause_days_late": cause.task.late_days, **numbers}
