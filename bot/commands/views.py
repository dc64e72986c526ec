"""Reply builders shared by commands, buttons and the App Home."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, select

from bot.domain.format import bar, day, days_phrase, hours, mention, money, truncate
from bot.domain.replies import Button, Field, Intent, Reply, Section
from bot.domain.status import StatusReport
from bot.models import Milestone, Project, Task, TaskStatus

LIST_LIMIT = 25
STATUS_ICON = {"todo": "○", "doing": "◐", "blocked": "⛔", "done": "●"}


def status_reply(report: StatusReport) -> Reply:
    """`/project status` as a reply with Refresh / Post to channel buttons."""
    p, today = report.project, report.today
    pct = round(report.fraction_done * 100)
    progress = f"{bar(report.fraction_done)} {pct}% ({report.done} of {report.total} tasks done)"
    fields = [Field("Progress", progress)]
    if p.due_date:
        fields.append(Field("Due", f"{day(p.due_date, today=today)} ({days_phrase(report.days_left)})"))
    else:
        fields.append(Field("Due", "no due date set"))
    if p.budget_cents is not None:
        fields.append(Field("Budget", money(p.budget_cents, p.currency)))
    fields.append(Field("Owner", mention(p.owner_user_id)))
    open_counts = ", ".join(f"{report.counts.get(s, 0)} {s}" for s in ("todo", "doing", "blocked"))
    fields.append(Field("Open work", open_counts + (f"; {report.overdue_tasks} overdue" if report.overdue_tasks else "")))
    sections = [Section(text=f"_{truncate(p.goal, 500)}_" if p.goal else "", fields=fields)]
    ms_lines = [f"⚠️ *{truncate(m.name, 100)}* was due {day(m.due_date, today=today)}" for m in report.overdue_milestones[:5]]
    ms_lines += [f"• *{truncate(m.name, 100)}* {day(m.due_date, today=today)}" for m in report.next_milestones]
    if ms_lines:
        sections.append(Section(text="*Milestones*\n" + "\n".join(ms_lines)))
    if report.blocked:
        lines = [f"⛔ #{t.number} {truncate(t.title, 120)} ({mention(t.assignee_user_id)}): "
                 f"{truncate(t.blocked_reason, 200)}" for t in report.blocked]
        sections.append(Section(text="*Blocked*\n" + "\n".join(lines)))
    return Reply(
        title=f"{p.name}: status",
        sections=sections,
        buttons=[Button("Refresh", Intent.REFRESH_STATUS, p.key),
                 Button("Post to channel", Intent.POST_STATUS, p.key, "primary"),
                 Button("Add task", Intent.ADD_TASK, p.key)],
        footer=f"As of {day(today, year=True)} ({p.timezone}). `/project task list {p.key}` for tasks.",
    )


def project_list_reply(*, session: Session, projects: list[Project], today: date) -> Reply:
    """The owner's portfolio: every project with progress and due date, by objective."""
    if not projects:
        return Reply.text('No projects yet. Start one with `/project new "Website relaunch" due 31 Mar`.')
    ids = [p.id for p in projects]
    done: dict[int, list[float]] = defaultdict(lambda: [0, 0.0])
    total: dict[int, list[float]] = defaultdict(lambda: [0, 0.0])
    for pid, status, count, estimate in session.exec(
        select(Task.project_id, Task.status, func.count(), func.coalesce(func.sum(Task.estimate_hours), 0.0))
        .where(Task.project_id.in_(ids)).group_by(Task.project_id, Task.status)
    ):
        total[pid][0] += count
        total[pid][1] += float(estimate)
        if status == TaskStatus.DONE:
            done[pid][0] += count
            done[pid][1] += float(estimate)
    by_objective: dict[str, list[str]] = defaultdict(list)
    for p in projects[:LIST_LIMIT]:
        frac = _fraction(done[p.id], total[p.id])
        due = f"due {day(p.due_date, today=today)}" if p.due_date else "no due date"
        budget = f", budget {money(p.budget_cents, p.currency)}" if p.budget_cents is not None else ""
        state = "" if p.state == "active" else f" _({p.state.replace('_', ' ')})_"
        by_objective[p.objective or "Other projects"].append(
            f"*{truncate(p.name, 80)}* `{p.key}`{state}\n{bar(frac)} {round(frac * 100)}% · {due}{budget}"
        )
    sections = [Section(text=f"*{truncate(obj, 100)}*\n" + "\n".join(lines))
                for obj, lines in by_objective.items()]
    more = len(projects) - LIST_LIMIT
    return Reply(title="Projects", sections=sections,
                 footer=f"and {more} more: `/project status KEY` for one" if more > 0 else "")


def _fraction(done: list[float], total: list[float]) -> float:
    """Done share by estimate where estimated, else by count (as in status)."""
    if total[1] > 0:
        return done[1] / total[1]
    return done[0] / total[0] if total[0] else 0.0


def task_line(t: Task, today: date) -> str:
    due = f" · due {day(t.due_date, today=today)}" if t.due_date else ""
    if t.due_date and t.due_date < today and t.status != TaskStatus.DONE:
        due += " ⚠️ overdue"
    est = f" · {hours(t.estimate_hours)}" if t.estimate_hours else ""
    blocked = f"\n    blocked: {truncate(t.blocked_reason, 150)}" if t.status == TaskStatus.BLOCKED else ""
    return (f"{STATUS_ICON.get(t.status, '○')} #{t.number} {truncate(t.title, 150)} · "
            f"{mention(t.assignee_user_id)}{est}{due}{blocked}")


def task_list_reply(*, project: Project, tasks: list[Task], today: date, heading: str,
                    offset: int = 0) -> Reply:
    """A page of tasks with done/assign buttons; long lists say how to see more."""
    if not tasks:
        return Reply.text(f"No {heading} in *{project.name}*.")
    page = tasks[offset : offset + LIST_LIMIT]
    sections = [Section(text="\n".join(task_line(t, today) for t in page))]
    buttons = []
    if len(page) <= 5:
        for t in page:
            if t.status != TaskStatus.DONE:
                buttons.append(Button(f"Done #{t.number}", Intent.TASK_DONE, f"{project.key}:{t.number}"))
    rest = len(tasks) - offset - len(page)
    footer = ""
    if rest > 0:
        footer = f"and {rest} more: `/project task list {project.key} page {offset // LIST_LIMIT + 2}`"
        buttons.append(Button("Show more", Intent.SHOW_MORE,
                              f"tasks:{project.key}:{offset + LIST_LIMIT}"))
    return Reply(title=f"{project.name}: {heading} ({len(tasks)})", sections=sections,
                 buttons=buttons, footer=footer)


def milestone_lines(milestones: list[Milestone], today: date, currency: str) -> str:
    lines = []
    for m in milestones:
        mark = "●" if m.done_at else ("⚠️" if m.due_date and m.due_date < today else "○")
        extra = []
        if m.planned_budget_cents is not None:
            extra.append(money(m.planned_budget_cents, currency))
        if m.planned_effort_hours:
            extra.append(hours(m.planned_effort_hours))
        tail = f" ({', '.join(extra)})" if extra else ""
        lines.append(f"{mark} M{m.number} *{truncate(m.name, 120)}* · {day(m.due_date, today=today)}{tail}")
    return "\n".join(lines)
