"""Plan consistency: what a change would make untrue, said in the same reply.

- Milestone budgets may not add up to more than the project's budget: the
  change is refused naming the sum and the budget, unless `force` is given
  (then it is accepted, the reply warns, and status shows the overcommitment).
- A milestone or task due after the project's due date or before its start is
  accepted with a warning, and status lists it under "Plan problems".

Cancelled milestones and cancelled or done tasks are out of the plan and
never counted here.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, or_
from sqlmodel import Session, select

from bot.domain.errors import Invalid
from bot.domain.format import day, money, truncate
from bot.models import CLOSED_TASK_STATES, Milestone, Project, Task


def date_warning(project: Project, due: date | None, what: str, *, today: date | None = None) -> str | None:
    """`what` is due after the project's due date or before its start: the warning, else None."""
    if due is None:
        return None
    if project.due_date and due > project.due_date:
        return (f"{what} is due {day(due, today=today)}, after the project's due date "
                f"{day(project.due_date, today=today)}.")
    if project.start_date and due < project.start_date:
        return (f"{what} is due {day(due, today=today)}, before the project's start "
                f"{day(project.start_date, today=today)}.")
    return None


def milestone_budgets(*, session: Session, project: Project, excluding: int | None = None) -> int:
    """The planned budgets of the project's open and reached milestones (cancelled ones
    left out), without the milestone `excluding`."""
    query = select(func.coalesce(func.sum(Milestone.planned_budget_cents), 0)).where(
        Milestone.project_id == project.id, Milestone.cancelled_at.is_(None))
    if excluding is not None:
        query = query.where(Milestone.id != excluding)
    return int(session.exec(query).one() or 0)


def check_budgets(*, project: Project, milestones_total: int, budget: int | None, force: bool,
                  what: str) -> str | None:
    """Refuse (`Invalid`) milestone budgets `milestones_total` over the project `budget`,
    naming both; with `force`, accept and return the warning. None when they fit."""
    if budget is None or milestones_total <= budget:
        return None
    over = money(milestones_total - budget, project.currency)
    sums = (f"milestone budgets would add up to {money(milestones_total, project.currency)}, "
            f"more than the project's budget of {money(budget, project.currency)} (by {over})")
    if not force:
        raise Invalid(f"Not saved: {sums}. Lower a milestone's budget (`/project milestone edit "
                      f"{project.key} M1 budget ...`), raise the project's (`/project edit {project.key} "
                      f"budget ...`), or repeat {what} with `force` to accept the overcommitment.")
    return f"Accepted with `force`: {sums}. Status shows this until it is resolved."


def dates_outside(*, session: Session, project: Project, today: date | None = None,
                  limit: int = 5) -> list[str]:
    """Warnings for open milestones and tasks due outside the project's start..due."""
    if not (project.due_date or project.start_date):
        return []
    out = []
    for m in session.exec(select(Milestone).where(
            Milestone.project_id == project.id, Milestone.cancelled_at.is_(None),
            Milestone.done_at.is_(None), Milestone.due_date.is_not(None)).order_by(Milestone.number)):
        warning = date_warning(project, m.due_date, f"Milestone M{m.number} {truncate(m.name, 60)}",
                               today=today)
        if warning:
            out.append(warning)
    late = select(Task).where(Task.project_id == project.id, Task.status.not_in(CLOSED_TASK_STATES),
                              Task.due_date.is_not(None))
    bounds = []
    if project.due_date:
        bounds.append(Task.due_date > project.due_date)
    if project.start_date:
        bounds.append(Task.due_date < project.start_date)
    tasks = list(session.exec(late.where(or_(*bounds)).order_by(Task.number).limit(limit + 1)))
    for t in tasks[:limit]:
        warning = date_warning(project, t.due_date, f"#{t.number} {truncate(t.title, 60)}", today=today)
        if warning:
            out.append(warning)
    if len(tasks) > limit:
        out.append(f"and more tasks: `/project task list {project.key} all` shows them.")
    return out
