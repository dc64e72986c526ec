"""`/project change add|list|show|approve|reject|discuss`: change requests."""

from __future__ import annotations

import re

from bot.commands.dates import FUTURE
from bot.commands.grammar import Kind, UsageError, parse_money, shown
from bot.commands.registry import Args, Context, command
from bot.commands.replies import warned
from bot.domain import baselines
from bot.domain import changes as svc
from bot.domain.changes_messages import (
    after_decision,
    announce,
    change_line,
    decided_phrase,
    discuss,
    render_change,
)
from bot.domain.format import day, money
from bot.domain.replies import Reply, Section
from bot.models import Project

_CR = re.compile(r"^(?:cr-?)?(\d{1,6})$", re.IGNORECASE)
_SHIFT = re.compile(r"^([+-])(\d{1,3})\s*(w|wk|wks|weeks?|d|days?)$", re.IGNORECASE)
_MS = re.compile(r"^m(\d{1,4})$", re.IGNORECASE)
ADD_OPTIONS = {"scope": "text", "reason": "text"}
WORDS = {"budget", "due", "scope", "reason", "milestone"}


def take_cr(args: Args) -> int:
    """`CR-1`, `cr1` or `1`."""
    if not args.tokens or args.tokens[0].kind is not Kind.WORD or not _CR.match(args.tokens[0].value):
        got = f" (got `{shown(args.tokens[0].value)}`)" if args.tokens else ""
        raise UsageError(f"Expected a change request, like CR-1{got}.")
    return int(_CR.match(args.tokens.pop(0).value).group(1))  # type: ignore[union-attr]


def _budget(raw: str, project: Project) -> dict:
    sign = raw[:1] if raw[:1] in "+-" else ""
    try:
        value = parse_money(raw[1:] if sign else raw)
    except UsageError:
        raise UsageError(f"`budget` expects a change like +6k or -2k, or the new budget like 46k "
                         f"(got `{shown(raw)}`).") from None
    if value.currency and value.currency != project.currency:
        raise UsageError(f"*{project.name}* keeps its money in {project.currency}; give the amount in "
                         f"{project.currency}.")
    if sign:
        return {"delta": value.cents if sign == "+" else -value.cents}
    return {"set": value.cents}


def _take_parts(args: Args, project: Project) -> dict:
    """Budget, due and milestone parts, taken out of the tokens (scope and reason are options)."""
    parts: dict = {}
    toks = args.tokens
    i = 0
    while i < len(toks):
        word = toks[i].lower if toks[i].kind is Kind.WORD else ""
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if word == "milestone":
            if nxt is None or not _MS.match(nxt.value) or i + 2 >= len(toks) or toks[i + 2].lower != "due":
                raise UsageError("A milestone part reads `milestone M3 due DATE`.")
            words = [t.value for t in toks[i + 3:i + 8] if t.kind is Kind.WORD and t.lower not in WORDS]
            when, used = args.read_date(words, tense=FUTURE, what="a milestone due date")
            number = int(_MS.match(nxt.value).group(1))  # type: ignore[union-attr]
            parts.setdefault("milestones", []).append({"number": number, "due": when.isoformat()})
            del toks[i:i + 3 + used]
            continue
        if word == "budget" and "budget" not in parts:
            if nxt is None or nxt.kind is not Kind.WORD:
                raise UsageError("`budget` expects a change like +6k or -2k, or the new budget like 46k.")
            parts["budget"] = _budget(nxt.value, project)
            del toks[i:i + 2]
            continue
        if word == "due" and "due" not in parts and nxt is not None:
            shift = _SHIFT.match(nxt.value) if nxt.kind is Kind.WORD else None
            if shift:
                n = int(shift.group(2)) * (7 if shift.group(3).lower().startswith("w") else 1)
                parts["due"] = {"days": n if shift.group(1) == "+" else -n}
                del toks[i:i + 2]
                continue
            words = [t.value for t in toks[i + 1:i + 6] if t.kind is Kind.WORD and t.lower not in WORDS]
            when, used = args.read_date(words, tense=FUTURE, what="a due date")
            parts["due"] = {"date": when.isoformat()}
            del toks[i:i + 1 + used]
            continue
        i += 1
    return parts


@command("change add",
         usage='change add [PROJECT] "title" [budget +6k|-2k|46k] [due +2w|DATE] [scope "..."] '
               '[milestone M3 due DATE] [reason "..."]',
         examples=['change add crm "Marketing automation" budget +6k due +2w scope "Email campaigns" '
                   'reason "Asked by the client"',
                   'change add "Later go-live" milestone M3 due 12 Mar reason "Supplier late"'])
def change_add(ctx: Context, args: Args) -> Reply:
    """Request a change to budget, dates or scope; the owner or a sponsor decides.

    Anyone on the project may ask (clients too). It is posted in the channel with
    Approve / Reject / Discuss and sent to the deciders; nothing changes until approved."""
    project = args.take_project()
    parts = _take_parts(args, project)
    opts = args.take_options(ADD_OPTIONS, free_text=True)
    if opts.get("scope"):
        parts["scope"] = {"add": str(opts["scope"])}
    title = args.take_text(what='a title for the change, like "Marketing automation"')
    args.expect_end()
    had_baseline = bool(project.plan)
    cr = svc.request_change(ctx.session, project, actor=ctx.user_id, title=title, parts=parts,
                            reason=str(opts.get("reason") or ""), now=ctx.now)
    told = announce(ctx.session, project, cr, now=ctx.now)
    notes = [] if had_baseline else [baselines.first_note(baselines.first(ctx.session, project), project)]
    who = ", ".join(f"<@{u}>" for u in told) or "the owner"
    where = " in the channel and" if project.channel_id else ""
    text = (f"CR-{cr.number} *{cr.title}* is raised on *{project.name}*: "
            f"{', '.join(svc.describe(cr.parts, project.currency))}. Posted{where} sent to {who} to decide.")
    return warned(Reply(sections=[Section(text=text)], footer=f"`/project change show {project.key} CR-{cr.number}`"),
                  notes=notes)


@command("change list", usage="change list [PROJECT] [open|all]", examples=["change list", "change list crm all"])
def change_list(ctx: Context, args: Args) -> Reply:
    """Change requests: open ones (the default) or all, newest first."""
    project = args.take_project()
    which = args.take_word(what="`open` or `all`", choices=["open", "all"], required=False) or "open"
    args.expect_end()
    found = svc.list_changes(ctx.session, project, state=None if which == "all" else svc.OPEN)
    plan = baselines.compare(project, [])
    head = plan.changes_line or "No change requests yet"
    if not found:
        hint = "" if which == "all" else f" `/project change list {project.key} all` shows decided ones."
        return Reply.text(f"No {'open ' if which == 'open' else ''}change requests on *{project.name}*. "
                          f"{head}.{hint}")
    lines = [change_line(cr, project) for cr in found[:25]]
    more = f"\nand {len(found) - 25} more" if len(found) > 25 else ""
    return Reply(title=f"{project.name}: change requests ({which})",
                 sections=[Section(text="\n".join(lines) + more)], footer=f"{head}.")


@command("change show", usage="change show [PROJECT] CR-1", examples=["change show CR-1"])
def change_show(ctx: Context, args: Args) -> Reply:
    """One change request: what changes, why, who asked, and its decision."""
    project = args.take_project()
    number = take_cr(args)
    args.expect_end()
    cr = svc.get_change(ctx.session, project, number)
    can = ctx.user_id in svc.deciders(ctx.session, project)
    card = render_change(cr, project, buttons=can)
    card.ephemeral = True
    return card


def _already(cr, project: Project) -> Reply:
    return Reply.text(f"CR-{cr.number} *{cr.title}* was already {decided_phrase(cr, project)}; nothing changed."
                      + (f" Reason: {cr.decision_note}" if cr.decision_note else ""))


@command("change approve", usage="change approve [PROJECT] CR-1", examples=["change approve CR-1"])
def change_approve(ctx: Context, args: Args) -> Reply:
    """Approve a change: every part is applied at once and the plan is re-baselined.

    Owner or sponsor only; whoever asked cannot approve it unless they are the owner."""
    project = args.take_project()
    number = take_cr(args)
    args.expect_end()
    decision = svc.approve(ctx.session, project, number, actor=ctx.user_id, now=ctx.now)
    cr = decision.change
    if decision.already:
        return _already(cr, project)
    after_decision(ctx.session, project, cr, now=ctx.now)
    lines = [f"• {k.replace('_cents', '').replace('_date', ' date')}: {_show(k, v[0], project)} → "
             f"{_show(k, v[1], project)}" for k, v in cr.applied.items()]
    reply = Reply(sections=[Section(text=f"CR-{cr.number} *{cr.title}* approved and applied to *{project.name}*:\n"
                                         + "\n".join(lines))],
                  footer=f"Baseline {decision.baseline} taken. `/project status {project.key}` shows plan vs now.",
                  ephemeral=False)
    return reply


def _show(key: str, value, project: Project) -> str:
    if value is None or value == "":
        return "_not set_"
    if key.endswith("_cents"):
        return money(int(value), project.currency)
    if key.endswith("_date") or key.startswith("M"):
        from datetime import date

        return day(date.fromisoformat(value), year=True)
    text = str(value).replace("\n", " / ")
    return f"“{text[:150]}{'…' if len(text) > 150 else ''}”"


@command("change reject", usage='change reject [PROJECT] CR-1 reason "..."',
         examples=['change reject CR-2 reason "Out of this phase; next year"'])
def change_reject(ctx: Context, args: Args) -> Reply:
    """Reject a change, saying why; nothing in the plan changes. Owner or sponsor only."""
    project = args.take_project()
    number = take_cr(args)
    opts = args.take_options({"reason": "text"})
    reason = str(opts.get("reason") or args.take_text(what="", required=False))
    args.expect_end()
    decision = svc.reject(ctx.session, project, number, actor=ctx.user_id, reason=reason, now=ctx.now)
    cr = decision.change
    if decision.already:
        return _already(cr, project)
    after_decision(ctx.session, project, cr, now=ctx.now)
    return Reply(sections=[Section(text=f"CR-{cr.number} *{cr.title}* rejected: {cr.decision_note}")],
                 ephemeral=False)


@command("change discuss", usage="change discuss [PROJECT] CR-1", examples=["change discuss CR-1"])
def change_discuss(ctx: Context, args: Args) -> Reply:
    """Ask for a discussion of an open change in its thread in the channel."""
    project = args.take_project()
    number = take_cr(args)
    args.expect_end()
    cr = svc.get_change(ctx.session, project, number)
    if cr.state != svc.OPEN:
        return _already(cr, project)
    if not discuss(ctx.session, project, cr, user_id=ctx.user_id, now=ctx.now):
        return Reply.text(f"CR-{cr.number} has no message in a channel to discuss under (or you asked already); "
                          f"reply to the requester <@{cr.requested_by}> directly.")
    return Reply.text(f"Asked for a discussion of CR-{cr.number} in its thread in the channel; the requester "
                      "and the deciders are named there.")
