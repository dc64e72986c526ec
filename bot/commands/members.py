"""`/project member add|remove|role|rate|capacity|list`."""

from __future__ import annotations

import re

from bot.commands.grammar import UsageError, parse_duration, shown
from bot.commands.registry import Args, Context, command
from bot.commands.replies import warned
from bot.domain import members as svc
from bot.domain import standups
from bot.domain.access import sees_rates
from bot.domain.format import money, truncate
from bot.domain.replies import Button, Intent, Reply, Section
from bot.models import Project, Role

ROLES = [r.value for r in Role]


@command("member add", usage="member add [PROJECT] @user [role manager|member|stakeholder|client]",
         examples=["member add @bob", "member add website @erin role stakeholder",
                   "member add @dana role client"])
def member_add(ctx: Context, args: Args) -> Reply:
    """Add someone to the project (as a member unless a role is given)."""
    project = args.take_project()
    opts = args.take_options({"role": "word", "as": "word"})
    users = []
    while (u := args.take_user(required=not users)) is not None:
        users.append(u)
    args.expect_end()
    role = Role(_role(str(opts.get("role") or opts.get("as") or "member")))
    added, already, asked = [], [], []
    run = None
    for u in users:
        _, created = svc.add_member(session=ctx.session, project=project, actor=ctx.user_id,
                                    user_id=u, role=role, now=ctx.now)
        (added if created else already).append(f"<@{u}>")
        if created and (joined := standups.join_open_run(session=ctx.session, project=project,
                                                         user_id=u, now=ctx.now)) is not None:
            run = joined
            asked.append(f"<@{u}>")
    parts = []
    if added:
        parts.append(f"{', '.join(added)} joined *{project.name}* as {role}.")
    if already:
        parts.append(f"{', '.join(already)} already on the project.")
    if run is not None:
        closes = standups.local_time(run.closes_at, standups.config_timezone(
            standups.require_config(session=ctx.session, project=project), project))
        parts.append(f"Today's standup is open: {', '.join(asked)} will get its questions now "
                     f"(answers until {closes}).")
    return Reply.text(" ".join(parts))


def _role(word: str) -> str:
    word = word.lower()
    if word not in ROLES:
        raise UsageError(f"A role is one of {', '.join(ROLES)} (got `{shown(word)}`).")
    return word


@command("member remove", usage="member remove [PROJECT] @user [reassign @other | unassign]",
         examples=["member remove @dan", "member remove @dan reassign @carol", "member remove @dan unassign"])
def member_remove(ctx: Context, args: Args) -> Reply:
    """Take someone off the project (history stays); their open tasks go where you say.

    With open tasks and no `reassign`/`unassign`, nothing changes: the reply
    lists them and asks (Reassign… / Unassign buttons in Slack)."""
    project = args.take_project()
    opts = args.take_options({"reassign": "user", "unassign": "flag"})
    user = args.take_user()
    args.expect_end()
    if "reassign" in opts and opts.get("unassign"):
        raise UsageError("Choose one: `reassign @someone` or `unassign`.")
    open_tasks = svc.open_tasks_of(session=ctx.session, project=project, user_id=user)
    if open_tasks and not opts:
        svc.check_removable(session=ctx.session, project=project, actor=ctx.user_id, user_id=user)
        return orphan_choice(project, user, open_tasks)
    to = opts.get("reassign")
    done = svc.remove_member(session=ctx.session, project=project, actor=ctx.user_id, user_id=user,
                             reassign_to=str(to) if to else None, now=ctx.now)
    if done.already:
        return Reply.text(f"<@{user}> was already off *{project.name}*; nothing changed.")
    text = f"<@{user}> is no longer on *{project.name}*."
    if done.moved:
        refs = ", ".join(f"#{t.number}" for t in done.moved[:10]) + (" …" if len(done.moved) > 10 else "")
        whom = f"to <@{to}>" if to else "to nobody (unassigned)"
        text += f" Their {_tasks(len(done.moved))} ({refs}) went {whom}."
    return warned(Reply.text(text), notes=done.notes)


def _tasks(n: int) -> str:
    return "open task" if n == 1 else f"{n} open tasks"


def orphan_choice(project: Project, user: str, open_tasks: list) -> Reply:
    """Removing someone with open work: list it and ask where it goes (buttons in
    Slack, the commands in text); nothing changes until then."""
    lines = [f"• #{t.number} {truncate(t.title, 100)}" for t in open_tasks[:15]]
    if len(open_tasks) > 15:
        lines.append(f"and {len(open_tasks) - 15} more")
    value = f"{project.key}:{user}"
    return Reply(
        sections=[Section(text=f"<@{user}> still has {_tasks(len(open_tasks))} on *{project.name}*; "
                               "nothing was changed yet. Who takes them?\n" + "\n".join(lines),
                          buttons=[Button("Reassign…", Intent.MEMBER_REASSIGN, value, "primary"),
                                   Button("Unassign", Intent.MEMBER_UNASSIGN, value)])],
        footer=f"`/project member remove {project.key} <@{user}> reassign @someone` or "
               f"`/project member remove {project.key} <@{user}> unassign`")


@command("member role", usage="member role [PROJECT] @user owner|manager|member|stakeholder|client",
         examples=["member role @carol manager"])
def member_role(ctx: Context, args: Args) -> Reply:
    """Change someone's role; making someone owner hands the project over."""
    project = args.take_project()
    user = args.take_user()
    role = Role(_role(args.take_word(what="a role") or ""))
    args.expect_end()
    svc.update_member(session=ctx.session, project=project, actor=ctx.user_id, user_id=user, role=role, now=ctx.now)
    return Reply.text(f"<@{user}> is now {role} of *{project.name}*.")


@command("member rate", usage="member rate [PROJECT] @user AMOUNT", examples=["member rate @bob 85",
                                                                           "member rate @frank €85/h"])
def member_rate(ctx: Context, args: Args) -> Reply:
    """Set someone's hourly rate, used to cost their logged hours."""
    project = args.take_project()
    user = args.take_user()
    amount = args.take_money(what="an hourly rate", per_hour=True)
    args.expect_end()
    if amount.currency and amount.currency != project.currency:
        raise UsageError(f"*{project.name}* keeps its money in {project.currency}; "
                         f"give the rate in {project.currency}, converted.")
    svc.update_member(session=ctx.session, project=project, actor=ctx.user_id, user_id=user,
                      hourly_rate_cents=amount.cents, now=ctx.now)
    return Reply.text(f"<@{user}>'s rate on *{project.name}* is {money(amount.cents, project.currency)}/h.")


@command("member capacity", usage="member capacity [PROJECT] @user HOURS_PER_WEEK",
         examples=["member capacity @carol 20h"])
def member_capacity(ctx: Context, args: Args) -> Reply:
    """Set how many hours a week someone has for the project."""
    project = args.take_project()
    user = args.take_user()
    raw = args.take_text(what="hours per week, like 20h")
    if re.fullmatch(r"\d{1,4}(\.\d{1,2})?", raw):  # a bare number means hours
        hours = float(raw)
        if hours > 168:
            raise UsageError(f"Hours per week must be from 0 to 168 (got {hours:g}).")
    else:
        hours = parse_duration(raw)
    args.expect_end()
    svc.update_member(session=ctx.session, project=project, actor=ctx.user_id, user_id=user,
                      weekly_capacity_hours=hours, now=ctx.now)
    return Reply.text(f"<@{user}> has {hours:g}h a week for *{project.name}*.")


@command("member list", usage="member list [PROJECT]", examples=["member list"])
def member_list(ctx: Context, args: Args) -> Reply:
    """Who is on the project, with role and capacity (rates for the owner and managers)."""
    project = args.take_project()
    args.expect_end()
    members = svc.list_members(session=ctx.session, project=project)
    rates = sees_rates(session=ctx.session, project=project, user_id=ctx.user_id)
    lines = [f"<@{m.user_id}> · {m.role} · "
             + (f"{money(m.hourly_rate_cents, project.currency) + '/h' if m.hourly_rate_cents else 'no rate'} · "
                if rates else "")
             + (f"{m.weekly_capacity_hours:g}h/week" if m.role != Role.CLIENT else "no capacity (client)")
             for m in members[:50]]
    return Reply(title=f"{project.name}: people ({len(members)})", sections=[Section(text="\n".join(lines))],
                 footer="" if rates else "Hourly rates are shown to the owner and managers.")
