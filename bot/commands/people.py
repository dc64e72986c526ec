"""`/project capacity` and `/project people`: one week per person, and the
workload of everyone across the workspace's projects (`bot.domain.workload`)."""

from __future__ import annotations

import re

from bot.commands.grammar import UsageError, parse_duration
from bot.commands.registry import Args, Context, command
from bot.commands.replies import warned
from bot.domain import alerts as alert_service
from bot.domain import capacity as capacity_service
from bot.domain import members as members_service
from bot.domain.errors import PermissionDenied
from bot.domain.format import day, hours, plural
from bot.domain.load_chart import MAX_WEEKS, load_chart, render_load_chart
from bot.domain.replies import Reply, Section
from bot.domain.workload import Load, Workload, load_people
from bot.models import Project

PAGE = 15
RESET_WORDS = {"default", "reset"}


def weekly_hours(raw: str) -> float:
    """`20`, `20h`, `2.5d` -> hours a week (a bare number means hours)."""
    value = float(raw) if re.fullmatch(r"\d{1,4}(\.\d{1,2})?", raw) else parse_duration(raw)
    if not 0 <= value <= capacity_service.MAX_HOURS:
        raise UsageError(f"Hours per week must be from 0 to 168 (got {value:g}).")
    return value


@command("capacity", usage="capacity [@user] [HOURS | default]",
         examples=["capacity", "capacity @dan 32h", "capacity @erin 10", "capacity @dan default"])
def capacity(ctx: Context, args: Args) -> Reply:
    """Someone's weekly capacity across every project: shown, set, or back to the default.

    One number per person: 40h by default for anyone who works on a project
    (owner, manager, member), none for stakeholders and other readers. Their
    allocations to projects (`member capacity`) come out of it."""
    user = args.take_user(required=False) or ctx.user_id
    raw = args.take_text(what="hours a week, like 32h", required=False)
    args.expect_end()
    if not raw:
        p = capacity_service.person(session=ctx.session, team_id=ctx.team_id, user_id=user)
        return Reply.text(_capacity_text(p))
    value = None if raw.lower() in RESET_WORDS else weekly_hours(raw)
    change = capacity_service.set_capacity(session=ctx.session, team_id=ctx.team_id, actor=ctx.user_id,
                                           user_id=user, hours_=value, now=ctx.now)
    p = change.person
    if not change.changed:
        return warned(Reply.text(f"Nothing changed: {_capacity_text(p)}"), [change.warning])
    was = "the default" if change.before is None else hours(change.before)
    text = f"<@{user}>'s capacity, for all projects together, is now {capacity_service.capacity_phrase(p)} (was {was})."
    for project in capacity_service.active_projects_of(session=ctx.session, team_id=ctx.team_id, user_id=user):
        alert_service.after_change(session=ctx.session, project=project, now=ctx.now, what="member")
    return warned(Reply.text(text), [change.warning])


def _capacity_text(p: capacity_service.Person) -> str:
    text = f"<@{p.user_id}>'s capacity, for all projects together: {capacity_service.capacity_phrase(p)}"
    if p.capacity is None:
        text += (" (someone who works on no project's tasks, a stakeholder say, has none unless given one: "
                 f"`/project capacity <@{p.user_id}> 10h`)")
    allocated = [s for s in p.stakes if s.allocation is not None]
    if allocated:
        listed = ", ".join(f"{s.name} {hours(s.allocation)}" for s in allocated)
        text += f"; allocated {hours(round(p.allocated, 2))} ({listed})"
    return text + "."


# --- people -----------------------------------------------------------------------------


@command("people", usage="people [@user] [page N]", examples=["people", "people @dan", "people page 2"])
def people(ctx: Context, args: Args) -> Reply:
    """Each person's capacity, allocations, open work and what is due in the next 6 weeks, across projects.

    The owners and managers of projects see everyone; others see themselves."""
    opts = args.take_options({"page": "int"})
    user = args.take_user(required=False)
    args.expect_end()
    manager = capacity_service.manages_any(session=ctx.session, team_id=ctx.team_id, user_id=ctx.user_id)
    if user and user != ctx.user_id and not manager:
        raise PermissionDenied("Only project owners and managers see other people's workload; "
                               "`/project people` shows yours.")
    only = [user] if user else None if manager else [ctx.user_id]
    workload = load_people(session=ctx.session, team_id=ctx.team_id, now=ctx.now, user_ids=only)
    loads = sorted(workload.people.values(), key=lambda ld: (-ld.peak(), ld.name.lower(), ld.user_id))
    page = int(opts.get("page") or 1)
    pages = max(1, -(-len(loads) // PAGE))
    if page > pages:
        raise UsageError(f"There {'is' if pages == 1 else 'are'} {plural(pages, 'page')} of people "
                         f"(asked for page {page}).")
    shown_ = loads[(page - 1) * PAGE: page * PAGE]
    if not shown_:
        return Reply.text("Nobody works on an active project yet.", title="People and workload")
    sections = [Section(text=person_text(load, workload)) for load in shown_]
    title = ("People and workload" if only is None else "Your workload" if only == [ctx.user_id]
             else "Workload across projects")
    footer = ("Hours due per week against capacity (less days away); weeks start on Monday, and open work "
              "already overdue counts in this week.")
    if pages > 1:
        footer += (f" Page {page} of {pages} ({plural(len(loads), 'person', 'people')}, most loaded first)"
                   + (f": `/project people page {page + 1}` for more." if page < pages else "."))
    return Reply(title=title, sections=sections, footer=footer)


def week_cell(week, today) -> str:
    """`21 Dec 61h/40h ⚠️`: the week from Monday 21 Dec, hours due / capacity less days away."""
    label = ("this week" if week.start <= today else
             f"{week.start.day} {week.start:%b}" + (f" {week.start.year}" if week.start.year != today.year else ""))
    cell = f"{label} {hours(round(week.total, 1))}"
    if week.capacity is not None:
        cell += f"/{hours(round(week.capacity, 1))}"
    if week.days_away:
        cell += f" ({plural(week.days_away, 'day')} away)"
    if week.overdue:
        cell += f" (incl. {hours(round(week.overdue, 1))} overdue)"
    return f"*{cell}* ⚠️" if week.over else cell


def person_text(load: Load, workload: Workload) -> str:
    """One person's block: capacity and allocation, each project, the weeks ahead."""
    p = load.person
    head = f"*<@{p.user_id}>* · {capacity_service.capacity_phrase(p)}"
    if p.allocated:
        if load.over_allocated:
            head += (f" · allocated {hours(round(p.allocated, 2))}: "
                     f"*{hours(round(p.allocated - (p.capacity or 0), 2))} over* ⚠️")
        else:
            head += f" · allocated {hours(round(p.allocated, 2))}"
    lines = [head]
    for pid in load.projects():
        lines.append("• " + project_line(load, workload, pid))
    if not load.projects():
        lines.append("• on no active project, and no open work")
    lines.append("Due per week (from Monday): " + " · ".join(week_cell(w, load.today) for w in load.weeks))
    return "\n".join(lines)


def project_line(load: Load, workload: Workload, pid: int) -> str:
    project = workload.projects.get(pid)
    name = f"*{project.name}* `{project.key}`" if project else "another project"
    stake = load.person.stake(pid)
    if stake is None:
        part = "not on it"
    elif stake.allocation is not None:
        part = f"{hours(stake.allocation)} a week allocated"
    elif stake.role in capacity_service.WORKING_ROLES:
        part = f"{hours(round(stake.share, 1))} a week (a share of what is not allocated)"
    else:
        part = stake.role
    open_h, tasks = load.open_hours.get(pid, 0.0), load.open_tasks.get(pid, 0)
    work = f"{hours(round(open_h, 1))} open in {plural(tasks, 'task')}" if tasks else "no open tasks"
    if load.unestimated.get(pid):
        work += f" ({load.unestimated[pid]} without an estimate)"
    line = f"{name}: {part} · {work}"
    finish = load.finish_at_share(pid)
    if finish and stake is not None and stake.share > 0:
        line += f" · done about {day(finish, today=load.today)} at {hours(round(stake.share, 1))} a week"
    return line


# --- chart load -------------------------------------------------------------------------


@command("chart load", usage="chart load [PROJECT|all] [weeks 8]",
         examples=["chart load", "chart load website", "chart load all weeks 12"])
def chart_load(ctx: Context, args: Args) -> Reply:
    """A heatmap of people x weeks: hours due against capacity, over-allocated weeks marked.

    For one project: its people (their work on every project counts); `all`:
    everyone. Owners and managers see everyone; others their own row."""
    opts = args.take_options({"weeks": "int"})
    everyone = args.take_word(what="`all`", choices=["all"], required=False) == "all"
    project = None if everyone else args.take_project(required=False)
    args.expect_end()
    return load_chart_reply(ctx, project, int(opts.get("weeks") or 8))


def load_chart_reply(ctx: Context, project: Project | None, weeks: int) -> Reply:
    """The `chart load` reply for one project's people (None: everyone)."""
    if not 1 <= weeks <= MAX_WEEKS:
        raise UsageError(f"`weeks` is from 1 to {MAX_WEEKS} (got {weeks}).")
    manager = capacity_service.manages_any(session=ctx.session, team_id=ctx.team_id, user_id=ctx.user_id)
    who = None
    if project is not None:
        who = [m.user_id for m in members_service.list_members(session=ctx.session, project=project)]
    if not manager:
        who = [ctx.user_id]
    workload = load_people(session=ctx.session, team_id=ctx.team_id, now=ctx.now, user_ids=who, weeks=weeks)
    loads = sorted((ld for ld in workload.people.values() if ld.person.capacity is not None or ld.open_tasks),
                   key=lambda ld: (-ld.peak(), ld.name.lower(), ld.user_id))
    if not loads:
        raise UsageError("Nobody to chart: no one here works on an active project or has open work.")
    scope = project.name if project is not None else "All projects"
    first = loads[0].weeks[0].start
    title = f"{scope}: load, {plural(weeks, 'week')} from {day(first, today=loads[0].today)}"
    grid = load_chart(title=title, loads=loads, names={ld.user_id: ld.name for ld in loads})
    path = render_load_chart(grid, slug=project.key if project else "all", today=loads[0].today)
    over = grid.over()
    text = (f"Load of {plural(len(loads), 'person', 'people')} over {plural(weeks, 'week')} from "
            f"{day(first, today=loads[0].today)}: ")
    if over:
        listed = "; ".join(f"<@{who_}> in the week of {day(week, today=loads[0].today)}: "
                           f"{hours(round(cell.hours, 1))} against {hours(round(cell.capacity or 0, 1))}"
                           for who_, week, cell in grid.over(ids=True)[:5])
        text += f"{plural(len(over), 'week')} over capacity ({listed}{'; …' if len(over) > 5 else ''})."
    else:
        text += "no week over capacity."
    if not manager:
        text += " (Your own row: owners and managers see everyone's.)"
    return Reply(title=title, image_path=str(path), ephemeral=False, sections=[Section(text=text)])
