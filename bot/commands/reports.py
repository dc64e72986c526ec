"""`/project report|chart|health`: the weekly report, charts, RAG thresholds."""

from __future__ import annotations

import hashlib

from bot.commands import report_emails
from bot.commands.closing import final_report_reply
from bot.commands.grammar import UsageError
from bot.commands.people import load_chart_reply
from bot.commands.registry import Args, Context, command
from bot.domain import audit, charts
from bot.domain import report as report_service
from bot.domain.access import Action, is_client, require
from bot.domain.health import DEFAULTS, thresholds
from bot.domain.replies import Reply, Section
from bot.domain.standups import TIME_OF_DAY
from bot.domain.status import build_status


@command("report", usage="report [PROJECT] [post|final]",
         examples=["report", "report website post", "report website final"])
def report(ctx: Context, args: Args) -> Reply:
    """This week's report: health and trend, done, next, budget, forecast, risks, decisions
    (`final`: the closing report, planned vs actual)."""
    project = args.take_project()
    which = args.take_word(what="`post` or `final`", choices=["post", "final"], required=False)
    post = which == "post"
    args.expect_end()
    if which == "final":
        if is_client(session=ctx.session, project=project, user_id=ctx.user_id):
            raise UsageError("The final report is for the team; `/project status` shows where the project ended.")
        return final_report_reply(ctx, project)
    weekly = report_service.build_weekly_report(session=ctx.session, project=project, today=args.today())
    if not post:
        return report_service.report_reply(weekly, shared=is_client(session=ctx.session, project=project,
                                                                     user_id=ctx.user_id))
    if not project.channel_id:
        raise UsageError("This project has no channel yet: `/project link #channel` first.")
    text = report_service.to_markdown(weekly)
    digest = hashlib.sha1(text.encode()).hexdigest()[:12]
    chart = charts.render_chart(session=ctx.session, report=weekly.status, kind="burnup")
    created = report_service.post_report(
        session=ctx.session, report=weekly, chart_path=str(chart),
        key=f"report:{project.team_id}:{project.key}:{args.today().isoformat()}:{digest}", now=ctx.now)
    if not created:
        chart.unlink(missing_ok=True)
        return Reply.text(f"This report is already posted in <#{project.channel_id}>.")
    return Reply.text(f"Posting the weekly report of *{project.name}* to <#{project.channel_id}> "
                      "(details and the burn-up chart in its thread).")


@command("report schedule",
         usage="report schedule [PROJECT] [DAY] [HH:MM] [to EMAIL, ... [show costs|hide costs]] "
               "| remove EMAIL, ... | off",
         examples=["report schedule", "report schedule mon 09:00", "report schedule website off",
                   "report schedule fri 16:00 to client@example.com, cfo@example.com",
                   "report schedule to board@example.com show costs", "report schedule remove cfo@example.com"])
def report_schedule(ctx: Context, args: Args) -> Reply:
    """When the weekly report is posted (project time) and who gets it by email, or off."""
    project = args.take_project()
    emailed = report_emails.change_recipients(ctx, args, project)
    first = args.take_time() or args.take_word(what="a day like fri, a time like 16:00, or off",
                                              required=False)
    changed = first is not None
    if first == "off":
        args.expect_end()
        report_service.set_schedule(session=ctx.session, project=project, actor=ctx.user_id, off=True,
                                    now=ctx.now)
    elif first is not None:
        weekday, hhmm = (None, first) if TIME_OF_DAY.match(first) else (first, None)
        if hhmm is None:
            hhmm = args.take_time() or args.take_word(what="a time like 16:00", required=False)
        args.expect_end()
        report_service.set_schedule(session=ctx.session, project=project, actor=ctx.user_id,
                                    weekday=weekday, hhmm=hhmm, now=ctx.now)
    changed = changed or emailed.changed
    where = f" in <#{project.channel_id}>" if project.channel_id else " (link a channel first: `/project link`)"
    phrase = report_service.schedule_phrase(project)
    if phrase == "off":
        text = f"The weekly report of *{project.name}* is off; `/project report schedule fri 16:00` turns it on."
    else:
        text = f"The weekly report of *{project.name}* is posted {phrase}{where}."
    text += report_emails.recipients_phrase(project, off=phrase == "off")
    return Reply.text(" ".join(x for x in ["Saved." if changed else "", *emailed.notes, text] if x))


@command("chart", usage="chart [PROJECT] burnup|budget|load|timeline",
         examples=["chart burnup", "chart website budget", "chart timeline"])
def chart(ctx: Context, args: Args) -> Reply:
    """A burn-up (scope, done, forecast) or budget burn (planned vs actual) chart (`chart load`: people)."""
    project = args.take_project()
    opts = args.take_options({"weeks": "int"})
    kind = (args.take_word(what="which chart", choices=[*charts.KINDS, "load", "timeline"]) if args.tokens
            else "burnup")
    args.expect_end()
    if kind == "timeline" and not opts:
        from bot.commands.schedule import timeline_reply

        return timeline_reply(ctx, project)
    if kind == "load":
        return load_chart_reply(ctx, project, int(opts.get("weeks") or 8))
    if opts:
        raise UsageError("`weeks` goes with `chart load`.")
    status = build_status(session=ctx.session, project=project, today=args.today())
    path = charts.render_chart(session=ctx.session, report=status, kind=kind)
    label = "Burn-up" if kind == "burnup" else "Budget burn"
    caption = (status.forecast.phrase(due=project.due_date, today=args.today()) if kind == "burnup"
               and status.forecast else "")
    return Reply(title=f"{project.name}: {label.lower()}", image_path=str(path), ephemeral=False,
                 sections=[Section(text=f"{label} chart of *{project.name}*. {caption}".strip())])


@command(
    "health",
    usage="health [PROJECT] [NAME VALUE ...]",
    examples=["health", "health website cpi_amber 0.85 blocker_red_days 7"],
)
def health(ctx: Context, args: Args) -> Reply:
    """Show or change the thresholds behind red/amber/green."""
    project = args.take_project()
    changes: dict[str, float] = {}
    while args.tokens:
        name = args.take_word(what="a threshold name", choices=list(DEFAULTS)) or ""
        raw = args.take_word(what=f"a number for {name}") or ""
        try:
            value = float(raw)
        except ValueError:
            raise UsageError(f"`{name}` takes a number like 0.9 or 5 (got `{raw}`).") from None
        if value < 0 or (name.startswith(("spi", "cpi")) and value > 2):
            raise UsageError(f"`{name}` must be {'from 0 to 2' if name[:3] in ('spi', 'cpi') else 'at least 0'}.")
        changes[name] = value
    if changes:
        require(session=ctx.session, project=project, user_id=ctx.user_id, action=Action.MANAGE,
                what="change health thresholds")
        settings = dict(project.settings or {})
        merged = {**settings.get("health", {}), **changes}
        limits = {**DEFAULTS, **merged}
        if limits["spi_red"] > limits["spi_amber"] or limits["cpi_red"] > limits["cpi_amber"]:
            raise UsageError("A red threshold must not be above its amber one.")
        if limits["blocker_red_days"] < limits["blocker_amber_days"]:
            raise UsageError("blocker_red_days must be at least blocker_amber_days.")
        audit.record(session=ctx.session, team_id=project.team_id, user_id=ctx.user_id,
                     action="project.health", entity="project", entity_id=project.id,
                     project_id=project.id, before=settings.get("health", {}), after=merged, now=ctx.now)
        settings["health"] = merged
        project.settings = settings  # a new dict, so the JSON column is saved
        project.updated_at = ctx.now
        ctx.session.add(project)
        ctx.session.flush()
    current = thresholds(project)
    lines = [f"• `{k}` {current[k]:g}" + ("" if current[k] == DEFAULTS[k] else f" (default {DEFAULTS[k]:g})")
             for k in DEFAULTS]
    title = f"{project.name}: health thresholds" + (" updated" if changes else "")
    return Reply(title=title, sections=[Section(text="\n".join(lines))],
                 footer="Rules: README, section Budget, forecast and health.")
