"""Milestones: dated checkpoints with planned budget and effort.

Their budgets may not add up to more than the project's (`plan_checks`;
`force` accepts it, and status shows it). A cancelled milestone is out of the
plan (budget, value, alerts) but kept; its tasks stay, as work outside any
milestone. `reopen` brings a reached or cancelled one back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session, select

from bot.domain import audit
from bot.domain.access import Action, require
from bot.domain.errors import Invalid, NotFound
from bot.domain.format import truncate
from bot.domain.numbering import next_number
from bot.domain.plan_checks import check_budgets, date_warning, milestone_budgets
from bot.models import CLOSED_TASK_STATES, Milestone, Project, Task

EDITABLE = ("name", "due_date", "planned_budget_cents", "planned_effort_hours")


@dataclass
class Changed:
    """What a milestone change did: old and new values, and its warnings."""

    before: dict = field(default_factory=dict)
    after: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def list_milestones(*, session: Session, project: Project) -> list[Milestone]:
    return list(session.exec(
        select(Milestone).where(Milestone.project_id == project.id)
        .order_by(Milestone.due_date.is_(None), Milestone.due_date, Milestone.number)
    ))


def find_milestone(*, session: Session, project: Project, ref: str) -> Milestone:
    """A milestone by number (`2`, `M2`) or by case-insensitive name."""
    ref = ref.strip()
    number = ref[1:] if ref[:1] in {"m", "M", "#"} and ref[1:].isdigit() else ref
    query = select(Milestone).where(Milestone.project_id == project.id)
    if number.isdigit():  # a number no milestone can have (M9223372036854775808) finds none
        found = session.exec(query.where(Milestone.number == int(number))).first() if len(number) < 10 else None
    else:
        found = next((m for m in session.exec(query) if m.name.lower() == ref.lower()), None)
    if found is None:
        raise NotFound(f"*{project.name}* has no milestone `{truncate(ref, 40)}`. `/project milestone list` shows them.")
    return found


def add_milestone(*, session: Session, project: Project, actor: str, name: str,
                  due_date: date | None = None, planned_budget_cents: int | None = None,
                  planned_effort_hours: float | None = None, force: bool = False,
                  warnings: list[str] | None = None, now: datetime) -> Milestone:
    """Add a milestone (owner, manager). Budgets over the project's are refused
    unless `force`; what looks wrong is appended to `warnings`."""
    require(session=session, project=project, user_id=actor, action=Action.MANAGE,
            what="add milestones")
    name = _name(name)
    if planned_budget_cents is not None and planned_budget_cents < 0:
        raise Invalid("A planned budget cannot be negative.")
    told = [check_budgets(project=project, budget=project.budget_cents, force=force, what="the command",
                          milestones_total=milestone_budgets(session=session, project=project)
                          + planned_budget_cents) if planned_budget_cents else None]
    milestone = Milestone(
        team_id=project.team_id, project_id=project.id,
        number=next_number(session=session, model=Milestone, project_id=project.id),
        name=name, due_date=due_date, planned_budget_cents=planned_budget_cents,
        planned_effort_hours=planned_effort_hours, created_at=now,
    )
    session.add(milestone)
    session.flush()
    audit.record(session=session, team_id=project.team_id, user_id=actor, action="milestone.add",
                 entity="milestone", entity_id=milestone.id, project_id=project.id, now=now,
                 after={"name": name, "due_date": due_date, "planned_budget_cents": planned_budget_cents})
    told.append(date_warning(project, due_date, f"M{milestone.number}"))
    if warnings is not None:
        warnings.extend(w for w in told if w)
    return milestone


def _name(name: str) -> str:
    name = name.strip()
    if not name:
        raise Invalid("A milestone needs a name.")
    if len(name) > 200:
        raise Invalid("A milestone name can be at most 200 characters.")
    return name


def complete_milestone(*, session: Session, project: Project, actor: str, milestone: Milestone,
                       now: datetime) -> Milestone:
    """Mark done (idempotent: a second call keeps the first time)."""
    require(session=session, project=project, user_id=actor, action=Action.MANAGE,
            what="complete milestones")
    if milestone.cancelled_at is not None:
        raise Invalid(f"M{milestone.number} is cancelled; `/project milestone reopen {project.key} "
                      f"M{milestone.number}` brings it back first.")
    if milestone.done_at is None:
        milestone.done_at = now
        session.add(milestone)
        audit.record(session=session, team_id=project.team_id, user_id=actor, action="milestone.done",
                     entity="milestone", entity_id=milestone.id, project_id=project.id, now=now)
        session.flush()
    return milestone


def edit_milestone(*, session: Session, project: Project, actor: str, milestone: Milestone,
                   changes: dict, force: bool = False, now: datetime) -> Changed:
    """Change a milestone's name, due date, budget or effort (owner, manager);
    fields already so are left alone. Audited as one `milestone.edit` entry."""
    require(session=session, project=project, user_id=actor, action=Action.MANAGE,
            what="edit milestones")
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise Invalid(f"A milestone's {', '.join(sorted(unknown))} cannot be edited.")
    if "name" in changes:
        changes["name"] = _name(str(changes["name"]))
    if (changes.get("planned_budget_cents") or 0) < 0:
        raise Invalid("A planned budget cannot be negative.")
    effort = changes.get("planned_effort_hours")
    if effort is not None and not 0 < effort <= 100_000:
        raise Invalid("Planned effort is a positive duration like 40h or 5d.")
    result = Changed()
    changed = {k: v for k, v in changes.items() if getattr(milestone, k) != v}
    if changed.get("planned_budget_cents") and milestone.cancelled_at is None:
        result.warnings.append(check_budgets(
            project=project, budget=project.budget_cents, force=force, what="the edit",
            milestones_total=milestone_budgets(session=session, project=project, excluding=milestone.id)
            + (changed["planned_budget_cents"] or 0)))
    if "due_date" in changed:
        result.warnings.append(date_warning(project, changed["due_date"], f"M{milestone.number}"))
    result.warnings = [w for w in result.warnings if w]
    if not changed:
        return result
    result.before, result.after = {k: getattr(milestone, k) for k in changed}, changed
    for k, v in changed.items():
        setattr(milestone, k, v)
    session.add(milestone)
    audit.record(session=session, team_id=project.team_id, user_id=actor, action="milestone.edit",
                 entity="milestone", entity_id=milestone.id, project_id=project.id, now=now,
                 before=result.before, after=changed)
    session.flush()
    return result


def open_tasks_in(*, session: Session, milestone: Milestone) -> list[Task]:
    """The milestone's tasks that are neither done nor cancelled."""
    return list(session.exec(select(Task).where(Task.milestone_id == milestone.id,
                                                Task.status.not_in(CLOSED_TASK_STATES))
                             .order_by(Task.number)))


def cancel_milestone(*, session: Session, project: Project, actor: str, milestone: Milestone,
                     reason: str = "", now: datetime) -> bool:
    """Take a milestone out of the plan (its budget, value and alerts); its tasks
    stay, as work outside any milestone. False when it was cancelled already."""
    require(session=session, project=project, user_id=actor, action=Action.MANAGE,
            what="cancel milestones")
    if milestone.cancelled_at is not None:
        return False
    milestone.cancelled_at = now
    session.add(milestone)
    audit.record(session=session, team_id=project.team_id, user_id=actor, action="milestone.cancel",
                 entity="milestone", entity_id=milestone.id, project_id=project.id, now=now,
                 before={"planned_budget_cents": milestone.planned_budget_cents},
                 after={"planned_budget_cents": None, "reason": reason.strip()[:500]})
    session.flush()
    return True


def reopen_milestone(*, session: Session, project: Project, actor: str, milestone: Milestone,
                     force: bool = False, now: datetime) -> tuple[bool, list[str]]:
    """Bring a reached or cancelled milestone back as open (its budget counted
    again, so refused over the project's budget unless `force`). Returns
    (changed, warnings); unchanged when it is open already."""
    require(session=session, project=project, user_id=actor, action=Action.MANAGE,
            what="reopen milestones")
    if milestone.cancelled_at is None and milestone.done_at is None:
        return False, []
    warnings = []
    if milestone.cancelled_at is not None and milestone.planned_budget_cents:
        warnings.append(check_budgets(
            project=project, budget=project.budget_cents, force=force, what="the command",
            milestones_total=milestone_budgets(session=session, project=project, excluding=milestone.id)
            + (milestone.planned_budget_cents or 0)))
    if milestone.cancelled_at is not None:
        warnings.append(date_warning(project, milestone.due_date, f"M{milestone.number}"))
    before = {"state": "cancelled" if milestone.cancelled_at else "reached"}
    if milestone.cancelled_at is not None:
        before["planned_budget_cents"] = None
    milestone.cancelled_at = milestone.done_at = None
    session.add(milestone)
    audit.record(session=session, team_id=project.team_id, user_id=actor, action="milestone.reopen",
                 entity="milestone", entity_id=milestone.id, project_id=project.id, now=now, before=before,
                 after={"state": "open", **({"planned_budget_cents": milestone.planned_budget_cents}
                                            if "planned_budget_cents" in before else {})})
    session.flush()
    return True, [w for w in warnings if w]
