"""`/project spend|log|costs`: money spent, hours logged, where it went."""

from __future__ import annotations

from datetime import date

from bot.commands.dates import PAST
from bot.commands.grammar import Kind, Token, UsageError, shown
from bot.commands.registry import Args, Context, command
from bot.commands.replies import warned
from bot.domain import costs as svc
from bot.domain import tasks as task_service
from bot.domain.access import can_work, sees_rates
from bot.domain.format import bar, day, money
from bot.domain.replies import Reply, Section
from bot.models import Project


def _optional_quoted(args: Args) -> str:
    for i, tok in enumerate(args.tokens):
        if tok.kind is Kind.QUOTED:
            del args.tokens[i]
            return tok.value
    return ""


def _when_and_words(args: Args, options: dict) -> tuple[date, str]:
    """The date something happened (`on DATE`, or a date at the end: `3 Nov`
    said in December is this year's, `friday` the last one) and the plain
    words left before it, which describe it; the date defaults to today."""
    when = options.get("on")
    if when is None:
        when = args.take_trailing_date(tense=PAST)
    words = []
    while args.tokens and args.tokens[0].kind is Kind.WORD:
        words.append(args.tokens.pop(0).value)
    return (when if isinstance(when, date) else args.today()), " ".join(words)


def _check_currency(project: Project, currency: str | None) -> None:
    if currency and currency != project.currency:
        raise UsageError(f"*{project.name}* keeps its budget in {project.currency}; "
                         f"give the amount without a {currency} symbol, converted.")


@command(
    "spend",
    usage='spend [PROJECT] AMOUNT CATEGORY ["what for"] [DATE]',
    examples=['spend 1200 licenses "Design tool seats"', 'spend website $349.99 hosting "Annual plan" 3 Mar',
              "spend 1.2k network gear", "spend 2400 EUR hardware last friday",
              'spend -150 hardware "Returned one switch"'],
)
def spend(ctx: Context, args: Args) -> Reply:
    """Record money spent against the budget; a refund is a negative amount with its reason."""
    project = args.take_project()
    options = args.take_options({"on": "past"})
    refund = bool(args.tokens) and args.tokens[0].kind is Kind.WORD and args.tokens[0].value[:1] in "-−"
    if refund:  # a refund: a negative amount, with its reason
        args.tokens[0] = Token(Kind.WORD, args.tokens[0].value[1:])
    amount = args.take_money(what="the amount spent")
    _check_currency(project, amount.currency)
    category = args.take_word(what="a category, like licenses or hardware")
    description = _optional_quoted(args)
    spent_on, words = _when_and_words(args, options)
    if words and description:
        raise UsageError(f"Did not understand `{shown(words)}`: put the whole description in quotes.")
    description = description or words
    args.expect_end()
    cents = -amount.cents if refund else amount.cents
    entry, created = svc.record_spend(session=ctx.session, project=project, actor=ctx.user_id,
                                      amount_cents=cents, category=category or "",
                                      description=description, spent_on=spent_on, today=args.today(),
                                      now=ctx.now)
    other, labour, _ = svc.totals(session=ctx.session, project=project)
    what = f" ({description})" if description else ""
    verb = "Recorded" if created else "Already recorded a moment ago:"
    kind = "a refund of " if refund else ""
    amount_text = money(abs(cents), project.currency)
    return warned(Reply.text(f"{verb} {kind}{amount_text} on *{category}*{what} for "
                             f"{day(spent_on, year=True)} as C{entry.id}. "
                             f"{_spent_line(project, other + labour)}"),
                  [_before_start(project, spent_on, "This spending")])


def _before_start(project: Project, when: date, what: str) -> str | None:
    if project.start_date and when < project.start_date:
        return (f"{what} is dated {day(when, year=True)}, before the project's start "
                f"{day(project.start_date, year=True)}.")
    return None


@command(
    "log",
    usage='log [PROJECT] DURATION [task N] [@user] [DATE] ["note"]',
    examples=["log 3h", "log 90m task 4", "log website 1.5d @bob yesterday", 'log 2h "Vendor call"',
              "log 2,5h", "log 3 hours task 4 last friday"],
)
def log(ctx: Context, args: Args) -> Reply:
    """Log hours worked; they cost the person's hourly rate on the project."""
    project = args.take_project()
    options = args.take_options({"task": "int", "on": "past"})
    user = args.take_user(required=False)
    note = _optional_quoted(args)
    hours = args.take_duration()
    worked_on, words = _when_and_words(args, options)
    if words and note:
        raise UsageError(f"Did not understand `{shown(words)}`: put the whole note in quotes.")
    note = note or words
    args.expect_end()
    task = None
    if "task" in options:
        task = task_service.get_task(session=ctx.session, project=project, number=int(options["task"]))  # type: ignore[arg-type]
    entry, created = svc.log_time(session=ctx.session, project=project, actor=ctx.user_id, hours=hours,
                                  worked_on=worked_on, today=args.today(), user_id=user, task=task,
                                  note=note, now=ctx.now)
    on_task = f" on #{task.number} {task.title}" if task else ""
    who = "you" if entry.user_id == ctx.user_id else f"<@{entry.user_id}>"
    if entry.rate_cents is None:
        cost = (f" No hourly rate is set for {who}, so these hours cost nothing in the budget yet: "
                f"`/project member rate {project.key} <@{entry.user_id}> 85`.")
    elif not sees_rates(session=ctx.session, project=project, user_id=ctx.user_id):
        cost = ""  # rates, and what one person's hours cost, are for the owner and managers
    else:
        cost = (f" At {money(entry.rate_cents, project.currency)}/h that is "
                f"{money(svc.labour_cents(entry), project.currency)}.")
    verb = "Logged" if created else "Already logged a moment ago:"
    return warned(Reply.text(f"{verb} {hours:g}h for {who}{on_task} on "
                             f"{day(worked_on, year=True)} as L{entry.id}.{cost}"),
                  [_before_start(project, worked_on, "This time")])


def _spent_line(project: Project, spent: int) -> str:
    if not project.budget_cents:
        return f"Spent so far: {money(spent, project.currency)} (no budget set)."
    share = spent / project.budget_cents
    return (f"Spent so far: {money(spent, project.currency)} of {money(project.budget_cents, project.currency)} "
            f"({round(share * 100)}%).")


@command(
    "costs",
    usage="costs [PROJECT] [by category|by member|by month]",
    examples=["costs", "costs by member", "costs website by month"],
)
def costs(ctx: Context, args: Args) -> Reply:
    """Spending against the budget, broken down by category, member or month."""
    project = args.take_project()
    by = "category"
    if args.tokens and args.tokens[0].lower == "by":
        args.tokens.pop(0)
        by = args.take_word(what="what to break down by", choices=list(svc.GROUPINGS)) or by
    args.expect_end()
    other, labour, logged = svc.totals(session=ctx.session, project=project)
    lines = svc.breakdown(session=ctx.session, project=project, by=by)
    head = _spent_line(project, other + labour)
    if project.budget_cents:
        head = f"{bar((other + labour) / project.budget_cents)} {head}"
    head += f"\nLabour {money(labour, project.currency)} ({logged:g}h logged), other {money(other, project.currency)}."
    if not lines:
        return Reply(title=f"{project.name}: costs", sections=[Section(text=head), Section(
            text="Nothing recorded yet: `/project spend 1200 licenses \"Design tool seats\"` or `/project log 3h`.")])
    rows = []
    rates = sees_rates(session=ctx.session, project=project, user_id=ctx.user_id)
    team = can_work(session=ctx.session, project=project, user_id=ctx.user_id)
    if by == "member" and not team:
        lines = [line for line in lines if not line.label.startswith("<@")]
        rows.append("_People's hours are shown to the project's team, their cost to the owner and managers._")
    for line in lines[:40]:
        extra = f" · {line.hours:g}h" if line.hours else ""
        if line.unrated_hours and rates:
            extra += f" ({line.unrated_hours:g}h without a rate)"
        amount = money(line.cents, project.currency)
        if by == "member" and line.label.startswith("<@") and not rates:
            rows.append(f"• {line.label}: {line.hours:g}h")  # what one person costs shows their rate
            continue
        rows.append(f"• {line.label}: {amount}{extra}")
    return Reply(title=f"{project.name}: costs by {by}", sections=[Section(text=head),
                                                                     Section(text="\n".join(rows))],
                 footer="`/project costs by category|member|month` · `/project chart budget` · "
                        f"`/project spend list {project.key}` and `/project log list {project.key}` "
                        "show each entry with its id")
