"""Shortcuts: "New project" from anywhere, and "Add as task" on any message.

"Add as task" opens the Add task modal for the channel's project with the
message text as the title, so a request in a thread becomes a task in two
clicks.
"""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.slack.ids import ShortcutId, ViewId
from bot.slack.manifest import shortcut
from bot.slack.modals.openers import Opening, open_modal


def register(app: App) -> None:
    shortcut(app, ShortcutId.NEW_PROJECT, name="New project",
             description="Start a project: name, goal, due date, budget")(handle_new_project)
    shortcut(app, ShortcutId.TASK_FROM_MESSAGE, name="Add as task", kind="message",
             description="Make this message a task in the channel's project")(handle_task_from_message)


def handle_new_project(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    ack()
    open_modal(client, context["services"], ViewId.NEW_PROJECT, trigger_id=body["trigger_id"],
               opening=Opening(team_id=_team(body), user_id=_user(body)),
               tell=lambda text: None)  # the empty form always builds


def handle_task_from_message(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    ack()
    channel_id = (body.get("channel") or {}).get("id", "")
    text = ((body.get("message") or {}).get("text") or "").strip()
    open_modal(client, context["services"], ViewId.ADD_TASK, trigger_id=body["trigger_id"],
               opening=Opening(team_id=_team(body), user_id=_user(body), channel_id=channel_id,
                               context={"title": text.splitlines()[0] if text else ""}),
               tell=lambda message: client.chat_postEphemeral(channel=channel_id, user=_user(body),
                                                              text=message))


def _team(body: dict) -> str:
    return (body.get("team") or {}).get("id", "")


def _user(body: dict) -> str:
    return (body.get("user") or {}).get("id", "")
