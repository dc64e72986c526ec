"""Modal submissions: validate, write once, ack (with field errors when invalid).

Validation has to happen before the ack, because the ack carries the errors
(`response_action: errors`). Each submission claims `view:<view id>` in the
same transaction as its write, so a modal submitted twice creates one project
or task; a submission that failed validation claims nothing and can be fixed
and sent again. A confirmation goes through the outbox to the channel the
modal was opened from (or as a DM when opened from the App Home).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from zoneinfo import ZoneInfo

from slack_bolt import Ack, App, BoltContext
from sqlmodel import Session

from bot.commands.dates import ago
from bot.commands.replies import task_buttons, warned
from bot.commands.task_edits import edit_reply
from bot.domain import audit, baselines
from bot.domain import changes as change_service
from bot.domain import members as member_service
from bot.domain import milestones as milestone_service
from bot.domain import projects as project_service
from bot.domain import tasks as task_service
from bot.domain.access import role_of
from bot.domain.changes_messages import announce
from bot.domain.closing import lessons
from bot.domain.errors import Conflict, DomainError, Invalid
from bot.domain.format import day, mention, money
from bot.domain.home import enqueue_home_refreshes, project_today
from bot.domain.idempotency import claim
from bot.domain.outbox import Kind, enqueue
from bot.domain.plan_checks import date_warning
from bot.domain.replies import Button, Intent, Reply, Section
from bot.models import Role
from bot.slack.ids import BlockId, ViewId
from bot.slack.manifest import interactive
from bot.slack.modals.inputs import FieldErrors, Submitted, read_hours, read_money
from bot.slack.modals.projects import EDIT_LIMITS, shown_in_edit
from bot.slack.modals.tasks import NO_MILESTONE
from bot.slack.services import Services

log = logging.getLogger(__name__)
Write = Callable[[Session, Submitted, dict], Reply | None]


def register(app: App) -> None:
    interactive(app)
    app.view(str(ViewId.NEW_PROJECT))(handle_new_project)
    app.view(str(ViewId.ADD_TASK))(handle_add_task)
    app.view(str(ViewId.ADD_MILESTONE))(handle_add_milestone)
    app.view(str(ViewId.EDIT_PROJECT))(handle_edit_project)
    app.view(str(ViewId.EDIT_TASK))(handle_edit_task)
    app.view(str(ViewId.REASSIGN))(handle_reassign)


def submit_view(ack: Ack, body: dict, context: BoltContext, write: Write, *, error_block: str) -> None:
    """Run `write` once per view (a second submission only closes the modal);
    answer field errors, or close the modal and post the reply `write` returns
    (to the modal's channel, else `who["channel"]` if `write` set it, else to
    the user by DM; a None reply posts nothing)."""
    services: Services = context["services"]
    view = body.get("view") or {}
    values = Submitted(view)
    who = {"team_id": (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id", ""),
           "user_id": (body.get("user") or {}).get("id", "")}
    with services.session() as session:
        now = services.clock()
        if not claim(session=session, team_id=who["team_id"], key=f"view:{view.get('id', '')}", now=now):
            ack()  # a second submission of the same modal: already done
            return
        mark = audit.last_id(session)
        try:
            today = now.astimezone(ZoneInfo(services.settings.default_timezone)).date()
            reply = write(session, values, {**who, "today": today, "now": now,
                                            "default_currency": services.settings.default_currency})
        except FieldErrors as exc:
            session.rollback()
            ack(response_action="errors", errors=exc.errors)
            return
        except DomainError as exc:
            session.rollback()
            block = BlockId.KEY if isinstance(exc, Conflict) and "key" in str(exc) else error_block
            ack(response_action="errors", errors=FieldErrors({str(block): str(exc)}).errors)
            return
        except Exception:  # a bug: say so on the modal, keep it open, save nothing
            session.rollback()
            log.exception("modal %s failed", view.get("callback_id", "?"))
            ack(response_action="errors", errors={str(error_block): "Something went wrong on our side; "
                                                  "nothing was saved. Please try again."})
            return
        if reply is not None:
            channel = values.metadata.get("channel") or who.get("channel") or ""
            enqueue(session=session, team_id=who["team_id"], key=f"view:{view.get('id', '')}:confirm",
                    kind=Kind.POST if channel else Kind.DM, channel_id=channel or None,
                    user_id=who["user_id"], reply=reply, now=now)
        enqueue_home_refreshes(session=session, team_id=who["team_id"], since_audit_id=mark,
                               cause=view.get("id", ""), now=now)
        session.commit()
    ack()
    services.kick()


def _project(session: Session, values: Submitted, who: dict):
    return project_service.get_project(session=session, team_id=who["team_id"],
                                       key=values.metadata.get("project", ""))


def _check_due(values: Submitted, today: date, errors: dict[str, str]) -> date | None:
    """The due date picked, or an error on its field when it is in the past (as
    the command refuses it: "that was two days ago")."""
    due = values.date(BlockId.DUE)
    if due is not None and due < today:
        errors[BlockId.DUE] = (f"{day(due, year=True)}: that was {ago((today - due).days)}, and a due date "
                               "cannot be in the past.")
    return due


def write_new_project(session: Session, values: Submitted, who: dict) -> Reply:
    errors: dict[str, str] = {}
    name = values.text(BlockId.NAME)
    if not name:
        errors[BlockId.NAME] = "Give the project a name."
    budget = read_money(values, BlockId.BUDGET, errors)
    due = _check_due(values, who["today"], errors)
    key = values.text(BlockId.KEY).lower() or None
    if key and not project_service.KEY_RE.match(key):
        errors[BlockId.KEY] = "1-40 lowercase letters, digits or dashes, like website."
    elif key and project_service.key_is_reserved(key):
        errors[BlockId.KEY] = f"`{key}` would read as part of a command; pick a word, like website."
    if not errors and project_service.open_project_named(session=session, team_id=who["team_id"], name=name):
        try:
            project_service.refuse_duplicate_name(session=session, team_id=who["team_id"], name=name)
        except Conflict as exc:
            errors[BlockId.NAME] = str(exc)
    if errors:
        raise FieldErrors(errors)
    project = project_service.create_project(
        session=session, team_id=who["team_id"], name=name, owner_user_id=who["user_id"], key=key,
        goal=values.text(BlockId.GOAL), start_date=who["today"], due_date=due,
        budget_cents=budget.cents if budget else None,
        currency=budget.currency if budget and budget.currency else None,
        default_currency=who["default_currency"],
        channel_id=values.metadata.get("channel") or None, now=who["now"],
    )
    facts = [f"key `{project.key}`", f"owner {mention(project.owner_user_id)}"]
    if project.due_date:
        facts.append(f"due {day(project.due_date)}")
    if project.budget_cents is not None:
        facts.append(f"budget {money(project.budget_cents, project.currency)}")
    earlier = lessons.tips(session=session, project=project)  # as `/project new` says them
    return Reply(title=f"Project {project.name} started", sections=[Section(text=earlier)] if earlier else [],
                 footer=", ".join(facts) + ".",
                 buttons=[Button("Add task", Intent.ADD_TASK, project.key, "primary"),
                          Button("Add milestone", Intent.ADD_MILESTONE, project.key)], ephemeral=False)


def write_task(session: Session, values: Submitted, who: dict) -> Reply:
    errors: dict[str, str] = {}
    title = values.text(BlockId.TITLE)
    if not title:
        errors[BlockId.TITLE] = "Say what needs doing."
    estimate = read_hours(values, BlockId.ESTIMATE, errors)
    project = _project(session, values, who)
    _check_due(values, project_today(project, who["now"]), errors)
    if errors:
        raise FieldErrors(errors)
    notes: list[str] = []
    try:
        task = task_service.add_task(session=session, project=project, actor=who["user_id"], title=title,
                                     assignee=values.user(BlockId.ASSIGNEE), due_date=values.date(BlockId.DUE),
                                     estimate_hours=estimate, told=notes, now=who["now"])
    except Invalid as exc:
        if "is not on" in str(exc) or "stakeholder" in str(exc):
            raise FieldErrors({BlockId.ASSIGNEE: str(exc)}) from None
        raise
    who_does = mention(task.assignee_user_id) if task.assignee_user_id else "unassigned"
    due = f", due {day(task.due_date)}" if task.due_date else ""
    reply = Reply(sections=[Section(text=f"Added #{task.number} *{task.title}* to {project.name} "
                                         f"({who_does}{due}).",
                                    buttons=task_buttons(project, task, done_label="Mark done"))],
                  ephemeral=False)
    return warned(reply, [date_warning(project, task.due_date, f"#{task.number}")], notes=notes)


def write_milestone(session: Session, values: Submitted, who: dict) -> Reply:
    errors: dict[str, str] = {}
    name = values.text(BlockId.NAME)
    if not name:
        errors[BlockId.NAME] = "Name the milestone."
    budget = read_money(values, BlockId.BUDGET, errors)
    effort = read_hours(values, BlockId.EFFORT, errors)
    project = _project(session, values, who)
    _check_due(values, project_today(project, who["now"]), errors)
    if errors:
        raise FieldErrors(errors)
    warnings: list[str] = []
    try:
        m = milestone_service.add_milestone(session=session, project=project, actor=who["user_id"], name=name,
                                            due_date=values.date(BlockId.DUE),
                                            planned_budget_cents=budget.cents if budget else None,
                                            planned_effort_hours=effort, warnings=warnings, now=who["now"])
    except Invalid as exc:
        if "milestone budgets" not in str(exc):
            raise
        raise FieldErrors({BlockId.BUDGET: str(exc)}) from None
    first = baselines.ensure_first(session, project, actor=who["user_id"], now=who["now"],
                                   why=f"the first milestone with a budget, M{m.number}") if budget else None
    return warned(Reply.text(f"Milestone M{m.number} *{m.name}* added to {project.name} "
                             f"(due {day(m.due_date)})."), warnings, notes=[baselines.first_note(first, project)])


def write_edit(session: Session, values: Submitted, who: dict) -> Reply:
    errors: dict[str, str] = {}
    name = values.text(BlockId.NAME)
    if not name:
        errors[BlockId.NAME] = "A project needs a name."
    budget = read_money(values, BlockId.BUDGET, errors)
    if errors:
        raise FieldErrors(errors)
    project = _project(session, values, who)
    changes = {"name": name, "goal": values.text(BlockId.GOAL), "scope": values.text(BlockId.SCOPE),
               "due_date": values.date(BlockId.DUE), "state": values.option(BlockId.STATE) or project.state,
               "budget_cents": budget.cents if budget else None}
    if budget and budget.currency:
        changes["currency"] = budget.currency
    changes = {k: v for k, v in changes.items() if getattr(project, k) != v and not (
        k in EDIT_LIMITS and v == shown_in_edit(k, getattr(project, k) or ""))}  # untouched (maybe cut) text
    controlled = {k: v for k, v in changes.items() if k in change_service.CONTROLLED}
    owner = role_of(session=session, project=project, user_id=who["user_id"]) is Role.OWNER
    note = ""
    if project.plan and controlled and not owner:  # under change control: a request, as the command does
        parts = change_service.edit_parts(controlled)
        cr = change_service.request_change(session, project, actor=who["user_id"], title=change_service.edit_title(parts),
                                           parts=parts, now=who["now"], source="edit")
        announce(session, project, cr, now=who["now"])
        changes = {k: v for k, v in changes.items() if k not in controlled}
        note = (f" {', '.join(change_service.describe(parts, project.currency))}: became CR-{cr.number}, for the "
                "owner or a sponsor to decide.")
    if changes:
        try:
            before = project_service.edit_project(session=session, project=project, user_id=who["user_id"],
                                                  changes=changes, now=who["now"])
        except Invalid as exc:
            if "budget" not in changes:
                raise
            raise FieldErrors({BlockId.BUDGET: str(exc)}) from None
        if project.plan and controlled and owner:
            cr = change_service.record_direct_edit(session, project, actor=who["user_id"], before=before, now=who["now"])
            note = f" Recorded as CR-{cr.number}, approved (direct edit)." if cr else ""
    what = ", ".join(k.replace("_cents", "").replace("_", " ") for k in changes) or "nothing"
    return Reply.text(f"*{project.name}* updated: {what} changed.{note}")


def handle_new_project(ack: Ack, body: dict, context: BoltContext) -> None:
    submit_view(ack, body, context, write_new_project, error_block=BlockId.NAME)


def handle_add_task(ack: Ack, body: dict, context: BoltContext) -> None:
    submit_view(ack, body, context, write_task, error_block=BlockId.TITLE)


def handle_add_milestone(ack: Ack, body: dict, context: BoltContext) -> None:
    submit_view(ack, body, context, write_milestone, error_block=BlockId.NAME)


def handle_edit_project(ack: Ack, body: dict, context: BoltContext) -> None:
    submit_view(ack, body, context, write_edit, error_block=BlockId.NAME)


def write_task_edit(session: Session, values: Submitted, who: dict) -> Reply:
    """The Edit task modal: every field as submitted; only what differs changes."""
    errors: dict[str, str] = {}
    title = values.text(BlockId.TITLE)
    if not title:
        errors[BlockId.TITLE] = "A task needs a title."
    estimate = read_hours(values, BlockId.ESTIMATE, errors)
    if errors:
        raise FieldErrors(errors)
    project = _project(session, values, who)
    task = task_service.get_task(session=session, project=project, number=int(values.metadata.get("task", 0)))
    chosen = values.option(BlockId.MILESTONE) or NO_MILESTONE
    milestone_id = None if chosen == NO_MILESTONE else milestone_service.find_milestone(
        session=session, project=project, ref=f"M{chosen}").id
    changes = {"title": title, "assignee_user_id": values.user(BlockId.ASSIGNEE),
               "due_date": values.date(BlockId.DUE), "estimate_hours": estimate, "milestone_id": milestone_id}
    try:
        edited = task_service.edit_task(session=session, project=project, actor=who["user_id"], task=task,
                                        changes=changes, now=who["now"])
    except Invalid as exc:
        block = BlockId.ASSIGNEE if "is not on" in str(exc) else (
            BlockId.MILESTONE if "ilestone" in str(exc) else BlockId.TITLE)
        raise FieldErrors({block: str(exc)}) from None
    return edit_reply(session=session, project=project, task=task, edited=edited, today=who["today"],
                      before={k: edited.before[k] for k in edited.after})


def write_reassign(session: Session, values: Submitted, who: dict) -> Reply:
    """The Reassign modal: the person leaves, their open tasks go to the one chosen."""
    project = _project(session, values, who)
    user_id, to = str(values.metadata.get("user", "")), values.user(BlockId.ASSIGNEE)
    if not to:
        raise FieldErrors({BlockId.ASSIGNEE: "Choose who takes the tasks."})
    try:
        done = member_service.remove_member(session=session, project=project, actor=who["user_id"],
                                            user_id=user_id, reassign_to=to, now=who["now"])
    except Invalid as exc:
        raise FieldErrors({BlockId.ASSIGNEE: str(exc)}) from None
    if done.already:
        return Reply.text(f"<@{user_id}> was already off *{project.name}*; nothing changed.")
    refs = ", ".join(f"#{t.number}" for t in done.moved[:10]) + (" …" if len(done.moved) > 10 else "")
    moved = f" Their open tasks ({refs}) went to <@{to}>." if done.moved else ""
    return warned(Reply.text(f"<@{user_id}> is no longer on *{project.name}*.{moved}"), notes=done.notes)


def handle_edit_task(ack: Ack, body: dict, context: BoltContext) -> None:
    submit_view(ack, body, context, write_task_edit, error_block=BlockId.TITLE)


def handle_reassign(ack: Ack, body: dict, context: BoltContext) -> None:
    submit_view(ack, body, context, write_reassign, error_block=BlockId.ASSIGNEE)
