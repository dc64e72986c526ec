"""The overload detector's two findings, over the members' workload across
every project (`bot.domain.workload`):

- `overload:{user}`: their work due in a week (this one or the next few) is
  above that week's capacity, counting every project, in a week where this
  project has work due for them. Each such project raises it in its own
  channel, with the same numbers.
- `share:{user}`: at their share of the week for this project (their
  allocation, or an even part of what allocations leave) their open work here
  finishes after the project's due date: the forecast at their share, not
  their whole week.
"""

from __future__ import annotations

from datetime import date, timedelta

from bot.domain.findings import CRITICAL, WARNING, Finding
from bot.domain.format import day, hours, mention, plural
from bot.domain.workload import Load, Workload
from bot.models import CLOSED_TASK_STATES, Project, Task


def week_overload(project: Project, tasks: list[Task], load: Load, workload: Workload,
                  limits: dict[str, float]) -> Finding | None:
    """The first overloaded week within `overload_weeks` where this project has work due for them."""
    pid = project.id
    for week in load.weeks[: int(limits["overload_weeks"])]:
        capacity = week.capacity or 0.0
        if week.due.get(pid, 0) <= 0 or week.total <= capacity * limits["overload_pct"] / 100 + 1e-9:
            continue
        parts = ", ".join(f"{workload.name(p)} {hours(round(h, 1))}"
                          for p, h in sorted(week.due.items(), key=lambda kv: (-kv[1], kv[0])))
        away = (f", {hours(load.person.capacity)} a week less {plural(week.days_away, 'day')} away"
                if week.days_away else "")
        overdue = f"; {hours(round(week.overdue, 1))} of it overdue" if week.overdue else ""
        reason = (f"{mention(load.user_id)} has {hours(round(week.total, 1))} of work due in the week of "
                  f"{day(week.start, today=load.today)} against {hours(round(capacity, 1))}{away} "
                  f"({parts}{overdue}).")
        end = week.start + timedelta(days=6)
        first = week is load.weeks[0]
        mine = sorted(t.number for t in tasks if t.status not in CLOSED_TASK_STATES
                      and t.assignee_user_id == load.user_id and t.estimate_hours and t.due_date
                      and t.due_date <= end and (first or t.due_date >= week.start))
        severity = CRITICAL if capacity <= 0 or week.total > 1.5 * capacity else WARNING
        return Finding("overload", f"overload:{load.user_id}", severity, reason,
                       {"week": week.start.isoformat(), "load_hours": round(week.total, 1),
                        "capacity_hours": round(capacity, 1), "days_away": week.days_away or None,
                        "here_hours": round(week.due[pid], 1), "tasks": mine}, subject=load.user_id)
    return None


def share_too_small(project: Project, load: Load, today: date) -> Finding | None:
    """Their open estimated work here, at their share, done after the due date."""
    finish = load.finish_at_share(project.id)
    if project.due_date is None or finish is None or finish <= project.due_date:
        return None
    share, left = load.share(project.id), load.open_hours.get(project.id, 0.0)
    reason = (f"At {hours(round(share, 1))} a week on *{project.name}*, {mention(load.user_id)}'s "
              f"{hours(round(left, 1))} of open work here is done about {day(finish, today=today)}, after the "
              f"due date {day(project.due_date, today=today)}: allocate more of their week "
              f"(`/project member capacity {project.key} {mention(load.user_id)} HOURS`) or move work.")
    return Finding("overload", f"share:{load.user_id}", WARNING, reason,
                   {"open_hours": round(left, 1), "share_hours": round(share, 1),
                    "forecast": finish.isoformat(), "due": project.due_date.isoformat()}, subject=load.user_id)
