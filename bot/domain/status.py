"""The basic status picture: progress, next milestones, due date, days left.

Built with a constant number of queries whatever the project's size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import case, func
from sqlmodel import Session, select

from bot.models import Milestone, Project, Task, TaskStatus


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

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def done(self) -> int:
        return self.counts.get(TaskStatus.DONE, 0)

    @property
    def fraction_done(self) -> float:
        """Done share by estimate where tasks are estimated, else by count."""
        if self.estimate_total > 0:
            return self.estimate_done / self.estimate_total
        return self.done / self.total if self.total else 0.0

    @property
    def days_left(self) -> int | None:
        return (self.project.due_date - self.today).days if self.project.due_date else None


def build_status(*, session: Session, project: Project, today: date, blocked_limit: int = 5) -> StatusReport:
    """Gather the numbers for `project` as of `today` (project-local)."""
    rows = session.exec(
        select(
            Task.status,
            func.count(),
            func.coalesce(func.sum(Task.estimate_hours), 0.0),
            func.sum(case((Task.due_date < today, 1), else_=0)),
        ).where(Task.project_id == project.id).group_by(Task.status)
    ).all()
    counts = {str(s): int(c) for s, c, _, _ in rows}
    estimate_total = float(sum(e for _, _, e, _ in rows))
    estimate_done = float(sum(e for s, _, e, _ in rows if s == TaskStatus.DONE))
    overdue = int(sum(o or 0 for s, _, _, o in rows if s != TaskStatus.DONE))
    milestones = session.exec(
        select(Milestone).where(Milestone.project_id == project.id, Milestone.done_at.is_(None))
        .order_by(Milestone.due_date.is_(None), Milestone.due_date, Milestone.number)
    ).all()
    overdue_ms = [m for m in milestones if m.due_date and m.due_date < today]
    upcoming = [m for m in milestones if not (m.due_date and m.due_date < today)][:3]
    blocked = session.exec(
        select(Task).where(Task.project_id == project.id, Task.status == TaskStatus.BLOCKED)
        .order_by(Task.blocked_at, Task.number).limit(blocked_limit)
    ).all()
    return StatusReport(
        project=project, today=today, counts=counts, estimate_total=estimate_total,
        estimate_done=estimate_done, overdue_tasks=overdue, next_milestones=list(upcoming),
        overdue_milestones=overdue_ms, blocked=list(blocked),
    )
