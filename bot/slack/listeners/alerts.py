"""Alert buttons and the risk modals.

Alert messages carry Acknowledge, Snooze 1 day / 1 week, Assign owner and
Make it a risk; each click runs the same `/project alerts ...` command a shell
user would type, answers the clicker privately, and the channel message is
re-rendered in place through the outbox (`chat.update`). Assign owner and
"Add risk" open modals; "Make it a risk" on a standup blocker files the
blocker once. Every write is idempotent, so double clicks change nothing more.
"""

from __future__ import annotations

import json
from enum import StrEnum

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.models.blocks import (
    DatePickerElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    StaticSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View
from sqlmodel import Session

from bot.domain import alerts as alert_service
from bot.domain import projects as project_service
from bot.domain import risks as risk_service
from bot.domain.errors import DomainError
from bot.domain.format import mention, truncate
from bot.domain.replies import Intent, Reply
from bot.slack.ids import INPUT_ACTION
from bot.slack.listeners.actions import Click, on_intent, tell
from bot.slack.listeners.submissions import Write, submit_view
from bot.slack.manifest import interactive
from bot.slack.modals import OPENERS, FieldErrors, Submitted
from bot.slack.services import Services


class AlertView(StrEnum):
    """Modal callback ids of this module."""

    ADD_RISK = "add_risk"
    ASSIGN = "alert_assign"


class AlertBlock(StrEnum):
    """Input block ids of this module's modals."""

    TITLE = "risk_title"
    LIKELIHOOD = "risk_likelihood"
    IMPACT = "risk_impact"
    OWNER = "risk_owner"
    MITIGATION = "risk_mitigation"
    REVIEW = "risk_review"
    RESPONSE = "risk_response"
    ASSIGNEE = "alert_assignee"


SCALE = {1: "rare / minor", 2: "unlikely / small", 3: "possible / moderate", 4: "likely / major",
         5: "almost certain / severe"}


def register(app: App) -> None:
    interactive(app)
    on_intent(app, Intent.ALERT_ACK)(handle_acknowledge)
    on_intent(app, Intent.ALERT_SNOOZE_DAY)(handle_snooze_day)
    on_intent(app, Intent.ALERT_SNOOZE_WEEK)(handle_snooze_week)
    on_intent(app, Intent.ALERT_TO_RISK)(handle_to_risk)
    on_intent(app, Intent.ALERT_ASSIGN)(handle_assign)
    on_intent(app, Intent.ADD_RISK)(handle_add_risk)
    on_intent(app, Intent.BLOCKER_TO_RISK)(handle_blocker_to_risk)
    app.view(str(AlertView.ADD_RISK))(handle_add_risk_submission)
    app.view(str(AlertView.ASSIGN))(handle_assign_submission)
    OPENERS[str(AlertView.ADD_RISK)] = _open_add_risk


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


def render_assign_modal(*, alert_id: int, reason: str, channel_id: str) -> View:
    from slack_sdk.models.blocks import SectionBlock

    return View(
        type="modal", callback_id=str(AlertView.ASSIGN), title=PlainTextObject(text="Assign owner"),
        submit=PlainTextObject(text="Assign"), close=PlainTextObject(text="Cancel"),
        private_metadata=json.dumps({"alert": alert_id, "channel": channel_id}),
        blocks=[SectionBlock(text=truncate(reason.replace("*", ""), 2900)),
                InputBlock(block_id=str(AlertBlock.ASSIGNEE), label=PlainTextObject(text="Who follows it up?"),
                           element=UserSelectElement(action_id=INPUT_ACTION))])


def handle_assign(ack: Ack, body: dict, client: WebClient, respond: Respond, context: BoltContext) -> None:
    ack()
    click = Click(body)
    services: Services = context["services"]
    with services.session() as session:
        try:
            alert, _ = alert_service.get_alert(session=session, team_id=click.team_id,
                                               alert_id=int(click.value or 0))
        except DomainError as exc:
            tell(respond, Reply.fail(str(exc)))
            return
        view = render_assign_modal(alert_id=alert.id, reason=alert.reason, channel_id=click.channel_id)
    client.views_open(trigger_id=click.trigger_id, view=view)


def handle_assign_submission(ack: Ack, body: dict, context: BoltContext) -> None:
    submit_view(ack, body, context, _write_assign(context["services"]), error_block=str(AlertBlock.ASSIGNEE))


def _write_assign(services: Services) -> Write:
    def write(session: Session, values: Submitted, who: dict) -> None:
        assignee = values.user(AlertBlock.ASSIGNEE)  # type: ignore[arg-type]
        if not assignee:
            raise FieldErrors({str(AlertBlock.ASSIGNEE): "Pick a person."})
        alert, project = alert_service.get_alert(session=session, team_id=who["team_id"],
                                                 alert_id=int(values.metadata.get("alert", 0)))
        alert_service.assign(session=session, project=project, alert=alert, actor=who["user_id"],
                             assignee=assignee, now=services.clock())
        return None  # the alert message and the assignee's DM say it

    return write


# --- Add risk ----------------------------------------------------------------------------


def _scale_select(block: AlertBlock, label: str) -> InputBlock:
    options = [Option(value=str(n), text=f"{n} · {text}") for n, text in SCALE.items()]
    return InputBlock(block_id=str(block), label=PlainTextObject(text=label),
                      element=StaticSelectElement(action_id=INPUT_ACTION, options=options,
                                                  initial_option=options[2]))


def render_add_risk_modal(*, project_key: str, project_name: str, channel_id: str = "") -> View:
    responses = [Option(value=str(r), text=str(r).capitalize()) for r in risk_service.Response]
    return View(
        type="modal", callback_id=str(AlertView.ADD_RISK), title=PlainTextObject(text="Add risk"),
        submit=PlainTextObject(text="Add"), close=PlainTextObject(text="Cancel"),
        private_metadata=json.dumps({"project": project_key, "channel": channel_id}),
        blocks=[
            InputBlock(block_id=str(AlertBlock.TITLE), label=PlainTextObject(text=f"Risk to {project_name}"[:150]),
                       element=PlainTextInputElement(action_id=INPUT_ACTION, max_length=risk_service.MAX_TITLE,
                                                     placeholder=PlainTextObject(text="Hosting vendor may slip"))),
            _scale_select(AlertBlock.LIKELIHOOD, "Likelihood"),
            _scale_select(AlertBlock.IMPACT, "Impact"),
            InputBlock(block_id=str(AlertBlock.OWNER), label=PlainTextObject(text="Owner"), optional=True,
                       element=UserSelectElement(action_id=INPUT_ACTION)),
            InputBlock(block_id=str(AlertBlock.MITIGATION), label=PlainTextObject(text="Mitigation"),
                       optional=True, element=PlainTextInputElement(action_id=INPUT_ACTION, multiline=True,
                                                                    max_length=risk_service.MAX_TEXT)),
            InputBlock(block_id=str(AlertBlock.REVIEW), label=PlainTextObject(text="Review by"), optional=True,
                       element=DatePickerElement(action_id=INPUT_ACTION)),
            InputBlock(block_id=str(AlertBlock.RESPONSE), label=PlainTextObject(text="Response"),
                       element=StaticSelectElement(action_id=INPUT_ACTION, options=responses,
                                                   initial_option=responses[1])),
        ])


def _open_add_risk(services: Services, *, team_id: str, channel_id: str, context: dict) -> View:
    with services.session() as session:
        project = project_service.get_project(session=session, team_id=team_id, key=context.get("project", ""))
        return render_add_risk_modal(project_key=project.key, project_name=project.name, channel_id=channel_id)


def handle_add_risk(ack: Ack, body: dict, client: WebClient, respond: Respond, context: BoltContext) -> None:
    ack()
    click = Click(body)
    try:
        view = _open_add_risk(context["services"], team_id=click.team_id, channel_id=click.channel_id,
                              context={"project": click.value})
    except DomainError as exc:
        tell(respond, Reply.fail(str(exc)))
        return
    client.views_open(trigger_id=click.trigger_id, view=view)


def handle_add_risk_submission(ack: Ack, body: dict, context: BoltContext) -> None:
    submit_view(ack, body, context, _write_risk(context["services"]), error_block=str(AlertBlock.TITLE))


def _write_risk(services: Services) -> Write:
    def write(session: Session, values: Submitted, who: dict) -> Reply:
        title = values.text(AlertBlock.TITLE)  # type: ignore[arg-type]
        if not title:
            raise FieldErrors({str(AlertBlock.TITLE): "Say what might go wrong."})
        project = project_service.get_project(session=session, team_id=who["team_id"],
                                              key=values.metadata.get("project", ""))
        risk = risk_service.add_risk(
            session=session, project=project, actor=who["user_id"], title=title,
            likelihood=int(values.option(AlertBlock.LIKELIHOOD) or 3),  # type: ignore[arg-type]
            impact=int(values.option(AlertBlock.IMPACT) or 3),  # type: ignore[arg-type]
            owner=values.user(AlertBlock.OWNER),  # type: ignore[arg-type]
            mitigation=values.text(AlertBlock.MITIGATION),  # type: ignore[arg-type]
            review_date=values.date(AlertBlock.REVIEW),  # type: ignore[arg-type]
            response=values.option(AlertBlock.RESPONSE) or "mitigate",  # type: ignore[arg-type]
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
