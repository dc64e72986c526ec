"""`/project risk add|list|show|update|close|matrix`: the risk register."""

from __future__ import annotations

from bot.commands.grammar import Kind, UsageError, parse_int
from bot.commands.registry import Args, Context, command
from bot.commands.replies import INTERNAL_MARK
from bot.domain import alerts as alert_service
from bot.domain import risks as svc
from bot.domain.access import is_client
from bot.domain.errors import NotFound
from bot.domain.format import day, mention, truncate
from bot.domain.replies import Button, Field, Intent, Reply, Section
from bot.models import Project, Risk

OPTIONS = {"likelihood": "int", "impact": "int", "owner": "user", "mitigation": "text",
           "review": "due", "response": "word", "title": "text", "state": "word",
           "internal": "flag", "shared": "flag"}
INTERNAL = f"{INTERNAL_MARK} internal"  # marks a risk clients never see


def _take_number(args: Args) -> int:
    if not args.tokens or args.tokens[0].kind is not Kind.WORD:
        raise UsageError("Expected a risk number, like 3 or R3.")
    raw = args.tokens.pop(0).value
    return parse_int(raw[1:] if raw[:1] in "rR" else raw, what="a risk number", low=1)


def _take_clear(args: Args, option: str, word: str) -> bool:
    """Remove `option none|nobody` and say whether it was there."""
    for i, tok in enumerate(args.tokens[:-1]):
        if tok.lower == option and args.tokens[i + 1].lower == word:
            del args.tokens[i : i + 2]
            return True
    return False


def _score_line(risk: Risk) -> str:
    value = svc.risk_score(risk)
    b = svc.band(value)
    return f"{svc.BAND_ICON[b]} {value} ({b}: likelihood {risk.likelihood} x impact {risk.impact})"


def _after_change(ctx: Context, project: Project) -> None:
    """Re-run the risk detector now, so a gap closed or opened shows at once."""
    alert_service.after_change(session=ctx.session, project=project, now=ctx.now, what="risk")


@command(
    "risk add",
    usage='risk add [PROJECT] "title" likelihood 1-5 impact 1-5 [owner @user] '
          '[mitigation "..."] [review DATE] [response avoid|mitigate|transfer|accept] [internal]',
    examples=['risk add "Hosting vendor may slip" likelihood 4 impact 5 owner @bob '
              'mitigation "Second quote from another host" review 15 Jan response mitigate',
              'risk add "Key developer may leave" likelihood 2 impact 4 internal'],
)
def risk_add(ctx: Context, args: Args) -> Reply:
    """Add a risk; score = likelihood x impact (each 1-5); `internal`: never shown to clients."""
    project = args.take_project()
    if not args.tokens:
        return Reply(open_modal="add_risk", modal_context={"project": project.key}, sections=[Section(
            text='Describe the risk: `/project risk add "Hosting vendor may slip" likelihood 4 impact 5`')])
    opts = args.take_options({k: v for k, v in OPTIONS.items() if k not in {"title", "state", "shared"}})
    title = args.take_text(what='a risk title, like "Hosting vendor may slip"')
    args.expect_end()
    for name in ("likelihood", "impact"):
        if name not in opts:
            raise UsageError(f"Say how likely and how bad, each 1-5: `{name} 4` is missing.")
    risk = svc.add_risk(
        session=ctx.session, project=project, actor=ctx.user_id, title=title,
        likelihood=int(opts["likelihood"]), impact=int(opts["impact"]),  # type: ignore[call-overload]
        owner=opts.get("owner"), mitigation=str(opts.get("mitigation", "")),  # type: ignore[arg-type]
        review_date=opts.get("review"), response=str(opts.get("response", "mitigate")),  # type: ignore[arg-type]
        internal=bool(opts.get("internal")), now=ctx.now,
    )
    _after_change(ctx, project)
    owner = f"owner {mention(risk.owner_user_id)}" if risk.owner_user_id else "no owner yet"
    review = f", review {day(risk.review_date, year=True)}" if risk.review_date else ""
    hidden = " Marked internal: clients never see it." if risk.internal else ""
    return Reply.text(f"Added risk R{risk.number} *{risk.title}* to {project.name}: "
                      f"score {_score_line(risk)}, {owner}{review}.{hidden}")


@command("risk list", usage="risk list [PROJECT] [all]", examples=["risk list", "risk list all"])
def risk_list(ctx: Context, args: Args) -> Reply:
    """Risks by score, highest first, with band and owner."""
    project = args.take_project()
    which = args.take_word(what="a filter", choices=["all"], required=False)
    args.expect_end()
    risks = svc.list_risks(session=ctx.session, project=project, include_closed=which == "all",
                           include_internal=not is_client(session=ctx.session, project=project,
                                                          user_id=ctx.user_id))
    if not risks:
        return Reply(sections=[Section(
            text=f"*{project.name}* has no open risks. "
                 '`/project risk add "Hosting vendor may slip" likelihood 4 impact 5`',
            buttons=[Button("Add risk", Intent.ADD_RISK, project.key)])])
    lines = []
    for r in risks[:40]:
        s = svc.risk_score(r)
        gaps = []
        if not r.owner_user_id:
            gaps.append("no owner")
        if not r.mitigation and r.state not in (svc.RiskState.ACCEPTED, svc.RiskState.CLOSED):
            gaps.append("no mitigation")
        state = "" if r.state == svc.RiskState.OPEN else f" _{r.state}_"
        lines.append(f"{svc.BAND_ICON[svc.band(s)]} *R{r.number}* {truncate(r.title, 120)} "
                     f"· {s} {svc.band(s)}{state} · {mention(r.owner_user_id)}"
                     + (f" · {INTERNAL}" if r.internal else "")
                     + (f" · ⚠️ {', '.join(gaps)}" if gaps else ""))
    more = f"and {len(risks) - 40} more" if len(risks) > 40 else ""
    return Reply(title=f"{project.name}: risks", sections=[Section(text="\n".join(lines))],
                 buttons=[Button("Add risk", Intent.ADD_RISK, project.key)], footer=more)


def _visible_risk(ctx: Context, project: Project, number: int) -> Risk:
    """Risk `number`, unless it is internal and the asker a client (then as if it did not exist)."""
    risk = svc.get_risk(session=ctx.session, project=project, number=number)
    if risk.internal and is_client(session=ctx.session, project=project, user_id=ctx.user_id):
        raise NotFound(f"*{project.name}* has no risk R{number}. `/project risk list` shows them.")
    return risk


@command("risk show", usage="risk show [PROJECT] N", examples=["risk show 3"])
def risk_show(ctx: Context, args: Args) -> Reply:
    """One risk in full: score, owner, mitigation, review date, history."""
    project = args.take_project()
    risk = _visible_risk(ctx, project, _take_number(args))
    args.expect_end()
    fields = [Field("Score", _score_line(risk)), Field("State", risk.state + (f" · {INTERNAL}" if risk.internal else "")),
              Field("Owner", mention(risk.owner_user_id)), Field("Response", risk.response),
              Field("Review", day(risk.review_date, today=args.today()) if risk.review_date else "not set"),
              Field("Source", risk.source)]
    sections = [Section(fields=fields)]
    sections.append(Section(text=f"*Mitigation*: {risk.mitigation or '_none yet_'}"))
    if risk.description:
        sections.append(Section(text=risk.description))
    if risk.close_note:
        sections.append(Section(text=f"*Closed*: {risk.close_note}"))
    return Reply(title=f"R{risk.number} {truncate(risk.title, 140)}", sections=sections)


@command(
    "risk update",
    usage='risk update [PROJECT] N [likelihood 1-5] [impact 1-5] [owner @user|nobody] '
          '[mitigation "..."] [review DATE|none] [response R] [state open|mitigating|accepted] [title "..."] '
          '[internal|shared]',
    examples=["risk update 3 likelihood 2", 'risk update 3 owner @carol mitigation "Fallback host"',
              "risk update 3 internal"],
)
def risk_update(ctx: Context, args: Args) -> Reply:
    """Change a risk's score, owner, mitigation, review date, response or state."""
    project = args.take_project()
    risk = svc.get_risk(session=ctx.session, project=project, number=_take_number(args))
    no_owner = _take_clear(args, "owner", "nobody")
    no_review = _take_clear(args, "review", "none")
    opts = args.take_options(OPTIONS)
    args.expect_end()
    if not opts and not no_owner and not no_review:
        raise UsageError("Say what to change, like `likelihood 2` or `owner @carol`.")
    kwargs: dict = {k: opts[k] for k in ("title", "mitigation", "response", "state") if k in opts}
    kwargs.update({k: int(opts[k]) for k in ("likelihood", "impact") if k in opts})  # type: ignore[call-overload]
    if "internal" in opts and "shared" in opts:
        raise UsageError("A risk is either `internal` (the team only) or `shared` (clients see it), not both.")
    if "internal" in opts or "shared" in opts:
        kwargs["internal"] = "internal" in opts
    if no_owner or "owner" in opts:
        kwargs["owner"] = None if no_owner else opts["owner"]
    if no_review or "review" in opts:
        kwargs["review_date"] = None if no_review else opts["review"]
    old_score = svc.risk_score(risk)
    risk, changed = svc.update_risk(session=ctx.session, project=project, actor=ctx.user_id,
                                    risk=risk, now=ctx.now, **kwargs)
    if not changed:
        return Reply.text(f"R{risk.number} *{risk.title}* already is like that; nothing changed.")
    _after_change(ctx, project)
    names = ", ".join(sorted(("internal" if risk.internal else "shared with clients") if k == "internal"
                             else k.replace("_user_id", "").replace("_", " ") for k in changed))
    new_score = svc.risk_score(risk)
    score_note = f" Score {old_score} → {_score_line(risk)}." if new_score != old_score else ""
    if "review_date" in changed:
        score_note += f" Review {day(risk.review_date, year=True)}." if risk.review_date else " No review date."
    return Reply.text(f"Updated R{risk.number} *{risk.title}* ({names}).{score_note}")


@command("risk close", usage='risk close [PROJECT] N ["note"]',
         examples=['risk close 3 "New host signed, no longer a risk"'])
def risk_close(ctx: Context, args: Args) -> Reply:
    """Close a risk, with a note on why."""
    project = args.take_project()
    risk = svc.get_risk(session=ctx.session, project=project, number=_take_number(args))
    note = args.take_text(what="a note", required=False)
    args.expect_end()
    risk, closed = svc.close_risk(session=ctx.session, project=project, actor=ctx.user_id,
                                  risk=risk, note=note, now=ctx.now)
    if not closed:
        return Reply.text(f"R{risk.number} *{risk.title}* was already closed.")
    _after_change(ctx, project)
    return Reply.text(f"Closed R{risk.number} *{risk.title}*." + (f" Note: {note}" if note else ""))


@command("risk matrix", usage="risk matrix [PROJECT]", examples=["risk matrix"])
def risk_matrix(ctx: Context, args: Args) -> Reply:
    """The 5x5 likelihood x impact grid with counts of open risks."""
    project = args.take_project()
    args.expect_end()
    m = svc.matrix(session=ctx.session, project=project)
    counts = {b: 0 for b in svc.Band}
    for (lk, im), numbers in m.cells.items():
        counts[svc.band(lk * im)] += len(numbers)
    summary = ", ".join(f"{svc.BAND_ICON[b]} {counts[b]} {b}" for b in svc.Band)
    return Reply(title=f"{project.name}: risk matrix ({m.total} open)",
                 sections=[Section(text="```\n" + svc.matrix_text(m) + "\n```"),
                           Section(text=f"Likelihood down, impact across. {summary}.")])
