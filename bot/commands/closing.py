"""`/project close|reopen`: the close check and its clean-ups, closing and reopening,
and `report PROJECT final` (see `bot.commands.reports`)."""

from __future__ import annotations

from bot.commands.grammar import Kind, Money, UsageError
from bot.commands.registry import Args, Context, command
from bot.domain import projects as project_service
from bot.domain import risks as risk_service
from bot.domain.access import can_work
from bot.domain.closing import check as check_service
from bot.domain.closing import close as close_service
from bot.domain.closing.final import build_final_report
from bot.domain.closing.render import to_reply
from bot.domain.format import day, mention, money, plural, truncate
from bot.domain.replies import Button, Intent, Reply, Section
from bot.models import Project

SHOWN = 10  # items listed per part of the check
RISK_BUTTONS = 5  # risks with their own Happened / Did not happen buttons
MOVE_TARGETS = 3


@command(
    "close",
    usage="close [PROJECT] [confirm [retro named|anonymous] [days N] | tasks cancel | tasks move OTHER "
          "| risk N happened [cost AMOUNT] | risk N did-not-happen | risks did-not-happen]",
    examples=["close website", "close website confirm", "close website confirm retro anonymous days 7",
              "close website tasks move crm", "close website risk 2 happened cost 1.2k",
              "close website risks did-not-happen"],
)
def close(ctx: Context, args: Args) -> Reply:
    """Close a project (owner): first a check of what is open, then `confirm`.

    Closing posts the final report (Markdown and PDF) in the project's channel,
    DMs each member a retrospective, and stops its detectors, standups and
    reports; `/project reopen PROJECT` undoes it."""
    project = args.take_project()
    word = args.take_word(what="`confirm`, `tasks`, `risk` or `risks`",
                          choices=["confirm", "tasks", "risk", "risks"], required=False)
    if word == "confirm":
        return _confirm(ctx, args, project)
    if word == "tasks":
        return _tasks(ctx, args, project)
    if word in ("risk", "risks"):
        return _risks(ctx, args, project, every=word == "risks")
    args.expect_end()
    close_service.require_owner(ctx.session, project, ctx.user_id, "close")
    return check_reply(ctx, project)


def _confirm(ctx: Context, args: Args, project: Project) -> Reply:
    opts = args.take_options({"retro": "word", "days": "int"})
    args.expect_end()
    mode = str(opts.get("retro", "named")).lower()
    if mode not in close_service.RETRO_MODES:
        raise UsageError(f"`retro` is `named` or `anonymous` (got `{truncate(mode, 20)}`).")
    days = int(opts.get("days", close_service.DEFAULT_RETRO_DAYS))  # type: ignore[arg-type]
    closure, closed = close_service.close_project(
        session=ctx.session, project=project, actor=ctx.user_id, today=args.today(), now=ctx.now,
        retro_mode=mode, retro_days=days)
    if not closed:
        return Reply.text(f"*{project.name}* is already closed (since {day(close_service.local_day(project, closure.closed_at), year=True)}). "
                          f"`/project report {project.key} final` shows its final report; "
                          f"`/project reopen {project.key}` brings it back.")
    f = closure.final
    cost = money(f.get("actual_cents"), project.currency)
    if f.get("budget_cents"):
        cost += f" of {money(f['budget_cents'], project.currency)}"
    where = (f"The final report (Markdown and PDF) is being posted in <#{project.channel_id}>."
             if project.channel_id else "It has no channel, so `/project report " + project.key +
             " final` shows the final report.")
    asked = len(close_service.retro_people(ctx.session, project))
    retro = (f"{plural(asked, 'member')} {'gets' if asked == 1 else 'get'} a retrospective DM ({closure.retro_mode}); answers are "
             f"collected until {day(close_service.local_day(project, closure.retro_until), year=True)}, then summarised in the channel.")
    return Reply(title=f"{project.name} is closed",
                 sections=[Section(text=f"Final cost {cost}. {where}\n{retro}")],
                 footer=f"Nothing runs for it any more (alerts, standups, reports). "
                        f"`/project reopen {project.key}` reverses this.",
                 ephemeral=False)


def _tasks(ctx: Context, args: Args, project: Project) -> Reply:
    verb = args.take_word(what="`cancel` or `move OTHER`", choices=["cancel", "move"])
    if verb == "cancel":
        args.expect_end()
        done = check_service.cancel_open_tasks(session=ctx.session, project=project, actor=ctx.user_id, now=ctx.now)
        note = (f"Cancelled {plural(len(done), 'open task')} (kept in `/project task list {project.key} cancelled`)."
                if done else "No open tasks were left to cancel.")
        return check_reply(ctx, project, note=note)
    if args.tokens and args.tokens[0].kind is Kind.WORD and args.tokens[0].lower == "to":
        args.tokens.pop(0)
    key = args.take_word(what="the key of the project to move them to, like `crm`")
    args.expect_end()
    target = project_service.get_project(session=ctx.session, team_id=ctx.team_id, key=key or "")
    moved = check_service.move_open_tasks(session=ctx.session, project=project, target=target,
                                          actor=ctx.user_id, now=ctx.now)
    if not moved:
        return check_reply(ctx, project, note="No open tasks were left to move.")
    pairs = ", ".join(f"#{old.number} → #{new.number}" for old, new in moved[:15])
    more = f" and {len(moved) - 15} more" if len(moved) > 15 else ""
    return check_reply(ctx, project, note=f"Moved {plural(len(moved), 'task')} to *{target.name}* "
                                          f"({pairs}{more}); here they are cancelled, naming where they went.")


OUTCOME_WORDS = {"happened": check_service.HAPPENED, "did-not-happen": check_service.DID_NOT_HAPPEN,
                 "did_not_happen": check_service.DID_NOT_HAPPEN, "not-happened": check_service.DID_NOT_HAPPEN}


def _risks(ctx: Context, args: Args, project: Project, *, every: bool) -> Reply:
    numbers: list[int] = []
    if not every:
        raw = args.take_word(what="a risk number, like 2 or R2") or ""
        try:
            numbers = [int(raw.upper().removeprefix("R"))]
        except ValueError:
            raise UsageError(f"Expected a risk number, like 2 or R2 (got `{truncate(raw, 20)}`).") from None
    opts = args.take_options({"cost": "money"})
    outcome = args.take_word(what="`happened` or `did-not-happen`", choices=list(OUTCOME_WORDS))
    opts.update(args.take_options({"cost": "money"}))
    args.expect_end()
    cost: Money | None = opts.get("cost")  # type: ignore[assignment]
    if every and cost is not None:
        raise UsageError("A cost goes with one risk: `close KEY risk 2 happened cost 1.2k`.")
    risks = ([risk_service.get_risk(session=ctx.session, project=project, number=n) for n in numbers] if numbers
             else risk_service.list_risks(session=ctx.session, project=project))
    changed = [r for r in risks if check_service.settle_risk(
        session=ctx.session, project=project, actor=ctx.user_id, risk=r, outcome=OUTCOME_WORDS[outcome or ""],
        cost_cents=cost.cents if cost else None, now=ctx.now)]
    said = "happened" if OUTCOME_WORDS[outcome or ""] == check_service.HAPPENED else "did not happen"
    if not changed:
        note = "Nothing changed: " + ("no risks were open." if every else f"R{numbers[0]} was already recorded so.")
    else:
        refs = ", ".join(f"R{r.number}" for r in changed)
        worth = f" (cost {money(cost.cents, project.currency)})" if cost else ""
        note = f"Closed {refs}: {said}{worth}."
    return check_reply(ctx, project, note=note)


def check_reply(ctx: Context, project: Project, *, note: str = "") -> Reply:
    """The close check as a reply: each open part with the buttons that settle it."""
    check = check_service.close_check(session=ctx.session, project=project, today=ctx.today(project))
    key = project.key
    sections = [Section(text=note)] if note else []
    if project.state == "done":
        sections.append(Section(text=f"*{project.name}* is closed. `/project reopen {key}` brings it back."))
        return Reply(title=f"Closing {project.name}", sections=sections)
    if check.tasks:
        lines = [f"• #{t.number} {truncate(t.title, 100)} · {mention(t.assignee_user_id)} · {t.status}"
                 for t in check.tasks[:SHOWN]]
        lines += [f"and {len(check.tasks) - SHOWN} more"] if len(check.tasks) > SHOWN else []
        buttons = [Button("Cancel the remaining tasks", Intent.CLOSE_CANCEL_TASKS, key, "danger")]
        for other in _move_targets(ctx, project):
            buttons.append(Button(truncate(f"Move them to {other.name}", 75), Intent.CLOSE_MOVE_TASKS,
                                  f"{key}:{other.key}"))
        sections.append(Section(text=f"*{plural(len(check.tasks), 'open task')}*\n" + "\n".join(lines),
                                buttons=buttons))
    if check.risks:
        lines = [f"• R{r.number} {truncate(r.title, 100)} ({r.state})" for r in check.risks[:SHOWN]]
        buttons = []
        for r in check.risks[:RISK_BUTTONS]:
            buttons += [Button(f"R{r.number} happened", Intent.RISK_HAPPENED, f"{key}:{r.number}"),
                        Button(f"R{r.number} did not happen", Intent.RISK_NOT_HAPPENED, f"{key}:{r.number}")]
        buttons.append(Button("None of them happened", Intent.RISK_NOT_HAPPENED, f"{key}:all"))
        sections.append(Section(text=f"*{plural(len(check.risks), 'open risk')}* (with a cost: "
                                     f"`/project close {key} risk {check.risks[0].number} happened cost 1.2k`)\n" + "\n".join(lines),
                                buttons=buttons))
    if check.changes:
        lines = [f"• {c.ref} {truncate(c.title, 100)} ({c.state})" for c in check.changes[:SHOWN]]
        sections.append(Section(text=f"*{plural(len(check.changes), 'open change request')}* (decide them first)\n"
                                     + "\n".join(lines)))
    if check.alerts:
        lines = [f"• A{a.id} {truncate(a.reason, 140)}" for a in check.alerts[:SHOWN]]
        sections.append(Section(text=f"*{plural(len(check.alerts), 'open alert')}* (they resolve when it closes)\n"
                                     + "\n".join(lines)))
    if check.unlogged:
        people = ", ".join(mention(u) for u in check.unlogged[:SHOWN])
        sections.append(Section(text=f"*No hours logged since {day(check.week_start)}*: {people}. Last hours: "
                                     f"`/project log {key} 2h \"...\"`; last spending: `/project spend {key} ...`."))
    if check.milestones:
        lines = [f"• M{m.number} {truncate(m.name, 100)}" + (f", due {day(m.due_date)}" if m.due_date else "")
                 for m in check.milestones[:SHOWN]]
        sections.append(Section(text=f"*{plural(len(check.milestones), 'milestone')} not reached* "
                                     f"(`/project milestone done {key} M{check.milestones[0].number}` or "
                                     f"`milestone cancel`)\n" + "\n".join(lines)))
    if check.clear:
        sections.append(Section(text="Nothing is left open."))
    label = "Close the project" if check.clear else "Close anyway"
    return Reply(title=f"Closing {project.name}: check", sections=sections,
                 buttons=[Button(label, Intent.CLOSE_CONFIRM, key, "primary" if check.clear else "danger")],
                 footer=f"`/project close {key} confirm [retro anonymous] [days 5]` closes it: final report, "
                        f"retrospective; `/project reopen {key}` undoes it.")


def _move_targets(ctx: Context, project: Project) -> list[Project]:
    others = [p for p in project_service.list_projects(session=ctx.session, team_id=ctx.team_id)
              if p.id != project.id]
    return [p for p in others if can_work(session=ctx.session, project=p, user_id=ctx.user_id)][:MOVE_TARGETS]


@command("reopen", usage="reopen PROJECT", examples=["reopen website"])
def reopen(ctx: Context, args: Args) -> Reply:
    """Bring a closed project back (owner): active again, its jobs run again."""
    project = args.take_project()
    args.expect_end()
    if not close_service.reopen_project(session=ctx.session, project=project, actor=ctx.user_id, now=ctx.now):
        return Reply.text(f"*{project.name}* is not closed ({project.state.replace('_', ' ')}); nothing to reopen.")
    return Reply(sections=[Section(text=f"*{project.name}* is open again: alerts, standups and reports run for "
                                        f"it. `/project close {project.key}` closes it again.")], ephemeral=False)


def final_report_reply(ctx: Context, project: Project) -> Reply:
    """`report PROJECT final`: the final report as a message (closed or not: as of today)."""
    return to_reply(build_final_report(session=ctx.session, project=project, today=ctx.today(project)))

