"""The full status picture: progress, schedule, budget, forecast, risks,
blockers, standup participation, and the red/amber/green that sums it up.

`build_statuses` gathers everything for any number of projects with the same
eleven aggregate queries (grouped by project, never one query per task,
milestone or member); `build_status` is the one-project case. Open risks
(banded by `bot.domain.risks.band`) and the holiday calendar are read
straight from their tables here, standup participation through
`standups.answer_counts`, for all projects at once, so the query count stays
constant for a portfolio of 50 projects. The rows read for one project go to
`_assemble` as one `ProjectRows`.

Assembled reports are kept in `bot.domain.status_cache` under each project's
version (`bot.domain.versions`), checked with one more query per call, so an
unchanged project costs no other query and no forecast.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, bindparam, case, func, or_
from sqlmodel import Session, select

from bot.domain import baselines, status_cache
from bot.domain import forecast as fc
from bot.domain.calendar import MON_FRI, WorkCalendar, expand
from bot.domain.evm import (
    EarnedValue,
    TaskGroup,
    measure_work,
    outside_milestones,
    planned_milestones,
    planned_value,
    project_earned_value,
)
from bot.domain.format import day, money, percent, plural, ratio, truncate
from bot.domain.health import Health, Signals, assess, thresholds
from bot.domain.plan_checks import date_warning
from bot.domain.risks import RiskState, band
from bot.domain.schedule import Schedule, load_schedule
from bot.domain.standups.insights import answer_counts
from bot.models import (
    CLOSED_TASK_STATES,
    CostEntry,
    DayOff,
    HealthSnapshot,
    Milestone,
    Project,
    ProjectState,
    Risk,
    StandupConfig,
    Task,
    TaskLink,
    TaskStatus,
    TimeEntry,
)

PARTICIPATION_DAYS = 7
MISDATED_LIMIT = 5  # tasks due outside the project's dates listed by name (then "and more")


@dataclass(frozen=True)
class RiskLine:
    number: int
    title: str
    score: int
    owner_user_id: str | None
    internal: bool = False  # for the team only: never shown to clients

    @property
    def band(self) -> str:
        return str(band(self.score))



@dataclass
class ProjectRows:
    """What the status queries read for one project, before any arithmetic."""

    project: Project
    task_groups: list  # (project, milestone, status, count, estimate sum, estimated count, overdue,
                       #  last done at) rows
    milestones: list[Milestone]
    blocked: list[Task]  # the first few blocked tasks, oldest block first
    block_times: list[tuple[int, datetime | None]]  # (number, blocked at) of every blocked task
    finished: list[tuple[datetime, float | None]]  # (done at, estimate) of recent completions
    cost_cents: int
    labour: tuple[int, int]  # (minutes x rate in cents, minutes) logged
    risks: list[RiskLine]  # open, highest score first
    participation: tuple[int, int]  # standups (asked, answered) in the last week
    calendar: WorkCalendar
    snapshot_dates: tuple | None  # (p50, p85, p95) of today's snapshot at this version, if any
    misdated: list[Task] = field(default_factory=list)  # open tasks due outside the project's dates
    schedule: Schedule | None = None  # read when its tasks have links: the forecast runs along them

@dataclass
class StatusReport:
    project: Project
    today: date
    counts: dict[str, int]
    estimate_total: float
    estimate_done: float
    overdue_tasks: int
    next_milestones: list[Milestone] = field(default_factory=list)
    overdue_milestones: list[Milestone] = field(default_factory=list)
    blocked: list[Task] = field(default_factory=list)
    blocked_count: int = 0
    milestones: list[Milestone] = field(default_factory=list)
    work_unit: str = "tasks"
    work_total: float = 0.0  # tasks, or hours with unestimated tasks at the average
    work_done: float = 0.0
    cost_cents: int = 0
    labour_cents: int = 0
    logged_hours: float = 0.0
    evm: EarnedValue | None = None
    forecast: fc.Forecast | None = None
    health: Health | None = None
    risk_bands: dict[str, int] = field(default_factory=dict)
    top_risks: list[RiskLine] = field(default_factory=list)
    shared_risks: list[RiskLine] = field(default_factory=list)  # the top ones not marked internal
    internal_risks: int = 0  # open risks marked internal
    standup_expected: int = 0
    standup_answered: int = 0
    calendar: WorkCalendar = field(default_factory=WorkCalendar)
    basis: dict | None = None  # the project version and forecast options it was built from
    cache_key: Hashable | None = field(default=None, compare=False)  # its `status_cache` key, if cacheable
    plan_problems: list[str] = field(default_factory=list)  # what the plan says that cannot be true
    start: date | None = None  # the project's start (its creation day if none was given)
    finished_on: date | None = None  # when the last task was done, once all are
    schedule: Schedule | None = field(default=None, compare=False)  # when tasks wait on others
    plan: baselines.PlanVsNow = field(default_factory=baselines.PlanVsNow)  # plan (Baseline 1) vs now
    evm_first: EarnedValue | None = None  # against Baseline 1, once re-baselined: a re-plan hides no variance

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def done(self) -> int:
        return self.counts.get(TaskStatus.DONE, 0)

    @property
    def fraction_done(self) -> float:
        """Done share by estimate (unestimated tasks at the average), else by count."""
        return self.work_done / self.work_total if self.work_total else 0.0

    def progress_phrase(self) -> str:
        """What the done percentage measures, said the same on every screen:
        `25% of estimated hours · 4 of 13 tasks done`, or `31% of tasks · 4 of 13 done`."""
        if not self.total:
            return "no tasks yet"
        share = percent(self.fraction_done)
        if self.work_unit == "hours":
            return f"{share} of estimated hours · {self.done} of {plural(self.total, 'task')} done"
        return f"{share} of tasks · {self.done} of {self.total} done"

    def final_phrases(self) -> tuple[str, str] | None:
        """For a finished project, its dates and its final cost: ("finished Fri 4 Dec
        2026, 14 days before the due date Fri 18 Dec 2026; started Mon 2 Nov 2026",
        "€10,507.50 of €8,000 (131%) · CPI 0.76"); None while work is open."""
        if not self.finished:
            return None
        p, end = self.project, self.finished_on
        when = f"finished {day(end, year=True)}" if end else "closed as done"
        if end and p.due_date:
            late = (end - p.due_date).days
            when += (", on its due date" if late == 0 else
                     f", {plural(abs(late), 'day')} {'after' if late > 0 else 'before'} the due date "
                     f"{day(p.due_date, year=True)}")
        if self.start:
            when += f"; started {day(self.start, year=True)}"
        cost = money(self.actual_cents, p.currency)
        if self.evm is not None:
            cost += f" of {money(self.evm.bac, p.currency)} ({percent(self.evm.percent_spent)})"
            if self.evm.cpi is not None:
                cost += f" · CPI {ratio(self.evm.cpi)}"
        return when, cost

    @property
    def finished(self) -> bool:
        """Closed as done, or every (not cancelled) task done."""
        return self.project.state == ProjectState.DONE or (
            self.work_total > 0 and self.work_done >= self.work_total)

    @property
    def days_left(self) -> int | None:
        return (self.project.due_date - self.today).days if self.project.due_date else None

    @property
    def actual_cents(self) -> int:
        """AC: cost entries plus logged hours x their rate."""
        return self.cost_cents + self.labour_cents

    @property
    def participation(self) -> float | None:
        return self.standup_answered / self.standup_expected if self.standup_expected else None

    def metrics(self) -> dict:
        """The numbers behind the colour, for the daily snapshot and exports."""
        return {
            "done": self.done, "total": self.total, "work_unit": self.work_unit,
            "work_done": round(self.work_done, 2), "work_total": round(self.work_total, 2),
            "actual_cents": self.actual_cents, "evm": self.evm.as_dict() if self.evm else None,
            "forecast": self.forecast.as_dict() if self.forecast else None,
            "risks": dict(self.risk_bands), "blocked": self.blocked_count,
            "overdue_milestones": len(self.overdue_milestones),
            "standup": [self.standup_answered, self.standup_expected],
            "basis": self.basis,
        }


def build_status(*, session: Session, project: Project, today: date, blocked_limit: int = 5,
                 versions: dict[int, int] | None = None) -> StatusReport:
    """Gather the numbers for `project` as of `today` (project-local)."""
    return build_statuses(session=session, projects=[project], today=today,
                          blocked_limit=blocked_limit, versions=versions)[project.id]


def _local_day(ts: datetime | None, tz: ZoneInfo) -> date | None:
    return ts.astimezone(tz).date() if ts else None


def status_key(session: Session, project_id: int, version: int | None, today: date, blocked_limit: int = 5,
               history_weeks: int = fc.HISTORY_WEEKS, trials: int = fc.TRIALS) -> Hashable | None:
    """The `status_cache` key of a project's report at `version` as of `today`."""
    return status_cache.key(session, project_id, version, today, blocked_limit, history_weeks, trials)


_VERSIONS = select(Project.id, Project.version).where(Project.id.in_(bindparam("ids", expanding=True)))


def build_statuses(*, session: Session, projects: list[Project], today: date,
                   blocked_limit: int = 5, history_weeks: int = fc.HISTORY_WEEKS,
                   trials: int = fc.TRIALS, versions: dict[int, int] | None = None) -> dict[int, StatusReport]:
    """Status for every project in `projects` as of `today`: from the status
    cache where the project's version is unchanged, the rest in eleven queries (and a schedule for each project with task links).
    `versions` are the projects' versions if the caller read them in this
    transaction (else they are read: a `Project` may predate a change)."""
    reports: dict[int, StatusReport] = {}
    if not projects:
        return reports
    ids = [p.id for p in projects]
    if versions is not None and set(ids) <= set(versions):
        current = versions
    else:
        current = dict(session.execute(_VERSIONS, {"ids": ids}).all())
    keys, missing = {}, []
    for p in projects:
        keys[p.id] = status_key(session, p.id, current.get(p.id), today, blocked_limit, history_weeks, trials)
        cached = status_cache.get(keys[p.id], p)
        if cached is None:
            missing.append(p)
        else:
            reports[p.id] = cached  # stored with its key
    if missing:
        bases = {p.id: {"version": current[p.id], "trials": trials, "history_weeks": history_weeks}
                 for p in missing if keys[p.id] is not None}
        built = _compute(session=session, projects=missing, today=today, blocked_limit=blocked_limit,
                         history_weeks=history_weeks, trials=trials, bases=bases)
        for pid, report in built.items():
            report.basis, report.cache_key = bases.get(pid), keys[pid]
            status_cache.put(keys[pid], report)
        reports.update(built)
    return reports


def _outside(project: Project, due: date) -> bool:
    return bool((project.due_date and due > project.due_date) or
                (project.start_date and due < project.start_date))


def _compute(*, session: Session, projects: list[Project], today: date, blocked_limit: int,
             history_weeks: int, trials: int, bases: dict[int, dict]) -> dict[int, StatusReport]:
    ids = [p.id for p in projects]
    projects_by_id = {p.id: p for p in projects}
    # 1. tasks per project, milestone and status; and whether any of them waits
    #    on another (a project with links forecasts along them, from its schedule)
    waits = Task.id.in_(select(TaskLink.task_id).where(TaskLink.project_id.in_(ids)))
    read = session.exec(
        select(Task.project_id, Task.milestone_id, Task.status, func.count(),
               func.coalesce(func.sum(Task.estimate_hours), 0.0), func.count(Task.estimate_hours),
               func.sum(case((and_(Task.due_date < today, Task.status != TaskStatus.DONE), 1), else_=0)),
               func.max(Task.done_at), func.max(case((waits, 1), else_=0)))
        .where(Task.project_id.in_(ids), Task.status != TaskStatus.CANCELLED)
        .group_by(Task.project_id, Task.milestone_id, Task.status)
    ).all()
    task_rows = [row[:8] for row in read]
    linked = {row[0] for row in read if row[8] and row[2] not in CLOSED_TASK_STATES}
    # 2. milestones, as objects of their own (not the session's), so a report
    #    can be cached and outlive the session
    milestones: dict[int, list[Milestone]] = defaultdict(list)
    for row in session.execute(select(*Milestone.__table__.c).where(Milestone.project_id.in_(ids),
                                                                    Milestone.cancelled_at.is_(None))
                               .order_by(Milestone.due_date.is_(None), Milestone.due_date,
                                         Milestone.number)).mappings():
        milestones[row["project_id"]].append(Milestone(**row))
    # 3. blocked tasks, oldest block first, and open tasks due outside their
    #    project's dates: plain rows (a big project may have hundreds), made
    #    `Task` objects only for the few the report lists
    blocked: dict[int, list[Task]] = defaultdict(list)
    block_times: dict[int, list[tuple[int, datetime | None]]] = defaultdict(list)
    misdated: dict[int, list[Task]] = defaultdict(list)
    outside = and_(Task.status.not_in(CLOSED_TASK_STATES), Task.due_date.is_not(None),
                   or_(Task.due_date > Project.due_date, Task.due_date < Project.start_date))
    for row in session.execute(select(*Task.__table__.c).join(Project, Project.id == Task.project_id)
                               .where(Task.project_id.in_(ids),
                                      or_(Task.status == TaskStatus.BLOCKED, outside))
                               .order_by(Task.blocked_at, Task.number)).mappings():
        pid = row["project_id"]
        if row["status"] == TaskStatus.BLOCKED:
            block_times[pid].append((row["number"], row["blocked_at"]))
            if len(blocked[pid]) < blocked_limit:
                blocked[pid].append(Task(**row))
        if row["status"] not in CLOSED_TASK_STATES and len(misdated[pid]) <= MISDATED_LIMIT and \
                row["due_date"] is not None and _outside(projects_by_id[pid], row["due_date"]):
            misdated[pid].append(Task(**row))
    # 4. recent completions, for the throughput history
    since = datetime.combine(today - timedelta(weeks=history_weeks, days=2), time(), tzinfo=UTC)
    finished: dict[int, list[tuple[datetime, float | None]]] = defaultdict(list)
    for pid, done_at, est in session.exec(
        select(Task.project_id, Task.done_at, Task.estimate_hours)
        .where(Task.project_id.in_(ids), Task.status == TaskStatus.DONE, Task.done_at >= since)
    ):
        finished[pid].append((done_at, est))
    # 5-6. actual cost: entries, and labour (minutes x rate / 60)
    costs = dict(session.exec(select(CostEntry.project_id, func.sum(CostEntry.amount_cents))
                              .where(CostEntry.project_id.in_(ids)).group_by(CostEntry.project_id)).all())
    labour = {pid: (int(money or 0), int(minutes or 0)) for pid, money, minutes in session.exec(
        select(TimeEntry.project_id, func.sum(TimeEntry.minutes * func.coalesce(TimeEntry.rate_cents, 0)),
               func.sum(TimeEntry.minutes))
        .where(TimeEntry.project_id.in_(ids)).group_by(TimeEntry.project_id))}
    # 7. open risks, highest score first
    risks: dict[int, list[RiskLine]] = defaultdict(list)
    for pid, number, title, score, owner, internal in session.exec(
        select(Risk.project_id, Risk.number, Risk.title, Risk.likelihood * Risk.impact, Risk.owner_user_id,
               Risk.internal)
        .where(Risk.project_id.in_(ids), Risk.state != RiskState.CLOSED)
        .order_by((Risk.likelihood * Risk.impact).desc(), Risk.number)
    ):
        risks[pid].append(RiskLine(number, title, int(score), owner, bool(internal)))
    # 8. standup participation over the last 7 days, counted as `standups.participation` counts
    participation = answer_counts(session=session, project_ids=ids,
                                  start=today - timedelta(days=PARTICIPATION_DAYS - 1), end=today)
    # 9-10. working calendar: holiday region and company days off
    regions = {pid: (c or "", s or "") for pid, c, s in session.exec(
        select(StandupConfig.project_id, StandupConfig.holidays_country, StandupConfig.holidays_subdiv)
        .where(StandupConfig.project_id.in_(ids)))}
    days_off: dict[int, set[date]] = defaultdict(set)
    first = today - timedelta(weeks=history_weeks, days=2)
    for off in session.exec(select(DayOff).where(DayOff.project_id.in_(ids), DayOff.user_id.is_(None),
                                                 DayOff.end_date >= first)):
        days_off[off.project_id] |= expand([(off.start_date, off.end_date)])

    # 11. forecast dates of today's health snapshots taken at the same version
    #     (the hourly snapshot job), so an unchanged project is not simulated again
    known: dict[int, tuple[date, date, date | None]] = {}
    for pid, metrics in session.exec(select(HealthSnapshot.project_id, HealthSnapshot.metrics)
                                     .where(HealthSnapshot.project_id.in_(ids), HealthSnapshot.day == today)):
        f = (metrics or {}).get("forecast") or {}
        if bases.get(pid) and (metrics or {}).get("basis") == bases[pid] and f.get("p50") and f.get("p85"):
            known[pid] = (date.fromisoformat(f["p50"]), date.fromisoformat(f["p85"]),
                          date.fromisoformat(f["p95"]) if f.get("p95") else None)

    by_project: dict[int, list] = defaultdict(list)
    for row in task_rows:
        by_project[row[0]].append(row)
    reports = {}
    for p in projects:
        country, subdiv = regions.get(p.id, ("", ""))
        calendar = WorkCalendar(country=country, subdiv=subdiv, weekdays=MON_FRI,
                                days_off=frozenset(days_off.get(p.id, ())))
        rows = ProjectRows(
            project=p, task_groups=by_project.get(p.id, []), milestones=milestones.get(p.id, []),
            blocked=blocked.get(p.id, []), block_times=block_times.get(p.id, []),
            finished=finished.get(p.id, []), cost_cents=int(costs.get(p.id) or 0),
            labour=labour.get(p.id, (0, 0)), risks=risks.get(p.id, []),
            participation=participation.get(p.id, (0, 0)), misdated=misdated.get(p.id, []),
            calendar=calendar, snapshot_dates=known.get(p.id),
            schedule=load_schedule(session=session, project=p, today=today, calendar=calendar)
            if p.id in linked else None)
        reports[p.id] = _assemble(rows, today=today, history_weeks=history_weeks, trials=trials)
    return reports


def _judged_cpi(evm: EarnedValue | None) -> float | None:
    """CPI for the health verdict: not judged while nothing is earned and under 10%
    of the budget is spent (a day-one deposit is not a cost overrun)."""
    if evm is None or evm.cpi is None or (evm.ev <= 0 and evm.ac < 0.1 * evm.bac):
        return None
    return evm.cpi


def plan_problems(project: Project, milestones: list[Milestone], misdated: list[Task],
                  today: date) -> list[str]:
    """Milestone budgets over the project's budget (accepted with `force`), and
    open milestones and tasks due outside the project's dates."""
    out = []
    committed = sum(m.planned_budget_cents or 0 for m in milestones)
    if project.budget_cents is not None and committed > project.budget_cents:
        out.append(f"Milestone budgets add up to {money(committed, project.currency)}, more than the "
                   f"project's budget of {money(project.budget_cents, project.currency)} (by "
                   f"{money(committed - project.budget_cents, project.currency)}).")
    for m in milestones:
        if m.done_at is None:
            out.append(date_warning(project, m.due_date, f"Milestone M{m.number} {truncate(m.name, 60)}",
                                    today=today))
    for t in misdated[:MISDATED_LIMIT]:
        out.append(date_warning(project, t.due_date, f"#{t.number} {truncate(t.title, 60)}", today=today))
    if len(misdated) > MISDATED_LIMIT:
        out.append(f"and more tasks due outside the project's dates: `/project task list {project.key}`.")
    return [line for line in out if line]


def _assemble(rows: ProjectRows, *, today: date, history_weeks: int, trials: int) -> StatusReport:
    """One project's report from what the queries read for it."""
    p, milestones, cal = rows.project, rows.milestones, rows.calendar
    tz = ZoneInfo(p.timezone or "UTC")
    counts: dict[str, int] = defaultdict(int)
    est_sum = est_done = 0.0
    overdue = 0
    last_done = None
    for _, _, status, n, est, _, late, done_at in rows.task_groups:
        counts[str(status)] += int(n)
        if status == TaskStatus.DONE and done_at is not None:
            done_at = done_at if done_at.tzinfo else done_at.replace(tzinfo=UTC)  # a bare MAX on SQLite
            last_done = max(last_done or done_at, done_at)
        est_sum += float(est)
        overdue += int(late or 0)
        if status == TaskStatus.DONE:
            est_done += float(est)
    work = measure_work([TaskGroup(ms_id, status == TaskStatus.DONE, int(n), float(est), int(n_est))
                         for _, ms_id, status, n, est, n_est, _, _ in rows.task_groups])
    hours_mode, avg = work.hours, work.average
    work_total, work_done = work.total, work.done

    open_ms = [m for m in milestones if m.done_at is None]
    overdue_ms = [m for m in open_ms if m.due_date and m.due_date < today]
    upcoming = [m for m in open_ms if not (m.due_date and m.due_date < today)][:3]

    start = p.start_date or _local_day(p.created_at, tz) or today
    evm = None
    actual = rows.cost_cents + round(rows.labour[0] / 60)
    all_done = work_total > 0 and work_done >= work_total
    finished_all = p.state == ProjectState.DONE or all_done
    briefs = p.plan or {}
    current = briefs.get("current")
    if current and current.get("budget"):  # the approved baseline is EVM's plan
        evm = baselines.earned(current, milestones, work, start=start, today=today, actual=actual, finished=finished_all)
    elif p.budget_cents:
        evm = EarnedValue(
            bac=p.budget_cents,
            pv=planned_value(bac=p.budget_cents, start=start, due=p.due_date, today=today,
                             milestones=planned_milestones(work, milestones),
                             other_total=outside_milestones(work, milestones)[0]),
            ev=project_earned_value(bac=p.budget_cents, work=work, milestones=milestones),
            ac=actual, finished=finished_all,
        )
    evm_first = None
    first = briefs.get("first")
    if current and first and first["number"] != current["number"] and first.get("budget"):
        evm_first = baselines.earned(first, milestones, work, start=start, today=today, actual=actual, finished=finished_all)

    done_days = [(_local_day(at, tz), est if hours_mode and est is not None else (avg if hours_mode else 1.0))
                 for at, est in rows.finished]
    history = fc.daily_throughput(finished=done_days, calendar=cal, today=today, start=start,
                                  weeks=history_weeks)
    unit = "hours" if hours_mode else "tasks"
    sched = rows.schedule
    if work_total == 0:
        forecast = fc.Forecast(unit=unit, remaining=0, history_days=len(history),
                               reason="No tasks yet, so nothing to forecast.")
    elif sched is not None and sched.links:
        durations, edges, release = sched.network
        forecast = fc.network_forecast(durations=durations, edges=edges, release=release,
                                       date_after=sched.date_after, remaining=work_total - work_done,
                                       history_days=len(history), unit=unit, trials=trials,
                                       seed=fc.SEED + (p.id or 0), known=rows.snapshot_dates)
    else:
        forecast = fc.forecast(history=history, remaining=work_total - work_done, today=today,
                               calendar=cal, unit=unit, trials=trials, seed=fc.SEED + (p.id or 0),
                               known=rows.snapshot_dates)
    bands: dict[str, int] = defaultdict(int)
    for r in rows.risks:
        bands[r.band] += 1
    signals = Signals(
        today=today, spi=evm.spi if evm else None, cpi=_judged_cpi(evm), due=p.due_date,
        p50=forecast.p50, p85=forecast.p85, days_since_start=(today - start).days,
        overdue_milestones=[(m.name, (today - m.due_date).days) for m in overdue_ms],  # type: ignore[operator]
        risk_bands=dict(bands),
        blocker_ages=[(n, (today - (_local_day(at, tz) or today)).days) for n, at in rows.block_times],
        finished=finished_all, planned=work_total > 0 or bool(milestones),
    )
    return StatusReport(
        plan_problems=plan_problems(p, milestones, rows.misdated, today),
        project=p, today=today, counts=dict(counts), estimate_total=est_sum, estimate_done=est_done,
        overdue_tasks=overdue, next_milestones=upcoming, overdue_milestones=overdue_ms,
        blocked=rows.blocked, blocked_count=len(rows.block_times), milestones=milestones,
        work_unit="hours" if hours_mode else "tasks", work_total=work_total, work_done=work_done,
        cost_cents=rows.cost_cents, labour_cents=round(rows.labour[0] / 60),
        logged_hours=rows.labour[1] / 60,
        evm=evm, forecast=forecast, health=assess(signals, thresholds(p)), risk_bands=dict(bands),
        top_risks=rows.risks[:3], shared_risks=[r for r in rows.risks if not r.internal][:3],
        internal_risks=sum(1 for r in rows.risks if r.internal),
        standup_expected=rows.participation[0],
        standup_answered=rows.participation[1], calendar=cal, start=start,
        finished_on=_local_day(last_done, tz) if finished_all else None,
        schedule=sched if sched is not None and sched.links else None,
        plan=baselines.compare(p, milestones), evm_first=evm_first,
    )

