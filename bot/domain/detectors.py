"""Detectors: pure functions that spot trouble early.

`load_snapshot` reads a project's data once; each detector is a pure function
`(snapshot, limits) -> list[Finding]` over it and the frozen `today`/`now` it
holds. A finding has a severity, a one-sentence reason, the numbers behind it
and a stable fingerprint: the same condition always yields the same
fingerprint, so alerts can be updated instead of repeated.

Limits are per project (`Project.settings["alerts"]`) over `DEFAULTS`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, func, select

from bot.domain.calendar import WorkCalendar, days_away, work_calendar
from bot.domain.findings import CRITICAL, WARNING, Finding
from bot.domain.format import day, mention, money, percent, plural, ratio, truncate
from bot.domain.load_findings import share_too_small, week_overload
from bot.domain.projects import numeric_settings
from bot.domain.risks import Band, RiskState, band, risk_score
from bot.domain.status import StatusReport, build_status
from bot.domain.workload import Workload, load_people
from bot.models import (
    CLOSED_TASK_STATES,
    CostEntry,
    Member,
    Milestone,
    Project,
    Risk,
    Role,
    StandupAnswer,
    StandupParticipant,
    StandupRun,
    Task,
    TaskStatus,
    TimeEntry,
)

AWAY_STATUSES = {"away", "skipped", "off", "excused"}

# name -> (default, low, high, help)
THRESHOLDS: dict[str, tuple[float, float, float, str]] = {
    "overdue_days": (0, 0, 60, "days past due before a task or milestone alerts"),
    "overdue_critical_days": (7, 1, 90, "days past due that make it critical"),
    "slip_days": (0, 0, 90, "days the forecast may pass the due date before alerting"),
    "throughput_days": (14, 5, 90, "days with nothing finished before alerting (and the pace used "
                                   "while there is too little history for a forecast)"),
    "burn_points": (10, 1, 100, "points budget spent may run ahead of work done"),
    "cpi_min": (0.9, 0.1, 1.5, "lowest cost performance index (work / spend) before alerting"),
    "blocker_runs": (2, 1, 20, "standups in a row with the same person blocked"),
    "blocker_days": (2, 1, 30, "working days a blocker may stay open"),
    "silent_runs": (2, 1, 20, "standups in a row a person may miss while not away"),
    "overload_pct": (100, 50, 300, "percent of a week's capacity a person's work due may fill (all projects)"),
    "overload_weeks": (2, 1, 6, "weeks ahead, this one first, the overload alert looks at"),
    "quiet_start": (20, 0, 23, "hour (project time) from which alerts wait until morning"),
    "quiet_end": (8, 0, 23, "hour (project time) at which waiting alerts go out"),
}
DEFAULTS: dict[str, float] = {name: spec[0] for name, spec in THRESHOLDS.items()}


def limits_for(project: Project) -> dict[str, float]:
    """The defaults overlaid by the project's own numbers."""
    return numeric_settings(project, "alerts", DEFAULTS)


@dataclass
class Snapshot:
    """Everything the detectors look at, read once."""

    project: Project
    now: datetime
    today: date
    tasks: list[Task]
    milestones: list[Milestone]
    members: list[Member]
    risks: list[Risk]
    cost_cents: int
    runs: list[StandupRun]  # run_date <= today, oldest first
    participants: dict[int, dict[str, str]]  # run id -> user -> status
    answers: dict[int, dict[str, StandupAnswer]]  # run id -> user -> answer
    away: dict[str, set[date]]  # user -> days out of office (recent past and next week)
    calendar: WorkCalendar
    status: StatusReport | None = None  # what `/project status` says today: progress, EVM, forecast
    workload: Workload | None = None  # the members' work across every project (`/project people`)


def local_date(project: Project, moment: datetime) -> date:
    return moment.astimezone(ZoneInfo(project.timezone or "UTC")).date()


def load_snapshot(*, session: Session, project: Project, now: datetime) -> Snapshot:
    """Read the project's data the detectors need (a fixed number of queries)."""
    today = local_date(project, now)
    pid = project.id
    # cancelled tasks and milestones are out of the plan: no detector sees them
    tasks = list(session.exec(select(Task).where(Task.project_id == pid,
                                                 Task.status != TaskStatus.CANCELLED)))
    members = list(session.exec(select(Member).where(Member.project_id == pid,
                                                     Member.active == True)))  # noqa: E712
    costs = sum(session.exec(select(CostEntry.amount_cents).where(CostEntry.project_id == pid)))
    labour = session.exec(select(func.sum(TimeEntry.minutes * func.coalesce(TimeEntry.rate_cents, 0)))
                          .where(TimeEntry.project_id == pid)).one()
    costs += round((labour or 0) / 60)  # at the rate when logged, as status and `costs` count it
    runs = list(session.exec(select(StandupRun).where(StandupRun.project_id == pid,
                                                      StandupRun.run_date <= today)
                             .order_by(StandupRun.run_date)))
    run_ids = [r.id for r in runs[-40:]]
    runs = runs[-40:]
    participants: dict[int, dict[str, str]] = defaultdict(dict)
    answers: dict[int, dict[str, StandupAnswer]] = defaultdict(dict)
    if run_ids:
        for p in session.exec(select(StandupParticipant).where(StandupParticipant.run_id.in_(run_ids))):
            participants[p.run_id][p.user_id] = p.status
        for a in session.exec(select(StandupAnswer).where(StandupAnswer.run_id.in_(run_ids))):
            answers[a.run_id][a.user_id] = a
    start, end = today - timedelta(days=60), today + timedelta(days=14)
    away = days_away(session=session, team_id=project.team_id, user_ids=[m.user_id for m in members],
                     start=start, end=end)
    return Snapshot(
        project=project, now=now, today=today, tasks=tasks,
        milestones=list(session.exec(select(Milestone).where(Milestone.project_id == pid,
                                                             Milestone.cancelled_at.is_(None)))),
        members=members,
        risks=list(session.exec(select(Risk).where(Risk.project_id == pid))),
        cost_cents=int(costs), runs=runs, participants=participants, answers=answers, away=away,
        calendar=work_calendar(session=session, project=project, start=start, end=end),
        status=build_status(session=session, project=project, today=today),  # kept per version and day
        workload=load_people(session=session, team_id=project.team_id, now=now,
                             user_ids=[m.user_id for m in members]),
    )


def _severity(value: float, critical_at: float) -> str:
    return CRITICAL if value >= critical_at else WARNING


def _open(task: Task) -> bool:
    return task.status not in CLOSED_TASK_STATES


def finished(s: Snapshot) -> bool:
    """All the work is done: a finished project raises no schedule or budget questions."""
    return bool(s.tasks) and not any(_open(t) for t in s.tasks)


# --- 1. past due -----------------------------------------------------------------


def past_due(s: Snapshot, limits: dict[str, float]) -> list[Finding]:
    """Open tasks past due (one finding per assignee) and milestones past due."""
    grace, critical = limits["overdue_days"], limits["overdue_critical_days"]
    late: dict[str | None, list[tuple[int, Task]]] = defaultdict(list)
    for t in s.tasks:
        if _open(t) and t.due_date and (s.today - t.due_date).days > grace:
            late[t.assignee_user_id].append(((s.today - t.due_date).days, t))
    findings = []
    for user, items in sorted(late.items(), key=lambda kv: kv[0] or ""):
        items.sort(key=lambda x: (-x[0], x[1].number))
        oldest = items[0][0]
        numbers = [t.number for _, t in items]
        refs = ", ".join(f"#{n}" for n in numbers[:8]) + (" …" if len(numbers) > 8 else "")
        late_text = (f"the oldest {plural(oldest, 'day')} late" if len(items) > 1
                     else f"{plural(oldest, 'day')} late")
        if user:
            reason = f"{mention(user)} has {plural(len(items), 'task')} past due ({refs}), {late_text}."
        else:
            verb = "is" if len(items) == 1 else "are"
            reason = (f"{plural(len(items), 'unassigned task')} {verb} past due ({refs}), {late_text}: "
                      "`/project task assign N @someone` gives it an owner.")
        findings.append(Finding("past_due", f"past_due:{user or 'unassigned'}",
                                _severity(oldest, critical), reason,
                                {"tasks": numbers, "oldest_days_late": oldest}, subject=user))
    for m in s.milestones:
        if m.done_at is None and m.due_date and (s.today - m.due_date).days > grace:
            late_days = (s.today - m.due_date).days
            open_tasks = sum(1 for t in s.tasks if t.milestone_id == m.id and _open(t))
            left = (f"with {plural(open_tasks, 'open task')}" if open_tasks else
                    f"with no open tasks: `/project milestone done {s.project.key} M{m.number}` if it is reached")
            reason = (f"Milestone M{m.number} *{truncate(m.name, 80)}* was due "
                      f"{day(m.due_date, today=s.today)} and is {plural(late_days, 'day')} late {left}.")
            findings.append(Finding("past_due", f"milestone:{m.number}", _severity(late_days, critical),
                                    reason, {"days_late": late_days, "open_tasks": open_tasks}))
    return findings


# --- 2. schedule slip ------------------------------------------------------------


def schedule_slip(s: Snapshot, limits: dict[str, float]) -> list[Finding]:
    """The forecast `/project status` shows (`bot.domain.forecast`) finishes after
    the due date; with too little history for one, the recent pace does."""
    p = s.project
    open_tasks = [t for t in s.tasks if _open(t)]
    if not p.due_date or not open_tasks:  # nothing left (finished): nothing can slip
        return []
    due_phrase = day(p.due_date, today=s.today)
    f = s.status.forecast if s.status else None
    if f is not None and f.ok:
        slip = (f.p85 - p.due_date).days  # type: ignore[operator]
        if slip <= limits["slip_days"]:
            return []
        numbers = {"remaining": round(f.remaining, 1), "unit": "h" if f.unit == "hours" else "tasks",
                   "due": p.due_date.isoformat(), "p50": f.p50.isoformat(),  # type: ignore[union-attr]
                   "forecast": f.p85.isoformat(), "slip_days": slip}  # type: ignore[union-attr]
        reason = (f"The forecast is after the due date {due_phrase}: "
                  f"{f.phrase(due=None, today=s.today)} ({plural(slip, 'day')} late), "
                  f"50% likely by {day(f.p50, today=s.today)}.")
        late_even_at_p50 = f.p50 > p.due_date  # type: ignore[operator]
        return [Finding("schedule_slip", "schedule_slip", CRITICAL if late_even_at_p50 else WARNING,
                        reason, numbers)]
    started = p.start_date or local_date(p, p.created_at)
    window = min(int(limits["throughput_days"]), (s.today - started).days)
    if window < 5:
        return []  # too little history for a pace
    since = s.today - timedelta(days=window)
    done = [t for t in s.tasks if t.done_at and since <= local_date(p, t.done_at) < s.today + timedelta(days=1)]
    by_hours = all(t.estimate_hours for t in s.tasks)
    if by_hours:
        remaining = sum(t.estimate_hours or 0 for t in open_tasks)
        pace = sum(t.estimate_hours or 0 for t in done) / window
        unit = "h"
    else:
        remaining, pace, unit = len(open_tasks), len(done) / window, " tasks"
    left = f"{remaining:g}h" if unit == "h" else plural(remaining, "task")
    numbers = {"remaining": round(remaining, 1), "unit": unit.strip(), "window_days": window,
               "pace_per_week": round(pace * 7, 1), "due": p.due_date.isoformat()}
    if pace <= 0:
        reason = (f"Nothing was finished in the last {plural(window, 'day')}; {left} "
                  f"{'remain' if remaining != 1 else 'remains'} and the due date is {due_phrase}.")
        return [Finding("schedule_slip", "schedule_slip", WARNING, reason, numbers)]
    finish = s.today + timedelta(days=math.ceil(remaining / pace))
    slip = (finish - p.due_date).days
    if slip <= limits["slip_days"]:
        return []
    numbers |= {"forecast": finish.isoformat(), "slip_days": slip}
    rate = f"{pace * 7:.1f}h" if unit == "h" else f"{pace * 7:.1f} tasks"
    reason = (f"Too little history for a forecast yet, but at the recent pace ({rate} a week) the "
              f"{left} left finish around {day(finish, today=s.today)}, {plural(slip, 'day')} after "
              f"the due date {due_phrase}.")
    return [Finding("schedule_slip", "schedule_slip", _severity(slip, 14), reason, numbers)]


# --- 3. budget burn --------------------------------------------------------------


def budget_burn(s: Snapshot, limits: dict[str, float]) -> list[Finding]:
    """Budget spent runs ahead of the value the work has earned, or CPI (EV / AC)
    is low: the numbers `/project status` shows, from the same `EarnedValue`."""
    p = s.project
    evm = s.status.evm if s.status else None
    if evm is None or not evm.bac or evm.ac <= 0 or finished(s):
        return []  # a finished project's cost is final: nothing left to decide about it
    spent, earned, cpi = evm.ac / evm.bac, evm.ev / evm.bac, evm.cpi or 0.0
    gap = (spent - earned) * 100
    ahead = gap > limits["burn_points"]
    low_cpi = spent >= 0.1 and cpi < limits["cpi_min"]
    if not (ahead or low_cpi):
        return []
    severity = CRITICAL if spent > 1 or gap > 2 * limits["burn_points"] else WARNING
    cpi_text = (f"CPI {ratio(cpi, limits['cpi_min'])} (under {limits['cpi_min']:.2f})" if low_cpi
                else f"CPI {ratio(cpi)}")
    reason = (f"{percent(spent)} of the budget is spent ({money(evm.ac, p.currency)} of "
              f"{money(evm.bac, p.currency)}) for work that has earned {percent(earned)} of it: "
              f"spending runs {plural(float(ratio(gap, limits['burn_points'], places=0)), 'percentage point')} "
              f"{'ahead of' if gap >= 0 else 'behind'} the work, {cpi_text}.")
    if s.status and percent(s.status.fraction_done) != percent(earned):  # milestone budgets weigh work
        reason += (f" (The work is {s.status.progress_phrase()}; its earned value weighs it by the "
                   "milestones' budgets.)")
    return [Finding("budget_burn", "budget_burn", severity, reason,
                    {"spent_pct": round(spent * 100, 1), "work_pct": round(earned * 100, 1),
                     "gap_points": round(gap, 1), "cpi": round(cpi, 4),
                     "cpi_limit": limits["cpi_min"] if low_cpi else None, "spent_cents": evm.ac,
                     "budget_cents": evm.bac})]


# --- 4. blockers -----------------------------------------------------------------


def blockers(s: Snapshot, limits: dict[str, float]) -> list[Finding]:
    """A person blocked in consecutive standups or for days; tasks blocked for days."""
    findings = []
    recent = {r.id for r in s.runs[-2:]}
    users = sorted({u for per_run in s.answers.values() for u in per_run})
    for user in users:
        mine = [(r, s.answers[r.id][user]) for r in reversed(s.runs) if user in s.answers.get(r.id, {})]
        if not mine or mine[0][0].id not in recent:
            continue
        streak = []
        for run, answer in mine:
            if not answer.blocker.strip():
                break
            streak.append((run, answer))
        if not streak:
            continue
        since = streak[-1][0].run_date
        age = s.calendar.working_days_between(since, s.today)
        if len(streak) < limits["blocker_runs"] and age <= limits["blocker_days"]:
            continue
        text = truncate(streak[0][1].blocker.strip(), 150)
        reason = (f"{mention(user)} has reported a blocker in {plural(len(streak), 'standup')} in a row "
                  f"since {day(since, today=s.today)}: “{text}”.")
        findings.append(Finding("blockers", f"blocker:{user}", _severity(age, 5), reason,
                                {"standups": len(streak), "working_days": age, "since": since.isoformat(),
                                 "blocker": text}, subject=user))
    for t in s.tasks:
        if t.status != TaskStatus.BLOCKED or t.blocked_at is None:
            continue
        since = local_date(s.project, t.blocked_at)
        age = s.calendar.working_days_between(since, s.today)
        if age <= limits["blocker_days"]:
            continue
        why = f": “{truncate(t.blocked_reason, 150)}”" if t.blocked_reason else ""
        reason = (f"#{t.number} *{truncate(t.title, 80)}* has been blocked for "
                  f"{plural(age, 'working day')}{why}.")
        findings.append(Finding("blockers", f"blocked_task:{t.number}", _severity(age, 5), reason,
                                {"task": t.number, "working_days": age, "since": since.isoformat()},
                                subject=t.assignee_user_id))
    return findings


# --- 5. silent members -----------------------------------------------------------


def silent_members(s: Snapshot, limits: dict[str, float]) -> list[Finding]:
    """Someone missed the last N standups while not away."""
    closed = [r for r in s.runs if r.state == "closed" or r.closes_at <= s.now]
    findings = []
    for m in s.members:
        if s.today in s.away.get(m.user_id, set()):
            continue
        missed: list[date] = []
        for run in reversed(closed):
            status = s.participants.get(run.id, {}).get(m.user_id)
            if status is None:
                continue  # not asked in that run
            if status in AWAY_STATUSES or run.run_date in s.away.get(m.user_id, set()):
                break
            if m.user_id in s.answers.get(run.id, {}):
                break
            missed.append(run.run_date)
        if len(missed) < limits["silent_runs"]:
            continue
        first = min(missed)
        if len(missed) <= 3:
            dates = ", ".join(day(d, today=s.today) for d in sorted(missed))
            when = f"the last {plural(len(missed), 'standup')} ({dates})"
        else:
            when = f"{plural(len(missed), 'standup')} in a row since {day(first, today=s.today)}"
        reason = f"{mention(m.user_id)} missed {when} and is not marked away."
        findings.append(Finding("silent", f"silent:{m.user_id}", WARNING, reason,
                                {"missed": len(missed), "last": missed[0].isoformat()},
                                subject=m.user_id))
    return findings


# --- 6. risk register gaps -------------------------------------------------------


def risk_gaps(s: Snapshot, limits: dict[str, float]) -> list[Finding]:
    """High/critical risks without owner or mitigation; risks past their review date."""
    findings = []
    for r in sorted(s.risks, key=lambda r: r.number):
        if r.state == RiskState.CLOSED:
            continue
        value = risk_score(r)
        b = band(value)
        label = f"R{r.number} *{truncate(r.title, 80)}*"
        if b in (Band.HIGH, Band.CRITICAL):
            gaps = []
            if not r.owner_user_id:
                gaps.append("no owner")
            accepted = r.state == RiskState.ACCEPTED or r.response == "accept"
            if not r.mitigation.strip() and not accepted:
                gaps.append("no mitigation")
            if gaps:
                reason = f"{label} scores {value} ({b}) but has {' and '.join(gaps)}."
                findings.append(Finding("risk_gaps", f"risk:{r.number}:gaps",
                                        CRITICAL if b == Band.CRITICAL else WARNING, reason,
                                        {"risk": r.number, "score": value, "band": str(b), "gaps": gaps,
                                         "internal": r.internal},
                                        subject=r.owner_user_id))
        if r.review_date and r.review_date < s.today:
            late = (s.today - r.review_date).days
            reason = (f"{label} was due for review {day(r.review_date, today=s.today)} "
                      f"({plural(late, 'day')} ago); owner {mention(r.owner_user_id)}.")
            findings.append(Finding("risk_gaps", f"risk:{r.number}:review", WARNING, reason,
                                    {"risk": r.number, "days_late": late, "score": value,
                                     "internal": r.internal},
                                    subject=r.owner_user_id))
    return findings


# --- 7. overload -----------------------------------------------------------------


def overload(s: Snapshot, limits: dict[str, float]) -> list[Finding]:
    """Someone's work due in a week across every project above their capacity,
    and someone whose work here at their share ends after the due date
    (`bot.domain.load_findings`)."""
    if s.workload is None:
        return []
    findings = []
    for m in s.members:
        if m.role == Role.CLIENT:
            continue  # outside the team: no capacity to overload
        load = s.workload.people.get(m.user_id)
        if load is None or load.person.capacity is None:
            continue
        findings += [f for f in (week_overload(s.project, s.tasks, load, s.workload, limits),
                                 share_too_small(s.project, load, s.today)) if f]
    return findings


Detector = Callable[[Snapshot, dict[str, float]], list[Finding]]
DETECTORS: dict[str, Detector] = {
    "past_due": past_due,
    "schedule_slip": schedule_slip,
    "budget_burn": budget_burn,
    "blockers": blockers,
    "silent": silent_members,
    "risk_gaps": risk_gaps,
    "overload": overload,
}


def run_detectors(snapshot: Snapshot, limits: dict[str, float],
                  only: set[str] | None = None) -> list[Finding]:
    """Every (or the named) detector's findings, in a stable order."""
    findings: list[Finding] = []
    for name, detect in DETECTORS.items():
        if only is None or name in only:
            findings.extend(detect(snapshot, limits))
    return findings
