"""The final report's figures: planned vs actual (budget, dates, effort),
milestones, scope changes, final CPI/SPI, risks that happened and their
cost, the team and their hours, the retrospective and the lessons kept.

Built the same for every format (`bot.domain.closing.render`). The plan and
the scope changes come through `bot.domain.closing.plan` only.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, select

from bot.domain.closing.check import DID_NOT_HAPPEN, HAPPENED
from bot.domain.closing.plan import Plan, ScopeChange, planned, scope_changes
from bot.domain.costs import labour_cents
from bot.domain.members import user_names
from bot.domain.status import StatusReport, build_status
from bot.models import (
    CostEntry,
    Lesson,
    Member,
    Milestone,
    Project,
    ProjectClosure,
    RetroAnswer,
    Risk,
    Task,
    TaskStatus,
    TimeEntry,
)


@dataclass(frozen=True)
class MilestoneRow:
    number: int
    name: str
    planned: date | None
    actual: date | None  # the day it was marked reached (project zone)
    state: str  # reached | cancelled | not reached

    @property
    def slip_days(self) -> int | None:
        return (self.actual - self.planned).days if self.actual and self.planned else None


@dataclass(frozen=True)
class TeamRow:
    user_id: str
    name: str
    role: str
    hours: float
    cost_cents: int


@dataclass(frozen=True)
class RiskRow:
    number: int
    title: str
    outcome: str  # happened | did_not_happen | "" (closed without saying) | open
    cost_cents: int | None


@dataclass
class FinalReport:
    status: StatusReport
    plan: Plan
    closure: ProjectClosure | None
    closed_on: date | None
    actual_start: date | None
    actual_finish: date | None
    milestones: list[MilestoneRow]
    changes: list[ScopeChange]
    risks: list[RiskRow]
    team: list[TeamRow]
    planned_hours: float  # estimates of the tasks not cancelled (else the milestones' planned effort)
    logged_hours: float
    tasks_done: int
    tasks_cancelled: int
    tasks_open: int
    retro_answers: int = 0
    retro_satisfaction: float | None = None
    lessons: list[Lesson] = field(default_factory=list)

    @property
    def project(self) -> Project:
        return self.status.project

    @property
    def happened(self) -> list[RiskRow]:
        return [r for r in self.risks if r.outcome == HAPPENED]

    @property
    def risk_cost_cents(self) -> int:
        return sum(r.cost_cents or 0 for r in self.happened)

    @property
    def cpi(self) -> float | None:
        return self.status.evm.cpi if self.status.evm else None

    @property
    def spi(self) -> float | None:
        return self.status.evm.spi if self.status.evm else None


def latest_closure(session: Session, project: Project) -> ProjectClosure | None:
    """The project's most recent closing (reopened or not)."""
    return session.exec(select(ProjectClosure).where(ProjectClosure.project_id == project.id)
                        .order_by(ProjectClosure.id.desc()).limit(1)).first()


def build_final_report(*, session: Session, project: Project, today: date) -> FinalReport:
    """Everything the final report shows, as of `today` (project-local); for a
    closed project, as of its closing day."""
    tz = ZoneInfo(project.timezone or "UTC")
    closure = latest_closure(session, project)
    closed_on = closure.closed_at.astimezone(tz).date() if closure and closure.reopened_at is None else None
    status = build_status(session=session, project=project, today=closed_on or today)
    names = user_names(session=session, team_id=project.team_id)
    pid = project.id

    milestones = []
    for m in session.exec(select(Milestone).where(Milestone.project_id == pid).order_by(Milestone.number)):
        state = "cancelled" if m.cancelled_at else ("reached" if m.done_at else "not reached")
        milestones.append(MilestoneRow(m.number, m.name, m.due_date,
                                       m.done_at.astimezone(tz).date() if m.done_at else None, state))

    risks = [RiskRow(r.number, r.title, r.outcome or ("" if r.state == "closed" else "open"),
                     r.outcome_cost_cents)
             for r in session.exec(select(Risk).where(Risk.project_id == pid).order_by(Risk.number))]

    minutes: dict[str, int] = defaultdict(int)
    cost: dict[str, int] = defaultdict(int)
    first_work: list[date] = []
    for entry in session.exec(select(TimeEntry).where(TimeEntry.project_id == pid)):
        minutes[entry.user_id] += entry.minutes
        cost[entry.user_id] += labour_cents(entry)
        first_work.append(entry.worked_on)
    first_spend = session.exec(select(func.min(CostEntry.spent_on)).where(CostEntry.project_id == pid)).first()
    roles = {m.user_id: m.role for m in session.exec(select(Member).where(Member.project_id == pid))}
    team = [TeamRow(u, names.get(u) or u, roles.get(u, "former member"), round(minutes[u] / 60, 2), cost[u])
            for u in sorted(minutes, key=lambda u: (-minutes[u], names.get(u) or u))]
    team += [TeamRow(u, names.get(u) or u, role, 0.0, 0) for u, role in sorted(roles.items())
             if u not in minutes and role in ("owner", "manager", "member")]

    tasks = session.exec(select(Task.status, Task.estimate_hours, Task.started_at).where(Task.project_id == pid)).all()
    estimates = sum(e or 0 for s, e, _ in tasks if s != TaskStatus.CANCELLED)
    effort = sum(m.planned_effort_hours or 0 for m in status.milestones if m.cancelled_at is None)
    started = [s.astimezone(tz).date() for _, _, s in tasks if s]
    activity = [d for d in [*first_work, first_spend, *started] if d]
    closure_id = closure.id if closure else None
    answers = list(session.exec(select(RetroAnswer).where(RetroAnswer.closure_id == closure_id))) \
        if closure_id else []
    scores = [a.satisfaction for a in answers if a.satisfaction]
    lessons = list(session.exec(select(Lesson).where(Lesson.project_id == pid).order_by(Lesson.id)))
    statuses = [s for s, _, _ in tasks]
    return FinalReport(
        status=status, plan=planned(session, project), closure=closure, closed_on=closed_on,
        # the start status shows, unless work was recorded before it
        actual_start=min([d for d in [status.start, *activity] if d], default=None),
        actual_finish=status.finished_on or closed_on,
        milestones=milestones, changes=scope_changes(session, project), risks=risks, team=team,
        planned_hours=round(estimates or effort, 2), logged_hours=round(sum(minutes.values()) / 60, 2),
        tasks_done=statuses.count(TaskStatus.DONE), tasks_cancelled=statuses.count(TaskStatus.CANCELLED),
        tasks_open=len(statuses) - statuses.count(TaskStatus.DONE) - statuses.count(TaskStatus.CANCELLED),
        retro_answers=len(answers),
        retro_satisfaction=round(sum(scores) / len(scores), 1) if scores else None,
        lessons=lessons,
    )


def final_figures(report: FinalReport) -> dict:
    """The closing's numbers as stored on the closure (JSON-ready)."""
    p, s = report.project, report.status
    return {
        "actual_cents": s.actual_cents, "budget_cents": report.plan.budget_cents,
        "cpi": report.cpi, "spi": report.spi, "currency": p.currency,
        "start": report.actual_start.isoformat() if report.actual_start else None,
        "finish": report.actual_finish.isoformat() if report.actual_finish else None,
        "planned_due": report.plan.due.isoformat() if report.plan.due else None,
        "logged_hours": report.logged_hours, "planned_hours": report.planned_hours,
        "tasks_done": report.tasks_done, "tasks_open": report.tasks_open,
        "risks_happened": len(report.happened), "risk_cost_cents": report.risk_cost_cents,
    }


OUTCOME_WORDS = {HAPPENED: "happened", DID_NOT_HAPPEN: "did not happen", "": "closed", "open": "open at closing"}
