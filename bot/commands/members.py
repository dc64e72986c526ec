"""`/project member add|remove|role|rate|capacity|list`."""

from __future__ import annotations

from bot.commands.grammar import UsageError, shown
from bot.commands.people import weekly_hours
from bot.commands.registry import Args, Context, command
from bot.commands.replies import warned
from bot.domain import capacity, standups
from bot.domain import members as svc
from bot.domain.access import Action, require, sees_rates
from bot.domain.errors import Invalid
from bot.domain.format import hours, money, truncate
from bot.domain.replies import Button, Intent, Reply, Section
from bot.domain.workload import load_people
from bot.models import Project, Role

ROLES = [r.value for r in Role]


@command("member add", usage="member add [PROJECT] @user [role manager|member|stakeholder|client|sponsor]",
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


@command("member role", usage="member role [PROJECT] @user owner|manager|member|stakeholder|client|sponsor",
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


@command("member capacity", usage="member capacity [PROJECT] @user HOURS_PER_WEEK|none [force]",
         examples=["member capacity @carol 20h", "member capacity crm @dan 30h force", "member capacity @dan none"])
def member_capacity(ctx: Context, args: Args) -> Reply:
    """Allocate part of someone's week to the project (`none`: no allocation, a share of what is left).

    Allocations that would add up to more than the person's capacity
    (`/project capacity`) are refused, naming their other projects, unless `force`."""
    project = args.take_project()
    opts = args.take_options({"force": "flag"})
    user = args.take_user()
    raw = args.take_text(what="hours per week, like 20h, or none")
    args.expect_end()
    value = None if raw.lower() in {"none", "default"} else weekly_hours(raw)
    require(session=ctx.session, project=project, user_id=ctx.user_id, action=Action.MANAGE, what="change capacity")
    member = svc.get_member(session=ctx.session, project=project, user_id=user)
    warning = None
    if value is not None and member.role != Role.CLIENT:  # a client's is refused below, saying why
        person = capacity.person(session=ctx.session, team_id=ctx.team_id, user_id=user,
                                 allocation=(project.id, value))
        too_much = capacity.over_allocation(person, project=project, hours_=value)
        if too_much and not opts.get("force"):
            raise Invalid(f"{too_much} Lower another allocation, raise their capacity "
                          f"(`/project capacity <@{user}> HOURS`), or add `force` to allocate it anyway.")
        warning = too_much
    svc.update_member(session=ctx.session, project=project, actor=ctx.user_id, user_id=user,
                      weekly_capacity_hours=value, clear_capacity=value is None, now=ctx.now)
    after = capacity.person(session=ctx.session, team_id=ctx.team_id, user_id=user)
    if value is None:
        stake = after.stake(project.id)
        share = f" (a share of {hours(round(stake.share, 1))} a week)" if stake and stake.share else ""
        text = f"<@{user}> has no allocation on *{project.name}* now{share}. {capacity.allocation_note(after, project=project)}"
    else:
        text = f"<@{user}> has {value:g}h a week for *{project.name}*. {capacity.allocation_note(after, project=project)}"
    return warned(Reply.text(text), [warning and "Allocated anyway (`force`)."])


def _allocation(member, load, project: Project) -> str:
    """`20h/week`, `13.3h/week (share)` or `no capacity`."""
    if member.role == Role.CLIENT:
        return "no capacity (client)"
    if member.weekly_capacity_hours is not None:
        return f"{member.weekly_capacity_hours:g}h/week"
    share = load.share(project.id) if load else 0.0
    if load is None or load.person.capacity is None:
        return "no capacity"
    return f"{round(share, 1):g}h/week (share)"


@command("member list", usage="member list [PROJECT]", examples=["member list"])
def member_list(ctx: Context, args: Args) -> Reply:
    """Who is on the project, with role and allocation (rates for the owner and managers)."""
    project = args.take_project()
    args.expect_end()
    members = svc.list_members(session=ctx.session, project=project)
    rates = sees_rates(session=ctx.session, project=project, user_id=ctx.user_id)
    loads = load_people(session=ctx.session, team_id=ctx.team_id, now=ctx.now,
                        user_ids=[m.user_id for m in members[:50]]).people
    lines = [f"<@{m.user_id}> · {m.role} · "
             + (f"{money(m.hourly_rate_cents, project.currency) + '/h' if m.hourly_rate_cents else 'no rate'} · "
                if rates else "")
             + _allocation(m, loads.get(m.user_id), project) for m in members[:50]]
    return Reply(title=f"{project.name}: people ({len(members)})", sections=[Section(text="\n".join(lines))],
                 footer="" if rates else "Hourly rates are shown to the owner and managers.")
