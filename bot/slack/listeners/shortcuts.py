"""Shortcuts: "New project" from anywhere, and "Add as task" on any message.

"Add as task" opens the Add task modal for the channel's project with the
message text as the title, so a request in a thread becomes a task in two
clicks.
"""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.domain import projects as project_service
from bot.slack.ids import ShortcutId
from bot.slack.manifest import shortcut
from bot.slack.modals import render_add_task_modal, render_new_project_modal
from bot.slack.services import Services


def register(app: App) -> None:
    shortcut(app, ShortcutId.NEW_PROJECT, name="New project",
             description="Start a project: name, goal, due date, budget")(handle_new_project)
    shortcut(app, ShortcutId.TASK_FROM_MESSAGE, name="Add as task", kind="message",
             description="Make this message a task in the channel's project")(handle_task_from_message)


def handle_new_project(ack: Ack, body: dict, client: WebClient) -> None:
    ack()
    client.views_open(trigger_id=body["trigger_id"], view=render_new_project_modal())


def handle_task_from_message(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    ack()
    services: Services = context["services"]
    team_id = (body.get("team") or {}).get("id", "")
    channel_id = (body.get("channel") or {}).get("id", "")
    user_id = (body.get("user") or {}).get("id", "")
    with services.session() as session:
        project = project_service.project_for_channel(session=session, team_id=team_id, channel_id=channel_id)
        if project is None:
            client.chat_postEphemeral(channel=channel_id, user=user_id,
                                      text="This channel has no project: `/project link PROJECT #channel` first.")
            return
        text = ((body.get("message") or {}).get("text") or "").strip()
        client.views_open(trigger_id=body["trigger_id"],
                          view=render_add_task_modal(project=project, channel_id=channel_id,
                                                     title=text.splitlines()[0] if text else ""))
