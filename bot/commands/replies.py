"""Reply builders shared by commands, buttons and the App Home, and
`status_for`, the one way a command asks for a project's status."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Hashable, Iterable
from datetime import date
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.commands.grammar import Kind, Token
from bot.commands.registry import Args, Context
from bot.domain import baselines, status_cache
from bot.domain import projects as project_service
from bot.domain.access import is_client
from bot.domain.closing.close import closed_lines
from bot.domain.format import (
    bar,
    day,
    days_phrase,
    hours,
    mention,
    money,
    percent,
    ratio,
    truncate,
    upper_first,
)
from bot.domain.replies import Button, Field, Intent, Reply, Section
from bot.domain.status import StatusReport, build_status, build_statuses, status_key
from bot.models import CLOSED_TASK_STATES, Milestone, Project, ProjectState, Task, TaskStatus

LIST_LIMIT = 25
STATUS_REPLY = "status_reply"
INTERNAL_MARK = "🔒"  # a risk for the team only
STATUS_ICON = {"todo": "○", "doing": "◐", "blocked": "⛔", "done": "●", "cancelled": "✕"}


def warned(reply: Reply, warnings: Iterable[str | None] = (), *, notes: Iterable[str] = ()) -> Reply:
    """`reply` with what else happened (`notes`) and what looks wrong (`warnings`,
    each marked ⚠️) in a section of their own; empty ones are skipped."""
    lines = [n for n in notes if n] + [f"⚠️ {w}" for w in warnings if w]
    if lines:
        reply.sections.append(Section(text="\n".join(lines)))
    return reply


def status_for(ctx: Context, ref: str | None) -> Reply:
    """The status reply of the project `ref` names (a key as typed; None: the
    channel's project, else the workspace's only one), as of today in its zone.
    A project unchanged since its reply was built is answered after one small
    query; a `ref` that is no project key is read as every command reads a
    leading word (the channel's project, then "Did not understand")."""
    found = project_service.project_version(session=ctx.session, team_id=ctx.team_id, key=ref,
                                            channel_id=ctx.channel_id)
    if found is not None:
        project_id, version, timezone = found
        today = ctx.now.astimezone(ZoneInfo(timezone)).date()
        unchanged = unchanged_status_reply(status_key(ctx.session, project_id, version, today))
        if unchanged is not None and not shows_internal(unchanged):
            return unchanged  # the same for everyone: no role to look up
    args = Args([Token(Kind.WORD, ref)] if ref else [], ctx)
    project = args.take_project()
    args.expect_end()
    report = build_status(session=ctx.session, project=project, today=args.today(),
                          versions={found[0]: found[1]} if found else None)
    closed = closed_lines(ctx.session, project) if project.state == ProjectState.DONE else []
    if any(r.internal for r in report.top_risks) and is_client(session=ctx.session, project=project,
                                                                user_id=ctx.user_id):
        return _with_closing(status_reply(report, client=True), closed)
    return cached_status_reply(report, closed=closed)


def shared_copy(reply: Reply) -> Reply:
    """A status reply without the risks marked internal (to post where a client may read)."""
    sections = []
    for section in reply.sections:
        if INTERNAL_MARK in section.text:
            lines = [line for line in section.text.split("\n") if INTERNAL_MARK not in line]
            if len(lines) <= 1:  # only its heading left
                continue
            section = dataclasses.replace(section, text="\n".join(lines))
        sections.append(section)
    return dataclasses.replace(reply, sections=sections)


def shows_internal(reply: Reply) -> bool:
    """True when a status reply lists a risk marked internal (a client gets another)."""
    return any(INTERNAL_MARK in section.text for section in reply.sections)


def cached_status_reply(report: StatusReport, *, closed: list[str] | None = None) -> Reply:
    """`status_reply(report)`, built once per cached report (a copy: the caller
    may set its footer); it carries the report's key, so the transport can
    reuse its rendering too. `closed`: a closed project's closing lines
    (`closing.close.closed_lines`), shown under the headline."""
    reply = status_cache.derived(report.cache_key, STATUS_REPLY,
                                 lambda: _with_closing(status_reply(report), closed or []))
    return _keyed_copy(reply, report.cache_key)


def _with_closing(reply: Reply, lines: list[str]) -> Reply:
    """A closed project's status: its closing (when, by whom, final figures,
    retrospective, lessons) right after the headline."""
    if lines:
        reply.sections.insert(1, Section(text="*Closed*\n" + "\n".join(lines)))
    return reply


def unchanged_status_reply(cache_key: Hashable | None) -> Reply | None:
    """The status reply built earlier for `cache_key` (a project's version and
    day), if there is one; never builds."""
    reply = status_cache.peek(cache_key, STATUS_REPLY)
    return None if reply is None else _keyed_copy(reply, cache_key)


def _keyed_copy(reply: Reply, cache_key: Hashable | None) -> Reply:
    """A copy whose section and button lists the caller may change (the kept
    reply stays as built)."""
    return dataclasses.replace(reply, sections=list(reply.sections), buttons=list(reply.buttons),
                               cache_key=None if cache_key is None else (STATUS_REPLY, cache_key))


def status_reply(report: StatusReport, *, client: bool = False) -> Reply:
    """`/project status`: the colour and why, progress, schedule, budget, risks,
    blockers and standups, with Refresh / Post / Add task / Add risk / Chart.
    For a `client`, the top risks leave out those marked internal."""
    p, today = report.project, report.today
    health, final = report.health, report.final_phrases()
    headline = f"{health.icon} *{health.headline()}*" if health else ""
    if final:  # a finished project: what it took, not a forecast
        headline = f":white_check_mark: *{upper_first(final[0])}*."
    goal = f"\n_{truncate(p.goal, 500)}_" if p.goal else ""
    fields = [Field("Progress", f"{bar(report.fraction_done)} {report.progress_phrase()}")]
    if p.due_date and not final:
        fields.append(Field("Due", f"{day(p.due_date, today=today)} ({days_phrase(report.days_left)})"))
    elif not final:
        fields.append(Field("Due", "no due date set"))
    schedule = []
    if report.evm and report.evm.spi is not None and not final:
        schedule.append(f"SPI {ratio(report.evm.spi)}")
    if report.forecast and not final:
        schedule.append(report.forecast.phrase(due=p.due_date, today=today))
    if not final:
        fields.append(Field("Schedule", " · ".join(schedule) or "no plan to compare with yet"))
    fields.append(Field("Final cost", final[1]) if final else Field("Budget", _budget_line(report)))
    open_counts = ", ".join(f"{report.counts.get(s, 0)} {s}" for s in ("todo", "doing", "blocked"))
    if not final:
        fields.append(Field("Open work", open_counts + (f"; {report.overdue_tasks} overdue"
                                                        if report.overdue_tasks else "")))
    if report.participation is not None:
        fields.append(Field("Standups (7 days)", f"{round(report.participation * 100)}% answered "
                                                 f"({report.standup_answered} of {report.standup_expected})"))
    else:
        fields.append(Field("Standups (7 days)", "none held"))
    fields.append(Field("Owner", mention(p.owner_user_id)))
    sections = [Section(text=headline + goal, fields=fields)]
    ms_lines = [f"⚠️ *{truncate(m.name, 100)}* was due {day(m.due_date, today=today)}" for m in report.overdue_milestones[:5]]
    ms_lines += [f"• *{truncate(m.name, 100)}* {day(m.due_date, today=today)}" for m in report.next_milestones]
    if final:  # the work is done: what is left is bookkeeping
        unmarked = [m for m in report.milestones if m.done_at is None]
        ms_lines = [f"Not marked reached: {', '.join(f'M{m.number} {truncate(m.name, 60)}' for m in unmarked)} "
                    f"(`/project milestone done {p.key} M{unmarked[0].number}`)."] if unmarked else []
    if ms_lines:
        sections.append(Section(text="*Milestones*\n" + "\n".join(ms_lines)))
    plan = baselines.plan_lines(report.plan, report.evm, report.evm_first, key=p.key)
    if plan:
        sections.append(Section(text="*Plan vs baseline 1*\n" + "\n".join(f"• {line}" for line in plan)))
    if report.plan_problems:
        sections.append(Section(text="*Plan problems*\n" + "\n".join(f"⚠️ {line}"
                                                                      for line in report.plan_problems)))
    risks = report.shared_risks if client else report.top_risks
    if risks:
        lines = [f"• R{r.number} {truncate(r.title, 120)}: {r.band} ({r.score}) · {mention(r.owner_user_id)}"
                 + (f" · {INTERNAL_MARK} internal" if r.internal else "") for r in risks]
        sections.append(Section(text="*Top risks*\n" + "\n".join(lines)))
    if report.blocked:
        lines = [f"⛔ #{t.number} {truncate(t.title, 120)} ({mention(t.assignee_user_id)}): "
                 f"{truncate(t.blocked_reason, 200)}" for t in report.blocked]
        more = report.blocked_count - len(report.blocked)
        if more > 0:
            lines.append(f"and {more} more: `/project task list {p.key} blocked`")
        sections.append(Section(text="*Blocked*\n" + "\n".join(lines)))
    return Reply(
        title=f"{p.name}: status",
        sections=sections,
        buttons=[Button("Refresh", Intent.REFRESH_STATUS, p.key),
                 Button("Post to channel", Intent.POST_STATUS, p.key, "primary"),
                 Button("Add task", Intent.ADD_TASK, p.key),
                 Button("Add risk", Intent.ADD_RISK, p.key),
                 Button("Chart", Intent.CHART, p.key)],
        footer=f"As of {day(today, year=True)} ({p.timezone}). `/project task list {p.key}` for tasks, "
               f"`/project report {p.key}` for the week.",
    )


def _budget_line(report: StatusReport) -> str:
    p, evm = report.project, report.evm
    spent = money(report.actual_cents, p.currency)
    if evm is None:
        return f"{spent} spent; no budget set"
    parts = [f"{spent} of {money(evm.bac, p.currency)} ({percent(evm.percent_spent)})",
             f"{percent(evm.ev / evm.bac)} earned"]
    if evm.cpi is not None:
        parts.append(f"CPI {ratio(evm.cpi)}")
    parts.append(f"EAC {money(evm.eac, p.currency)}")
    parts.append(f"VAC {money(evm.vac, p.currency)}")
    return " · ".join(parts)


def project_list_reply(*, session: Session, projects: list[Project], today: date) -> Reply:
    """The owner's portfolio by business objective: each project's colour, due date,
    85% forecast and budget used (the same constant set of queries for 5 or 50)."""
    if not projects:
        return Reply.text('No projects yet. Start one with `/project new "Website relaunch" due 31 Mar`.')
    shown = projects[:LIST_LIMIT]
    reports = build_statuses(session=session, projects=shown, today=today)
    by_objective: dict[str, list[str]] = defaultdict(list)
    counts = {"red": 0, "amber": 0, "green": 0, "finished": 0}
    for p in shown:
        r = reports[p.id]
        rag = r.health.rag if r.health else "green"
        state = "" if p.state == "active" else \
            " _(closed)_" if p.state == ProjectState.DONE else f" _({p.state.replace('_', ' ')})_"
        final = r.final_phrases()
        counts["finished" if final else rag] += 1
        if final:  # finished: its dates and final cost, not a forecast
            by_objective[p.objective or "Other projects"].append(
                f":white_check_mark: *{truncate(p.name, 80)}* `{p.key}`{state}\n"
                f"{upper_first(final[0])}\n    Final cost {final[1]}")
            continue
        due = f"due {day(p.due_date, today=today)}" if p.due_date else "no due date"
        p85 = r.forecast.p85 if r.forecast else None
        forecast = f" · 85% by {day(p85, today=today)}" if p85 else ""
        budget = (f" · budget {percent(r.evm.percent_spent)} used of {money(r.evm.bac, p.currency)}"
                  if r.evm else "")
        reason = f"\n    {truncate('; '.join(r.health.reasons), 200)}" if r.health and rag != "green" else ""
        by_objective[p.objective or "Other projects"].append(
            f"{r.health.icon if r.health else ''} *{truncate(p.name, 80)}* `{p.key}`{state}\n"
            f"{bar(r.fraction_done)} {r.progress_phrase()} · {due}{forecast}{budget}{reason}"
        )
    sections = [Section(text=f"*{truncate(obj, 100)}*\n" + "\n".join(lines))
                for obj, lines in sorted(by_objective.items(), key=lambda kv: (kv[0] == "Other projects", kv[0]))]
    more = len(projects) - LIST_LIMIT
    summary = ", ".join(f"{n} {c}" for c, n in counts.items() if n)
    footer = f"{summary}. " + (f"and {more} more: `/project status KEY` for one" if more > 0 else
                               "`/project status KEY` for one.")
    return Reply(title="Projects", sections=sections, footer=footer)


def task_line(t: Task, today: date, waiting: list[int] | None = None) -> str:
    """One task in a list; `waiting`: numbers of the unfinished tasks it waits on."""
    due = f" · due {day(t.due_date, today=today)}" if t.due_date else ""
    if t.due_date and t.due_date < today and t.status not in CLOSED_TASK_STATES:
        due += " ⚠️ overdue"
    est = f" · {hours(t.estimate_hours)}" if t.estimate_hours else ""
    blocked = f"\n    blocked: {truncate(t.blocked_reason, 150)}" if t.status == TaskStatus.BLOCKED else ""
    if t.status == TaskStatus.CANCELLED:
        why = f": {truncate(t.cancel_reason, 150)}" if t.cancel_reason else ""
        blocked = f"\n    cancelled{why}"
    if waiting and t.status not in CLOSED_TASK_STATES:
        blocked += f"\n    waiting on {', '.join(f'#{n}' for n in waiting)}"
    return (f"{STATUS_ICON.get(t.status, '○')} #{t.number} {truncate(t.title, 150)} · "
            f"{mention(t.assignee_user_id)}{est}{due}{blocked}")


def task_buttons(project: Project, task: Task, *, done_label: str = "") -> list[Button]:
    """Done (or the label given), Edit, and Assign to me when nobody has it, for someone
    who may work on the task; a closed task gets Edit only."""
    ref = f"{project.key}:{task.number}"
    buttons = []
    if task.status not in CLOSED_TASK_STATES:
        buttons.append(Button(done_label or f"Done #{task.number}", Intent.TASK_DONE, ref))
    buttons.append(Button("Edit" if done_label else f"Edit #{task.number}", Intent.TASK_EDIT, ref))
    if not task.assignee_user_id and task.status not in CLOSED_TASK_STATES:
        buttons.append(Button("Assign to me", Intent.TASK_ASSIGN_ME, ref))
    return buttons


def task_list_reply(*, project: Project, tasks: list[Task], today: date, heading: str,
                    offset: int = 0, can_work: bool = True, waiting: dict[int, list[int]] | None = None) -> Reply:
    """A page of tasks with Done and Edit buttons for those who may work on them
    (a stakeholder gets none); long lists say how to see more. `waiting`: task
    id -> the unfinished tasks it waits on ("waiting on #3")."""
    if not tasks:
        return Reply.text(f"No {heading} in *{project.name}*.")
    page = tasks[offset : offset + LIST_LIMIT]
    waiting = waiting or {}
    sections = [Section(text="\n".join(task_line(t, today, waiting.get(t.id or 0)) for t in page))]
    buttons = []
    if len(page) <= 5 and can_work:
        for t in page:
            if t.status not in CLOSED_TASK_STATES:
                buttons.append(Button(f"Done #{t.number}", Intent.TASK_DONE, f"{project.key}:{t.number}"))
            buttons.append(Button(f"Edit #{t.number}", Intent.TASK_EDIT, f"{project.key}:{t.number}"))
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
        mark = "✕" if m.cancelled_at else "●" if m.done_at else (
            "⚠️" if m.due_date and m.due_date < today else "○")
        extra = []
        if m.planned_budget_cents is not None:
            extra.append(money(m.planned_budget_cents, currency))
        if m.planned_effort_hours:
            extra.append(hours(m.planned_effort_hours))
        tail = f" ({', '.join(extra)})" if extra else ""
        tail += " _cancelled_" if m.cancelled_at else ""
        lines.append(f"{mark} M{m.number} *{truncate(m.name, 120)}* · {day(m.due_date, today=today)}{tail}")
    return "\n".join(lines)
