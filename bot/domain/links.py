"""Dependencies between tasks: `#7 after #3` (finish-to-start, optional lag).

A link is refused when it would close a cycle, naming it ("#3 → #7 → #3");
linking a task to itself, to a task of another project or to a cancelled
task is refused too. Adding a link that exists (same lag) changes nothing, so
a repeated request is harmless; a new lag replaces the old one. Every change
is audited as `task.link` / `task.unlink` on the waiting task.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from bot.domain import audit
from bot.domain.access import Action, require
from bot.domain.errors import Invalid
from bot.domain.format import plural
from bot.domain.network import path_between
from bot.models import CLOSED_TASK_STATES, Project, Task, TaskLink, TaskStatus

MAX_LAG = 250  # working days: a year
MAX_LINKS_PER_TASK = 50


def cycle_phrase(numbers: list[int]) -> str:
    return " → ".join(f"#{n}" for n in numbers)


def project_links(*, session: Session, project: Project) -> list[TaskLink]:
    return list(session.exec(select(TaskLink).where(TaskLink.project_id == project.id)
                             .order_by(TaskLink.task_id, TaskLink.after_task_id)))


def _numbers(session: Session, project: Project) -> dict[int, int]:
    return dict(session.exec(select(Task.id, Task.number).where(Task.project_id == project.id)).all())


def check_cycle(*, before: int, after: int, pairs: list[tuple[int, int]], numbers: dict[int, int]) -> None:
    """Refuse `after` waiting on `before` when `before` already waits, through
    any chain, on `after`. Ids in `pairs` (before, after); `numbers` maps id to #."""
    if before == after:
        raise Invalid(f"#{numbers[after]} cannot wait on itself.")
    ids = sorted({i for pair in pairs for i in pair} | {before, after})
    index = {task_id: i for i, task_id in enumerate(ids)}
    edges = [(index[b], index[a], 0.0) for b, a in pairs]
    back = path_between(len(ids), edges, index[after], index[before])
    if back is not None:
        loop = [numbers[before]] + [numbers[ids[i]] for i in back]
        raise Invalid(f"That would make a cycle: {cycle_phrase(loop)}. A task cannot wait, "
                      "even through others, on a task that waits on it.")


@dataclass(frozen=True)
class Linked:
    """What `link` did: the links added or changed (as `#3` or `#3 +2d`) and those already so."""

    added: list[str]
    unchanged: list[str]


def lag_phrase(number: int, lag: int) -> str:
    return f"#{number}" + (f" +{lag}d" if lag else "")


def link(*, session: Session, project: Project, actor: str, task: Task, after: list[tuple[Task, int]],
         now: datetime, pairs: list[tuple[int, int]] | None = None) -> Linked:
    """Make `task` wait on each (predecessor, lag days). All or nothing: one bad
    link refuses them all. `pairs` (before id, after id): the project's links if
    the caller has them (the CSV import checks a whole plan at once)."""
    require(session=session, project=project, user_id=actor, action=Action.WORK, what="link tasks")
    if task.status == TaskStatus.CANCELLED:
        raise Invalid(f"#{task.number} is cancelled; reopen it before linking it.")
    existing = {row.after_task_id: row for row in session.exec(
        select(TaskLink).where(TaskLink.task_id == task.id))}
    if len(existing) + len(after) > MAX_LINKS_PER_TASK:
        raise Invalid(f"A task can wait on at most {plural(MAX_LINKS_PER_TASK, 'other')}.")
    if pairs is None:
        pairs = [(b, a) for b, a in session.exec(select(TaskLink.after_task_id, TaskLink.task_id)
                                                  .where(TaskLink.project_id == project.id))]
    numbers = _numbers(session, project)
    added, unchanged = [], []
    for before, lag in after:
        if before.project_id != project.id:
            raise Invalid(f"#{before.number} is in another project; links stay inside one project.")
        if before.status == TaskStatus.CANCELLED:
            raise Invalid(f"#{before.number} is cancelled, so nothing can wait on it.")
        if not 0 <= lag <= MAX_LAG:
            raise Invalid(f"A lag is from 0 to {MAX_LAG} working days (got {lag}).")
        check_cycle(before=before.id, after=task.id, pairs=pairs, numbers=numbers)
        row = existing.get(before.id)
        if row is not None and row.lag_days == lag:
            unchanged.append(lag_phrase(before.number, lag))
            continue
        old = row.lag_days if row is not None else None
        if row is None:
            row = TaskLink(team_id=project.team_id, project_id=project.id, task_id=task.id,
                           after_task_id=before.id, lag_days=lag, created_by=actor, created_at=now)
            existing[before.id] = row
            pairs.append((before.id, task.id))
        row.lag_days = lag
        session.add(row)
        audit.record(session=session, team_id=project.team_id, user_id=actor, action="task.link",
                     entity="task", entity_id=task.id, project_id=project.id, now=now,
                     before={"after": before.number, "lag_days": old} if old is not None else None,
                     after={"number": task.number, "after": before.number, "lag_days": lag})
        added.append(lag_phrase(before.number, lag))
    session.flush()
    return Linked(added, unchanged)


def unlink(*, session: Session, project: Project, actor: str, task: Task, before: Task,
           now: datetime) -> bool:
    """Stop `task` waiting on `before`; False when it did not (nothing changes)."""
    require(session=session, project=project, user_id=actor, action=Action.WORK, what="unlink tasks")
    row = session.exec(select(TaskLink).where(TaskLink.task_id == task.id,
                                              TaskLink.after_task_id == before.id)).first()
    if row is None:
        return False
    audit.record(session=session, team_id=project.team_id, user_id=actor, action="task.unlink",
                 entity="task", entity_id=task.id, project_id=project.id, now=now,
                 before={"number": task.number, "after": before.number, "lag_days": row.lag_days})
    session.delete(row)
    session.flush()
    return True


def waiting_on(*, session: Session, project: Project, task_ids: list[int] | None = None) -> dict[int, list[int]]:
    """Task id -> numbers of its unfinished predecessors (done and cancelled ones
    no longer hold anything up), for the tasks in `task_ids` (default: all)."""
    before = Task.__table__.alias("before")
    query = (select(TaskLink.task_id, before.c.number)
             .join(before, before.c.id == TaskLink.after_task_id)
             .where(TaskLink.project_id == project.id, before.c.status.not_in(list(CLOSED_TASK_STATES)))
             .order_by(TaskLink.task_id, before.c.number))
    if task_ids is not None:
        if not task_ids:
            return {}
        query = query.where(TaskLink.task_id.in_(task_ids))
    out: dict[int, list[int]] = defaultdict(list)
    for task_id, number in session.exec(query):
        out[task_id].append(number)
    return dict(out)


def predecessors(*, session: Session, task: Task) -> list[tuple[Task, int]]:
    """(predecessor, lag) of `task`, by number."""
    rows = session.exec(select(Task, TaskLink.lag_days).join(TaskLink, TaskLink.after_task_id == Task.id)
                        .where(TaskLink.task_id == task.id).order_by(Task.number))
    return [(t, int(lag)) for t, lag in rows]


def open_predecessors(*, session: Session, task: Task) -> list[Task]:
    return [t for t, _ in predecessors(session=session, task=task) if t.status not in CLOSED_TASK_STATES]
