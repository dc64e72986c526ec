"""`/project history`: the audit log, readable (who changed what, when, old → new)."""

from __future__ import annotations

import re

from bot.commands.grammar import Kind, UsageError
from bot.commands.registry import Args, Context, command
from bot.domain import milestones as ms_service
from bot.domain import tasks as task_service
from bot.domain.access import role_of
from bot.domain.format import mention
from bot.domain.history import Subject, history, when
from bot.domain.replies import Reply, Section

_MILESTONE = re.compile(r"^[mM]\d{1,9}$")


@command(
    "history",
    usage="history [PROJECT] [task N | M1 | budget | @user] [page N]",
    examples=["history", "history task 3", "history netmove M2", "history budget", "history @bob page 2"],
)
def history_(ctx: Context, args: Args) -> Reply:
    """Who changed what and when, old → new, newest first: all, or one task, milestone, the budget or a person."""
    project = args.take_project()
    page = int(args.take_options({"page": "int"}).get("page", 1))  # type: ignore[arg-type]
    if page < 1:
        raise UsageError("Pages start at 1.")
    subject, label, again = _subject(ctx, args, project)
    args.expect_end()
    viewer = role_of(session=ctx.session, project=project, user_id=ctx.user_id)
    found = history(session=ctx.session, project=project, viewer_role=viewer, subject=subject, page=page)
    about = f" of {label}" if subject else ""
    title = f"{project.name}: history{about}"
    if not found.lines:
        empty = ("Nothing recorded yet." if found.total == 0 else
                 f"Page {page} is past the end: there {'is 1 page' if found.pages == 1 else f'are {found.pages} pages'}.")
        return Reply(title=title, sections=[Section(text=empty)])
    lines = [f"{when(line.at, found.timezone)} · {mention(line.user_id) if line.user_id else 'the bot'} "
             f"{line.text}" for line in found.lines]
    more = (f" `/project history {project.key}{' ' + again if again else ''} page {page + 1}` "
            "for older ones." if page < found.pages else "")
    return Reply(title=title, sections=[Section(text="\n".join(lines))],
                 footer=f"Times in {found.timezone}. Page {page} of {found.pages} "
                        f"({found.total} change{'s' if found.total != 1 else ''}).{more}")


def _subject(ctx: Context, args: Args, project) -> tuple[Subject | None, str, str]:
    """What the history is narrowed to, how the title names it, and how to ask again."""
    user = args.take_user(required=False)
    if user:
        return Subject("user", user_id=user), mention(user), f"<@{user}>"
    if not args.tokens or args.tokens[0].kind is not Kind.WORD:
        return None, "", ""
    word = args.tokens[0].lower
    if word == "budget":
        args.tokens.pop(0)
        return Subject("budget"), "the budget", "budget"
    if word == "task":
        args.tokens.pop(0)
        if not args.tokens:
            raise UsageError("Expected a task number after `task`, like `history task 3`.")
        number = args.take_int(what="a task number")
        task = task_service.get_task(session=ctx.session, project=project, number=number)
        return Subject("task", entity_id=task.id), f"#{task.number} {task.title}", f"task {number}"
    if _MILESTONE.match(word):
        args.tokens.pop(0)
        m = ms_service.find_milestone(session=ctx.session, project=project, ref=word)
        return Subject("milestone", entity_id=m.id), f"M{m.number} {m.name}", f"M{m.number}"
    return None, "", ""
