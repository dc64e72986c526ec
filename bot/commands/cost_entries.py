"""`/project spend list|undo|void` and `log list|undo|void`: every entry with
its id (C12 for spending, L7 for logged time), and corrections that void an
entry with a correcting one. Nothing is erased; totals drop by the voided
amount and both entries stay in the lists and the history."""

from __future__ import annotations

import re

from bot.commands.grammar import Kind, UsageError
from bot.commands.registry import Args, Context, command
from bot.domain import costs as svc
from bot.domain.access import Action, require, role_of, sees_rates
from bot.domain.format import day, hours, mention, money, plural, truncate
from bot.domain.replies import Reply, Section
from bot.models import Role

PAGE = 25


def _take_ref(args: Args, prefix: str, what: str) -> int:
    if not args.tokens or args.tokens[0].kind is not Kind.WORD:
        raise UsageError(f"Expected the id of the {what}, like {prefix}12 (`/project "
                         f"{'spend' if prefix == 'C' else 'log'} list` shows them).")
    raw = args.tokens.pop(0).value
    found = re.fullmatch(rf"(?:{prefix}|{prefix.lower()})?#?(\d{{1,9}})", raw)
    if not found:
        raise UsageError(f"Expected the id of the {what}, like {prefix}12 (got `{truncate(raw, 20)}`).")
    return int(found.group(1))


def _page(args: Args) -> int:
    page = int(args.take_options({"page": "int"}).get("page", 1))  # type: ignore[arg-type]
    if page < 1:
        raise UsageError("Pages start at 1.")
    return page


def _paged(title: str, lines: list[str], page: int, more_command: str) -> Reply:
    shown = lines[(page - 1) * PAGE : page * PAGE]
    if not shown:
        return Reply.text(f"{title}: nothing on page {page}.")
    rest = len(lines) - page * PAGE
    footer = f"and {rest} more: `{more_command} page {page + 1}`" if rest > 0 else ""
    return Reply(title=title, sections=[Section(text="\n".join(shown))], footer=footer)


@command("spend list", usage="spend list [PROJECT] [page N]", examples=["spend list", "spend list netmove page 2"])
def spend_list(ctx: Context, args: Args) -> Reply:
    """Every spending entry with its id (C12), newest first; voided ones marked."""
    project = args.take_project()
    page = _page(args)
    args.expect_end()
    entries = svc.list_costs(session=ctx.session, project=project)
    if not entries:
        return Reply.text(f"No spending recorded on *{project.name}* yet. "
                          '`/project spend 1200 hardware "Switches"`')
    voided = svc.voided_ids(entries)
    today = args.today()
    lines = []
    for e in entries:
        what = f" “{truncate(e.description, 80)}”" if e.description else ""
        line = (f"C{e.id} · {day(e.spent_on, today=today)} · {money(e.amount_cents, project.currency)} "
                f"{e.category}{what} · {mention(e.user_id)}")
        if e.id in voided:
            line = f"~{line}~ voided by C{voided[e.id]}"
        elif e.reverses_id:
            line += f" (correction of C{e.reverses_id})"
        elif e.amount_cents < 0:
            line += " (refund)"
        lines.append(line)
    total = sum(e.amount_cents for e in entries)
    reply = _paged(f"{project.name}: spending ({plural(len(entries), 'entry')})", lines, page,
                   f"/project spend list {project.key}")
    reply.footer = (reply.footer + "\n" if reply.footer else "") + (
        f"Net {money(total, project.currency)} (labour not included). "
        f"`/project spend undo {project.key} C{_example(entries, voided)} \"reason\"` voids an entry.")
    return reply


def _example(entries, voided: dict[int, int]) -> int:
    """The id the footer's example names: the newest entry that can still be voided."""
    live = [e.id for e in entries if e.id not in voided and not e.reverses_id]
    return live[0] if live else entries[0].id


@command("spend undo", usage='spend undo [PROJECT] C12 ["reason"]',
         examples=['spend undo C12 "Typed 12000 instead of 1200"'])
def spend_undo(ctx: Context, args: Args) -> Reply:
    """Void spending with a correcting entry (never an erase); same as `spend void`."""
    return _void_cost(ctx, args)


@command("spend void", usage='spend void [PROJECT] C12 ["reason"]', examples=["spend void netmove C12"])
def spend_void(ctx: Context, args: Args) -> Reply:
    """Void spending with a correcting entry (never an erase); same as `spend undo`."""
    return _void_cost(ctx, args)


def _void_cost(ctx: Context, args: Args) -> Reply:
    project = args.take_project()
    entry_id = _take_ref(args, "C", "spending entry")
    reason = args.take_text(what="a reason", required=False) if args.tokens else ""
    args.expect_end()
    entry = svc.get_cost(session=ctx.session, project=project, entry_id=entry_id)
    correction, created = svc.void_cost(session=ctx.session, project=project, actor=ctx.user_id,
                                        entry=entry, reason=reason, now=ctx.now)
    what = f"{money(entry.amount_cents, project.currency)} on {entry.category}, {day(entry.spent_on)}"
    if not created:
        return Reply.text(f"C{entry.id} ({what}) was already voided by C{correction.id}.")
    other, labour, _ = svc.totals(session=ctx.session, project=project)
    budget = f" of {money(project.budget_cents, project.currency)}" if project.budget_cents else ""
    return Reply.text(f"Voided C{entry.id} ({what}) with the correcting entry C{correction.id}; both stay "
                      f"in `/project spend list`. Spent so far: {money(other + labour, project.currency)}"
                      f"{budget}.")


@command("log list", usage="log list [PROJECT] [mine|@user] [page N]",
         examples=["log list", "log list mine", "log list netmove @bob"])
def log_list(ctx: Context, args: Args) -> Reply:
    """Logged time with its ids (L7), newest first; voided entries marked.

    Members see hours, the owner and managers also what they cost;
    stakeholders see none."""
    project = args.take_project()
    page = _page(args)
    user = args.take_user(required=False)
    if args.take_word(what="`mine`", choices=["mine"], required=False):
        user = ctx.user_id
    args.expect_end()
    role = role_of(session=ctx.session, project=project, user_id=ctx.user_id)
    if role in (None, Role.STAKEHOLDER, Role.CLIENT, Role.SPONSOR):
        require(session=ctx.session, project=project, user_id=ctx.user_id, action=Action.WORK,
                what="see people's logged hours")
    rates = sees_rates(session=ctx.session, project=project, user_id=ctx.user_id)
    entries = svc.list_times(session=ctx.session, project=project, user_id=user)
    if not entries:
        return Reply.text(f"No time logged on *{project.name}*{' by ' + mention(user) if user else ''} yet. "
                          "`/project log 3h`")
    voided = svc.voided_ids(entries)
    today = args.today()
    lines = []
    for e in entries:
        note = f" “{truncate(e.note, 80)}”" if e.note else ""
        cost = f" · {money(svc.labour_cents(e), project.currency)}" if rates and e.rate_cents else ""
        line = f"L{e.id} · {day(e.worked_on, today=today)} · {hours(round(e.minutes / 60, 2))} · " \
               f"{mention(e.user_id)}{cost}{note}"
        if e.id in voided:
            line = f"~{line}~ voided by L{voided[e.id]}"
        elif e.reverses_id:
            line += f" (correction of L{e.reverses_id})"
        lines.append(line)
    total = sum(e.minutes for e in entries) / 60
    reply = _paged(f"{project.name}: logged time{' of ' + mention(user) if user else ''} ({plural(len(entries), 'entry')})",
                   lines, page, f"/project log list {project.key}")
    reply.footer = (reply.footer + "\n" if reply.footer else "") + (
        f"Net {hours(round(total, 2))}. `/project log undo {project.key} L{_example(entries, voided)}` voids an entry.")
    return reply


@command("log undo", usage='log undo [PROJECT] L7 ["reason"]', examples=['log undo L7 "Logged on the wrong project"'])
def log_undo(ctx: Context, args: Args) -> Reply:
    """Void logged time with a correcting entry (never an erase); same as `log void`."""
    return _void_time(ctx, args)


@command("log void", usage='log void [PROJECT] L7 ["reason"]', examples=["log void netmove L7"])
def log_void(ctx: Context, args: Args) -> Reply:
    """Void logged time with a correcting entry (never an erase); same as `log undo`."""
    return _void_time(ctx, args)


def _void_time(ctx: Context, args: Args) -> Reply:
    project = args.take_project()
    entry_id = _take_ref(args, "L", "logged time")
    reason = args.take_text(what="a reason", required=False) if args.tokens else ""
    args.expect_end()
    entry = svc.get_time(session=ctx.session, project=project, entry_id=entry_id)
    correction, created = svc.void_time(session=ctx.session, project=project, actor=ctx.user_id,
                                        entry=entry, reason=reason, now=ctx.now)
    what = f"{hours(round(entry.minutes / 60, 2))} by {mention(entry.user_id)}, {day(entry.worked_on)}"
    if not created:
        return Reply.text(f"L{entry.id} ({what}) was already voided by L{correction.id}.")
    return Reply.text(f"Voided L{entry.id} ({what}) with the correcting entry L{correction.id}; both stay "
                      f"in `/project log list`.")
