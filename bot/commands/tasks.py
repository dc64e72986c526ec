"""`/project task add|list|done|start|assign|block|unblock|due`."""

from __future__ import annotations

from sqlalchemy import update

from bot.commands.dates import FUTURE
from bot.commands.grammar import UsageError, parse_int
from bot.commands.registry import Args, Context, command
from bot.commands.replies import LIST_LIMIT, task_buttons, task_list_reply, warned
from bot.commands.task_links import resolve, take_after
from bot.domain import links as link_service
from bot.domain import milestones as ms_service
from bot.domain import tasks as svc
from bot.domain.access import can_work
from bot.domain.errors import Invalid
from bot.domain.format import day, hours, mention
from bot.domain.plan_checks import date_warning
from bot.domain.replies import Button, Intent, Reply, Section
from bot.models import Task, TaskStatus

ADD_OPTIONS = {"due": "due", "estimate": "duration", "est": "duration", "milestone": "text"}


@command(
    "task add",
    usage='task add [PROJECT] "title" [@assignee] [due DATE] [estimate 3h] [milestone M1] [after #3 #5 [+2d]]',
    examples=['task add "Choose hosting" @bob due next friday estimate 4h',
              'task add website "Write copy" milestone M2',
              'task add "Go live" estimate 1d after #3 #5 +2d'],
)
def task_add(ctx: Context, args: Args) -> Reply:
    """Add a task, optionally assigned, dated, estimated, in a milestone and after others."""
    project = args.take_project()
    refs = take_after(args)
    opts = args.take_options(ADD_OPTIONS, free_text=True)
    assignee = args.take_user(required=False)
    title = args.take_text(what='a task title, like "Choose hosting"')
    args.expect_end()
    milestone = None
    if opts.get("milestone"):
        milestone = ms_service.find_milestone(session=ctx.session, project=project,
                                              ref=str(opts["milestone"]))
    notes: list[str] = []
    after = resolve(ctx, project, refs)  # unknown numbers are refused before anything is written
    task = svc.add_task(
        session=ctx.session, project=project, actor=ctx.user_id, title=title, assignee=assignee,
        due_date=opts.get("due"), estimate_hours=opts.get("estimate", opts.get("est")),
        milestone=milestone, told=notes, now=ctx.now,
    )
    bits = [mention(task.assignee_user_id) if task.assignee_user_id else "unassigned"]
    if task.due_date:
        bits.append(f"due {day(task.due_date, year=True)}")
    if task.estimate_hours:
        bits.append(hours(task.estimate_hours))
    if milestone:
        bits.append(f"in {milestone.name}")
    if after:
        linked = link_service.link(session=ctx.session, project=project, actor=ctx.user_id, task=task,
                                   after=after, now=ctx.now)
        bits.append(f"after {' '.join(linked.added + linked.unchanged)}")
    reply = Reply(sections=[Section(text=f"Added #{task.number} *{task.title}* to {project.name} "
                                         f"({', '.join(bits)}).",
                                    buttons=task_buttons(project, task, done_label="Mark done"))])
    return warned(reply, [date_warning(project, task.due_date, f"#{task.number}")],
                  notes=notes)


@command("task list", usage="task list [PROJECT] [mine|@user|blocked|done|cancelled|all] [page N]",
         examples=["task list", "task list website mine", "task list blocked", "task list cancelled"])
def task_list(ctx: Context, args: Args) -> Reply:
    """Open tasks, soonest due first; filter by person or state."""
    project = args.take_project()
    opts = args.take_options({"page": "int"})
    user = args.take_user(required=False)
    which = args.take_word(what="a filter", choices=["mine", "blocked", "done", "cancelled", "all"],
                           required=False)
    args.expect_end()
    if which == "mine":
        user = ctx.user_id
    status = {"blocked": TaskStatus.BLOCKED, "done": TaskStatus.DONE,
              "cancelled": TaskStatus.CANCELLED}.get(which or "")
    tasks = svc.list_tasks(session=ctx.session, project=project, status=status, assignee=user,
                           include_done=which == "all")
    heading = {"blocked": "blocked tasks", "done": "done tasks", "cancelled": "cancelled tasks",
               "all": "all tasks"}.get(which or "", "open tasks")
    if user:
        heading += f" of {mention(user)}"
    page = int(opts.get("page", 1))  # type: ignore[arg-type]
    if page < 1:
        raise UsageError("Pages start at 1.")
    waiting = link_service.waiting_on(session=ctx.session, project=project)
    return task_list_reply(project=project, tasks=tasks, today=args.today(), heading=heading,
                           offset=(page - 1) * LIST_LIMIT, waiting=waiting,
                           can_work=can_work(session=ctx.session, project=project, user_id=ctx.user_id))


def _take_task(ctx: Context, args: Args):
    project = args.take_project()
    if not args.tokens:
        raise UsageError("Expected a task number, like 3.")
    number = parse_int(args.tokens.pop(0).value, what="a task number", low=1)
    return project, svc.get_task(session=ctx.session, project=project, number=number)


def _set(ctx: Context, args: Args, status: TaskStatus, verb: str) -> Reply:
    project, task = _take_task(ctx, args)
    # the row locked and read again: two clicks handled at once after their acknowledgements
    # move it once, and the later one says it already was (a no-op UPDATE takes the row lock on
    # PostgreSQL and SQLite's write lock, whose reads otherwise run outside any transaction)
    ctx.session.execute(update(Task).where(Task.id == task.id).values(status=Task.status))
    ctx.session.refresh(task)
    anyway = status is TaskStatus.DONE and bool(args.tokens) and args.tokens[-1].lower == "anyway"
    if anyway:
        args.tokens.pop()
    reason = ""
    if status is TaskStatus.BLOCKED:
        reason = args.take_text(what='what blocks it, like "waiting for the vendor"')
    args.expect_end()
    if status is TaskStatus.BLOCKED and task.status == TaskStatus.DONE:
        raise Invalid(f"#{task.number} is done; `/project task start {task.number}` reopens it first.")
    already = task.status == status and (status is not TaskStatus.BLOCKED
                                         or task.blocked_reason == reason.strip())
    if status is TaskStatus.DONE and not already and not anyway:
        waiting = link_service.open_predecessors(session=ctx.session, task=task)
        if waiting:
            return _confirm_done(project, task, waiting)
    svc.set_status(session=ctx.session, project=project, actor=ctx.user_id, task=task,
                   status=status, reason=reason, now=ctx.now)
    if already:  # Slack delivered twice, or a double click: nothing changed
        return Reply.text(f"#{task.number} *{task.title}* was already {ALREADY[status]}.")
    return Reply.text(f"#{task.number} *{task.title}* {verb}.")


def _confirm_done(project, task, waiting) -> Reply:
    """Asked instead of marking done: the task waits on unfinished ones."""
    listed = ", ".join(f"#{t.number} {t.title}" for t in waiting[:5])
    more = f" and {len(waiting) - 5} more" if len(waiting) > 5 else ""
    text = (f"#{task.number} *{task.title}* waits on {listed}{more}, not done yet. Mark it done anyway? "
            f"`/project task done {project.key} {task.number} anyway`")
    return Reply(sections=[Section(text=text, buttons=[
        Button("Done anyway", Intent.TASK_DONE, f"{project.key}:{task.number} anyway", style="primary")])])


ALREADY = {TaskStatus.DONE: "done", TaskStatus.DOING: "in progress",
           TaskStatus.BLOCKED: "blocked for that reason"}


@command("task done", usage="task done [PROJECT] N [anyway]", examples=["task done 3", "task done 7 anyway"])
def task_done(ctx: Context, args: Args) -> Reply:
    """Mark a task done (one that waits on unfinished tasks asks first; `anyway` confirms)."""
    return _set(ctx, args, TaskStatus.DONE, "is done :white_check_mark:")


@command("task start", usage="task start [PROJECT] N", examples=["task start 3"])
def task_start(ctx: Context, args: Args) -> Reply:
    """Mark a task in progress."""
    return _set(ctx, args, TaskStatus.DOING, "is in progress")


@command("task block", usage='task block [PROJECT] N "reason"',
         examples=['task block 3 "waiting for the hosting quote"'])
def task_block(ctx: Context, args: Args) -> Reply:
    """Mark a task blocked and say why."""
    return _set(ctx, args, TaskStatus.BLOCKED, "is blocked")


@command("task unblock", usage="task unblock [PROJECT] N", examples=["task unblock 3"])
def task_unblock(ctx: Context, args: Args) -> Reply:
    """Clear a block; the task goes back to in progress."""
    project, task = _take_task(ctx, args)
    args.expect_end()
    if task.status != TaskStatus.BLOCKED:  # a repeated request changes nothing
        return Reply.text(f"#{task.number} *{task.title}* is not blocked (it is {task.status}).")
    svc.set_status(session=ctx.session, project=project, actor=ctx.user_id, task=task,
                   status=TaskStatus.DOING, now=ctx.now)
    return Reply.text(f"#{task.number} *{task.title}* is unblocked and in progress.")


@command("task assign", usage="task assign [PROJECT] N @user|me|nobody",
         examples=["task assign 3 @carol", "task assign 3 me"])
def task_assign(ctx: Context, args: Args) -> Reply:
    """Give a task to someone (or to nobody)."""
    project, task = _take_task(ctx, args)
    user = args.take_user(required=False)
    if user is None:
        word = args.take_word(what="@user, me or nobody", choices=["me", "nobody"])
        user = ctx.user_id if word == "me" else None
    args.expect_end()
    notes = svc.assign(session=ctx.session, project=project, actor=ctx.user_id, task=task, assignee=user,
                       now=ctx.now)
    return warned(Reply.text(f"#{task.number} *{task.title}* is now {mention(user)}'s." if user
                             else f"#{task.number} *{task.title}* is unassigned."), notes=notes)


@command("task due", usage="task due [PROJECT] N DATE|none", examples=["task due 3 next friday"])
def task_due(ctx: Context, args: Args) -> Reply:
    """Set or clear a task's due date."""
    project, task = _take_task(ctx, args)
    if args.tokens and args.tokens[0].lower == "none":
        args.tokens.pop(0)
        due = None
    else:
        due = args.take_date(what="the due date", tense=FUTURE)
    args.expect_end()
    svc.set_due(session=ctx.session, project=project, actor=ctx.user_id, task=task, due_date=due, now=ctx.now)
    when = f"due {day(due, year=True)}" if due else "has no due date"
    reply = Reply.text(f"#{task.number} *{task.title}* is {when}." if due
                       else f"#{task.number} *{task.title}* {when}.")
    return warned(reply, [date_warning(project, due, f"#{task.number}")])
