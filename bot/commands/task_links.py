"""`/project task link|unlink` and the `after #3 #5 +2d` that `task add` takes."""

from __future__ import annotations

import re

from bot.commands.grammar import DURATION_UNITS, Kind, UsageError
from bot.commands.registry import Args, Context, command
from bot.commands.task_edits import take_task
from bot.domain import links as svc
from bot.domain import tasks as task_service
from bot.domain.replies import Reply
from bot.models import Project, Task

_REF = re.compile(r"^#?(\d{1,9})$")
_LAG = re.compile(r"^\+(\d{1,3})(d|days?|wd)?$", re.I)
_NOT_A_TASK = DURATION_UNITS | {"am", "pm", "o'clock", "months", "month", "years", "year", "of", "more"}
AFTER_HINT = "task numbers after `after`, like `after #3 #5` or `after #3 +2d` (a lag of 2 working days)"


def take_after(args: Args, *, required: bool = False) -> list[tuple[int, int]]:
    """`after #3 #5 +2d` anywhere in the arguments -> [(3, 0), (5, 2)]: task
    numbers, each with the lag (working days) written after it. Without
    `after` followed by a task number, nothing is taken."""
    toks = args.tokens
    for i, tok in enumerate(toks):
        if tok.lower != "after" or i + 1 >= len(toks) or not _REF.match(toks[i + 1].value) \
                or toks[i + 1].kind is not Kind.WORD:
            continue
        refs: list[tuple[int, int]] = []
        j = i + 1
        while j < len(toks) and toks[j].kind is Kind.WORD:
            word = toks[j].value.rstrip(",")
            if (m := _REF.match(word)) is not None:
                refs.append((int(m.group(1)), 0))
            elif (lag := _LAG.match(word)) is not None and refs:
                refs[-1] = (refs[-1][0], int(lag.group(1)))
            elif word.lower() == "and" and refs:
                pass
            else:
                break
            j += 1
        if j < len(toks) and toks[j].lower.strip(".,") in _NOT_A_TASK:
            continue  # `after 3 days`, `after 5 pm`: words of a title, not task numbers
        del toks[i:j]
        return refs
    if required:
        raise UsageError(f"Expected {AFTER_HINT}.")
    return []


def resolve(ctx: Context, project: Project, refs: list[tuple[int, int]]) -> list[tuple[Task, int]]:
    return [(task_service.get_task(session=ctx.session, project=project, number=n), lag) for n, lag in refs]


@command(
    "task link",
    usage="task link [PROJECT] N after M [M2 ...] [+2d]",
    examples=["task link 7 after 3", "task link website 7 after #3 #5 +2d"],
)
def task_link(ctx: Context, args: Args) -> Reply:
    """Make a task wait on others (finish-to-start; `+2d`: a lag of 2 working days)."""
    project, task = take_task(ctx, args)
    refs = take_after(args, required=True)
    args.expect_end()
    done = svc.link(session=ctx.session, project=project, actor=ctx.user_id, task=task,
                    after=resolve(ctx, project, refs), now=ctx.now)
    if not done.added:
        return Reply.text(f"#{task.number} *{task.title}* already waits on {', '.join(done.unchanged)}.")
    also = f" (already on {', '.join(done.unchanged)})" if done.unchanged else ""
    return Reply.text(f"#{task.number} *{task.title}* now waits on {', '.join(done.added)}{also}. "
                      f"`/project schedule {project.key}` shows the critical path.")


@command("task unlink", usage="task unlink [PROJECT] N M", examples=["task unlink 7 3"])
def task_unlink(ctx: Context, args: Args) -> Reply:
    """Stop a task waiting on another."""
    project, task = take_task(ctx, args)
    if args.tokens and args.tokens[0].lower == "after":
        args.tokens.pop(0)
    if not args.tokens or not _REF.match(args.tokens[0].value):
        raise UsageError("Expected the task it should stop waiting on, like `task unlink 7 3`.")
    number = int(_REF.match(args.tokens.pop(0).value).group(1))  # type: ignore[union-attr]
    args.expect_end()
    before = task_service.get_task(session=ctx.session, project=project, number=number)
    if not svc.unlink(session=ctx.session, project=project, actor=ctx.user_id, task=task, before=before,
                      now=ctx.now):
        return Reply.text(f"#{task.number} is not waiting on #{before.number}; nothing to unlink.")
    return Reply.text(f"#{task.number} *{task.title}* no longer waits on #{before.number}.")
