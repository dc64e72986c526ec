"""Every read the closing needs about "the plan" and "scope changes", in one place.

Today the plan is the project's own fields (budget, start, due date) and its
milestones' due dates, and there are no change requests. The lead wires these
three functions to baselines and change requests (`bot.domain.baselines`:
`first`/`current`; `bot.domain.changes`: `list_changes`) at merge; nothing
else in `bot.domain.closing` reads the plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, select

from bot.models import Milestone, Project


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
    """The planned budget, start, due and milestone dates of `project`.
    Today: its own fields (the lead points this at the first/current baseline)."""
    milestones = session.exec(select(Milestone).where(Milestone.project_id == project.id)
                              .order_by(Milestone.number)).all()
    return Plan(budget_cents=project.budget_cents, start=project.start_date, due=project.due_date,
                milestones=[PlannedMilestone(m.number, m.name, m.due_date) for m in milestones],
                first_budget_cents=project.budget_cents, first_due=project.due_date)


def scope_changes(session: Session, project: Project) -> list[ScopeChange]:
    """The project's decided change requests, oldest first. Today: none
    (the lead points this at `changes.list_changes`)."""
    return []


def open_change_requests(session: Session, project: Project) -> list[ScopeChange]:
    """Change requests still waiting for a decision (the close check lists
    them). Today: none (the lead points this at `changes.list_changes(state="open")`)."""
    return []
