"""`/project baseline [list]`: freeze the plan, and see plan vs now."""

from __future__ import annotations

from bot.commands.registry import Args, Context, command
from bot.domain import baselines as svc
from bot.domain.format import day, money, plural, truncate
from bot.domain.replies import Reply, Section


@command("baseline", usage='baseline [PROJECT] [reason "..."]',
         examples=["baseline crm", 'baseline crm reason "Phase 2 agreed with the client"'])
def baseline(ctx: Context, args: Args) -> Reply:
    """Freeze today's plan (budget, dates, scope, milestones, estimates) as the next baseline.

    Owner or manager. The first is Baseline 1; a later one needs a reason.
    Approving a change request takes one by itself."""
    project = args.take_project()
    opts = args.take_options({"reason": "text"})
    args.expect_end()
    b = svc.take(ctx.session, project, actor=ctx.user_id, reason=str(opts.get("reason") or ""), now=ctx.now)
    facts = [f"budget {money(b.budget_cents, project.currency)}",
             f"due {day(b.due_date, year=True)}" if b.due_date else "no due date",
             plural(len(b.plan.get("milestones", [])), "milestone"),
             plural(len(b.plan.get("estimates", {})), "task estimate")]
    why = f" ({truncate(b.reason, 200)})" if b.reason else ""
    return Reply(sections=[Section(text=f"📌 Baseline {b.number} of *{project.name}* taken{why}: "
                                        f"{', '.join(facts)}.")],
                 footer=f"Budget, due date and scope now change through `/project change add {project.key}`; "
                        f"`/project baseline list {project.key}` shows plan vs now.",
                 ephemeral=False)


@command("baseline list", usage="baseline list [PROJECT]", examples=["baseline list crm"])
def baseline_list(ctx: Context, args: Args) -> Reply:
    """Every baseline with its reason, and how now differs from Baseline 1."""
    project = args.take_project()
    args.expect_end()
    found = svc.list_baselines(ctx.session, project)
    if not found:
        return Reply.text(f"*{project.name}* has no baseline yet. `/project baseline {project.key}` takes one "
                          "(the first milestone with a budget, or `edit state active`, takes it by itself).")
    lines = [f"• Baseline {b.number} · {day(b.created_at.date(), year=True)} · "
             f"budget {money(b.budget_cents, b.currency)} · due {day(b.due_date, year=True) if b.due_date else 'none'}"
             + (f" · {truncate(b.reason, 150)}" if b.reason else "") for b in found[-20:]]
    diffs = svc.differences(ctx.session, project)
    plan = svc.compare(project, [])
    now_text = "\n".join(f"• {d.text}" for d in diffs[:15]) or "Now is as Baseline 1 planned it."
    return Reply(title=f"{project.name}: baselines",
                 sections=[Section(text="\n".join(lines)), Section(text="*Plan vs now*\n" + now_text)],
                 footer=(plan.changes_line + ". " if plan.changes_line else "")
                 + f"`/project change list {project.key} all` lists the changes.")
