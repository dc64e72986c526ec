"""Baselines: a project's plan frozen for comparison, and plan vs now.

`take` freezes today's plan (budget, start, due, scope, the open milestones
with dates and budgets, the task estimates) as Baseline 1, 2, ...; a second
one needs a reason. `ensure_first` takes Baseline 1 the first time the plan is
worth freezing (a milestone with a budget, `edit state active`, a first change
request). Approving a change request takes the next one (`bot.domain.changes`).

Every baseline and decision refreshes `projects.plan`, a brief of the first
and current baseline and the change counts, so status, list, Home and the
weekly report read plan vs now from the project row they already load
(`compare`), never with another query. `differences` is the same comparison
for one project, read fresh.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func
from sqlmodel import Session, select

from bot.domain import audit
from bot.domain.access import Action, require
from bot.domain.errors import Invalid
from bot.domain.evm import (
    EarnedValue,
    Work,
    outside_milestones,
    planned_milestones,
    planned_value,
    project_earned_value,
)
from bot.domain.format import day, money, truncate
from bot.domain.numbering import next_number
from bot.models import Baseline, ChangeRequest, Milestone, Project, Task, TaskStatus

APPROVED_LISTED = 20  # approved changes kept in the brief, to say where a difference came from
OPEN_LISTED = 10


def first(session: Session, project: Project) -> Baseline | None:
    """Baseline 1, or None before the project has one."""
    return session.exec(select(Baseline).where(Baseline.project_id == project.id)
                        .order_by(Baseline.number).limit(1)).first()


def current(session: Session, project: Project) -> Baseline | None:
    """The latest (approved) baseline, or None."""
    return session.exec(select(Baseline).where(Baseline.project_id == project.id)
                        .order_by(Baseline.number.desc()).limit(1)).first()


def list_baselines(session: Session, project: Project) -> list[Baseline]:
    return list(session.exec(select(Baseline).where(Baseline.project_id == project.id)
                             .order_by(Baseline.number)))


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _date(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def frozen_plan(session: Session, project: Project) -> dict:
    """Milestones (not cancelled) with dates, budgets and effort, and task estimates
    (not cancelled), as stored in a baseline."""
    milestones = session.exec(select(Milestone).where(Milestone.project_id == project.id,
                                                      Milestone.cancelled_at.is_(None))
                              .order_by(Milestone.number)).all()
    estimates = session.exec(select(Task.number, Task.estimate_hours).where(
        Task.project_id == project.id, Task.status != TaskStatus.CANCELLED,
        Task.estimate_hours.is_not(None))).all()
    return {"milestones": [{"number": m.number, "name": m.name, "due": _iso(m.due_date),
                            "budget": m.planned_budget_cents, "effort": m.planned_effort_hours}
                           for m in milestones],
            "estimates": {str(n): h for n, h in estimates}}


def take(session: Session, project: Project, *, actor: str, reason: str = "", now: datetime,
         change: ChangeRequest | None = None, checked: bool = True) -> Baseline:
    """Freeze today's plan as the next baseline. Owner or manager (`checked`;
    an approval or an automatic first baseline passes False); after the first,
    a reason is required."""
    if checked:
        require(session=session, project=project, user_id=actor, action=Action.MANAGE, what="take a baseline")
    reason = (reason or "").strip()
    earlier = current(session, project)
    if earlier is not None and not reason:
        raise Invalid(f"*{project.name}* already has Baseline {earlier.number}; a new one needs a reason: "
                      f"`/project baseline {project.key} reason \"...\"`.")
    if len(reason) > 500:
        raise Invalid(f"A baseline's reason can be at most 500 characters (this one has {len(reason)}).")
    baseline = Baseline(team_id=project.team_id, project_id=project.id,
                        number=next_number(session=session, model=Baseline, project_id=project.id),
                        reason=reason, change_id=change.id if change else None,
                        budget_cents=project.budget_cents, currency=project.currency,
                        start_date=project.start_date, due_date=project.due_date, scope=project.scope,
                        plan=frozen_plan(session, project), created_by=actor, created_at=now)
    session.add(baseline)
    session.flush()
    audit.record(session=session, team_id=project.team_id, user_id=actor, action="baseline.take",
                 entity="baseline", entity_id=baseline.id, project_id=project.id, now=now,
                 after={"number": baseline.number, "reason": reason, "budget_cents": baseline.budget_cents,
                        "due_date": baseline.due_date, "change": f"CR-{change.number}" if change else None})
    refresh_summary(session, project, now=now)
    return baseline


def ensure_first(session: Session, project: Project, *, actor: str, why: str, now: datetime) -> Baseline | None:
    """Take Baseline 1 (reason `why`) unless the project has one; the new one, else None."""
    if project.plan or first(session, project) is not None:
        return None
    return take(session, project, actor=actor, reason=why, now=now, checked=False)


def first_note(baseline: Baseline | None, project: Project) -> str:
    """What a reply says when it took Baseline 1 on its own."""
    if baseline is None:
        return ""
    parts = []
    if baseline.budget_cents is not None:
        parts.append(f"budget {money(baseline.budget_cents, project.currency)}")
    if baseline.due_date:
        parts.append(f"due {day(baseline.due_date, year=True)}")
    ms = len(baseline.plan.get("milestones", []))
    if ms:
        parts.append(f"{ms} milestone{'s' if ms != 1 else ''}")
    what = f" ({', '.join(parts)})" if parts else ""
    return (f"📌 Baseline 1 taken{what}: the plan is frozen for comparison ({baseline.reason}). From now on "
            f"budget, due date and scope change through change requests (`/project change add`).")


def _brief(b: Baseline) -> dict:
    return {"number": b.number, "budget": b.budget_cents, "start": _iso(b.start_date), "due": _iso(b.due_date),
            "scope": b.scope, "milestones": [[m["number"], m.get("due"), m.get("budget")]
                                            for m in b.plan.get("milestones", [])]}


def refresh_summary(session: Session, project: Project, *, now: datetime) -> None:
    """Rebuild `project.plan` from the baselines and change requests (the caller's transaction)."""
    session.flush()
    one, last = first(session, project), current(session, project)
    counts = dict(session.exec(select(ChangeRequest.state, func.count()).where(
        ChangeRequest.project_id == project.id).group_by(ChangeRequest.state)).all())
    open_rows = session.exec(select(ChangeRequest.number, ChangeRequest.title).where(
        ChangeRequest.project_id == project.id, ChangeRequest.state == "open")
        .order_by(ChangeRequest.number).limit(OPEN_LISTED)).all()
    approved = session.exec(select(ChangeRequest.number, ChangeRequest.applied).where(
        ChangeRequest.project_id == project.id, ChangeRequest.state == "approved")
        .order_by(ChangeRequest.number.desc()).limit(APPROVED_LISTED)).all()
    if one is None:
        plan = None
    else:
        plan = {"first": _brief(one), "current": _brief(last) if last else _brief(one),
                "changes": {k: int(v) for k, v in counts.items()}, "open": [n for n, _ in open_rows],
                "open_titles": [truncate(t, 120) for _, t in open_rows],
                "approved": [{"n": n, "fields": sorted((applied or {}).keys()),
                              "budget": _delta(applied, "budget_cents")}
                             for n, applied in reversed(approved)]}
    if plan != project.plan:
        project.plan = plan
        project.updated_at = now
        session.add(project)
        session.flush()


def _delta(applied: dict | None, key: str) -> int | None:
    pair = (applied or {}).get(key)
    if not pair or pair[0] is None or pair[1] is None:
        return None
    return int(pair[1]) - int(pair[0])


# --- plan vs now ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    """One way now differs from Baseline 1: `text` reads like
    "Budget €46,000 (baseline €40,000, +€6,000 from CR-1)"."""

    field: str  # budget | due | start | scope | milestone
    text: str
    changes: tuple[int, ...] = ()  # the approved change requests that made it


def span(days: int) -> str:
    """`+2w`, `-3d`, `+1w 2d`."""
    sign = "+" if days >= 0 else "-"
    weeks, rest = divmod(abs(days), 7)
    parts = ([f"{weeks}w"] if weeks else []) + ([f"{rest}d"] if rest or not weeks else [])
    return sign + " ".join(parts)


def _signed(cents: int, currency: str) -> str:
    return ("+" if cents >= 0 else "-") + money(abs(cents), currency)


def _from(numbers: list[int]) -> str:
    return f" from {', '.join(f'CR-{n}' for n in numbers)}" if numbers else ""


@dataclass
class PlanVsNow:
    """What status, Home and the report say about plan vs now."""

    baseline: int = 0  # the current baseline's number (0: none yet)
    differences: list[Difference] = field(default_factory=list)
    approved: int = 0
    open: int = 0
    rejected: int = 0
    open_numbers: list[int] = field(default_factory=list)
    open_titles: list[str] = field(default_factory=list)  # of the open requests, in the same order

    @property
    def changes_line(self) -> str:
        """`Changes: 2 approved, 1 open` (empty when there were none)."""
        parts = [f"{n} {word}" for n, word in ((self.approved, "approved"), (self.open, "open"),
                                               (self.rejected, "rejected")) if n]
        return f"Changes: {', '.join(parts)}" if parts else ""


def compare(project: Project, milestones: list[Milestone]) -> PlanVsNow:
    """Plan (Baseline 1, from `project.plan`) vs now (the project and its open
    `milestones`), without a query. Empty before the first baseline."""
    plan = project.plan or {}
    if not plan:
        return PlanVsNow()
    base, cur = plan["first"], plan.get("current") or plan["first"]
    counts = plan.get("changes", {})
    approved = plan.get("approved", [])
    out = PlanVsNow(baseline=cur["number"], approved=counts.get("approved", 0), open=counts.get("open", 0),
                    rejected=counts.get("rejected", 0), open_numbers=list(plan.get("open", [])),
                    open_titles=list(plan.get("open_titles", [])))

    def made(key: str) -> list[int]:
        return [a["n"] for a in approved if key in a["fields"]]

    c = project.currency
    if base["budget"] != project.budget_cents and project.budget_cents is not None:
        if base["budget"] is None:
            out.differences.append(Difference("budget", f"Budget {money(project.budget_cents, c)} "
                                                        f"(none in baseline 1{_from(made('budget_cents'))})"))
        else:
            delta = project.budget_cents - base["budget"]
            out.differences.append(Difference(
                "budget", f"Budget {money(project.budget_cents, c)} (baseline {money(base['budget'], c)}, "
                          f"{_signed(delta, c)}{_from(made('budget_cents'))})", tuple(made("budget_cents"))))
    for key, label in (("due", "Due"), ("start", "Start")):
        then, now_ = _date(base[key]), getattr(project, f"{key}_date")
        if then != now_ and now_ is not None:
            field_name = f"{key}_date"
            if then is None:
                text = f"{label} {day(now_)} (none in baseline 1{_from(made(field_name))})"
            else:
                text = (f"{label} {day(now_)} (baseline {day(then)}, {span((now_ - then).days)}"
                        f"{_from(made(field_name))})")
            out.differences.append(Difference(key, text, tuple(made(field_name))))
    if (base.get("scope") or "") != (project.scope or ""):
        out.differences.append(Difference("scope", f"Scope changed since baseline 1{_from(made('scope'))}",
                                          tuple(made("scope"))))
    then_ms = {n: (_date(due), budget) for n, due, budget in base.get("milestones", [])}
    for m in milestones:
        if m.number not in then_ms:
            out.differences.append(Difference("milestone", f"M{m.number} {truncate(m.name, 60)} added since "
                                                           "baseline 1"))
            continue
        due, budget = then_ms[m.number]
        if due and m.due_date and due != m.due_date:
            out.differences.append(Difference(
                "milestone", f"M{m.number} {truncate(m.name, 60)} due {day(m.due_date)} (baseline {day(due)}, "
                             f"{span((m.due_date - due).days)}{_from(made(f'M{m.number}'))})"))
        if budget is not None and m.planned_budget_cents is not None and budget != m.planned_budget_cents:
            out.differences.append(Difference(
                "milestone", f"M{m.number} {truncate(m.name, 60)} budget {money(m.planned_budget_cents, c)} "
                             f"(baseline {money(budget, c)})"))
    return out


def differences(session: Session, project: Project) -> list[Difference]:
    """Plan (Baseline 1) vs now for one project, its milestones read fresh."""
    milestones = session.exec(select(Milestone).where(Milestone.project_id == project.id,
                                                      Milestone.cancelled_at.is_(None))
                              .order_by(Milestone.number)).all()
    return compare(project, list(milestones)).differences


# --- the baseline as EVM's plan ----------------------------------------------------------------


@dataclass(frozen=True)
class PlannedAs:
    """A milestone as a baseline planned it (what `bot.domain.evm` reads of one)."""

    id: int | None
    planned_budget_cents: int | None
    due_date: date | None
    done_at: datetime | None


def as_planned(milestones: list[Milestone], brief: dict) -> list[PlannedAs]:
    """`milestones` with the dates and budgets the baseline `brief` gave them
    (one added since has no budget in that plan)."""
    then = {n: (_date(due), budget) for n, due, budget in brief.get("milestones", [])}
    return [PlannedAs(m.id, then[m.number][1], then[m.number][0] or m.due_date, m.done_at) if m.number in then
            else PlannedAs(m.id, None, m.due_date, m.done_at) for m in milestones]


def plan_dates(brief: dict) -> tuple[date | None, date | None]:
    """(start, due) of a baseline brief."""
    return _date(brief.get("start")), _date(brief.get("due"))


def earned(brief: dict, milestones: list[Milestone], work: Work, *, start: date, today: date, actual: int,
           finished: bool) -> EarnedValue:
    """EVM with a baseline's budget as BAC and its dates and milestone budgets as the PV curve."""
    planned = as_planned(milestones, brief)
    b_start, b_due = plan_dates(brief)
    bac = brief["budget"]
    return EarnedValue(
        bac=bac, pv=planned_value(bac=bac, start=b_start or start, due=b_due, today=today,
                                  milestones=planned_milestones(work, planned),
                                  other_total=outside_milestones(work, planned)[0]),
        ev=project_earned_value(bac=bac, work=work, milestones=planned), ac=actual, finished=finished)


def _indices(e: EarnedValue) -> str:
    from bot.domain.format import ratio

    parts = [f"SPI {ratio(e.spi)}" if e.spi is not None else "", f"CPI {ratio(e.cpi)}" if e.cpi is not None else ""]
    return " · ".join(p for p in parts if p) or "nothing to compare yet"


def plan_lines(plan: PlanVsNow, evm: EarnedValue | None, evm_first: EarnedValue | None, *,
               limit: int = 6, key: str = "") -> list[str]:
    """Plan vs now in lines for status and the report: the differences from Baseline 1,
    EVM against Baseline 1 and the current baseline once re-baselined, and the change counts.
    Empty when there is nothing to say (no baseline, or nothing differs and no change was asked)."""
    if not plan.baseline or not (plan.differences or plan.changes_line or evm_first):
        return []
    lines = [d.text for d in plan.differences[:limit]]
    if len(plan.differences) > limit:
        lines.append(f"and {len(plan.differences) - limit} more: `/project baseline list {key}`")
    if evm_first is not None and evm is not None:
        lines.append(f"EVM since baseline 1: {_indices(evm_first)}; current (baseline {plan.baseline}): "
                     f"{_indices(evm)}")
    if plan.changes_line:
        lines.append(plan.changes_line)
    return lines
