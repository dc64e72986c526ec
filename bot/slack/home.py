"""The App Home: a personal dashboard.

`home_reply()` builds it as a `Reply` (rendered by `render.render_home`): my
week (hours due this week against my capacity, across projects); my open
tasks, overdue first then by due date; my projects with their state and
progress; quick actions. What it shows, and who needs theirs re-published
after a change, is read by `bot.domain.home`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from bot.domain.format import bar, day, hours, plural, truncate, upper_first
from bot.domain.home import my_open_tasks, my_projects, my_week, project_today
from bot.domain.replies import Button, Intent, Reply, Section
from bot.domain.status import build_statuses
from bot.domain.workload import Load
from bot.models import ProjectState, TaskStatus

TASK_LIMIT = 40
PROJECT_LIMIT = 20
DONE_BUTTONS = 5


def week_text(load: Load, names: dict[int, str]) -> str:
    """*My week*: hours due this week against capacity, across projects (as `/project people` counts)."""
    week = load.weeks[0]
    end = week.start + timedelta(days=6)
    when = f"{day(week.start, today=load.today)} – {day(end, today=load.today)}"
    if week.capacity is None:
        head = f"{hours(round(week.total, 1))} due; you have no weekly capacity (`/project capacity`)"
    else:
        away = f", less {plural(week.days_away, 'day')} away" if week.days_away else ""
        head = f"{hours(round(week.total, 1))} due of your {hours(round(week.capacity, 1))}{away}"
        if week.over:
            head += f" ⚠️ *{hours(round(week.total - week.capacity, 1))} over*"
    parts = " · ".join(f"{name} {hours(round(h, 1))}" for name, h in sorted(
        ((names.get(pid, "a project"), h) for pid, h in week.due.items()), key=lambda kv: -kv[1]))
    overdue = f" ({hours(round(week.overdue, 1))} of it overdue)" if week.overdue else ""
    detail = f"\n{parts}{overdue}" if parts else ""
    return f"*My week* ({when}): {head}.{detail}"


def plan_note(report, *, mine: bool) -> str:
    """Plan vs now in one line (the first difference from Baseline 1 and the change
    counts) and, for the owner, the change requests awaiting their decision; read
    from the project row status already loaded, so Home runs no more statements."""
    plan = report.plan
    parts = [plan.differences[0].text] if plan.differences else []
    if plan.changes_line:
        parts.append(plan.changes_line)
    text = f"\n{' · '.join(parts)}" if parts else ""
    if mine and plan.open_numbers:
        refs = ", ".join(f"CR-{n}" for n in plan.open_numbers[:3]) + (" …" if len(plan.open_numbers) > 3 else "")
        text += f"\n⚖️ {refs} {'awaits' if len(plan.open_numbers) == 1 else 'await'} your decision " \
                f"(`/project change list {report.project.key}`)"
    return text


def home_reply(*, session: Session, team_id: str, user_id: str, now: datetime, notice: str = "") -> Reply:
    """The dashboard for one person; `notice` on top answers a Home button
    that has no message to answer under (the next refresh drops it)."""
    tasks = my_open_tasks(session=session, team_id=team_id, user_id=user_id, now=now)
    week = my_week(session=session, team_id=team_id, user_id=user_id, now=now, tasks=tasks)
    sections: list[Section] = [Section(text=f":warning: {notice}")] if notice else []
    sections.append(Section(text=week_text(week, {p.id: p.name for _, p, _ in tasks})))
    if tasks:
        lines = []
        for task, project, _ in tasks[:TASK_LIMIT]:
            today = project_today(project, now)
            due = ""
            if task.due_date:
                late = " ⚠️ *overdue*" if task.due_date < today else ""
                due = f" · due {day(task.due_date, today=today)}{late}"
            state = " · ⛔ blocked" if task.status == TaskStatus.BLOCKED else ""
            lines.append(f"`{project.key}` #{task.number} {truncate(task.title, 150)}{due}{state}")
        more = len(tasks) - TASK_LIMIT
        if more > 0:
            lines.append(f"_and {more} more: `/project task list KEY mine` shows a project's._")
        buttons = [Button(f"Done: {project.key} #{task.number}", Intent.TASK_DONE,
                          f"{project.key}:{task.number}")
                   for task, project, can_work in tasks if can_work][:DONE_BUTTONS]  # not a stakeholder's
        sections.append(Section(text=f"*My open tasks ({len(tasks)})*\n" + "\n".join(lines),
                                buttons=buttons))
    else:
        sections.append(Section(text="*My open tasks*\nNothing assigned to you. :tada:"))
    projects = my_projects(session=session, team_id=team_id, user_id=user_id)
    if projects:
        lines = []
        shown = projects[:PROJECT_LIMIT]
        reports = {}
        for today in {project_today(p, now) for p in shown}:  # each as of its own today, as status is
            reports.update(build_statuses(session=session, today=today,
                                          projects=[p for p in shown if project_today(p, now) == today]))
        for p in shown:
            report = reports[p.id]
            state = "" if p.state == ProjectState.ACTIVE else f" _({p.state.replace('_', ' ')})_"
            health = f"{report.health.icon} " if report.health else ""
            why = f"\n_{truncate(report.health.summary, 200)}_" if report.health and report.health.reasons else ""
            due = f" · due {day(p.due_date, today=report.today)}" if p.due_date else ""
            p85 = report.forecast.p85 if report.forecast else None
            forecast = f" · 85% by {day(p85, today=report.today)}" if p85 else ""
            final = report.final_phrases()
            if final:
                health, due, forecast, why = ":white_check_mark: ", "", "", f"\n_{upper_first(final[0])}_"
            lines.append(f"{health}*{truncate(p.name, 80)}* `{p.key}`{state}\n"
                         f"{bar(report.fraction_done)} {report.progress_phrase()}{due}{forecast}{why}"
                         + plan_note(report, mine=p.owner_user_id == user_id))
        if len(projects) > PROJECT_LIMIT:
            lines.append(f"_and {len(projects) - PROJECT_LIMIT} more: `/project list` shows all._")
        buttons = []
        for p in projects[:5]:
            buttons.append(Button(f"Status: {truncate(p.name, 60)}", Intent.REFRESH_STATUS, p.key))
            if p.owner_user_id == user_id:
                buttons.append(Button(f"Edit: {truncate(p.name, 60)}", Intent.EDIT_PROJECT, p.key))
        sections.append(Section(text="*My projects*\n" + "\n".join(lines), buttons=buttons))
    else:
        sections.append(Section(text="*My projects*\nYou are not on a project yet."))
    return Reply(
        title="Your projects and tasks",
        sections=sections,
        buttons=[Button("New project", Intent.NEW_PROJECT, style="primary"),
                 Button("Refresh", Intent.REFRESH_HOME)],
        footer=f"Updated {now:%Y-%m-%d %H:%M} UTC. `/project help` lists every command.",
    )


