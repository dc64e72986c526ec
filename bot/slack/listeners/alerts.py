"""Alert buttons and the risk modals.

Alert messages carry Acknowledge, Snooze 1 day / 1 week, Assign owner and
Make it a risk; each click runs the same `/project alerts ...` command a shell
user would type, answers the clicker privately, and the channel message is
re-rendered in place through the outbox (`chat.update`). Assign owner and
"Add risk" open modals (`bot.slack.modals.alerts`, `.risks`); "Make it a risk" on a standup blocker files the
blocker once. Every write is idempotent, so double clicks change nothing more.
"""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from sqlmodel import Session

from bot.domain import alert_actions
from bot.domain import alerts as alert_service
from bot.domain import projects as project_service
from bot.domain import risks as risk_service
from bot.domain.errors import DomainError
from bot.domain.format import mention, truncate
from bot.domain.replies import Intent, Reply
from bot.slack.ids import BlockId, ViewId
from bot.slack.listeners.actions import Click, clicker, on_intent, tell
from bot.slack.listeners.submissions import Write, submit_view
from bot.slack.manifest import interactive
from bot.slack.modals.inputs import FieldErrors, Submitted
from bot.slack.modals.openers import Opening, open_modal
from bot.slack.services import Services


def register(app: App) -> None:
    interactive(app)
    on_intent(app, Intent.ALERT_ACK)(handle_acknowledge)
    on_intent(app, Intent.ALERT_SNOOZE_DAY)(handle_snooze_day)
    on_intent(app, Intent.ALERT_SNOOZE_WEEK)(handle_snooze_week)
    on_intent(app, Intent.ALERT_TO_RISK)(handle_to_risk)
    on_intent(app, Intent.ALERT_ASSIGN)(handle_assign)
    on_intent(app, Intent.ADD_RISK)(handle_add_risk)
    on_intent(app, Intent.BLOCKER_TO_RISK)(handle_blocker_to_risk)
    app.view(str(ViewId.ADD_RISK))(handle_add_risk_submission)
    app.view(str(ViewId.ALERT_ASSIGN))(handle_assign_submission)


# --- one-click actions ---------------------------------------------------------------


def _command(ack: Ack, body: dict, respond: Respond, context: BoltContext, text: str) -> None:
    """Run `/project <text>` for the clicker; answer privately; deliver the edit."""
    ack()
    click = Click(body)
    services: Services = context["services"]
    reply = services.run(text, team_id=click.team_id, user_id=click.user_id, channel_id=click.channel_id,
                         cause=f"{click.origin}:{click.action.get('action_ts', '')}")
    tell(respond, reply)
    services.kick()


def handle_acknowledge(ack: Ack, body: dict, respond: Respond, context: BoltContext) -> None:
    _command(ack, body, respond, context, f"alerts ack A{Click(body).value}")


def handle_snooze_day(ack: Ack, body: dict, respond: Respond, context: BoltContext) -> None:
    _command(ack, body, respond, context, f"alerts snooze A{Click(body).value} day")


def handle_snooze_week(ack: Ack, body: dict, respond: Respond, context: BoltContext) -> None:
    _command(ack, body, respond, context, f"alerts snooze A{Click(body).value} week")


def handle_to_risk(ack: Ack, body: dict, respond: Respond, context: BoltContext) -> None:
    _command(ack, body, respond, context, f"alerts risk A{Click(body).value}")


def handle_blocker_to_risk(ack: Ack, body: dict, respond: Respond, context: BoltContext) -> None:
    """File a standup blocker (button value `run id:user id`) as a risk, once."""
    ack()
    click = Click(body)
    services: Services = context["services"]
    run_id, _, user_id = click.value.partition(":")
    with services.session() as session:
        try:
            project, risk, created = risk_service.add_blocker_risk(
                session=session, team_id=click.team_id, run_id=int(run_id) if run_id.isdigit() else 0,
                user_id=user_id, actor=click.user_id, now=services.clock())
            alert_service.after_change(session=session, project=project, now=services.clock(), what="risk")
            session.commit()
            verb = "Added" if created else "Already tracked as"
            reply = Reply.text(f"{verb} risk R{risk.number} *{truncate(risk.title, 120)}* "
                               f"(owner {mention(user_id)}).")
        except DomainError as exc:
            session.rollback()
            reply = Reply.fail(str(exc))
    tell(respond, reply)
    services.kick()


# --- Assign owner -----------------------------------------------------------------------


def handle_assign(ack: Ack, body: dict, client: WebClient, respond: Respond, context: BoltContext) -> None:
    ack()
    _open(ViewId.ALERT_ASSIGN, {"alert": Click(body).value}, body, client, respond, context)


def _open(modal: ViewId, subject: dict, body: dict, client: WebClient, respond: Respond,
          context: BoltContext) -> None:
    click = Click(body)
    open_modal(client, context["services"], modal, trigger_id=click.trigger_id,
               opening=Opening(team_id=click.team_id, user_id=click.user_id, channel_id=click.channel_id,
                               context=subject),
               tell=clicker(click, client, respond, context))


def handle_assign_submission(ack: Ack, body: dict, context: BoltContext) -> None:
    submit_view(ack, body, context, _write_assign(context["services"]), error_block=str(BlockId.ALERT_ASSIGNEE))


def _write_assign(services: Services) -> Write:
    def write(session: Session, values: Submitted, who: dict) -> None:
        assignee = values.user(BlockId.ALERT_ASSIGNEE)
        if not assignee:
            raise FieldErrors({str(BlockId.ALERT_ASSIGNEE): "Pick a person."})
        alert, project = alert_service.get_alert(session=session, team_id=who["team_id"],
                                                 alert_id=int(values.metadata.get("alert", 0)))
        alert_actions.assign(session=session, project=project, alert=alert, actor=who["user_id"],
                             assignee=assignee, now=services.clock())
        return None  # the alert message and the assignee's DM say it

    return write


# --- Add risk ----------------------------------------------------------------------------


def handle_add_risk(ack: Ack, body: dict, client: WebClient, respond: Respond, context: BoltContext) -> None:
    ack()
    _open(ViewId.ADD_RISK, {"project": Click(body).value}, body, client, respond, context)


def handle_add_risk_submission(ack: Ack, body: dict, context: BoltContext) -> None:
    submit_view(ack, body, context, _write_risk(context["services"]), error_block=str(BlockId.RISK_TITLE))


def _write_risk(services: Services) -> Write:
    def write(session: Session, values: Submitted, who: dict) -> Reply:
        title = values.text(BlockId.RISK_TITLE)
        if not title:
            raise FieldErrors({str(BlockId.RISK_TITLE): "Say what might go wrong."})
        project = project_service.get_project(session=session, team_id=who["team_id"],
                                              key=values.metadata.get("project", ""))
        risk = risk_service.add_risk(
            session=session, project=project, actor=who["user_id"], title=title,
            likelihood=int(values.option(BlockId.LIKELIHOOD) or 3),
            impact=int(values.option(BlockId.IMPACT) or 3),
            owner=values.user(BlockId.RISK_OWNER),
            mitigation=values.text(BlockId.MITIGATION),
            review_date=values.date(BlockId.REVIEW),
            response=values.option(BlockId.RESPONSE) or "mitigate",
            now=services.clock())
        alert_service.after_change(session=session, project=project, now=services.clock(), what="risk")
        value = risk_service.risk_score(risk)
        who["channel"] = project.channel_id or ""  # when the modal was opened outside a channel
        note = Reply.text(f"{mention(who['user_id'])} added risk R{risk.number} *{risk.title}* to "
                          f"{project.name}: score {value} ({risk_service.band(value)}), owner "
                          f"{mention(risk.owner_user_id)}.")
        note.ephemeral = False
        return note

    return write
