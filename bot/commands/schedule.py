"""`/project schedule`: the dates the plan gives, the critical path and slack;
`/project chart timeline`: the same as a Gantt-style picture."""

from __future__ import annotations

from bot.commands.registry import Args, Context, command
from bot.domain import timeline
from bot.domain.format import day, mention, plural, truncate
from bot.domain.replies import Reply, Section
from bot.domain.schedule import Planned, Schedule, load_schedule

CRITICAL_LINES = 25
OTHER_LINES = 12


def _days(value: float) -> str:
    """`2d`, `0.5d`: working days, as short as they go."""
    return f"{round(value, 1):g}d"


def _line(t: Planned, today) -> str:
    who = f" · {mention(t.assignee)}" if t.assignee else ""
    late = f" · ⚠️ {plural(t.late_days, 'day')} after its due date" if t.late_days else ""
    waits = f" · after {', '.join(f'#{n}' for n in t.waiting_on)}" if t.waiting_on else ""
    when = (f"{day(t.start, today=today)}" if t.start == t.finish
            else f"{day(t.start, today=today)} → {day(t.finish, today=today)}")
    return f"• #{t.number} {truncate(t.title, 80)}{who} · {_days(t.days)} · {when}{waits}{late}"


def schedule_text(s: Schedule) -> list[Section]:
    p, today = s.project, s.today
    if not s.tasks:
        return [Section(text=f"*{p.name}* has no open tasks: nothing to schedule.")]
    due = ""
    if p.due_date:
        gap = (s.finish - p.due_date).days  # type: ignore[operator]
        due = (f" (due {day(p.due_date, today=today)}, {plural(gap, 'day')} late)" if gap > 0
               else f" (due {day(p.due_date, today=today)})")
    head = (f"*Planned finish: {day(s.finish, today=today)}*{due}. {plural(len(s.tasks), 'open task')}, "
            f"{plural(s.links, 'link')}; {len(s.critical)} on the critical path (no slack: a day lost on "
            "one of them is a day lost at the end).")
    crit = [_line(t, today) for t in s.critical[:CRITICAL_LINES]]
    if len(s.critical) > CRITICAL_LINES:
        crit.append(f"and {len(s.critical) - CRITICAL_LINES} more")
    sections = [Section(text=head), Section(text="*Critical path*\n" + "\n".join(crit))]
    others = sorted((t for t in s.tasks if not t.critical), key=lambda t: (t.slack, t.number))
    if others:
        lines = [_line(t, today) + f" · slack {_days(t.slack)}" for t in others[:OTHER_LINES]]
        if len(others) > OTHER_LINES:
            lines.append(f"and {len(others) - OTHER_LINES} more with more slack")
        sections.append(Section(text="*With slack* (working days they may slip)\n" + "\n".join(lines)))
    if s.milestones:
        ms = []
        for m in s.milestones:
            late = ""
            if m.due and m.finish > m.due:
                late = f" · ⚠️ due {day(m.due, today=today)}, {plural((m.finish - m.due).days, 'day')} late"
            elif m.due:
                late = f" · due {day(m.due, today=today)}"
            ms.append(f"• M{m.number} {truncate(m.name, 80)}: {day(m.finish, today=today)}{late}")
        sections.append(Section(text="*Milestones*\n" + "\n".join(ms)))
    return sections


@command("schedule", usage="schedule [PROJECT]", examples=["schedule", "schedule website"])
def schedule(ctx: Context, args: Args) -> Reply:
    """Planned dates from estimates, people's share and dependencies: the critical path and each task's slack."""
    project = args.take_project()
    args.expect_end()
    s = load_schedule(session=ctx.session, project=project, now=ctx.now)
    notes = " ".join(s.assumptions)
    rules = ("Durations: estimate at the assignee's share of their week on this project (8h a day when "
             "unassigned or without one), on working days.")
    return Reply(title=f"{project.name}: schedule", sections=schedule_text(s),
                 footer=f"{notes} {rules} `/project chart timeline {project.key}` draws it.".strip())


@command("chart timeline", usage="chart timeline [PROJECT]", examples=["chart timeline", "chart timeline website"])
def chart_timeline(ctx: Context, args: Args) -> Reply:
    """A Gantt-style timeline: bars from the schedule, critical path in red, milestones, today, late tasks."""
    project = args.take_project()
    args.expect_end()
    return timeline_reply(ctx, project)


def timeline_reply(ctx: Context, project) -> Reply:
    """The `chart timeline` reply: the PNG and one line on what it shows."""
    s = load_schedule(session=ctx.session, project=project, now=ctx.now)
    path = timeline.render_timeline(s)
    crit = f"{len(s.critical)} on the critical path" if s.tasks else "nothing open"
    finish = f", planned finish {day(s.finish, today=s.today)}" if s.finish else ""
    late = sum(1 for t in s.tasks if t.late_days)
    late_text = f", {plural(late, 'task')} planned after its due date" if late else ""
    return Reply(title=f"{project.name}: timeline", image_path=str(path), ephemeral=False,
                 sections=[Section(text=f"Timeline of *{project.name}*: {plural(len(s.tasks), 'open task')}, "
                                        f"{crit}{finish}{late_text}.")])
