"""Standups in Slack: the "Answer standup" button opens the modal, its
submission stores the answer; and `refresh_user_zones` keeps each person's
Slack timezone (users.info) cached for per-member standup times.

Prompts, reminders and summaries are outbox messages from
`bot.domain.standups`; nothing here posts directly.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.views import View
from sqlmodel import Session, select

from bot.domain import calendar, members, standups
from bot.domain import projects as project_service
from bot.domain.errors import DomainError, Invalid, NotFound
from bot.domain.format import day
from bot.domain.idempotency import claim
from bot.domain.replies import Intent, Reply, Section
from bot.models import Project, StandupConfig, StandupRun, User
from bot.slack.listeners.actions import Click, on_intent, tell
from bot.slack.listeners.views import submit_view
from bot.slack.manifest import needs_scopes
from bot.slack.modals import OPENERS, FieldErrors, Submitted
from bot.slack.render import cut
from bot.slack.services import Services
from bot.slack.standup_views import (
    ANSWER_VIEW,
    SETTINGS_VIEW,
    read_answer,
    read_settings,
    render_answer_modal,
    render_settings_modal,
)

log = logging.getLogger(__name__)
ZONE_MAX_AGE = timedelta(hours=20)


def register(app: App) -> None:
    on_intent(app, Intent.ANSWER_STANDUP)(handle_answer_standup)
    app.view(ANSWER_VIEW)(handle_answer_submission)
    app.view(SETTINGS_VIEW)(handle_settings_submission)
    OPENERS[SETTINGS_VIEW] = open_settings
    needs_scopes(app, "users:read")


# --- settings modal -----------------------------------------------------------------------


def open_settings(services: Services, *, team_id: str, channel_id: str, context: dict) -> View:
    """`/project standup` in Slack: the settings as a form (current values or defaults)."""
    with services.session() as session:
        project = project_service.get_project(session=session, team_id=team_id, key=context.get("project", ""))
        config = standups.get_config(session=session, project=project) or StandupConfig(
            team_id=team_id, project_id=project.id)
        start = datetime.strptime(config.time_local, "%H:%M")
        close = (start + timedelta(minutes=config.close_after_minutes)).strftime("%H:%M")
        holidays = config.holidays_country + (f"-{config.holidays_subdiv}" if config.holidays_subdiv else "")
        return render_settings_modal(
            project_key=project.key, project_name=project.name, timezone=project.timezone,
            channel_id=config.channel_id or project.channel_id or channel_id or None,
            config={"time": config.time_local, "days": calendar.format_weekdays(standups.weekdays_of(config)),
                    "timezone": config.timezone, "holidays": holidays, "close": close,
                    "remind": config.reminder_at_pct, "per_member": config.per_member_timezone,
                    "thread": config.answers_in_thread})


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
        answers_in_thread=fields["answers"] != "inline")
    where = f"<#{config.channel_id or project.channel_id}>" if (config.channel_id or project.channel_id) else "DM"
    return Reply(title=f"{project.name}: standup {'scheduled' if created else 'updated'}", sections=[Section(
        text=f"{config.time_local} {config.days} ({standups.config_timezone(config, project)}), closes "
             f"{fields['close']}; summary in {where}.")], ephemeral=False)


def handle_settings_submission(ack: Ack, body: dict, context: BoltContext) -> None:
    submit_view(ack, body, context, write_settings, error_block="close")


def _project_for(session: Session, click: Click, run: StandupRun | None) -> Project:
    if run is not None:
        project = session.get(Project, run.project_id)
        if project is not None and project.team_id == click.team_id:
            return project
        raise NotFound("That standup no longer exists.")
    project = project_service.project_for_channel(session=session, team_id=click.team_id,
                                                  channel_id=click.channel_id)
    if project is None:
        raise NotFound("Which project? Use the button in your standup DM, or "
                       "`/project standup answer PROJECT ...`.")
    return project


def handle_answer_standup(ack: Ack, body: dict, client: WebClient, respond: Respond,
                          context: BoltContext) -> None:
    """Open the answer modal for the button's run (or the channel project's next one)."""
    ack()
    click = Click(body)
    services: Services = context["services"]
    with services.session() as session:
        try:
            run = session.get(StandupRun, int(click.value)) if click.value.isdigit() else None
            project = _project_for(session, click, run)
            form = standups.answer_form(session=session, project=project, user_id=click.user_id,
                                        now=services.clock(), run_id=run.id if run else None)
            if form.editing and form.run.state == "closed":
                raise Invalid(f"The standup of {day(form.run.run_date, year=False)} has closed; "
                              "your answer is in its summary.")
            view = render_answer_modal(form, channel_id=click.channel_id)
            session.commit()  # an early answer's run is created here
        except DomainError as exc:
            session.rollback()
            tell(respond, Reply.fail(str(exc)))
            return
    client.views_open(trigger_id=click.trigger_id, view=view)


def handle_answer_submission(ack: Ack, body: dict, context: BoltContext) -> None:
    """Store the answer once (a double submit changes nothing); errors show on the form."""
    services: Services = context["services"]
    view = body.get("view") or {}
    team_id = (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id", "")
    user_id = (body.get("user") or {}).get("id", "")
    metadata, answers, confidence = read_answer(view)
    with services.session() as session:
        run = session.get(StandupRun, int(metadata.get("run") or 0))
        project = session.get(Project, run.project_id) if run else None
        if run is None or project is None or project.team_id != team_id:
            ack(response_action="errors", errors={standups.FINISHED: "That standup no longer exists."})
            return
        if not claim(session=session, team_id=team_id, key=f"view:{view.get('id', '')}:{view.get('hash', '')}"):
            ack()
            return
        try:
            standups.submit_answer(session=session, project=project, user_id=user_id, answers=answers,
                                   confidence=confidence, now=services.clock(), run_id=run.id)
            session.commit()
        except DomainError as exc:
            session.rollback()
            block = standups.CONFIDENCE if "onfidence" in str(exc) else _first_block(session, run)
            ack(response_action="errors", errors={block: cut(str(exc), 150)})
            return
    ack()
    services.kick()


def _first_block(session: Session, run: StandupRun) -> str:
    config = session.get(StandupConfig, run.standup_id)
    return standups.questions_of(config)[0]["id"] if config else standups.FINISHED


def refresh_user_zones(*, session: Session, client: WebClient, team_id: str, now: datetime,
                       user_ids: list[str] | None = None) -> int:
    """Cache name and timezone from users.info for standup participants whose
    cache is older than ~a day (all of `user_ids` if given); returns how many."""
    if user_ids is None:
        user_ids = zone_users(session=session, team_id=team_id)
    fresh = {u.user_id for u in session.exec(select(User).where(
        User.team_id == team_id, User.user_id.in_(user_ids), User.refreshed_at.is_not(None),
        User.refreshed_at > now - ZONE_MAX_AGE))}
    refreshed = 0
    for user_id in [u for u in user_ids if u not in fresh]:
        try:
            info = client.users_info(user=user_id)["user"]
        except SlackApiError as exc:
            log.warning("users.info %s failed: %s", user_id, exc.response.get("error", ""))
            continue
        user = members.remember_user(session=session, team_id=team_id, user_id=user_id,
                                     name=info.get("name", ""), timezone=info.get("tz") or "")
        user.is_bot, user.deleted = bool(info.get("is_bot")), bool(info.get("deleted"))
        user.refreshed_at = now
        session.add(user)
        refreshed += 1
    session.flush()
    return refreshed


def zone_users(*, session: Session, team_id: str) -> list[str]:
    """People asked by standups that prompt each member at their own time."""
    people: list[str] = []
    for config in session.exec(select(StandupConfig).where(StandupConfig.team_id == team_id,
                                                           StandupConfig.per_member_timezone == True)):  # noqa: E712
        project = session.get(Project, config.project_id)
        if project is not None:
            people += [u for u in standups.participants_for(session=session, project=project)
                       if u not in people]
    return people
