"""`/project lessons|lessons add|retro`: what was learned, and the retrospective after a closing."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.commands.grammar import Kind, UsageError
from bot.commands.registry import Args, Context, command
from bot.domain.closing import close as close_service
from bot.domain.closing import lessons as svc
from bot.domain.closing import retro as retro_service
from bot.domain.format import day, mention, plural, truncate
from bot.domain.replies import Button, Intent, Reply, Section

PAGE = 15


def _take_tags(args: Args) -> list[str]:
    tags = []
    while True:
        found = args.take_options({"tag": "word"})
        if "tag" not in found:
            return tags
        tags.append(str(found["tag"]))


@command("lessons add", usage='lessons add [PROJECT] "what was learned" [tag TAG ...]',
         examples=['lessons add netmove "The ISP needed 3 weeks\' notice" tag vendor',
                   'lessons add "Order hardware before the holidays" tag hardware tag suppliers'])
def lessons_add(ctx: Context, args: Args) -> Reply:
    """Keep a lesson for the next similar project (any time, open or closed)."""
    project = args.take_project(required=False)
    tags = _take_tags(args)
    text = args.take_text(what='the lesson, like "The ISP needed 3 weeks\' notice"')
    tags += _take_tags(args)
    args.expect_end()
    lesson, added = svc.add_lesson(session=ctx.session, team_id=ctx.team_id, project=project, actor=ctx.user_id,
                                   text=text, tags=tags, now=ctx.now)
    where = f" with *{project.name}*" if project else " for the workspace"
    tagged = f" (tags: {lesson.tags})" if lesson.tags else ""
    if not added:
        return Reply.text(f"That lesson is already kept{where}{tagged}; nothing changed.")
    return Reply.text(f"Kept{where}{tagged}: _{truncate(lesson.text, 300)}_. `/project lessons` lists them; "
                      "`/project new` suggests it when a similar project starts.")


@command("lessons", usage="lessons [WORDS] [tag TAG] [page N]",
         examples=["lessons", "lessons isp", "lessons tag vendor", "lessons network tag vendor page 2"])
def lessons(ctx: Context, args: Args) -> Reply:
    """The workspace's lessons, newest first, with their project; filter by words or a tag."""
    opts = args.take_options({"tag": "word", "page": "int"})
    terms = []
    while args.tokens:
        tok = args.tokens.pop(0)
        if tok.kind not in (Kind.WORD, Kind.QUOTED):
            raise UsageError("Search with words, like `lessons isp` or `lessons tag vendor`.")
        terms.append(tok.value)
    page = int(opts.get("page") or 1)  # type: ignore[arg-type]
    found = svc.find_lessons(session=ctx.session, team_id=ctx.team_id, terms=terms,
                             tag=str(opts["tag"]) if opts.get("tag") else None)
    what = " ".join(terms) + (f" tag {opts['tag']}" if opts.get("tag") else "")
    if not found:
        return Reply.text(f"No lessons{' match `' + truncate(what.strip(), 60) + '`' if what.strip() else ' yet'}. "
                          '`/project lessons add "..."` keeps one; closing a project collects them.')
    shown = found[(page - 1) * PAGE: page * PAGE]
    if not shown:
        raise UsageError(f"There are {plural(len(found), 'lesson')}: page 1 to {(len(found) - 1) // PAGE + 1}.")
    lines = []
    for lesson, project in shown:
        where = project.name if project else "workspace"
        tags = f" · {' '.join('#' + t for t in lesson.tags.split())}" if lesson.tags else ""
        source = " · from the retrospective" if lesson.source == "retro" else ""
        lines.append(f"• *{truncate(where, 80)}*: {truncate(lesson.text, 400)}{tags} "
                     f"_({day(lesson.created_at.astimezone(ZoneInfo(ctx.default_timezone)).date(), today=ctx.today())}{source})_")
    more = len(found) - page * PAGE
    footer = f"{plural(len(found), 'lesson')}" + (f"; `page {page + 1}` for {more} more" if more > 0 else "") + "."
    return Reply(title="Lessons" + (f": {truncate(what.strip(), 60)}" if what.strip() else ""),
                 sections=[Section(text="\n".join(lines))], footer=footer)


RETRO_OPTIONS = {"well": "text", "badly": "text", "differently": "text", "score": "int"}


@command("retro", usage='retro [PROJECT] [well "..."] [badly "..."] [differently "..."] [score 1-5] | summary',
         examples=['retro netmove well "Cabling on time" badly "ISP was late" differently "Call the ISP first" score 4',
                   "retro netmove", "retro netmove summary"])
def retro(ctx: Context, args: Args) -> Reply:
    """Answer a closed project's retrospective (the DM's modal, in text), see it, or summarise it now (owner)."""
    project = args.take_project()
    if args.tokens and args.tokens[0].kind is Kind.WORD and args.tokens[0].lower in ("summary", "summarise",
                                                                                      "summarize"):
        args.tokens.pop(0)
        args.expect_end()
        close_service.require_owner(ctx.session, project, ctx.user_id, "summarise the retrospective of")
        closure = retro_service.open_retro(ctx.session, project)
        reply, _ = retro_service.summarise(session=ctx.session, project=project, closure=closure, now=ctx.now)
        where = f" and posted in <#{project.channel_id}>" if project.channel_id else ""
        reply.footer = f"Summarised now{where}. " + reply.footer
        return reply
    opts = args.take_options(RETRO_OPTIONS)
    args.expect_end()
    closure = retro_service.open_retro(ctx.session, project)
    if not opts:
        mine = retro_service.my_answer(ctx.session, closure, ctx.user_id)
        count = retro_service.answer_count(ctx.session, closure)
        text = (f"The retrospective of *{project.name}* collects answers until "
                f"{day(close_service.local_day(project, closure.retro_until), year=True)} (UTC): {plural(count, 'answer')} so far "
                f"({closure.retro_mode}).")
        if mine:
            text += "\nYours: " + "; ".join(f"{q}: {truncate(getattr(mine, k), 200)}" for k, q in
                                            retro_service.QUESTIONS.items() if getattr(mine, k))
            text += f"; satisfaction {mine.satisfaction} of 5." if mine.satisfaction else "."
        return Reply(sections=[Section(text=text)],
                     buttons=[Button("Answer the retrospective" if not mine else "Change my answers",
                                     Intent.RETRO_ANSWER, project.key, "primary")],
                     footer=f'In text: `/project retro {project.key} well "..." badly "..." differently "..." score 4`.')
    mine = retro_service.my_answer(ctx.session, closure, ctx.user_id)  # what is not said again stays
    kept = {k: getattr(mine, k) if mine else "" for k in ("went_well", "went_badly", "differently")}
    score = opts.get("score", mine.satisfaction if mine else None)
    _, changed = retro_service.save_answer(
        session=ctx.session, project=project, user_id=ctx.user_id,
        went_well=str(opts.get("well", kept["went_well"])), went_badly=str(opts.get("badly", kept["went_badly"])),
        differently=str(opts.get("differently", kept["differently"])),
        satisfaction=int(score) if score is not None else None, now=ctx.now)  # type: ignore[arg-type]
    if not changed:
        return Reply.text(f"Your retrospective of *{project.name}* already says that; nothing changed.")
    who = "with your name" if closure.retro_mode == "named" else "without names"
    return Reply.text(f"Thanks {mention(ctx.user_id)}: your retrospective of *{project.name}* is saved; it is "
                      f"summarised in the channel {who} after {day(close_service.local_day(project, closure.retro_until), year=True)}. "
                      "Answering again changes what you name.")
