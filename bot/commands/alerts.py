"""`/project alerts`: open alerts, their thresholds, and what the buttons do."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.commands.grammar import Kind, UsageError, parse_int
from bot.commands.registry import Args, Context, command
from bot.domain import alert_actions as actions
from bot.domain import alerts as svc
from bot.domain.access import role_of
from bot.domain.detectors import THRESHOLDS, limits_for
from bot.domain.format import mention, moment, truncate
from bot.domain.replies import Reply, Section
from bot.models import Alert, Project, Role


def _line(alert: Alert) -> str:
    state = "" if alert.state == svc.OPEN else f" _{alert.state}_"
    icon = svc.ICON[svc.RESOLVED] if alert.state == svc.RESOLVED else svc.ICON.get(alert.severity, "🟠")
    owner = f" · owner {mention(alert.details['assignee'])}" if alert.details.get("assignee") else ""
    return (f"{icon} *A{alert.id}* {svc.TITLES.get(alert.detector, alert.detector)}{state}{owner}: "
            f"{truncate(alert.reason, 300)}")


@command("alerts", usage="alerts [PROJECT] [all]", examples=["alerts", "alerts website all"])
def alerts_list(ctx: Context, args: Args) -> Reply:
    """Open alerts, critical first (`all` adds resolved ones)."""
    project = args.take_project()
    which = args.take_word(what="a filter", choices=["all"], required=False)
    args.expect_end()
    client = role_of(session=ctx.session, project=project, user_id=ctx.user_id) is Role.CLIENT
    alerts = svc.list_alerts(session=ctx.session, project=project, include_resolved=which == "all",
                             for_client=client)
    footer = "Thresholds: `/project alerts thresholds`; check now: `/project alerts check`."
    if not alerts:
        return Reply(title=f"{project.name}: alerts",
                     sections=[Section(text="No open alerts: nothing past due, slipping, over budget, "
                                            "blocked, silent, unowned or overloaded.")], footer=footer)
    lines = [_line(a) for a in alerts[:30]]
    if len(alerts) > 30:
        lines.append(f"and {len(alerts) - 30} more")
    return Reply(title=f"{project.name}: alerts ({len(alerts)})",
                 sections=[Section(text="\n".join(lines))], footer=footer)


@command("alerts check", usage="alerts check [PROJECT]", examples=["alerts check"])
def alerts_check(ctx: Context, args: Args) -> Reply:
    """Run every detector now instead of waiting for the hourly check."""
    project = args.take_project()
    args.expect_end()
    result = svc.check_project(session=ctx.session, project=project, now=ctx.now)
    parts = [f"{len(result.opened)} new", f"{len(result.realerted)} raised again",
             f"{len(result.updated)} updated", f"{len(result.resolved)} resolved"]
    return Reply.text(f"Checked *{project.name}*: {', '.join(parts)}. `/project alerts` lists them.")


def _threshold_lines(project: Project) -> str:
    limits = limits_for(project)
    lines = []
    for name, (default, _, _, help_text) in THRESHOLDS.items():
        value = limits[name]
        mark = "" if value == default else f" (default {default:g})"
        lines.append(f"`{name}` *{value:g}*{mark}: {help_text}")
    return "\n".join(lines)


@command("alerts thresholds", usage="alerts thresholds [PROJECT]", examples=["alerts thresholds"])
def alerts_thresholds(ctx: Context, args: Args) -> Reply:
    """Every alert threshold in force for the project, and what it means."""
    project = args.take_project()
    args.expect_end()
    return Reply(title=f"{project.name}: alert thresholds", sections=[Section(text=_threshold_lines(project))],
                 footer="Change one: `/project alerts set burn_points 15` (or `default`).")


@command("alerts set", usage="alerts set [PROJECT] THRESHOLD VALUE|default",
         examples=["alerts set burn_points 15", "alerts set quiet_start 19", "alerts set cpi_min default"])
def alerts_set(ctx: Context, args: Args) -> Reply:
    """Change an alert threshold for this project (owner or manager)."""
    project = args.take_project()
    name = args.take_word(what=f"a threshold name ({', '.join(THRESHOLDS)})")
    if not args.tokens or args.tokens[0].kind is not Kind.WORD:
        raise UsageError(f"Expected a value for `{name}`, a number or `default`.")
    raw = args.tokens.pop(0).value
    args.expect_end()
    value: float | None
    if raw.lower() == "default":
        value = None
    else:
        try:
            value = float(raw.rstrip("%"))
        except ValueError:
            raise UsageError(f"Expected a number or `default` for `{name}` (got `{raw}`).") from None
    in_force = actions.set_threshold(session=ctx.session, project=project, actor=ctx.user_id,
                                     name=str(name), value=value, now=ctx.now)
    svc.check_project(session=ctx.session, project=project, now=ctx.now)
    note = " (the default)" if value is None else ""
    return Reply.text(f"`{name}` is now *{in_force:g}*{note} for {project.name}.")


def _take_alert(ctx: Context, args: Args):
    if not args.tokens or args.tokens[0].kind is not Kind.WORD:
        raise UsageError("Expected an alert number, like A12 (see `/project alerts`).")
    raw = args.tokens.pop(0).value
    number = parse_int(raw[1:] if raw[:1] in "aA" else raw, what="an alert number", low=1)
    return svc.get_alert(session=ctx.session, team_id=ctx.team_id, alert_id=number)


@command("alerts ack", usage="alerts ack A", examples=["alerts ack A12"])
def alerts_ack(ctx: Context, args: Args) -> Reply:
    """Acknowledge an alert: you have seen it and are on it."""
    alert, project = _take_alert(ctx, args)
    args.expect_end()
    changed = actions.acknowledge(session=ctx.session, project=project, alert=alert, actor=ctx.user_id,
                                  now=ctx.now)
    return Reply.text(f"A{alert.id} acknowledged." if changed else f"A{alert.id} was already acknowledged.")


@command("alerts snooze", usage="alerts snooze A day|week", examples=["alerts snooze A12 week"])
def alerts_snooze(ctx: Context, args: Args) -> Reply:
    """Snooze an alert for a day or a week; it comes back if the condition persists."""
    alert, project = _take_alert(ctx, args)
    length = args.take_word(what="how long", choices=["day", "week"])
    args.expect_end()
    until = actions.snooze(session=ctx.session, project=project, alert=alert, actor=ctx.user_id,
                           days=1 if length == "day" else 7, now=ctx.now)
    local = until.astimezone(ZoneInfo(project.timezone or "UTC"))
    return Reply.text(f"A{alert.id} snoozed until {moment(local)} ({project.timezone}).")


@command("alerts assign", usage="alerts assign A @user", examples=["alerts assign A12 @carol"])
def alerts_assign(ctx: Context, args: Args) -> Reply:
    """Name who follows an alert up; they get a DM."""
    alert, project = _take_alert(ctx, args)
    user = args.take_user()
    args.expect_end()
    actions.assign(session=ctx.session, project=project, alert=alert, actor=ctx.user_id,
                   assignee=str(user), now=ctx.now)
    return Reply.text(f"A{alert.id} is now followed up by {mention(user)}.")


@command("alerts risk", usage="alerts risk A", examples=["alerts risk A12"])
def alerts_risk(ctx: Context, args: Args) -> Reply:
    """Put an alert's condition into the risk register."""
    alert, project = _take_alert(ctx, args)
    args.expect_end()
    risk, created = actions.to_risk(session=ctx.session, project=project, alert=alert, actor=ctx.user_id,
                                    now=ctx.now)
    verb = "Added" if created else "Already tracked as"
    return Reply.text(f"{verb} risk R{risk.number} *{truncate(risk.title, 120)}* "
                      f"(score {risk.likelihood * risk.impact}). `/project risk update {risk.number} ...` "
                      "refines it.")
