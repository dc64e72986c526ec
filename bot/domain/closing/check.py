"""The close check: what is still open before a project is closed, and the
clean-ups its buttons offer (cancel or move the remaining tasks, close the
open risks as happened or not)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlmodel import Session, select

from bot.domain import audit
from bot.domain import risks as risk_service
from bot.domain import tasks as task_service
from bot.domain.access import Action, require
from bot.domain.alerts import ACTIVE_STATES
from bot.domain.capacity import WORKING_ROLES
from bot.domain.closing.plan import ScopeChange, open_change_requests
from bot.domain.errors import Invalid
from bot.domain.risks import RiskState
from bot.models import CLOSED_TASK_STATES, Alert, Member, Milestone, Project, Risk, Task, TimeEntry

HAPPENED, DID_NOT_HAPPEN = "happened", "did_not_happen"
OUTCOMES = {HAPPENED: "happened", DID_NOT_HAPPEN: "did not happen"}


@dataclass
class CloseCheck:
    """What is left open on a project; `clear` when nothing is."""

    project: Project
    tasks: list[Task] = field(default_factory=list)
    risks: list[Risk] = field(default_factory=list)
    changes: list[ScopeChange] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    milestones: list[Milestone] = field(default_factory=list)  # not reached, not cancelled
    unlogged: list[str] = field(default_factory=list)  # working members with no hours logged this week
    week_start: date | None = None

    @property
    def clear(self) -> bool:
        return not (self.tasks or self.risks or self.changes or self.alerts or self.milestones
                    or self.unlogged)


def week_start(today: date) -> date:
    """The Monday of `today`'s week."""
    return today - timedelta(days=today.weekday())


def close_check(*, session: Session, project: Project, today: date) -> CloseCheck:
    """Open tasks, risks, change requests and alerts, milestones not reached, and
    the working members who have logged no hours this week (Monday to today)."""
    pid = project.id
    monday = week_start(today)
    tasks = session.exec(select(Task).where(Task.project_id == pid, Task.status.not_in(CLOSED_TASK_STATES))
                         .order_by(Task.number)).all()
    risks = risk_service.list_risks(session=session, project=project)
    alerts = session.exec(select(Alert).where(Alert.project_id == pid, Alert.state.in_(ACTIVE_STATES))
                          .order_by(Alert.id)).all()
    milestones = session.exec(select(Milestone).where(Milestone.project_id == pid, Milestone.done_at.is_(None),
                                                      Milestone.cancelled_at.is_(None))
                              .order_by(Milestone.number)).all()
    working = session.exec(select(Member.user_id).where(Member.project_id == pid, Member.active == True,  # noqa: E712
                                                        Member.role.in_(sorted(WORKING_ROLES)))).all()
    logged = set(session.exec(select(TimeEntry.user_id).where(TimeEntry.project_id == pid,
                                                              TimeEntry.worked_on >= monday)).all())
    return CloseCheck(project=project, tasks=list(tasks), risks=risks,
                      changes=open_change_requests(session, project), alerts=list(alerts),
                      milestones=list(milestones), unlogged=sorted(set(working) - logged), week_start=monday)


def open_tasks(session: Session, project: Project) -> list[Task]:
    return list(session.exec(select(Task).where(Task.project_id == project.id,
                                                Task.status.not_in(CLOSED_TASK_STATES)).order_by(Task.number)))


def cancel_open_tasks(*, session: Session, project: Project, actor: str, now: datetime) -> list[Task]:
    """Cancel every open task ("left at closing"); returns those cancelled (none the second time)."""
    require(session=session, project=project, user_id=actor, action=Action.MANAGE, what="cancel the remaining tasks")
    done = []
    for task in open_tasks(session, project):
        if task_service.cancel_task(session=session, project=project, actor=actor, task=task,
                                    reason="left open when the project closed", now=now):
            done.append(task)
    return done


def move_open_tasks(*, session: Session, project: Project, target: Project, actor: str,
                    now: datetime) -> list[tuple[Task, Task]]:
    """Move every open task to `target`: each becomes a new task there (title,
    assignee, estimate, due date) and is cancelled here naming where it went,
    so both projects' histories stay true. Returns (old, new) pairs."""
    if target.id == project.id:
        raise Invalid("Move the tasks to another project, not to this one.")
    require(session=session, project=project, user_id=actor, action=Action.MANAGE, what="move the remaining tasks")
    require(session=session, project=target, user_id=actor, action=Action.WORK, what="add tasks")
    if target.state not in ("active", "on_hold"):
        raise Invalid(f"*{target.name}* is {target.state.replace('_', ' ')}; move the tasks to an open project.")
    moved = []
    for task in open_tasks(session, project):
        new = task_service.add_task(session=session, project=target, actor=actor, title=task.title,
                                    assignee=task.assignee_user_id, estimate_hours=task.estimate_hours,
                                    due_date=task.due_date, now=now)
        task_service.cancel_task(session=session, project=project, actor=actor, task=task,
                                 reason=f"moved to {target.name} as #{new.number}", now=now)
        moved.append((task, new))
    return moved


def settle_risk(*, session: Session, project: Project, actor: str, risk: Risk, outcome: str,
                cost_cents: int | None = None, now: datetime) -> bool:
    """Close `risk` saying how it ended (`happened`, with what it cost, or
    `did_not_happen`); a closed risk gets its outcome (or cost) set. True when
    something changed; saying the same again changes nothing."""
    if outcome not in OUTCOMES:
        raise Invalid("A risk either `happened` or `did-not-happen`.")
    if cost_cents is not None and (outcome != HAPPENED or cost_cents < 0):
        raise Invalid("Only a risk that happened has a cost, and a cost is not negative.")
    require(session=session, project=project, user_id=actor, action=Action.WORK, what="close risks")
    if risk.outcome == outcome and (cost_cents is None or cost_cents == risk.outcome_cost_cents) \
            and risk.state == RiskState.CLOSED:
        return False
    before = {"outcome": risk.outcome, "outcome_cost_cents": risk.outcome_cost_cents}
    risk.outcome = outcome
    if cost_cents is not None or outcome == DID_NOT_HAPPEN:
        risk.outcome_cost_cents = cost_cents
    session.add(risk)
    risk_service.close_risk(session=session, project=project, actor=actor, risk=risk,
                            note=risk.close_note or OUTCOMES[outcome], now=now)
    audit.record(session=session, team_id=project.team_id, user_id=actor, action="risk.outcome",
                 entity="risk", entity_id=risk.id, project_id=project.id, before=before,
                 after={"outcome": outcome, "outcome_cost_cents": risk.outcome_cost_cents}, now=now)
    session.flush()
    return True
