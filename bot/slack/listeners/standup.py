"""Standups in Slack: the "Answer standup" button opens the modal, its
submission stores the answer; a DM asking for several standups has "Answer
standups", one modal with each project's questions; `/project standup`
opens the settings form.
(Each person's Slack time zone, for per-member times: `bot.slack.users`.)

Prompts, reminders and summaries are outbox messages from
`bot.domain.standups`; nothing here posts directly.
"""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from sqlmodel import Session

from bot.domain import calendar, standups
from bot.domain import projects as project_service
from bot.domain.errors import DomainError, Invalid
from bot.domain.idempotency import claim
from bot.domain.replies import Intent, Reply, Section
from bot.slack.ids import ViewId
from bot.slack.listeners.actions import Click, clicker, on_intent
from bot.slack.listeners.submissions import submit_view
from bot.slack.manifest import needs_scopes
from bot.slack.modals.inputs import FieldErrors, Submitted
from bot.slack.modals.openers import Opening, open_modal
from bot.slack.modals.standups import read_answer, read_answers, read_settings
from bot.slack.render import cut
from bot.slack.services import Services


def register(app: App) -> None:
    on_intent(app, Intent.ANSWER_STANDUP)(handle_answer_standup)
    on_intent(app, Intent.ANSWER_STANDUPS)(handle_answer_standups)
    app.view(str(ViewId.STANDUP_ANSWER))(handle_answer_submission)
    app.view(str(ViewId.STANDUP_ANSWERS))(handle_answers_submission)
    app.view(str(ViewId.STANDUP_SETTINGS))(handle_settings_submission)
    needs_scopes(app, "users:read")


# --- settings modal -----------------------------------------------------------------------


def write_settings(session: Session, values: Submitted, who: dict) -> Reply:
    """Check each field (errors shown on it), then save the standup settings."""
    fields = read_settings(values.values)
    errors: dict[str, str] = {}

    def check(name: str, read):
        try:
            return read()
        except (Invalid, ValueError) as exc:
            errors[name] = str(exc) if isinstance(exc, Invalid) else "Expected a whole number from 10 to 95."
            return None

    time_local = check("time", lambda: standups.parse_hhmm(fields["time"]))
    days = check("days", lambda: calendar.format_weekdays(calendar.parse_weekdays(fields["days"])))
    zone = check("timezone", lambda: project_service.validate_timezone(fields["timezone"]))
    check("holidays", lambda: calendar.parse_holidays(fields["holidays"]) if fields["holidays"] else None)
    close = check("close", lambda: standups.parse_hhmm(fields["close"]))
    remind = check("remind", lambda: int(fields["remind"].rstrip("%")))
    if errors:
        raise FieldErrors(errors)
    project = project_service.get_project(session=session, team_id=who["team_id"],
                                          key=values.metadata.get("project", ""))
    config, created = standups.configure(
        session=session, project=project, actor=who["user_id"], time_local=time_local, days=days,
        timezone=zone, channel_id=fields["channel"] or None, holidays=fields["holidays"] or "none",
        close_local=close, reminder_at_pct=remind, per_member_timezone=fields["zones"] == "member",
        answers_in_thread=fields["answers"] != "inline", now=who["now"])
    where = f"<#{config.channel_id or project.channel_id}>" if (config.channel_id or project.channel_id) else "DM"
    return Reply(title=f"{project.name}: standup {'scheduled' if created else 'updated'}", sections=[Section(
        text=f"{config.time_local} {config.days} ({standups.config_timezone(config, project)}), closes "
             f"{fields['close']}; summary in {where}.")], ephemeral=False)


def handle_settings_submission(ack: Ack, body: dict, context: BoltContext) -> None:
    submit_view(ack, body, context, write_settings, error_block="close")


def handle_answer_standup(ack: Ack, body: dict, client: WebClient, respond: Respond,
                          context: BoltContext) -> None:
    """Open the answer modal for the button's run (or the channel project's next one)."""
    ack()
    click = Click(body)
    open_modal(client, context["services"], ViewId.STANDUP_ANSWER, trigger_id=click.trigger_id,
               opening=Opening(team_id=click.team_id, user_id=click.user_id, channel_id=click.channel_id,
                               context={"run": click.value}),
               tell=clicker(click, client, respond, context))


def handle_answer_submission(ack: Ack, body: dict, context: BoltContext) -> None:
    """Store the answer once (a double submit changes nothing); errors show on the form."""
    services: Services = context["services"]
    view = body.get("view") or {}
    team_id = (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id", "")
    user_id = (body.get("user") or {}).get("id", "")
    metadata, answers, confidence = read_answer(view)
    with services.session() as session:
        found = standups.run_in_team(session=session, team_id=team_id, run_id=int(metadata.get("run") or 0))
        if found is None:
            ack(response_action="errors", errors={standups.FINISHED: "That standup no longer exists."})
            return
        run, project = found
        if not claim(session=session, team_id=team_id, key=f"view:{view.get('id', '')}:{view.get('hash', '')}",
                     now=services.clock()):
            ack()
            return
        try:
            standups.submit_answer(session=session, project=project, user_id=user_id, answers=answers,
                                   confidence=confidence, now=services.clock(), run_id=run.id)
            session.commit()
        except DomainError as exc:
            session.rollback()
            block = (standups.CONFIDENCE if "onfidence" in str(exc)
                     else standups.run_questions(session=session, run=run)[0]["id"])
            ack(response_action="errors", errors={block: cut(str(exc), 150)})
            return
    ack()
    services.kick()



# --- one DM, several standups -------------------------------------------------------------


def handle_answer_standups(ack: Ack, body: dict, client: WebClient, respond: Respond,
                           context: BoltContext) -> None:
    """A DM's "Answer standups": one modal with each project's questions."""
    ack()
    click = Click(body)
    open_modal(client, context["services"], ViewId.STANDUP_ANSWERS, trigger_id=click.trigger_id,
               opening=Opening(team_id=click.team_id, user_id=click.user_id, channel_id=click.channel_id,
                               context={"runs": click.value}),
               tell=clicker(click, client, respond, context))


def handle_answers_submission(ack: Ack, body: dict, context: BoltContext) -> None:
    """Store each project's answer on its own run, once (a double submit changes
    nothing); a project left empty is left for later. An error shows on the
    field of the project it is about, and nothing is stored."""
    services: Services = context["services"]
    view = body.get("view") or {}
    team_id = (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id", "")
    user_id = (body.get("user") or {}).get("id", "")
    runs, answers = read_answers(view)
    if not runs:
        ack()  # a modal with nothing to answer: nothing to store
        return
    with services.session() as session:
        if not answers:
            ack(response_action="errors", errors={_field(session, team_id, runs[0]):
                                                  "Answer at least one project; the others can wait."})
            return
        if not claim(session=session, team_id=team_id, key=f"view:{view.get('id', '')}:{view.get('hash', '')}",
                     now=services.clock()):
            ack()
            return
        for run_id in runs:
            if run_id not in answers:
                continue
            found = standups.run_in_team(session=session, team_id=team_id, run_id=run_id)
            if found is None:
                continue
            run, project = found
            text, confidence = answers[run_id]
            try:
                standups.submit_answer(session=session, project=project, user_id=user_id, answers=text,
                                       confidence=confidence, now=services.clock(), run_id=run.id)
            except DomainError as exc:
                session.rollback()
                block = (f"r{run_id}.{standups.CONFIDENCE}" if "onfidence" in str(exc)
                         else _field(session, team_id, run_id))
                ack(response_action="errors", errors={block: cut(str(exc), 150)})
                return
        session.commit()
    ack()
    services.kick()


def _field(session, team_id: str, run_id: int) -> str:
    """The block id of a run's first question in the "Answer standups" modal."""
    found = standups.run_in_team(session=session, team_id=team_id, run_id=run_id)
    first = standups.run_questions(session=session, run=found[0])[0]["id"] if found else standups.FINISHED
    return f"r{run_id}.{first}"
