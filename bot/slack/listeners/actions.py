"""Buttons on replies and on the App Home: ack, one call, update in place.

Every button acknowledges at once and does its work after the answer
(`on_intent` registers it through `acknowledge.ack_first`). A button in a
message replaces that message (through its `response_url`); a button in a
modal updates the modal; a button on the Home tab opens a modal or
re-publishes the Home, and says what went wrong on the Home itself. Writes are idempotent: marking done or assigning
twice changes nothing more, and "Post to channel" uses an outbox key made of
the message and its content, so a double click posts once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from sqlalchemy.exc import IntegrityError

from bot.commands.replies import shared_copy
from bot.domain import projects as project_service
from bot.domain.home import enqueue_home_refresh
from bot.domain.outbox import Kind, enqueue
from bot.domain.replies import Intent, Reply, Section
from bot.slack.acknowledge import ack_first, tell_clicker
from bot.slack.ids import ViewId, action_pattern
from bot.slack.manifest import interactive
from bot.slack.modals.openers import Opening, open_modal
from bot.slack.modals.replies import render_reply_modal
from bot.slack.render import render_message, source_of
from bot.slack.services import Services


def on_intent(app: App, intent: Intent) -> Callable:
    """`app.action(...)` for every button made from `intent` (any feature module
    may use it): the handler runs after the acknowledgement (`ack_first`)."""
    interactive(app)
    register = app.action(action_pattern(intent))
    return lambda handler: register(ack_first(handler))


def register(app: App) -> None:
    on_intent(app, Intent.TASK_DONE)(handle_task_done)
    on_intent(app, Intent.TASK_ASSIGN_ME)(handle_task_assign_me)
    on_intent(app, Intent.REFRESH_STATUS)(handle_refresh_status)
    on_intent(app, Intent.POST_STATUS)(handle_post_status)
    on_intent(app, Intent.SHOW_MORE)(handle_show_more)
    on_intent(app, Intent.ADD_TASK)(handle_add_task)
    on_intent(app, Intent.ADD_MILESTONE)(handle_add_milestone)
    on_intent(app, Intent.EDIT_PROJECT)(handle_edit_project)
    on_intent(app, Intent.NEW_PROJECT)(handle_new_project)
    on_intent(app, Intent.REFRESH_HOME)(handle_refresh_home)
    on_intent(app, Intent.TASK_EDIT)(handle_task_edit)
    on_intent(app, Intent.MEMBER_REASSIGN)(handle_member_reassign)
    on_intent(app, Intent.MEMBER_UNASSIGN)(handle_member_unassign)
    on_intent(app, Intent.SHOW_PEOPLE)(handle_show_people)


# --- what a click carries -------------------------------------------------------------


class Click:
    """The parts of a block_actions payload the handlers use."""

    def __init__(self, body: dict):
        self.body = body
        self.action = (body.get("actions") or [{}])[0]
        self.value: str = self.action.get("value") or ""
        self.user_id: str = (body.get("user") or {}).get("id", "")
        self.team_id: str = (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id", "")
        self.channel_id: str = (body.get("channel") or {}).get("id", "")
        self.container: dict = body.get("container") or {}
        self.view: dict = body.get("view") or {}
        self.trigger_id: str = body.get("trigger_id", "")

    @property
    def on_home(self) -> bool:
        return self.view.get("type") == "home"

    @property
    def in_modal(self) -> bool:
        return self.view.get("type") == "modal"

    @property
    def origin(self) -> str:
        """Where the button was: a message ts or a view id (stable across double clicks)."""
        return self.container.get("message_ts") or self.view.get("id") or self.action.get("action_ts", "")

    def task_ref(self) -> tuple[str, str]:
        key, _, number = self.value.partition(":")
        return key, number


def _show(click: Click, reply: Reply, respond: Respond, client: WebClient, context: BoltContext, *,
          source: str = "") -> None:
    """Put `reply` where the click happened: replace the message, update the modal,
    or (from the Home tab) open it in a modal. An error never replaces anything:
    it goes to the clicker alone."""
    if reply.error and not (click.in_modal or click.on_home):
        tell(respond, reply)
    elif click.in_modal:
        client.views_update(view_id=click.view["id"], view=render_reply_modal(reply))
    elif click.on_home:
        open_modal(client, context["services"], ViewId.REPLY, trigger_id=click.trigger_id,
                   opening=Opening(team_id=click.team_id, user_id=click.user_id, context={"reply": reply}),
                   tell=clicker(click, client, respond, context))
    else:
        respond(replace_original=True, response_type="ephemeral", **render_message(reply, source=source))


def _run(context: BoltContext, click: Click, text: str) -> Reply:
    services: Services = context["services"]
    return services.run(text, team_id=click.team_id, user_id=click.user_id, channel_id=click.channel_id,
                        cause=f"{click.origin}:{click.action.get('action_ts', '')}")


REFRESHABLE = {("status",), ("list",), ("task", "list"), ("milestone", "list")}  # read-only commands


def _changed(context: BoltContext, click: Click, text: str) -> tuple[Reply, str]:
    """Run a change; when the button sat on the asker's own (ephemeral) view of a
    read-only command, that view is re-run so the message shows the change in place,
    with the confirmation on top. A reply that asks something (it has buttons:
    "Done anyway") is shown as it is. Returns the reply and its source command."""
    result = _run(context, click, text)
    source = source_of(click.action.get("block_id") or "")
    words = tuple(source.lower().split()[:2])
    asks = bool(result.buttons) or any(sec.buttons for sec in result.sections)
    if result.error or asks or not click.container.get("is_ephemeral") or not (
            words[:1] in REFRESHABLE or words in REFRESHABLE):
        return result, ""
    fresh = _run(context, click, source)
    if fresh.error:
        return result, ""
    fresh.sections.insert(0, Section(text=result.plain()))
    return fresh, source


# --- handlers -----------------------------------------------------------------------


def command_button(text_for: Callable[[Click], str], *, changes: bool) -> Callable[..., None]:
    """A button handler that runs `/project <text_for(click)>` as the clicker and
    shows the answer in place: a change (`changes`) with the view it was
    clicked on refreshed under its confirmation, a read-only command as itself."""

    def handler(ack: Ack, body: dict, respond: Respond, client: WebClient, context: BoltContext) -> None:
        ack()
        click = Click(body)
        text = text_for(click)
        reply, source = _changed(context, click, text) if changes else (_run(context, click, text), text)
        _show(click, reply, respond, client, context, source=source)

    return handler


def _show_more_text(click: Click) -> str:
    """The `Show more` value `tasks:website:25` -> `task list website page 2`."""
    what, _, rest = click.value.partition(":")
    key, _, offset = rest.partition(":")
    page = int(offset) // 25 + 1 if offset.isdigit() else 1
    return f"task list {key} page {page}" if what == "tasks" else f"{what} {key}"


handle_task_done = command_button(lambda c: "task done {} {}".format(*c.task_ref()), changes=True)
handle_task_assign_me = command_button(lambda c: "task assign {} {} me".format(*c.task_ref()), changes=True)
handle_refresh_status = command_button(lambda c: f"status {c.value}", changes=False)
handle_show_more = command_button(_show_more_text, changes=False)


def handle_post_status(ack: Ack, body: dict, respond: Respond, client: WebClient,
                       context: BoltContext) -> None:
    """Post the current status where everyone sees it (the project's channel)."""
    ack()
    click = Click(body)
    services: Services = context["services"]
    reply = _run(context, click, f"status {click.value}")
    if reply.error:
        _show(click, reply, respond, client, context)
        return
    reply = shared_copy(reply)  # the channel may have clients in it: no internal risks
    reply.ephemeral = False
    reply.buttons = [b for b in reply.buttons if b.intent is not Intent.POST_STATUS]
    digest = hashlib.sha1(reply.plain().encode()).hexdigest()[:12]
    with services.session() as session:
        project = project_service.get_project(session=session, team_id=click.team_id, key=click.value)
        channel, name = project.channel_id or click.channel_id, project.name
        if not channel:
            _show(click, Reply.fail("This project has no channel yet: `/project link #channel` first."),
                  respond, client, context)
            return
        try:
            enqueue(session=session, team_id=click.team_id, kind=Kind.POST, channel_id=channel,
                    key=f"post_status:{click.team_id}:{project.key}:{click.origin}:{digest}",
                    reply=reply, project_id=project.id, now=services.clock())
            session.commit()
        except IntegrityError:  # the other click of a double click queued it a moment ago
            session.rollback()
    services.kick()
    note = Reply.text(f"Posted the status of *{name}* to <#{channel}>.")
    if click.in_modal or click.on_home:
        return
    tell(respond, note)


def tell(respond: Respond, reply: Reply) -> None:
    """Answer the clicker alone, below the message they clicked (which stays)."""
    respond(replace_original=False, response_type="ephemeral", **render_message(reply))


def clicker(click: Click, client: WebClient, respond: Respond | None, context: BoltContext) -> Callable[[str], None]:
    """A `tell` for `open_modal`: the text goes to the clicker where they clicked
    (under the message, on their Home tab, or by DM: `tell_clicker`)."""
    return lambda text: tell_clicker(click.body, client=client, respond=respond, services=context["services"],
                                     text=text)


def _open(modal: ViewId, second: str = "") -> Callable[..., None]:
    """A button that opens `modal` for the project in its value (`key`, or
    `key:<second>` for a task number or a person); a project that is gone is
    said to the clicker alone."""

    def handler(ack: Ack, body: dict, client: WebClient, respond: Respond, context: BoltContext) -> None:
        ack()
        click = Click(body)
        key, _, rest = click.value.partition(":")
        context_of = {} if modal is ViewId.NEW_PROJECT else {"project": key if second else click.value}
        if second:
            context_of[second] = rest
        open_modal(client, context["services"], modal, trigger_id=click.trigger_id,
                   opening=Opening(team_id=click.team_id, user_id=click.user_id,
                                   channel_id=click.channel_id, context=context_of),
                   tell=clicker(click, client, respond, context))

    return handler


handle_add_task = _open(ViewId.ADD_TASK)
handle_add_milestone = _open(ViewId.ADD_MILESTONE)
handle_edit_project = _open(ViewId.EDIT_PROJECT)
handle_new_project = _open(ViewId.NEW_PROJECT)
handle_task_edit = _open(ViewId.EDIT_TASK, "task")
handle_member_reassign = _open(ViewId.REASSIGN, "user")
# the button's value is `key:USER`: the person whose open tasks go to nobody as they leave
handle_member_unassign = command_button(lambda c: "member remove {} <@{}> unassign".format(*c.task_ref()),
                                        changes=True)


def handle_show_people(ack: Ack, body: dict, respond: Respond, client: WebClient, context: BoltContext) -> None:
    """An alert's "Workload across projects": `/project people @user` for the
    clicker alone, under the alert (which stays as it is)."""
    ack()
    click = Click(body)
    reply = _run(context, click, f"people <@{click.value}>")
    if click.in_modal or click.on_home:
        _show(click, reply, respond, client, context)
    else:
        tell(respond, reply)


def handle_refresh_home(ack: Ack, body: dict, context: BoltContext) -> None:
    ack()
    click = Click(body)
    services: Services = context["services"]
    with services.session() as session:
        enqueue_home_refresh(session=session, team_id=click.team_id, user_id=click.user_id,
                             cause=click.action.get("action_ts", click.trigger_id), now=services.clock())
        session.commit()
    services.kick()
