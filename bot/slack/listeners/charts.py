"""The Chart button: draw the burn-up and upload it where the button was.

On a message in the channel (a posted status or weekly report) the chart goes
into that message's thread; on the asker's own (ephemeral) status, which has
no thread, it goes into the channel. The upload is an outbox row
(`Kind.UPLOAD`, delivered with `files_upload_v2` by the notifier) keyed by the
clicked message, so a double click uploads once.
"""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext, Respond

from bot.domain.outbox import Kind, enqueue
from bot.domain.replies import Intent, Reply
from bot.slack.listeners.actions import Click, on_intent, tell
from bot.slack.services import Services


def register(app: App) -> None:
    on_intent(app, Intent.CHART)(handle_chart)


def handle_chart(ack: Ack, body: dict, respond: Respond, context: BoltContext) -> None:
    ack()
    click = Click(body)
    services: Services = context["services"]
    reply = services.run(f"chart {click.value} burnup", team_id=click.team_id, user_id=click.user_id,
                         channel_id=click.channel_id, cause=click.origin)
    if reply.error or not reply.image_path:
        tell(respond, reply)
        return
    in_thread = not click.container.get("is_ephemeral", True) and click.container.get("message_ts")
    extra = {"file_path": reply.image_path, "title": reply.title or "Burn-up"}
    if in_thread:
        extra["thread_ts"] = click.container["message_ts"]
    with services.session() as session:
        _, created = enqueue(session=session, team_id=click.team_id, kind=Kind.UPLOAD,
                             channel_id=click.channel_id, extra=extra,
                             key=f"chart:{click.team_id}:{click.value}:{click.channel_id}:{click.origin}",
                             now=services.clock())
        session.commit()
    services.kick()
    where = "in this thread" if in_thread else "in this channel"
    note = "Uploading the burn-up chart " + where + "." if created else "The chart is already on its way."
    tell(respond, Reply.text(note))
