"""`/project ...`: ack, one call into the command layer, render, respond.

Replies are ephemeral unless the command says otherwise (errors always are);
a reply that asks for a modal (`open_modal`) opens it with the trigger id.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import replace

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain.outbox import Kind, enqueue
from bot.domain.replies import Reply, Section
from bot.slack.ids import SLASH_COMMAND
from bot.slack.manifest import slash_command
from bot.slack.modals.openers import OPENERS, Opening, open_modal
from bot.slack.render import render_message
from bot.slack.services import Services

log = logging.getLogger(__name__)


ACK_BUDGET_SECONDS = 2.0  # Slack waits 3 s for the acknowledgement


def register(app: App) -> None:
    slash_command(app, SLASH_COMMAND, description="Projects, tasks, status and standups",
                  usage_hint="status | list | new \"Name\" | task add \"Title\" | help")(handle_project_command)


def handle_project_command(ack: Ack, command: dict, respond: Respond, client: WebClient,
                           context: BoltContext) -> None:
    """Carry out the command once per trigger id (a body delivered twice, e.g.
    with `X-Slack-Retry-Num`, gets the first answer and changes nothing).
    Answer inside the acknowledgement when the reply is ready within
    `ACK_BUDGET_SECONDS` (one round trip, nothing to lose); otherwise acknowledge
    in time and send the reply to the response_url when it is ready."""
    services: Services = context["services"]
    work = services.executor.submit(services.run, command.get("text", ""),
                                    team_id=command.get("team_id", ""), user_id=command.get("user_id", ""),
                                    channel_id=command.get("channel_id", ""),
                                    cause=command.get("trigger_id", ""),
                                    request_key=f"command:{command.get('trigger_id', '')}"
                                    if command.get("trigger_id") else "")
    try:
        reply = work.result(timeout=ACK_BUDGET_SECONDS)
    except FutureTimeout:
        ack()

        def answer_later(done: Future) -> None:
            try:
                _answer(done.result(), services=services, command=command, send=respond, acked=True,
                        respond=respond, client=client)
            except Exception:  # noqa: BLE001 - no request is left to fail; say it in the log
                log.exception("a slow /project command failed after its acknowledgement")

        work.add_done_callback(answer_later)
        return
    _answer(reply, services=services, command=command, send=ack, acked=False, respond=respond,
            client=client)


def _answer(reply: Reply, *, services: Services, command: dict, send: Callable[..., None], acked: bool,
            respond: Respond, client: WebClient) -> None:
    """Show `reply`: a modal it asks for, else a message through `send` (the
    acknowledgement, or the response_url once acknowledged); charts follow."""
    team_id, channel_id = command.get("team_id", ""), command.get("channel_id", "")
    trigger_id = command.get("trigger_id", "")
    if reply.open_modal in OPENERS:
        if not acked:
            send()  # the answer leaves when the listener returns: the modal opens after it
            services.followups.submit(_open_for_command, reply, services=services, command=command,
                                      respond=respond, client=client)
        else:
            _open_for_command(reply, services=services, command=command, respond=respond, client=client)
    else:
        response_type = "ephemeral" if reply.ephemeral or reply.error else "in_channel"
        send(response_type=response_type, **render_message(reply, source=command.get("text", "")))
    if reply.image_path and not reply.error:
        _upload(services, reply, team_id=team_id, channel_id=channel_id, trigger_id=trigger_id)


def _open_for_command(reply: Reply, *, services: Services, command: dict, respond: Respond,
                      client: WebClient) -> None:
    """Open the modal `reply` asks for; when it cannot open (too late, Slack
    busy, a Web API error) the reply's own typed alternative goes to the asker."""
    opening = Opening(team_id=command.get("team_id", ""), user_id=command.get("user_id", ""),
                      channel_id=command.get("channel_id", ""), context=reply.modal_context)
    why: list[str] = []
    try:
        if open_modal(client, services, reply.open_modal or "", trigger_id=command.get("trigger_id", ""),
                      opening=opening, tell=why.append):
            return
    except SlackApiError as exc:
        log.warning("could not open the %s modal: %s", reply.open_modal, exc.response.get("error", ""))
    except Exception:  # noqa: BLE001 - answered already; say it in the log, then offer the typed way
        log.exception("opening the %s modal failed", reply.open_modal)
    instead = replace(reply, sections=[Section(text=f":warning: {why[0]}"), *reply.sections]) if why else reply
    respond(response_type="ephemeral", **render_message(instead))


def _upload(services: Services, reply: Reply, *, team_id: str, channel_id: str, trigger_id: str) -> None:
    """A chart goes to the channel through the outbox."""
    with services.session() as session:
        enqueue(session=session, team_id=team_id, key=f"upload:{trigger_id}", kind=Kind.UPLOAD,
                channel_id=channel_id, extra={"file_path": reply.image_path, "title": reply.title or "chart"},
                now=services.clock())
        session.commit()
    services.kick()
