"""`/project milestone add|list|done`."""

from __future__ import annotations

from bot.commands.registry import Args, Context, command
from bot.commands.replies import milestone_lines
from bot.domain import milestones as svc
from bot.domain.format import day, money
from bot.domain.replies import Reply, Section


@command("milestone add", usage='milestone add [PROJECT] "name" [due DATE] [budget AMOUNT] [effort 40h]',
         examples=['milestone add "Design approved" due 15 Jan budget 5k effort 60h'])
def milestone_add(ctx: Context, args: Args) -> Reply:
    """Add a dated checkpoint with its planned budget and effort."""
    project = args.take_project()
    opts = args.take_options({"due": "due", "budget": "money", "effort": "duration"}, free_text=True)
    name = args.take_text(what='a milestone name, like "Design approved"')
    args.expect_end()
    budget = opts.get("budget")
    m = svc.add_milestone(session=ctx.session, project=project, actor=ctx.user_id, name=name,
                          due_date=opts.get("due"),
                          planned_budget_cents=budget.cents if budget else None,  # type: ignore[attr-defined]
                          planned_effort_hours=opts.get("effort"), now=ctx.now)
    extra = f", budget {money(m.planned_budget_cents, project.currency)}" if budget else ""
    return Reply.text(f"Milestone M{m.number} *{m.name}* added to {project.name} "
                      f"(due {day(m.due_date, year=True)}{extra}).")


@command("milestone list", usage="milestone list [PROJECT]", examples=["milestone list"])
def milestone_list(ctx: Context, args: Args) -> Reply:
    """Milestones in date order, done ones marked."""
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
    already = m.done_at is not None
    svc.complete_milestone(session=ctx.session, project=project, actor=ctx.user_id, milestone=m, now=ctx.now)
    if already:
        return Reply.text(f"Milestone M{m.number} *{m.name}* was already reached.")
    return Reply.text(f"Milestone M{m.number} *{m.name}* is reached :tada:")
