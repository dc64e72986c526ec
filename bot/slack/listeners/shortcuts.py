"""Shortcuts: "New project" from anywhere, and "Add as task" on any message.

"Add as task" opens the Add task modal for the channel's project with the
message text as the title, so a request in a thread becomes a task in two
clicks. Both acknowledge at once and open the modal after the answer
(`ack_first`); a form that could not open is said under the message, or by
DM from the global shortcut, which has no place of its own.
"""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.slack.acknowledge import ack_first, tell_clicker
from bot.slack.ids import ShortcutId, ViewId
from bot.slack.manifest import shortcut
from bot.slack.modals.openers import Opening, open_modal


def register(app: App) -> None:
    shortcut(app, ShortcutId.NEW_PROJECT, name="New project",
             description="Start a project: name, goal, due date, budget")(ack_first(handle_new_project))
    shortcut(app, ShortcutId.TASK_FROM_MESSAGE, name="Add as task", kind="message",
             description="Make this message a task in the channel's project")(ack_first(handle_task_from_message))


def handle_new_project(ack: Ack, body: dict, client: WebClient, respond: Respond, context: BoltContext) -> None:
    ack()
    open_modal(client, context["services"], ViewId.NEW_PROJECT, trigger_id=body["trigger_id"],
               opening=Opening(team_id=_team(body), user_id=_user(body)),
               tell=_teller(body, client, respond, context))


def handle_task_from_message(ack: Ack, body: dict, client: WebClient, respond: Respond,
                             context: BoltContext) -> None:
    ack()
    channel_id = (body.get("channel") or {}).get("id", "")
    text = ((body.get("message") or {}).get("text") or "").strip()
    open_modal(client, context["services"], ViewId.ADD_TASK, trigger_id=body["trigger_id"],
               opening=Opening(team_id=_team(body), user_id=_user(body), channel_id=channel_id,
                               context={"title": text.splitlines()[0] if text else ""}),
               tell=_teller(body, client, respond, context))


def _teller(body: dict, client: WebClient, respond: Respond | None, context: BoltContext):
    return lambda text: tell_clicker(body, client=client, respond=respond, services=context["services"], text=text)


def _team(body: dict) -> str:
    return (body.get("team") or {}).get("id", "")


def _user(body: dict) -> str:
    return (body.get("user") or {}).get("id", "")
