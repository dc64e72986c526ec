"""`/project task edit|cancel|reopen` (and `task delete|remove`, read as cancel):
correcting a task after the fact. Each is audited, says old → new, and
changes nothing more when repeated."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from bot.commands.grammar import Kind, UsageError, parse_int
from bot.commands.registry import Args, Context, command
from bot.commands.replies import warned
from bot.domain import milestones as ms_service
from bot.domain import tasks as svc
from bot.domain.history import LABELS, STATUS_WORDS, show
from bot.domain.plan_checks import date_warning
from bot.domain.replies import Reply, Section
from bot.models import Milestone, Project, Task, TaskStatus

EDIT_OPTIONS = {"title": "text", "estimate": "duration", "est": "duration", "milestone": "text",
                "due": "due", "assignee": "user"}
CLEARS = {"estimate": {"none"}, "est": {"none"}, "milestone": {"none"}, "due": {"none"},
          "assignee": {"none", "nobody", "me"}}


def take_task(ctx: Context, args: Args) -> tuple:
    """The project and the task number that follows it."""
    project = args.take_project()
    if not args.tokens or args.tokens[0].kind is not Kind.WORD:
        raise UsageError("Expected a task number, like 3.")
    number = parse_int(args.tokens.pop(0).value, what="a task number", low=1)
    return project, svc.get_task(session=ctx.session, project=project, number=number)


def _take_clears(args: Args) -> dict[str, str]:
    """`due none`, `estimate none`, `milestone none`, `assignee nobody|me`: taken out first."""
    found: dict[str, str] = {}
    i = 0
    while i + 1 < len(args.tokens):
        name, value = args.tokens[i].lower, args.tokens[i + 1].lower
        if name in CLEARS and value in CLEARS[name] and name not in found:
            found[name] = value
            del args.tokens[i : i + 2]
            continue
        i += 1
    return found


@command(
    "task edit",
    usage='task edit [PROJECT] N [title "..."] [estimate 5h|none] [milestone M2|none] '
          "[due DATE|none] [assignee @user|me|nobody]",
    examples=['task edit 3 title "Order the switches" estimate 5h',
              "task edit netmove 4 milestone M2 due 15 Jan assignee @bob", "task edit 4 due none"],
)
def task_edit(ctx: Context, args: Args) -> Reply:
    """Correct a task: title, estimate, milestone, due date, assignee (several at once)."""
    project, task = take_task(ctx, args)
    cleared = _take_clears(args)
    opts = args.take_options(EDIT_OPTIONS)
    args.expect_end()
    if not opts and not cleared:
        raise UsageError('Say what to change, like `title "..."`, `estimate 5h` or `due 15 Jan`.')
    changes: dict = {}
    if "title" in opts:
        changes["title"] = opts["title"]
    for name in ("estimate", "est"):
        if name in opts or name in cleared:
            changes["estimate_hours"] = opts.get(name)
    if "milestone" in cleared:
        changes["milestone_id"] = None
    elif "milestone" in opts:
        changes["milestone_id"] = ms_service.find_milestone(session=ctx.session, project=project,
                                                            ref=str(opts["milestone"])).id
    if "due" in opts or "due" in cleared:
        changes["due_date"] = opts.get("due")
    if "assignee" in cleared:
        changes["assignee_user_id"] = ctx.user_id if cleared["assignee"] == "me" else None
    elif "assignee" in opts:
        changes["assignee_user_id"] = opts["assignee"]
    before = {k: getattr(task, k) for k in changes}
    edited = svc.edit_task(session=ctx.session, project=project, actor=ctx.user_id, task=task,
                           changes=changes, now=ctx.now)
    return edit_reply(session=ctx.session, project=project, task=task, before=before, edited=edited,
                      today=args.today())


def edit_reply(*, session: Session, project: Project, task: Task, before: dict, edited: svc.Edited,
               today: date) -> Reply:
    """`#3 Title edited:` old → new per field (unchanged ones said so), notes and warnings."""
    ids = [v for v in (before.get("milestone_id"), edited.after.get("milestone_id")) if v]
    names = {("milestone", m.id): f"M{m.number} {m.name}"
             for m in (session.get(Milestone, i) for i in ids) if m is not None}
    lines = []
    for key, old in before.items():
        label = LABELS.get(key, key)
        if key in edited.after:
            lines.append(f"• {label}: {show(key, old, project, names)} → "
                         f"{show(key, edited.after[key], project, names)}")
        else:
            lines.append(f"• {label}: {show(key, old, project, names)} (unchanged)")
    head = (f"#{task.number} *{task.title}* edited:" if edited.after
            else f"#{task.number} *{task.title}*: nothing to change, it is already so.")
    warnings = []
    if "due_date" in edited.after:
        warnings.append(date_warning(project, task.due_date, f"#{task.number}"))  # dates in full
    return warned(Reply(sections=[Section(text=head + "\n" + "\n".join(lines))]), warnings,
                  notes=edited.notes)


@command("task cancel", usage='task cancel [PROJECT] N ["reason"]',
         examples=['task cancel 7 "Entered twice"', "task cancel netmove 8"])
def task_cancel(ctx: Context, args: Args) -> Reply:
    """Take a task out of the plan (progress, budget, forecasts, alerts); it stays in history."""
    return _cancel(ctx, args, said="")


@command("task delete", usage='task delete [PROJECT] N ["reason"]', examples=["task delete 7"])
def task_delete(ctx: Context, args: Args) -> Reply:
    """Read as `task cancel`: nothing is erased, the task is cancelled and kept in history."""
    return _cancel(ctx, args, said="delete")


@command("task remove", usage='task remove [PROJECT] N ["reason"]', examples=["task remove 7"])
def task_remove(ctx: Context, args: Args) -> Reply:
    """Read as `task cancel`: nothing is erased, the task is cancelled and kept in history."""
    return _cancel(ctx, args, said="remove")


def _cancel(ctx: Context, args: Args, *, said: str) -> Reply:
    project, task = take_task(ctx, args)
    reason = args.take_text(what="a reason", required=False) if args.tokens else ""
    args.expect_end()
    was = task.status
    changed = svc.cancel_task(session=ctx.session, project=project, actor=ctx.user_id, task=task,
                              reason=reason, now=ctx.now)
    back = f"`/project task reopen {project.key} {task.number}` brings it back."
    if not changed:
        return Reply.text(f"#{task.number} *{task.title}* was already cancelled. {back}")
    alias = (f"Tasks are never erased, so `task {said}` cancels: " if said else "")
    why = f" ({reason.strip()})" if reason.strip() else ""
    done = " It was done; its work no longer counts as earned." if was == TaskStatus.DONE else ""
    return Reply.text(f"{alias}#{task.number} *{task.title}* is cancelled{why}: out of progress, "
                      f"budget, forecasts and alerts, kept in history.{done} {back}")


@command("task reopen", usage="task reopen [PROJECT] N", examples=["task reopen 7"])
def task_reopen(ctx: Context, args: Args) -> Reply:
    """Bring a done or cancelled task back as to do."""
    project, task = take_task(ctx, args)
    args.expect_end()
    was = task.status
    if not svc.reopen_task(session=ctx.session, project=project, actor=ctx.user_id, task=task, now=ctx.now):
        return Reply.text(f"#{task.number} *{task.title}* is open already "
                          f"({STATUS_WORDS.get(task.status, task.status)}); nothing to reopen.")
    return Reply.text(f"#{task.number} *{task.title}* is open again (to do; it was {was}).")
