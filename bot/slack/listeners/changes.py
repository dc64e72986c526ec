"""Change request buttons: Approve, Reject (a modal asks why) and Discuss.

Approve and Discuss run the same `/project change ...` command a shell user
types, for the clicker, and answer them privately; the card in the channel
and the deciders' DMs are edited through the outbox once decided. A decision
is a compare-and-set, so a double click, or two deciders at once, decide once;
the later click is told who decided and when.
"""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from sqlmodel import Session

from bot.domain import changes as change_service
from bot.domain import projects as project_service
from bot.domain.changes_messages import after_decision, decided_phrase
from bot.domain.replies import Intent, Reply
from bot.slack.ids import BlockId, ViewId
from bot.slack.listeners.actions import Click, on_intent, tell
from bot.slack.listeners.submissions import Write, submit_view
from bot.slack.manifest import interactive
from bot.slack.modals.inputs import FieldErrors, Submitted
from bot.slack.modals.openers import Opening, open_modal
from bot.slack.services import Services


def register(app: App) -> None:
    interactive(app)
    on_intent(app, Intent.CHANGE_APPROVE)(handle_approve)
    on_intent(app, Intent.CHANGE_DISCUSS)(handle_discuss)
    on_intent(app, Intent.CHANGE_REJECT)(handle_reject)
    app.view(str(ViewId.CHANGE_REJECT))(handle_reject_submission)


def _ref(click: Click) -> tuple[str, str]:
    key, _, number = click.value.partition(":")
    return key, number if number.isdigit() else "0"


def _command(ack: Ack, body: dict, respond: Respond, context: BoltContext, verb: str) -> None:
    ack()
    click = Click(body)
    key, number = _ref(click)
    services: Services = context["services"]
    reply = services.run(f"change {verb} {key} CR-{number}", team_id=click.team_id, user_id=click.user_id,
                         channel_id=click.channel_id, cause=f"{click.origin}:{click.action.get('action_ts', '')}")
    reply.ephemeral = True
    tell(respond, reply)
    services.kick()


def handle_approve(ack: Ack, body: dict, respond: Respond, context: BoltContext) -> None:
    _command(ack, body, respond, context, "approve")


def handle_discuss(ack: Ack, body: dict, respond: Respond, context: BoltContext) -> None:
    _command(ack, body, respond, context, "discuss")


def handle_reject(ack: Ack, body: dict, client: WebClient, respond: Respond, context: BoltContext) -> None:
    ack()
    click = Click(body)
    key, number = _ref(click)
    open_modal(client, context["services"], ViewId.CHANGE_REJECT, trigger_id=click.trigger_id,
               opening=Opening(team_id=click.team_id, user_id=click.user_id, channel_id=click.channel_id,
                               context={"project": key, "change": number}),
               tell=lambda text: tell(respond, Reply.fail(text)))


def handle_reject_submission(ack: Ack, body: dict, context: BoltContext) -> None:
    submit_view(ack, body, context, _write_reject(context["services"]), error_block=str(BlockId.CHANGE_REASON))


def _write_reject(services: Services) -> Write:
    def write(session: Session, values: Submitted, who: dict) -> Reply | None:
        reason = values.text(BlockId.CHANGE_REASON)
        if not reason:
            raise FieldErrors({str(BlockId.CHANGE_REASON): "Say why, so the requester knows."})
        project = project_service.get_project(session=session, team_id=who["team_id"],
                                              key=values.metadata.get("project", ""))
        decision = change_service.reject(session, project, int(values.metadata.get("change") or 0),
                                         actor=who["user_id"], reason=reason, now=who["now"])
        cr = decision.change
        if decision.already:
            raise FieldErrors({str(BlockId.CHANGE_REASON): f"CR-{cr.number} was already "
                                                           f"{decided_phrase(cr, project)}; nothing changed."})
        after_decision(session, project, cr, now=who["now"])
        return None  # the card, edited in place, and the requester's DM say it

    return write
