"""`/project standup ...` and `/project ooo ...`."""

from __future__ import annotations

import re
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from bot.commands.grammar import Kind, UsageError, parse_date, parse_int
from bot.commands.registry import Args, Context, command
from bot.domain import availability, calendar
from bot.domain import standups as svc
from bot.domain.errors import Invalid
from bot.domain.format import day
from bot.domain.replies import Button, Intent, Reply, Section
from bot.models import Project, StandupConfig

SET_USAGE = ("standup set [PROJECT] 09:30 [mon-fri] [tz ZONE] [in #channel] [holidays DE-BY] "
             "[close 11:00] [remind 80%] [member-time|project-time] [thread|inline]")
_DAYS = re.compile(r"^(weekdays|workdays|daily|everyday|[a-z]{3}[a-z]*(-[a-z]{3}[a-z]*)?(,[a-z]{3}[a-z]*(-[a-z]{3}[a-z]*)?)*)$")
FLAGS = {"member-time": ("per_member_timezone", True), "project-time": ("per_member_timezone", False),
         "thread": ("answers_in_thread", True), "inline": ("answers_in_thread", False)}
ANSWER_ALIASES = {"finished": svc.FINISHED, "done": svc.FINISHED, "yesterday": svc.FINISHED,
                  "next": svc.NEXT, "today": svc.NEXT, "blockers": svc.BLOCKERS,
                  "blocker": svc.BLOCKERS, "blocked": svc.BLOCKERS}


def _take_channel_after_in(args: Args) -> str | None:
    for i, tok in enumerate(args.tokens[:-1]):
        if tok.lower == "in" and args.tokens[i + 1].kind is Kind.CHANNEL:
            channel = args.tokens[i + 1].value
            del args.tokens[i : i + 2]
            return channel
    return None


def _take_range(args: Args, *, what: str, required: bool = True) -> tuple[date, date] | None:
    """`2026-12-20..2027-01-03`, `2026-12-24`, or `24 Dec..3 Jan` as one or more words."""
    words: list[str] = []
    while args.tokens and args.tokens[0].kind in (Kind.WORD, Kind.QUOTED) and \
            args.tokens[0].lower not in {"reason"}:
        words.append(args.tokens.pop(0).value)
    if not words:
        if required:
            raise UsageError(f"Expected {what}, like 2026-12-20..2027-01-03 or 2026-12-24.")
        return None
    text = " ".join(words)
    first, sep, last = text.partition("..")
    if not sep and " to " in text:
        first, sep, last = text.partition(" to ")
    start = parse_date(first, today=args.today(), order=args.ctx.date_order)
    end = parse_date(last, today=start, order=args.ctx.date_order) if sep else start
    if end < start:
        raise UsageError(f"The range ends before it starts ({day(start)} .. {day(end)}).")
    return start, end


def _config_reply(*, ctx: Context, project: Project, config: StandupConfig, title: str) -> Reply:
    tz = svc.config_timezone(config, project)
    channel = config.channel_id or project.channel_id
    close = svc.local_to_utc(ctx.today(project), config.time_local, tz) + timedelta(
        minutes=config.close_after_minutes)
    holidays = (config.holidays_country + (f"-{config.holidays_subdiv}" if config.holidays_subdiv else "")
                or "none")
    facts = [
        f"*When:* {config.time_local} {config.days} ({tz}"
        + (", each member at that time in their own zone)" if config.per_member_timezone else ")"),
        f"*Closes:* {close.astimezone(ZoneInfo(tz)):%H:%M}, reminder at {config.reminder_at_pct}% "
        f"of the window to those who have not answered",
        f"*Summary:* <#{channel}>" + (", answers in its thread" if config.answers_in_thread else
                                      ", answers inline") if channel else "*Summary:* the owner, by DM",
        f"*Public holidays skipped:* {holidays}",
    ]
    if config.paused:
        facts.insert(0, ":double_vertical_bar: *Paused* (`/project standup resume` to restart)")
    today = ctx.today(project)
    try:
        upcoming = svc.next_run_date(session=ctx.session, config=config, start=today + timedelta(days=1))
        facts.append(f"*Next:* {day(upcoming, year=False)}")
    except Invalid as exc:
        facts.append(str(exc))
    questions = "\n".join(f"{i}. {q['text']}" for i, q in enumerate(svc.questions_of(config), 1))
    return Reply(title=title, sections=[Section(text="\n".join(facts)),
                                        Section(text="*Questions*\n" + questions)],
                 footer="Change with `/project standup set ...` or `/project standup questions ...`.")


@command("standup", usage="standup [PROJECT]", examples=["standup", "standup website"])
def standup_show(ctx: Context, args: Args) -> Reply:
    """Show the project's standup: time, days, channel, holidays and questions (Slack: a form)."""
    project = args.take_project()
    args.expect_end()
    config = svc.get_config(session=ctx.session, project=project)
    if config is None:
        return Reply(title=f"{project.name}: no standup yet", sections=[Section(
            text="Start one with `/project standup set 09:30 mon-fri` (the project's zone and channel, "
                 "closing after 2 hours). Add `holidays DE-BY` to skip public holidays.")],
            open_modal="standup_settings", modal_context={"project": project.key})
    reply = _config_reply(ctx=ctx, project=project, config=config, title=f"{project.name}: standup")
    reply.open_modal, reply.modal_context = "standup_settings", {"project": project.key}
    return reply


@command("standup set", usage=SET_USAGE, examples=[
    "standup set 09:30 mon-fri", "standup set 10:00 mon,wed,fri tz Europe/Berlin holidays DE-BY",
    "standup set 09:15 in #website close 11:00 member-time"])
def standup_set(ctx: Context, args: Args) -> Reply:
    """Schedule the daily standup (defaults: project zone, Mon-Fri, project channel, 2h window)."""
    project = args.take_project()
    channel = _take_channel_after_in(args)
    opts = args.take_options({"tz": "word", "holidays": "word", "close": "word", "remind": "word",
                              "days": "word", "at": "word"})
    time_local = opts.get("at")
    days = opts.get("days")
    flags: dict[str, bool] = {}
    while args.tokens and args.tokens[0].kind is Kind.WORD:
        word = args.tokens[0].lower
        if time_local is None and (time_local := args.take_time()) is not None:
            continue
        if word in FLAGS:
            name, value = FLAGS[word]
            flags[name] = value
        elif _DAYS.match(word) and days is None:
            days = word
        else:
            break
        args.tokens.pop(0)
    args.expect_end()
    close = opts.get("close")
    close_local = close_minutes = None
    if close is not None:
        text = str(close).lower()
        if svc.TIME_OF_DAY.match(text):
            close_local = text
        elif re.fullmatch(r"\d+(h|m|min)", text):
            close_minutes = int(text.rstrip("hmin")) * (60 if text.endswith("h") else 1)
        else:
            raise UsageError(f"`close` takes a time like 11:00 or a duration like 90m (got `{close}`).")
    remind = opts.get("remind")
    remind_pct = parse_int(str(remind).rstrip("%"), what="the reminder point (%)", low=10, high=95) \
        if remind is not None else None
    if not any([time_local, days, opts.get("tz"), channel, opts.get("holidays"), close, remind, flags]) \
            and svc.get_config(session=ctx.session, project=project) is not None:
        raise UsageError("Say what to change, like `09:30`, `mon-fri`, `tz Europe/Berlin` or `close 11:00`.")
    config, created = svc.configure(
        session=ctx.session, project=project, actor=ctx.user_id, time_local=time_local, days=days,
        timezone=opts.get("tz"), channel_id=channel, holidays=opts.get("holidays"),
        close_local=close_local, close_after_minutes=close_minutes, reminder_at_pct=remind_pct,
        now=ctx.now, **flags)
    title = f"{project.name}: standup scheduled" if created else f"{project.name}: standup updated"
    return _config_reply(ctx=ctx, project=project, config=config, title=title)


@command("standup questions", usage='standup questions [PROJECT] "Q1" "Q2" "Q3" [...] [no-confidence] | reset',
         examples=['standup questions "What did you ship?" "What is next?" "Anything in your way?"',
                   "standup questions reset"])
def standup_questions(ctx: Context, args: Args) -> Reply:
    """Change the questions: finished, next, blockers, then any extra ones."""
    project = args.take_project()
    confidence = True
    texts: list[str] = []
    reset = False
    for tok in list(args.tokens):
        if tok.kind is Kind.QUOTED:
            texts.append(tok.value)
        elif tok.lower in {"no-confidence", "noconfidence"}:
            confidence = False
        elif tok.lower in {"reset", "default", "defaults"}:
            reset = True
        else:
            raise UsageError(f'Put each question in quotes, like "What is next?" (got `{tok.value}`).')
    args.tokens.clear()
    if not texts and not reset:
        config = svc.require_config(session=ctx.session, project=project)
        return _config_reply(ctx=ctx, project=project, config=config, title=f"{project.name}: standup")
    config = svc.set_questions(session=ctx.session, project=project, actor=ctx.user_id,
                               texts=None if reset else texts, confidence=confidence, now=ctx.now)
    lines = "\n".join(f"{i}. {q['text']}" for i, q in enumerate(svc.questions_of(config), 1))
    return Reply(title=f"{project.name}: standup questions", sections=[Section(text=lines)])


@command("standup skip", usage="standup skip [PROJECT] DATE[..DATE] [reason \"...\"]",
         examples=["standup skip 2026-12-24", 'standup skip 2026-12-24..2026-12-31 reason "Office closed"'])
def standup_skip(ctx: Context, args: Args) -> Reply:
    """Add a company day off: no standup, and not a working day for forecasts."""
    project = args.take_project()
    opts = args.take_options({"reason": "text"})
    start, end = _take_range(args, what="a date or range")  # type: ignore[misc]
    args.expect_end()
    _, created = svc.skip_day(session=ctx.session, project=project, actor=ctx.user_id, day=start,
                              until=end, reason=str(opts.get("reason", "")), now=ctx.now)
    when = day(start) if start == end else f"{day(start)} to {day(end)}"
    note = "" if created else " (already set)"
    return Reply.text(f"No standup for *{project.name}* on {when}{note}.")


@command("standup pause", usage="standup pause [PROJECT]", examples=["standup pause"])
def standup_pause(ctx: Context, args: Args) -> Reply:
    """Stop the standup until resumed."""
    project = args.take_project()
    args.expect_end()
    svc.set_paused(session=ctx.session, project=project, actor=ctx.user_id, paused=True, now=ctx.now)
    return Reply.text(f"The *{project.name}* standup is paused. `/project standup resume` restarts it.")


@command("standup resume", usage="standup resume [PROJECT]", examples=["standup resume"])
def standup_resume(ctx: Context, args: Args) -> Reply:
    """Restart a paused standup."""
    project = args.take_project()
    args.expect_end()
    config = svc.set_paused(session=ctx.session, project=project, actor=ctx.user_id, paused=False,
                            now=ctx.now)
    return _config_reply(ctx=ctx, project=project, config=config, title=f"{project.name}: standup resumed")


@command("standup now", usage="standup now [PROJECT]", examples=["standup now"])
def standup_now(ctx: Context, args: Args) -> Reply:
    """Run today's standup right now: everyone not away gets the questions."""
    project = args.take_project()
    args.expect_end()
    config = svc.require_config(session=ctx.session, project=project)
    result = svc.start_now(session=ctx.session, project=project, actor=ctx.user_id, now=ctx.now)
    run = result.run
    assert run is not None
    summary = svc.run_summary(session=ctx.session, run=run)
    tz = svc.config_timezone(config, project)
    if run.state == "closed":
        return Reply.text(f"Today's standup already ran: {summary.headline()}.")
    asked = len(summary.missing) + len(summary.answers)
    away = f" Away: {', '.join(f'<@{u}>' for u in summary.away)}." if summary.away else ""
    verb = "started" if result.prompted else "is already open"
    return Reply(sections=[Section(
        text=f"Standup {verb}: {asked} asked, closes at {svc.local_time(run.closes_at, tz)}.{away}")],
        ephemeral=False)


@command("standup close", usage="standup close [PROJECT]", examples=["standup close"])
def standup_close(ctx: Context, args: Args) -> Reply:
    """Close today's standup now and post the summary."""
    project = args.take_project()
    args.expect_end()
    run = svc.close_now(session=ctx.session, project=project, actor=ctx.user_id, now=ctx.now)
    return Reply.text(f"Closed. {svc.run_summary(session=ctx.session, run=run).headline()}.")


@command("standup answer", usage='standup answer [PROJECT] finished "..." next "..." blockers "..." '
         "[confidence 1-5]",
         examples=['standup answer finished "Login page" next "Checkout" blockers none confidence 4'])
def standup_answer(ctx: Context, args: Args) -> Reply:
    """Answer (or edit your answer to) the standup; early answers count for the next one."""
    project = args.take_project()
    config = svc.require_config(session=ctx.session, project=project)
    extra = {q["id"]: "text" for q in svc.questions_of(config) if q["id"].startswith("q")}
    opts = args.take_options({**{k: "text" for k in ANSWER_ALIASES}, **extra, "confidence": "int"})
    args.expect_end()
    answers: dict[str, str] = {}
    for name, value in opts.items():
        if name == "confidence":
            continue
        answers[ANSWER_ALIASES.get(name, name)] = str(value)
    if not answers and "confidence" not in opts:
        return Reply(title=f"Standup: {project.name}", sections=[Section(
            text="\n".join(f"• `{_keyword(q['id'])}` {q['text']}" for q in svc.questions_of(config)),
            buttons=[Button("Answer standup", Intent.ANSWER_STANDUP, "")])],
            footer=f"Example: `/project {standup_answer_example(project)}`")
    confidence = opts.get("confidence")
    result = svc.submit_answer(session=ctx.session, project=project, user_id=ctx.user_id,
                               answers=answers, confidence=confidence,  # type: ignore[arg-type]
                               now=ctx.now)
    when = day(result.run.run_date, year=False)
    text = {"on time": f"Thanks! {'Saved' if result.created else 'Updated'} your answer for {when}"
                       " (you can edit it until the standup closes).",
            "late": f"Thanks! Your late answer for {when} was added to the summary thread.",
            "early": f"Thanks! Your answer is in early, for the standup of {when}."}[result.when]
    if result.when == "early" and result.closed_run is not None:
        closed = result.closed_run
        tz = svc.config_timezone(config, project)
        text = (f"The standup of {day(closed.run_date, year=False)} closed at "
                f"{svc.local_time(closed.closed_at or closed.closes_at, tz)}, so this answer counts "
                f"early for {when}.")
    if result.answer.blocker:
        text += f"\n:warning: Blocker noted: {result.answer.blocker[:200]}"
    return Reply.text(text)


def _keyword(question_id: str) -> str:
    return question_id if question_id != svc.CONFIDENCE else "confidence 1-5"


def standup_answer_example(project: Project) -> str:
    return f'standup answer {project.key} finished "..." next "..." blockers none confidence 4'


@command("standup history", usage="standup history [PROJECT] [@user] [FROM..TO]",
         examples=["standup history", "standup history @bob", "standup history 2026-11-01..2026-11-30"])
def standup_history(ctx: Context, args: Args) -> Reply:
    """Past standups and participation (default: the last 30 days)."""
    project = args.take_project()
    user = args.take_user(required=False)
    today = args.today()
    span = _take_range(args, what="a date range", required=False) or (today - timedelta(days=29), today)
    args.expect_end()
    start, end = span
    stats = svc.participation(session=ctx.session, project=project, start=start, end=end)
    title = f"{project.name}: standups {day(start, year=False)} – {day(end, year=False)}"
    if user:
        return _history_of(ctx=ctx, project=project, user=user, stats=stats, title=title)
    sections = [Section(text=_rate_line("Participation", stats.answered, stats.asked)
                        + f" over {stats.runs} standup{'s' if stats.runs != 1 else ''}")]
    if stats.members:
        sections.append(Section(text="\n".join(_member_line(m) for m in stats.members[:40])))
    runs = svc.runs_between(session=ctx.session, project=project, start=start, end=end)
    if runs:
        lines = [svc.run_summary(session=ctx.session, run=r).headline().removeprefix("Standup, ")
                 for r in runs[:10]]
        more = f"\n_and {len(runs) - 10} more_" if len(runs) > 10 else ""
        sections.append(Section(text="*Recent*\n" + "\n".join(lines) + more))
    return Reply(title=title, sections=sections)


def _rate_line(label: str, answered: int, asked: int) -> str:
    if not asked:
        return f"*{label}:* no standups asked yet"
    return f"*{label}:* {round(100 * answered / asked)}% ({answered} of {asked} answered)"


def _member_line(m: svc.MemberParticipation) -> str:
    parts = [f"<@{m.user_id}>", f"{m.answered}/{m.asked}" if m.asked else "not asked"]
    if m.late:
        parts.append(f"{m.late} late")
    if m.away:
        parts.append(f"{m.away} away")
    if m.blockers:
        parts.append(f"{m.blockers} blocker{'s' if m.blockers != 1 else ''}")
    return " · ".join(parts)


def _history_of(*, ctx: Context, project: Project, user: str, stats: svc.Participation,
                title: str) -> Reply:
    mine = next((m for m in stats.members if m.user_id == user), svc.MemberParticipation(user))
    sections = [Section(text=_member_line(mine))]
    config = svc.require_config(session=ctx.session, project=project)
    for run, answer in svc.answers_of(session=ctx.session, project=project, user_id=user,
                                      start=stats.start, end=stats.end)[:10]:
        sections.append(Section(text=f"*{day(run.run_date, year=False)}*\n"
                                     + svc.answer_text(config=config, answer=answer)))
    return Reply(title=f"{title}: <@{user}>", sections=sections)


@command("holidays", usage="holidays [@user] [COUNTRY[-REGION] | off]",
         examples=["holidays", "holidays US-NY", "holidays @dan GB-SCT", "holidays off"])
def holidays(ctx: Context, args: Args) -> Reply:
    """Someone's own public holidays (someone abroad): away on those days everywhere."""
    user = args.take_user(required=False)
    project = args.take_project(required=False)
    who = user or ctx.user_id
    code = args.take_word(what="a region like US-NY, or off", required=False)
    args.expect_end()
    if code is not None:
        availability.set_own_holidays(session=ctx.session, team_id=ctx.team_id, actor=ctx.user_id,
                                      user_id=who, project=project,
                                      code=None if code in {"off", "none", "default"} else code, now=ctx.now)
    region = availability.own_holidays(session=ctx.session, team_id=ctx.team_id, user_id=who)
    if not region:
        return Reply.text(f"<@{who}> follows each standup's public holidays (`/project standup set holidays DE-BY`)."
                          + ("" if code is None else " Saved."))
    today = ctx.today(project)
    country, _, subdiv = region.partition("-")
    upcoming = calendar.holidays_between(today, today + timedelta(days=366), country=country, subdiv=subdiv)
    nxt = next(iter(upcoming.items()), None)
    after = f" Next: {nxt[1]}, {day(nxt[0])}." if nxt else ""
    return Reply.text(("Saved. " if code is not None else "")
                      + f"<@{who}> is away on the public holidays of {region} in every project: "
                        f"no standup prompts, listed as away.{after}")


@command("ooo", usage='ooo [@user] FROM..TO [reason "..."] | ooo [@user] off | ooo',
         examples=["ooo 2026-12-20..2027-01-03", "ooo @bob 24 Dec..2 Jan", "ooo off", "ooo"])
def ooo(ctx: Context, args: Args) -> Reply:
    """Out of office: no standup prompts, listed as away (not missing)."""
    user = args.take_user(required=False)
    opts = args.take_options({"reason": "text"})
    project = args.take_project(required=False)
    who = user or ctx.user_id
    today = ctx.today(project)
    if args.tokens and args.tokens[0].lower in {"off", "back", "cancel"}:
        args.tokens.pop(0)
        args.expect_end()
        changed = availability.cancel_out_of_office(session=ctx.session, team_id=ctx.team_id,
                                                    actor=ctx.user_id, user_id=who, today=today,
                                                    project=project)
        return Reply.text(f"<@{who}> is back: {changed} absence{'s' if changed != 1 else ''} ended."
                          if changed else f"<@{who}> had no absence to end.")
    span = _take_range(args, what="dates", required=False)
    args.expect_end()
    if span is None:
        rows = availability.absences(session=ctx.session, team_id=ctx.team_id, user_id=user, today=today)
        if not rows:
            return Reply.text("Nobody is marked away." if not user else f"<@{user}> is not marked away.")
        lines = [f"• <@{r.user_id}>: {day(r.start_date)} – {day(r.end_date)}"
                 + (f" ({r.reason})" if r.reason else "") for r in rows[:40]]
        return Reply(title="Out of office", sections=[Section(text="\n".join(lines))])
    start, end = span
    _, created = availability.set_out_of_office(session=ctx.session, team_id=ctx.team_id,
                                                actor=ctx.user_id, user_id=who, start=start, end=end,
                                                project=project, reason=str(opts.get("reason", "")), now=ctx.now)
    cal = calendar.work_calendar(session=ctx.session, project=project, start=start, end=end) \
        if project else calendar.WorkCalendar()
    days = cal.working_days_between(start, end + timedelta(days=1))
    note = "" if created else " (already set)"
    return Reply.text(f"<@{who}> is away {day(start)} – {day(end)} ({days} working "
                      f"day{'s' if days != 1 else ''}){note}: no standup prompts, listed as away.")
