"""The weekly report: where the project stands, what changed, what is next,
and what the owner must decide. One `WeeklyReport` renders three ways: a
`Reply` (summary for the channel + details for its thread), Markdown and CSV.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from bot.domain import audit, baselines, changes
from bot.domain.access import Action, require
from bot.domain.changes_messages import change_line
from bot.domain.errors import Invalid, NotFound
from bot.domain.format import (
    bar,
    day,
    mention,
    money,
    percent,
    plural,
    ratio,
    truncate,
    upper_first,
)
from bot.domain.health import thresholds, trend, trend_phrase
from bot.domain.outbox import Kind, enqueue
from bot.domain.replies import Button, Intent, Reply, Section
from bot.domain.standups import parse_hhmm
from bot.domain.status import StatusReport, build_status
from bot.models import (
    CLOSED_TASK_STATES,
    Milestone,
    OutboxMessage,
    Project,
    Task,
    TaskStatus,
)

WEEK = 7
LIST_LIMIT = 15
DEFAULT_SCHEDULE = ("fri", "16:00")  # project time
DAY_NAMES = {"mon": "Mondays", "tue": "Tuesdays", "wed": "Wednesdays", "thu": "Thursdays", "fri": "Fridays",
             "sat": "Saturdays", "sun": "Sundays"}


def schedule_of(project: Project) -> tuple[str, str] | None:
    """(weekday, HH:MM) in project time when the weekly report is posted, from
    `settings["report"]` (the default for anything unreadable); None when off."""
    custom = (project.settings or {}).get("report", {}) if isinstance(project.settings, dict) else {}
    if not isinstance(custom, dict):
        custom = {}
    if custom.get("off"):
        return None
    weekday = str(custom.get("weekday", DEFAULT_SCHEDULE[0]))[:3].lower()
    try:
        hhmm = parse_hhmm(str(custom.get("time", DEFAULT_SCHEDULE[1])))
    except Invalid:
        hhmm = DEFAULT_SCHEDULE[1]
    return (weekday if weekday in DAY_NAMES else DEFAULT_SCHEDULE[0]), hhmm


def schedule_phrase(project: Project) -> str:
    """`Fridays at 16:00 (Europe/Berlin)`, or `off`."""
    schedule = schedule_of(project)
    if schedule is None:
        return "off"
    return f"{DAY_NAMES[schedule[0]]} at {schedule[1]} ({project.timezone or 'UTC'})"


def set_schedule(*, session: Session, project: Project, actor: str, weekday: str | None = None,
                 hhmm: str | None = None, off: bool = False, now: datetime) -> None:
    """Post the weekly report on `weekday` at `hhmm` (project time; what is not
    given stays), or turn it off (owner/manager; audited)."""
    require(session=session, project=project, user_id=actor, action=Action.MANAGE,
            what="change when the weekly report is posted")
    current = schedule_of(project) or DEFAULT_SCHEDULE
    if off:
        after: dict = {"off": True}
    else:
        day_ = (weekday or current[0])[:3].lower()
        if day_ not in DAY_NAMES:
            raise Invalid(f"Expected a day like fri or monday (got `{truncate(weekday or '', 20)}`).")
        after = {"weekday": day_, "time": parse_hhmm(hhmm) if hhmm else current[1]}
    settings = dict(project.settings or {})
    audit.record(session=session, team_id=project.team_id, user_id=actor, action="project.report",
                 entity="project", entity_id=project.id, project_id=project.id,
                 before=settings.get("report", {}), after=after, now=now)
    settings["report"] = after
    project.settings = settings  # a new dict, so the JSON column is saved
    project.updated_at = now
    session.add(project)
    session.flush()


@dataclass
class WeeklyReport:
    status: StatusReport
    week_start: date
    trend: str
    done_tasks: list[Task] = field(default_factory=list)
    done_milestones: list[Milestone] = field(default_factory=list)
    next_tasks: list[Task] = field(default_factory=list)
    next_milestones: list[Milestone] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)
    changes: list = field(default_factory=list)  # change requests decided this week

    def decisions_shown(self, *, shared: bool) -> list[str]:
        """The decisions, without those about a risk marked internal when `shared`
        (a channel post, a client)."""
        if not shared:
            return self.decisions
        internal = {r.number for r in self.status.top_risks if r.internal}
        return [d.text for d in decision_items(self.status) if d.risk_number not in internal]

    @property
    def project(self) -> Project:
        return self.status.project

    @property
    def today(self) -> date:
        return self.status.today


def _utc_start(d: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(d, time(), tzinfo=tz).astimezone(UTC)


def build_weekly_report(*, session: Session, project: Project, today: date) -> WeeklyReport:
    """The report for the week ending `today` (project-local). "Next week" lists
    open tasks due in the coming seven days and those already overdue."""
    status = build_status(session=session, project=project, today=today)
    tz = ZoneInfo(project.timezone or "UTC")
    week_start = today - timedelta(days=WEEK - 1)
    done_tasks = list(session.exec(
        select(Task).where(Task.project_id == project.id, Task.status == TaskStatus.DONE,
                           Task.done_at >= _utc_start(week_start, tz))
        .order_by(Task.done_at, Task.number).limit(LIST_LIMIT + 1)))
    next_end = today + timedelta(days=WEEK)
    next_tasks = list(session.exec(
        select(Task).where(Task.project_id == project.id, Task.status.not_in(CLOSED_TASK_STATES),
                           Task.due_date.is_not(None), Task.due_date <= next_end)
        .order_by(Task.due_date, Task.number).limit(LIST_LIMIT + 1)))
    since = _utc_start(week_start, tz)
    done_ms = [m for m in status.milestones if m.done_at and m.done_at >= since]
    next_ms = [m for m in status.milestones
               if m.done_at is None and m.due_date and m.due_date <= next_end]
    decided = changes.decided_between(session, project, since, _utc_start(today + timedelta(days=1), tz))
    snapshots = trend(session=session, project=project, since=today - timedelta(days=14))
    rag = status.health.rag if status.health else "green"
    return WeeklyReport(status=status, week_start=week_start, trend=trend_phrase(snapshots, rag),
                        done_tasks=done_tasks, done_milestones=done_ms, next_tasks=next_tasks,
                        next_milestones=next_ms, decisions=decisions_needed(status), changes=decided)


@dataclass(frozen=True)
class Decision:
    """One decision the numbers call for: what it is about (`forecast`,
    `milestone`, `cost`, `risk`, `blocker`), its question, and the risk it names."""

    about: str
    text: str
    risk_number: int | None = None


def decisions_needed(status: StatusReport) -> list[str]:
    """What only the owner can settle, from the numbers (`decision_items`' questions)."""
    return [d.text for d in decision_items(status)]


def decision_items(status: StatusReport) -> list[Decision]:
    """What only the owner can settle, from the numbers. A finished project (all
    work done, or closed as done) asks nothing about its forecast, budget or
    blockers: its cost is final."""
    p, today, out = status.project, status.today, []
    if status.finished:
        return out
    limits = thresholds(p)
    f = status.forecast
    if f and f.ok and p.due_date and f.p85 and f.p85 > p.due_date:
        out.append(Decision("forecast", f"The 85% forecast ({day(f.p85, today=today)}) is after the due date "
                                        f"({day(p.due_date, today=today)}): move the date, add people, or cut scope?"))
    for m in status.overdue_milestones[:3]:
        late = (today - m.due_date).days  # type: ignore[operator]
        out.append(Decision("milestone", f"Milestone *{truncate(m.name, 80)}* is {plural(late, 'day')} late: "
                                         "replan it or close it?"))
    evm = status.evm
    if evm and evm.vac < 0 and evm.cpi is not None and evm.cpi < limits["cpi_amber"]:
        out.append(Decision("cost", f"Forecast cost {money(evm.eac, p.currency)} overruns the budget by "
                                    f"{money(-evm.vac, p.currency)}: approve more budget or cut scope?"))
    for r in status.top_risks:
        if r.band == "critical":
            out.append(Decision("risk", f"Critical risk R{r.number} _{truncate(r.title, 80)}_: fund the "
                                        "mitigation or accept it?", r.number))
    for t in status.blocked:
        if t.blocked_at:
            age = (today - t.blocked_at.astimezone(ZoneInfo(p.timezone or "UTC")).date()).days
            if age > limits["blocker_red_days"]:
                out.append(Decision("blocker", f"#{t.number} {truncate(t.title, 60)} has been blocked "
                                               f"{plural(age, 'day')}: escalate?"))
    return out


def _task_line(t: Task) -> str:
    return f"#{t.number} {truncate(t.title, 100)} ({mention(t.assignee_user_id)})"


def _more(items: list, limit: int = LIST_LIMIT) -> str:
    return " (and more)" if len(items) > limit else ""


def _budget_text(r: WeeklyReport) -> str:
    s, p = r.status, r.project
    if not s.evm:
        return f"{money(s.actual_cents, p.currency)} spent; no budget set."
    e = s.evm
    final = s.final_phrases()
    if final:  # finished: the cost is final, there is nothing left to forecast
        return f"final cost {final[1]}."
    cpi = f", CPI {ratio(e.cpi)}" if e.cpi is not None else ""
    return (f"{money(e.ac, p.currency)} of {money(e.bac, p.currency)} spent "
            f"({percent(e.percent_spent)}), {percent(e.ev / e.bac)} earned{cpi}; forecast cost "
            f"{money(e.eac, p.currency)} ({'under' if e.vac >= 0 else 'over'} by {money(abs(e.vac), p.currency)}).")


def _participation(s: StatusReport) -> str:
    if s.participation is None:
        return "no standups this week"
    return f"{round(s.participation * 100)}% answered ({s.standup_answered} of {s.standup_expected})"


def summary_reply(r: WeeklyReport, *, threaded: bool = True, shared: bool = True) -> Reply:
    """The channel message: colour, trend, progress, budget and forecast."""
    s, p, today = r.status, r.project, r.today
    h, final = s.health, s.final_phrases()
    headline = f":white_check_mark: *{upper_first(final[0])}*." if final else (
        f"{h.icon} *{h.headline()}*" if h else "")
    this_week = f"{len(r.done_tasks)}{'+' if _more(r.done_tasks) else ''} done this week"
    lines = [headline, f"Trend: {r.trend}",
             f"Progress: {bar(s.fraction_done)} {s.progress_phrase()} ({this_week})",
             f"Budget: {_budget_text(r)}"]
    if s.forecast and not final:
        lines.append(f"Forecast: {s.forecast.phrase(due=p.due_date, today=today)}")
    plan = baselines.plan_lines(s.plan, s.evm, s.evm_first, limit=3, key=p.key)
    if plan:
        lines.append("Plan vs baseline 1: " + "; ".join(plan))
    decisions = r.decisions_shown(shared=shared)
    if decisions:
        lines.append(f"*{plural(len(decisions), 'decision')} needed*"
                     + (" (details in the thread)" if threaded else ""))
    return Reply(title=f"{p.name}: weekly report, {day(r.week_start, today=today)} – {day(today, today=today)}",
                 sections=[Section(text="\n".join(x for x in lines if x))], ephemeral=False,
                 buttons=[Button("Chart", Intent.CHART, p.key)])


def details_reply(r: WeeklyReport, *, shared: bool = True) -> Reply:
    """The thread message: done, next, risks, decisions, standups. `shared` (a
    channel, where a client may read along) leaves out risks marked internal;
    otherwise they are marked 🔒."""
    s, today = r.status, r.today
    sections = []
    done = [f"• {_task_line(t)}" for t in r.done_tasks[:LIST_LIMIT]]
    done += [f"• Milestone *{truncate(m.name, 100)}* reached" for m in r.done_milestones]
    sections.append(Section(text="*Done this week*\n" + ("\n".join(done) + _more(r.done_tasks) if done
                                                        else "Nothing finished this week.")))
    nxt = [f"• Milestone *{truncate(m.name, 100)}* due {day(m.due_date, today=today)}" for m in r.next_milestones]
    nxt += [f"• {_task_line(t)} due {day(t.due_date, today=today)}"
            + (" ⚠️ overdue" if t.due_date and t.due_date < today else "") for t in r.next_tasks[:LIST_LIMIT]]
    sections.append(Section(text="*Plan for next week*\n" + ("\n".join(nxt) + _more(r.next_tasks) if nxt
                                                            else "Nothing due next week.")))
    if s.forecast:
        sections.append(Section(text=f"*Forecast*\n{s.forecast.range_phrase(today)}"))
    risks = [f"• R{x.number} {truncate(x.title, 100)}: {x.band} ({x.score}) · {mention(x.owner_user_id)}"
             + (" · 🔒 internal" if x.internal else "") for x in (s.shared_risks if shared else s.top_risks)]
    sections.append(Section(text="*Top risks*\n" + ("\n".join(risks) or "No open risks.")))
    if r.changes or s.plan.baseline:
        sections.append(Section(text="*Changes decided this week*\n" + ("\n".join(
            change_line(c, r.project) for c in r.changes[:LIST_LIMIT]) or "None this week.")))
    sections.append(Section(text="*Decisions needed*\n" + ("\n".join(
        f"• {d}" for d in r.decisions_shown(shared=shared)) or "None this week.")))
    sections.append(Section(text=f"*Standups (7 days)*\n{_participation(s)}"))
    return Reply(title="Details", sections=sections, ephemeral=False)


def report_reply(r: WeeklyReport, *, shared: bool = False) -> Reply:
    """Summary and details in one reply (for `/project report`; `shared` for a client)."""
    summary, details = summary_reply(r, threaded=False, shared=shared), details_reply(r, shared=shared)
    summary.sections += details.sections
    summary.ephemeral = True
    summary.footer = (f"`/project report {r.project.key} post` posts it to the channel · "
                      f"`python -m bot report {r.project.key} --format md` exports it")
    return summary


def to_markdown(r: WeeklyReport) -> str:
    """The report as a Markdown document."""
    s, p, today = r.status, r.project, r.today
    h = s.health
    out = [f"# {p.name}: weekly report", "",
           f"Week {r.week_start.isoformat()} to {today.isoformat()} ({p.timezone})", "",
           f"**{h.summary if h else 'no health yet'}**", "", f"Trend: {r.trend}", "",
           "## Progress", "", f"{s.progress_phrase()}.", "",
           "## Budget", "", _budget_text(r).replace("*", ""), ""]
    if s.evm:
        out += ["| measure | value |", "| --- | --- |"]
        for k, v in s.evm.as_dict().items():
            shown = money(v, p.currency) if isinstance(v, int) else ("-" if v is None else f"{v:.2f}")
            out.append(f"| {k.upper().replace('_ATYPICAL', ' (atypical)')} | {shown} |")
        out.append("")
    plan = baselines.plan_lines(s.plan, s.evm, s.evm_first, key=p.key)
    if plan:
        out += ["## Plan vs baseline 1", "", *[f"- {line}" for line in plan], ""]
    out += ["## Forecast", "", s.forecast.range_phrase(today) if s.forecast else "none", ""]
    out += ["## Done this week", ""] + ([f"- #{t.number} {t.title}" for t in r.done_tasks[:LIST_LIMIT]]
                                       + [f"- Milestone {m.name} reached" for m in r.done_milestones]
                                       or ["- nothing finished"]) + [""]
    out += ["## Plan for next week", ""] + (
        [f"- Milestone {m.name} due {m.due_date}" for m in r.next_milestones]
        + [f"- #{t.number} {t.title} (due {t.due_date})" for t in r.next_tasks[:LIST_LIMIT]]
        or ["- nothing due"]) + [""]
    out += ["## Top risks", ""] + ([f"- R{x.number} {x.title}: {x.band} ({x.score})" for x in s.top_risks]
                                   or ["- none open"]) + [""]
    out += ["## Decisions needed", ""] + ([f"- {d.replace('*', '').replace('_', '')}" for d in r.decisions]
                                          or ["- none"]) + [""]
    out += ["## Standups", "", _participation(s), ""]
    return "\n".join(out)


def to_csv(r: WeeklyReport) -> str:
    """The report as CSV rows: section, item, value."""
    s, p = r.status, r.project
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["section", "item", "value"])
    w.writerow(["project", "key", p.key])
    w.writerow(["project", "week", f"{r.week_start.isoformat()}..{r.today.isoformat()}"])
    if s.health:
        w.writerow(["health", "rag", s.health.rag])
        for reason in s.health.reasons:
            w.writerow(["health", "reason", reason])
    w.writerow(["health", "trend", r.trend])
    w.writerow(["progress", "tasks_done", s.done])
    w.writerow(["progress", "tasks_total", s.total])
    w.writerow(["progress", "percent_done", round(s.fraction_done * 100, 1)])
    if s.evm:
        for k, v in s.evm.as_dict().items():
            w.writerow(["budget", k, "" if v is None else (f"{v / 100:.2f}" if isinstance(v, int) else v)])
        w.writerow(["budget", "currency", p.currency])
    if s.forecast:
        for k in ("p50", "p85", "p95"):
            v = getattr(s.forecast, k)
            w.writerow(["forecast", k, v.isoformat() if v else ""])
        if not s.forecast.ok:
            w.writerow(["forecast", "note", s.forecast.reason])
    for t in r.done_tasks[:LIST_LIMIT]:
        w.writerow(["done", f"#{t.number}", t.title])
    for m in r.done_milestones:
        w.writerow(["done", "milestone", m.name])
    for m in r.next_milestones:
        w.writerow(["next", "milestone", f"{m.name} (due {m.due_date})"])
    for t in r.next_tasks[:LIST_LIMIT]:
        w.writerow(["next", f"#{t.number}", f"{t.title} (due {t.due_date})"])
    for x in s.top_risks:
        w.writerow(["risk", f"R{x.number}", f"{x.title} ({x.band} {x.score})"])
    for d in r.decisions:
        w.writerow(["decision", "", d.replace("*", "").replace("_", "")])
    w.writerow(["standups", "answered", s.standup_answered])
    w.writerow(["standups", "expected", s.standup_expected])
    return buf.getvalue()


def post_report(*, session: Session, report: WeeklyReport, key: str,
                chart_path: str | None = None, now: datetime) -> bool:
    """Queue the report for the project's channel: the summary, the details in
    its thread, and the burn-up chart in the same thread. Returns False when
    `key` was queued before (a repeated job run or a double click) or the
    project has no channel."""
    p = report.project
    if not p.channel_id:
        return False
    _, created = enqueue(session=session, team_id=p.team_id, key=key, kind=Kind.POST,
                         channel_id=p.channel_id, project_id=p.id, reply=summary_reply(report), now=now)
    if not created:
        return False
    enqueue(session=session, team_id=p.team_id, key=f"{key}:details", kind=Kind.POST,
            channel_id=p.channel_id, project_id=p.id, reply=details_reply(report),
            extra={"thread_key": key}, now=now)
    if chart_path:
        enqueue(session=session, team_id=p.team_id, key=f"{key}:chart", kind=Kind.UPLOAD,
                channel_id=p.channel_id, project_id=p.id,
                extra={"thread_key": key, "file_path": chart_path, "title": f"{p.name}: burn-up"}, now=now)
    return True


def already_queued(*, session: Session, key: str) -> bool:
    """True when a report under `key` is in the outbox (sent or not)."""
    return session.exec(select(OutboxMessage.id).where(OutboxMessage.idempotency_key == key)).first() is not None


def export(*, session: Session, key: str, now: datetime, fmt: str, team_id: str | None = None) -> str:
    """The weekly report of project `key` as `md` or `csv` text, as of `now`
    in the project's zone. `team_id` is needed only when several workspaces
    use the same key."""
    project = project_for_export(session=session, key=key, team_id=team_id)
    weekly = build_weekly_report(session=session, project=project,
                                 today=now.astimezone(ZoneInfo(project.timezone or "UTC")).date())
    if fmt == "md":
        return to_markdown(weekly)
    if fmt == "csv":
        return to_csv(weekly)
    raise Invalid(f"Format is md or csv (got {fmt}).")


def project_for_export(*, session: Session, key: str, team_id: str | None = None) -> Project:
    """The project called `key` (in `team_id` when given) for the command line."""
    query = select(Project).where(Project.key == key.lower())
    if team_id:
        query = query.where(Project.team_id == team_id)
    found = list(session.exec(query))
    if not found:
        where = f" in workspace {team_id}" if team_id else ""
        raise NotFound(f"No project with key `{key}`{where}.")
    if len(found) > 1:
        teams = ", ".join(sorted(p.team_id for p in found))
        raise Invalid(f"Several workspaces have a project `{key}` ({teams}); choose one with --team.")
    return found[0]
