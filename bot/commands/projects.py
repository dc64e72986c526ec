"""`/project help|new|list|status|link|edit|delete`."""

from __future__ import annotations

from bot.commands.dispatch import suggest
from bot.commands.grammar import Kind, Money, UsageError, shown
from bot.commands.registry import COMMANDS, Args, Context, command
from bot.commands.replies import project_list_reply, status_for, warned
from bot.domain import baselines
from bot.domain import changes as change_service
from bot.domain import projects as svc
from bot.domain.access import Action, require, role_of
from bot.domain.changes_messages import announce
from bot.domain.closing import lessons
from bot.domain.format import day, money
from bot.domain.plan_checks import dates_outside, milestone_budgets
from bot.domain.replies import Button, Intent, Reply, Section
from bot.models import Project, ProjectState, Role

GROUPS = [
    ("Projects", ["new", "list", "status", "link", "edit", "delete"]),
    ("Tasks", ["task"]),
    ("Milestones", ["milestone"]),
    ("People", ["member"]),
    ("Closing", ["close", "reopen", "retro", "lessons"]),
]


@command("help", usage="help [COMMAND]", examples=["help", "help task add"])
def help_(ctx: Context, args: Args) -> Reply:
    """Show what the bot can do, or the usage of one command."""
    words = []
    while args.tokens and args.tokens[0].lower:
        words.append(args.tokens.pop(0).lower)
    if words:
        matches = [c for p, c in sorted(COMMANDS.items()) if p[: len(words)] == tuple(words)]
        if not matches:
            hint = suggest(" ".join(words))
            raise UsageError(f"There is no `/project {shown(' '.join(words))}`."
                             + (f" Did you mean `/project help {hint}`?" if hint else ""))
        sections = []
        for c in matches:
            text = f"`/project {c.usage}`\n{c.summary}"
            if c.examples:
                text += "\n" + "\n".join(f"• `/project {e}`" for e in c.examples)
            sections.append(Section(text=text))
        return Reply(title=f"/project {' '.join(words)}", sections=sections[:40])
    grouped: dict[str, list[str]] = {}
    seen = set()
    for title, prefixes in GROUPS:
        for path, c in sorted(COMMANDS.items()):
            if path[0] in prefixes:
                grouped.setdefault(title, []).append(f"`{c.usage}` — {c.summary}")
                seen.add(path)
    for path, c in sorted(COMMANDS.items()):
        if path not in seen and path != ("help",):
            grouped.setdefault(path[0].capitalize(), []).append(f"`{c.usage}` — {c.summary}")
    sections = [Section(text=f"*{title}*\n" + "\n".join(lines)) for title, lines in grouped.items()]
    return Reply(
        title="Your project manager, in Slack",
        sections=sections,
        footer="`/project help COMMAND` shows examples. Dates: 2027-03-31, 31 Mar, next friday.",
    )


NEW_OPTIONS = {
    "key": "word", "goal": "text", "objective": "text", "scope": "text", "due": "due",
    "start": "date", "budget": "money",
}


@command(
    "new",
    usage='new "Name" [key KEY] [goal "..."] [due DATE] [budget AMOUNT] [start DATE] [tz ZONE]',
    examples=['new "Website relaunch" due 31 Mar budget $25k goal "More online orders"'],
)
def new(ctx: Context, args: Args) -> Reply:
    """Start a project; you become its owner and this channel its home."""
    if not args:
        return Reply(open_modal="new_project", sections=[Section(
            text='Name the project: `/project new "Website relaunch" due 31 Mar budget 25k`')])
    zone = args.take_options({"tz": "word"}).get("tz")
    if zone:  # dates in this command are read in the project's zone
        args.timezone = svc.validate_timezone(str(zone))
    opts = args.take_options(NEW_OPTIONS, free_text=True)
    name = args.take_text(what='a project name, like "Website relaunch"')
    args.expect_end()
    budget: Money | None = opts.get("budget")  # type: ignore[assignment]
    svc.refuse_duplicate_name(session=ctx.session, team_id=ctx.team_id, name=name)
    project = svc.create_project(
        session=ctx.session, team_id=ctx.team_id, name=name, owner_user_id=ctx.user_id,
        key=opts.get("key"), goal=opts.get("goal", ""), objective=opts.get("objective", ""),
        scope=opts.get("scope", ""), start_date=opts.get("start") or args.today(),
        due_date=opts.get("due"), budget_cents=budget.cents if budget else None,
        currency=budget.currency if budget else None, default_currency=ctx.default_currency,
        timezone=zone or ctx.default_timezone,
        channel_id=ctx.channel_id or None, now=ctx.now,
    )
    facts = [f"key `{project.key}`", f"owner <@{project.owner_user_id}>"]
    if project.due_date:
        facts.append(f"due {day(project.due_date, year=True)}")
    if project.budget_cents is not None:
        facts.append(f"budget {money(project.budget_cents, project.currency)}")
    where = " This channel is now its home." if project.channel_id else ""
    if svc.is_channel(ctx.channel_id) and not project.channel_id:
        holder = svc.project_for_channel(session=ctx.session, team_id=ctx.team_id,
                                         channel_id=ctx.channel_id)
        if holder:
            where = (f" This channel stays the home of {holder.name}; "
                     f"`/project link {project.key} #channel` gives {project.name} its own.")
    sections = [Section(text=", ".join(facts) + "." + where)]
    earlier = lessons.tips(session=ctx.session, project=project)  # what similar projects taught
    if earlier:
        sections.append(Section(text=earlier))
    return Reply(
        title=f"Project {project.name} started",
        sections=sections,
        buttons=[Button("Add task", Intent.ADD_TASK, project.key, "primary"),
                 Button("Add milestone", Intent.ADD_MILESTONE, project.key)],
        footer=f"Next: `/project member add {project.key} @someone`, `/project task add \"...\"`.",
        ephemeral=False,
    )


@command("list", usage="list [all]", examples=["list", "list all"])
def list_(ctx: Context, args: Args) -> Reply:
    """Every project with its state, due date and budget."""
    include_closed = args.take_word(what="`all`", choices=["all"], required=False) == "all"
    args.expect_end()
    projects = svc.list_projects(session=ctx.session, team_id=ctx.team_id, include_closed=include_closed)
    return project_list_reply(session=ctx.session, projects=projects, today=ctx.today())


@command("status", usage="status [PROJECT]", examples=["status", "status website"])
def status(ctx: Context, args: Args) -> Reply:
    """One honest picture: progress, milestones, due date, blockers."""
    if len(args.tokens) > 1 or (args.tokens and args.tokens[0].kind is not Kind.WORD):
        args.take_project()  # more than a project key: say what was not understood, as always
        args.expect_end()
    return status_for(ctx, args.tokens[0].value if args.tokens else None)


@command("link", usage="link [PROJECT] #channel", examples=["link website #website"])
def link(ctx: Context, args: Args) -> Reply:
    """Make a channel the project's home, so commands there need no name."""
    channel = args.take_channel()
    project = args.take_project()
    args.expect_end()
    previous = svc.link_channel(session=ctx.session, project=project, channel_id=channel,
                                user_id=ctx.user_id, now=ctx.now)
    moved = f" (it was {previous.name}'s)" if previous else ""
    return Reply.text(f"<#{channel}> is now the home of *{project.name}*{moved}.")


EDIT_FIELDS = {"name": "text", "goal": "text", "objective": "text", "scope": "text", "due": "due",
               "start": "date", "budget": "money", "tz": "word", "state": "word", "force": "flag"}


@command(
    "edit",
    usage="edit [PROJECT] name|goal|objective|scope|due|start|budget|tz|state VALUE ... [force]",
    examples=['edit website due 15 Apr budget 30k', 'edit goal "Double online orders"',
              "edit netmove budget 7k force"],
)
def edit(ctx: Context, args: Args) -> Reply:
    """Change a project's name, goal, scope, dates, budget, zone or state.

    `force` accepts a budget below what its milestones' budgets add up to."""
    project = args.take_project()
    opts = args.take_options(EDIT_FIELDS)
    force = bool(opts.pop("force", False))
    args.expect_end()
    if not opts:
        raise UsageError("Say what to change, like `due 15 Apr` or `budget 30k`.")
    changes: dict = {}
    for name, value in opts.items():
        if name == "budget":
            assert isinstance(value, Money)
            changes["budget_cents"] = value.cents
            if value.currency:
                changes["currency"] = value.currency
        elif name == "due":
            changes["due_date"] = value
        elif name == "start":
            changes["start_date"] = value
        elif name == "tz":
            changes["timezone"] = value
        elif name == "state":
            changes["state"] = str(value).lower().replace("-", "_")
        else:
            changes[name] = value
    if "name" in changes and svc.normal_name(str(changes["name"])) != svc.normal_name(project.name):
        svc.refuse_duplicate_name(session=ctx.session, team_id=ctx.team_id, name=str(changes["name"]))
    controlled = {k: v for k, v in changes.items()
                  if k in change_service.CONTROLLED and v != getattr(project, k)}
    is_owner = role_of(session=ctx.session, project=project, user_id=ctx.user_id) is Role.OWNER
    if project.plan and controlled and not is_owner:
        return _edit_as_change(ctx, project, changes, controlled, force)
    before = svc.edit_project(session=ctx.session, project=project, user_id=ctx.user_id, changes=changes,
                              force=force, now=ctx.now)
    notes = []
    if project.plan and controlled:  # the owner's own edit: allowed, recorded as an approved change
        cr = change_service.record_direct_edit(ctx.session, project, actor=ctx.user_id, before=before, now=ctx.now)
        if cr is not None:
            notes.append(f"Recorded as CR-{cr.number}, approved (direct edit); the plan was re-baselined.")
    if changes.get("state") == ProjectState.ACTIVE:
        notes.append(baselines.first_note(baselines.ensure_first(
            ctx.session, project, actor=ctx.user_id, why="the project was made active", now=ctx.now), project))
    warnings = []
    committed = milestone_budgets(session=ctx.session, project=project)
    if "budget_cents" in changes and project.budget_cents is not None and committed > project.budget_cents:
        warnings.append(f"Accepted with `force`: milestone budgets add up to "
                        f"{money(committed, project.currency)}, more than the new budget; status shows it.")
    if {"due_date", "start_date"} & set(changes):
        warnings += dates_outside(session=ctx.session, project=project, today=args.today())
    lines = [f"• {k.replace('_cents', '').replace('_', ' ')}: {_show(k, before[k], project)} → "
             f"{_show(k, v, project)}" if before[k] != v else
             f"• {k.replace('_cents', '').replace('_', ' ')}: {_show(k, v, project)} (unchanged)"
             for k, v in changes.items()]
    return warned(Reply(title=f"{project.name} updated", sections=[Section(text="\n".join(lines))]), warnings,
                  notes=notes)


def _edit_as_change(ctx: Context, project: Project, changes: dict, controlled: dict, force: bool) -> Reply:
    """Someone other than the owner edits budget, due date or scope of a baselined
    project: those become a change request; anything else is edited as usual."""
    parts = change_service.edit_parts(controlled)
    rest = {k: v for k, v in changes.items() if k not in change_service.CONTROLLED}
    if rest.get("currency") == project.currency:
        rest.pop("currency")
    cr = change_service.request_change(ctx.session, project, actor=ctx.user_id, title=change_service.edit_title(parts),
                                       parts=parts,
                                       now=ctx.now, source="edit")
    announce(ctx.session, project, cr, now=ctx.now)
    text = (f"*{project.name}* has a baseline, so budget, due date and scope change through a change request: "
            f"your edit became CR-{cr.number} ({', '.join(change_service.describe(parts, project.currency))}), "
            f"for the owner <@{project.owner_user_id}> or a sponsor to decide.")
    if rest:
        before = svc.edit_project(session=ctx.session, project=project, user_id=ctx.user_id, changes=rest,
                                  force=force, now=ctx.now)
        done = [f"{k.replace('_', ' ')}: {_show(k, before[k], project)} → {_show(k, v, project)}"
                for k, v in rest.items() if before[k] != v]
        if done:
            text += " Changed now: " + "; ".join(done) + "."
    return Reply(sections=[Section(text=text)],
                 footer=f"`/project change show {project.key} CR-{cr.number}`")


def _show(key: str, value: object, project) -> str:
    if value is None or value == "":
        return "_not set_"
    if key.endswith("_cents"):
        return money(value, project.currency)  # type: ignore[arg-type]
    if key.endswith("_date"):
        return day(value)  # type: ignore[arg-type]
    return str(value)[:200]


@command("delete", usage="delete PROJECT confirm", examples=["delete website confirm"])
def delete(ctx: Context, args: Args) -> Reply:
    """Archive a project: it leaves the list and frees its channel; nothing is erased.

    Owner or manager only. A soft delete (state `cancelled`, audited), so
    `edit PROJECT state active` brings it back."""
    key = args.take_word(what="the project's key, like `website` (no project is assumed here)")
    confirmed = args.take_word(what="`confirm`", choices=["confirm"], required=False) == "confirm"
    args.expect_end()
    project = svc.get_project(session=ctx.session, team_id=ctx.team_id, key=key or "")
    if project.state == ProjectState.CANCELLED:
        return Reply.text(f"*{project.name}* is already deleted (archived). "
                          f"`/project edit {project.key} state active` brings it back.")
    if not confirmed:
        require(session=ctx.session, project=project, user_id=ctx.user_id, action=Action.MANAGE,
                what="delete the project")
        return Reply.text(f"This archives *{project.name}*: it leaves `/project list` and its channel "
                          f"is freed; tasks and history are kept. To go ahead: "
                          f"`/project delete {project.key} confirm`")
    svc.delete_project(session=ctx.session, project=project, user_id=ctx.user_id, now=ctx.now)
    return Reply(sections=[Section(text=f"*{project.name}* is deleted (archived). "
                                        f"`/project edit {project.key} state active` brings it back.")],
                 ephemeral=False)
