"""Every read the closing needs about "the plan" and "scope changes", in one place.

The plan comes from the baselines (`bot.domain.baselines`): the current
approved baseline is the final plan, Baseline 1 the first; a project never
baselined falls back to its own fields. Scope changes are its change requests
(`bot.domain.changes`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from bot.domain import baselines, changes
from bot.models import ChangeRequest, Milestone, Project


@dataclass(frozen=True)
class PlannedMilestone:
    number: int
    name: str
    due: date | None


@dataclass(frozen=True)
class Plan:
    """What was planned: the first plan (`baseline`) and the current one. With
    no baselines both come from the project's own fields."""

    budget_cents: int | None
    start: date | None
    due: date | None
    milestones: list[PlannedMilestone] = field(default_factory=list)
    first_budget_cents: int | None = None  # the first baseline's budget (same as budget without re-plans)
    first_due: date | None = None
    label: str = "the project's plan"  # what the planned figures are ("baseline B2")


@dataclass(frozen=True)
class ScopeChange:
    """A decided change request, as the final report lists it."""

    ref: str  # "CR3"
    title: str
    state: str  # approved | rejected | ...
    decided_on: date | None
    budget_delta_cents: int | None = None
    days_delta: int | None = None


def planned(session: Session, project: Project) -> Plan:
    """The planned budget, start, due and milestone dates of `project`: the current
    approved baseline, with Baseline 1's budget and due beside it; a project never
    baselined has its own fields as its plan."""
    first, current = baselines.first(session, project), baselines.current(session, project)
    if current is None or first is None:
        milestones = session.exec(select(Milestone).where(Milestone.project_id == project.id)
                                  .order_by(Milestone.number)).all()
        return Plan(budget_cents=project.budget_cents, start=project.start_date, due=project.due_date,
                    milestones=[PlannedMilestone(m.number, m.name, m.due_date) for m in milestones],
                    first_budget_cents=project.budget_cents, first_due=project.due_date)
    frozen = (current.plan or {}).get("milestones") or []
    return Plan(budget_cents=current.budget_cents, start=current.start_date, due=current.due_date,
                milestones=[PlannedMilestone(m["number"], m["name"], date.fromisoformat(m["due"]) if m.get("due")
                                             else None) for m in frozen],
                first_budget_cents=first.budget_cents, first_due=first.due_date,
                label=f"Baseline {current.number}")


def _days(applied: dict | None) -> int | None:
    pair = (applied or {}).get("due_date")
    if not pair or not pair[0] or not pair[1]:
        return None
    return (date.fromisoformat(str(pair[1])) - date.fromisoformat(str(pair[0]))).days


def _row(cr: ChangeRequest, project: Project) -> ScopeChange:
    tz = ZoneInfo(project.timezone or "UTC")
    budget = (cr.applied or {}).get("budget_cents")
    delta = int(budget[1]) - int(budget[0]) if budget and None not in budget else None
    return ScopeChange(ref=f"CR-{cr.number}", title=cr.title, state=cr.state,
                       decided_on=cr.decided_at.astimezone(tz).date() if cr.decided_at else None,
                       budget_delta_cents=delta, days_delta=_days(cr.applied))


def scope_changes(session: Session, project: Project) -> list[ScopeChange]:
    """The project's decided change requests, oldest first."""
    decided = [cr for cr in changes.list_changes(session, project) if cr.state != changes.OPEN]
    return [_row(cr, project) for cr in reversed(decided)]


def open_change_requests(session: Session, project: Project) -> list[ScopeChange]:
    """Change requests still waiting for a decision (the close check lists them)."""
    return [_row(cr, project) for cr in reversed(changes.list_changes(session, project, state=changes.OPEN))]
