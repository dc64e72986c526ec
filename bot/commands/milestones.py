"""`/project milestone add|list|done|edit|cancel|reopen`."""

from __future__ import annotations

from bot.commands.grammar import Money, UsageError
from bot.commands.registry import Args, Context, command
from bot.commands.replies import milestone_lines, warned
from bot.domain import baselines
from bot.domain import milestones as svc
from bot.domain.format import day, money
from bot.domain.history import LABELS, show
from bot.domain.replies import Reply, Section


@command("milestone add",
         usage='milestone add [PROJECT] "name" [due DATE] [budget AMOUNT] [effort 40h] [force]',
         examples=['milestone add "Design approved" due 15 Jan budget 5k effort 60h',
                   'milestone add "Cabling" budget 3k force'])
def milestone_add(ctx: Context, args: Args) -> Reply:
    """Add a dated checkpoint with its planned budget and effort (`force`: even over the budget)."""
    project = args.take_project()
    opts = args.take_options({"due": "due", "budget": "money", "effort": "duration", "force": "flag"},
                             free_text=True)
    name = args.take_text(what='a milestone name, like "Design approved"')
    args.expect_end()
    budget = opts.get("budget")
    warnings: list[str] = []
    m = svc.add_milestone(session=ctx.session, project=project, actor=ctx.user_id, name=name,
                          due_date=opts.get("due"),
                          planned_budget_cents=budget.cents if budget else None,  # type: ignore[attr-defined]
                          planned_effort_hours=opts.get("effort"), force=bool(opts.get("force")),
                          warnings=warnings, now=ctx.now)
    extra = f", budget {money(m.planned_budget_cents, project.currency)}" if budget else ""
    return warned(Reply.text(f"Milestone M{m.number} *{m.name}* added to {project.name} "
                             f"(due {day(m.due_date, year=True)}{extra})."), warnings,
                  notes=[first_baseline(ctx, project, m)])


def first_baseline(ctx: Context, project, milestone) -> str:
    """Baseline 1 is taken the first time a milestone has a budget; the reply says so."""
    if milestone.planned_budget_cents is None or project.plan:
        return ""
    return baselines.first_note(baselines.ensure_first(
        ctx.session, project, actor=ctx.user_id, why=f"the first milestone with a budget, M{milestone.number}",
        now=ctx.now), project)


@command("milestone list", usage="milestone list [PROJECT]", examples=["milestone list"])
def milestone_list(ctx: Context, args: Args) -> Reply:
    """Milestones in date order, reached and cancelled ones marked."""
    project = args.take_project()
    args.expect_end()
    milestones = svc.list_milestones(session=ctx.session, project=project)
    if not milestones:
        return Reply.text(f"*{project.name}* has no milestones yet. "
                          '`/project milestone add "Design approved" due 15 Jan`')
    return Reply(title=f"{project.name}: milestones",
                 sections=[Section(text=milestone_lines(milestones[:40], args.today(), project.currency))],
                 footer=f"and {len(milestones) - 40} more" if len(milestones) > 40 else "")


@command("milestone done", usage="milestone done [PROJECT] M", examples=["milestone done M1"])
def milestone_done(ctx: Context, args: Args) -> Reply:
    """Mark a milestone reached."""
    project = args.take_project()
    ref = args.take_text(what="a milestone number or name, like M1")
    args.expect_end()
    m = svc.find_milestone(session=ctx.session, project=project, ref=ref)
    already = m.done_at is not None and m.cancelled_at is None
    svc.complete_milestone(session=ctx.session, project=project, actor=ctx.user_id, milestone=m, now=ctx.now)
    if already:
        return Reply.text(f"Milestone M{m.number} *{m.name}* was already reached.")
    return Reply.text(f"Milestone M{m.number} *{m.name}* is reached :tada:")


EDIT_OPTIONS = {"name": "text", "due": "due", "budget": "money", "effort": "duration", "force": "flag"}


def _take_milestone(ctx: Context, args: Args):
    project = args.take_project()
    if not args.tokens:
        raise UsageError("Expected a milestone, like M1.")
    ref = args.tokens.pop(0).value
    return project, svc.find_milestone(session=ctx.session, project=project, ref=ref)


@command("milestone edit",
         usage='milestone edit [PROJECT] M1 [name "..."] [due DATE|none] [budget AMOUNT|none] '
               "[effort 40h|none] [force]",
         examples=["milestone edit M2 budget 3k due 11 Dec", 'milestone edit netmove M1 name "Survey done"'])
def milestone_edit(ctx: Context, args: Args) -> Reply:
    """Correct a milestone: name, due date, planned budget or effort (several at once)."""
    project, m = _take_milestone(ctx, args)
    cleared = set()
    i = 0
    while i + 1 < len(args.tokens):
        if args.tokens[i].lower in ("due", "budget", "effort") and args.tokens[i + 1].lower == "none":
            cleared.add(args.tokens[i].lower)
            del args.tokens[i : i + 2]
            continue
        i += 1
    opts = args.take_options(EDIT_OPTIONS)
    args.expect_end()
    fields = {"name": "name", "due": "due_date", "budget": "planned_budget_cents",
              "effort": "planned_effort_hours"}
    changes = {fields[k]: None for k in cleared}
    for key, value in opts.items():
        if key == "budget":
            assert isinstance(value, Money)
            if value.currency and value.currency != project.currency:
                raise UsageError(f"*{project.name}* keeps its budget in {project.currency}.")
            changes["planned_budget_cents"] = value.cents
        elif key in fields:
            changes[fields[key]] = value
    if not changes:
        raise UsageError("Say what to change, like `budget 3k`, `due 11 Dec` or `name \"...\"`.")
    before = {k: getattr(m, k) for k in changes}
    result = svc.edit_milestone(session=ctx.session, project=project, actor=ctx.user_id, milestone=m,
                                changes=changes, force=bool(opts.get("force")), now=ctx.now)
    lines = [f"• {LABELS.get(k, k)}: {show(k, old, project)} → {show(k, result.after[k], project)}"
             if k in result.after else f"• {LABELS.get(k, k)}: {show(k, old, project)} (unchanged)"
             for k, old in before.items()]
    head = (f"Milestone M{m.number} *{m.name}* edited:" if result.after
            else f"Milestone M{m.number} *{m.name}*: nothing to change, it is already so.")
    return warned(Reply(sections=[Section(text=head + "\n" + "\n".join(lines))]), result.warnings,
                  notes=[first_baseline(ctx, project, m)])


@command("milestone cancel", usage='milestone cancel [PROJECT] M1 ["reason"]',
         examples=['milestone cancel M3 "Moved to next year"'])
def milestone_cancel(ctx: Context, args: Args) -> Reply:
    """Take a milestone out of the plan (budget, value, alerts); its tasks stay, outside any milestone."""
    project, m = _take_milestone(ctx, args)
    reason = args.take_text(what="a reason", required=False) if args.tokens else ""
    args.expect_end()
    back = f"`/project milestone reopen {project.key} M{m.number}` brings it back."
    if not svc.cancel_milestone(session=ctx.session, project=project, actor=ctx.user_id, milestone=m,
                                reason=reason, now=ctx.now):
        return Reply.text(f"Milestone M{m.number} *{m.name}* was already cancelled. {back}")
    budget = (f" Its budget of {money(m.planned_budget_cents, project.currency)} no longer counts."
              if m.planned_budget_cents else "")
    text = f"Milestone M{m.number} *{m.name}* is cancelled, kept in history.{budget} {back}"
    open_tasks = svc.open_tasks_in(session=ctx.session, milestone=m)
    notes = []
    if open_tasks:
        refs = ", ".join(f"#{t.number}" for t in open_tasks[:10]) + (" …" if len(open_tasks) > 10 else "")
        which = f"open task {refs} stays" if len(open_tasks) == 1 else f"{len(open_tasks)} open tasks ({refs}) stay"
        notes.append(f"Its {which} open, outside any milestone: `/project task cancel {project.key} N` or "
                     f"`/project task edit {project.key} N milestone M…` to move or drop "
                     f"{'it' if len(open_tasks) == 1 else 'each'}.")
    return warned(Reply.text(text), notes=notes)


@command("milestone reopen", usage="milestone reopen [PROJECT] M1 [force]", examples=["milestone reopen M3"])
def milestone_reopen(ctx: Context, args: Args) -> Reply:
    """Bring a reached or cancelled milestone back as open."""
    project, m = _take_milestone(ctx, args)
    force = args.take_options({"force": "flag"}).get("force")
    args.expect_end()
    was = "cancelled" if m.cancelled_at else "reached"
    changed, warnings = svc.reopen_milestone(session=ctx.session, project=project, actor=ctx.user_id,
                                             milestone=m, force=bool(force), now=ctx.now)
    if not changed:
        return Reply.text(f"Milestone M{m.number} *{m.name}* is open already; nothing to reopen.")
    return warned(Reply.text(f"Milestone M{m.number} *{m.name}* is open again (it was {was})."), warnings)
