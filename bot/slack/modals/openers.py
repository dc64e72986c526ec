"""Every modal the bot opens, in one table, and the one function that opens them.

A button, a shortcut or a command reply (`Reply.open_modal`) names a modal by
its `ViewId` and says what it was opened on (`Opening`: who, where, and the
project, alert or run it is about). The table's builder reads what the modal
shows and returns the view; `open_modal` builds it and calls `views.open`
with the click's trigger. A builder that cannot build (the project is gone,
the run has closed) raises a `DomainError`, which `open_modal` hands to the
caller's `tell` instead. Every modal-opening path goes through `open_modal`,
so how opening behaves (acknowledging first, a `views.open` that fails) is
decided here once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.views import View
from sqlmodel import Session

from bot.domain import alerts as alert_service
from bot.domain import calendar, standups
from bot.domain import changes as change_service
from bot.domain import members as member_service
from bot.domain import milestones as milestone_service
from bot.domain import projects as project_service
from bot.domain import tasks as task_service
from bot.domain.changes_messages import decided_phrase
from bot.domain.closing import retro as retro_service
from bot.domain.errors import DomainError, Invalid, NotFound
from bot.models import Project, StandupConfig
from bot.slack.acknowledge import SLACK_BUSY, TOO_LATE, TRIGGER_ERRORS
from bot.slack.ids import ViewId
from bot.slack.modals.alerts import render_assign_modal
from bot.slack.modals.changes import render_reject_modal
from bot.slack.modals.members import render_reassign_modal
from bot.slack.modals.milestones import render_add_milestone_modal
from bot.slack.modals.projects import (
    plain_amount,
    render_edit_project_modal,
    render_new_project_modal,
)
from bot.slack.modals.replies import render_reply_modal
from bot.slack.modals.retro import render_retro_modal
from bot.slack.modals.risks import render_add_risk_modal
from bot.slack.modals.standups import (
    render_answer_modal,
    render_answers_modal,
    render_settings_modal,
)
from bot.slack.modals.tasks import render_add_task_modal, render_edit_task_modal
from bot.slack.services import Services


@dataclass(frozen=True)
class Opening:
    """What a modal is opened on: who clicked, where, and its subject in
    `context` ({"project": key}, {"alert": id}, {"run": id}, {"title": text},
    {"reply": Reply}, {"project": key, "task": n}, {"project": key, "user": id}, {"runs": "12,15"})."""

    team_id: str
    user_id: str
    channel_id: str = ""
    context: dict = field(default_factory=dict)


log = logging.getLogger(__name__)
Builder = Callable[[Services, Opening], View]


def _project(session: Session, opening: Opening) -> Project:
    """The project the opening names by key, else the channel's."""
    if "project" in opening.context:
        return project_service.get_project(session=session, team_id=opening.team_id,
                                           key=opening.context["project"])
    project = project_service.project_for_channel(session=session, team_id=opening.team_id,
                                                  channel_id=opening.channel_id)
    if project is None:
        raise NotFound("This channel has no project: `/project link PROJECT #channel` first.")
    return project


def new_project(services: Services, opening: Opening) -> View:
    return render_new_project_modal(channel_id=opening.channel_id)


def add_task(services: Services, opening: Opening) -> View:
    with services.session() as session:
        return render_add_task_modal(project=_project(session, opening), channel_id=opening.channel_id,
                                     title=opening.context.get("title", ""))


def add_milestone(services: Services, opening: Opening) -> View:
    with services.session() as session:
        return render_add_milestone_modal(project=_project(session, opening), channel_id=opening.channel_id)


def edit_task(services: Services, opening: Opening) -> View:
    """The Edit button of task `context["task"]`: its fields as they are now."""
    with services.session() as session:
        project = _project(session, opening)
        task = task_service.get_task(session=session, project=project, number=int(opening.context["task"]))
        return render_edit_task_modal(project=project, task=task, channel_id=opening.channel_id,
                                      milestones=milestone_service.list_milestones(session=session,
                                                                                   project=project))


def reassign(services: Services, opening: Opening) -> View:
    """Who takes the open tasks of `context["user"]`, who is leaving the project."""
    with services.session() as session:
        project = _project(session, opening)
        user_id = str(opening.context.get("user", ""))
        open_tasks = member_service.open_tasks_of(session=session, project=project, user_id=user_id)
        if not open_tasks:
            raise NotFound(f"<@{user_id}> has no open tasks on *{project.name}* any more: "
                           f"`/project member remove {project.key} <@{user_id}>`.")
        return render_reassign_modal(project=project, user_id=user_id, open_tasks=open_tasks,
                                     channel_id=opening.channel_id)


def edit_project(services: Services, opening: Opening) -> View:
    with services.session() as session:
        project = _project(session, opening)
        return render_edit_project_modal(project=project, budget_text=plain_amount(project),
                                         channel_id=opening.channel_id)


def add_risk(services: Services, opening: Opening) -> View:
    with services.session() as session:
        project = project_service.get_project(session=session, team_id=opening.team_id,
                                              key=opening.context.get("project", ""))
        return render_add_risk_modal(project_key=project.key, project_name=project.name,
                                     channel_id=opening.channel_id)


def assign_alert(services: Services, opening: Opening) -> View:
    with services.session() as session:
        alert, _ = alert_service.get_alert(session=session, team_id=opening.team_id,
                                           alert_id=int(opening.context.get("alert") or 0))
        return render_assign_modal(alert_id=alert.id, reason=alert.reason, channel_id=opening.channel_id)


def answer_standup(services: Services, opening: Opening) -> View:
    """The answer form of the button's run (or the channel project's next one)."""
    with services.session() as session:
        run = str(opening.context.get("run", ""))
        form = standups.answer_form_for(session=session, team_id=opening.team_id, user_id=opening.user_id,
                                        channel_id=opening.channel_id, now=services.clock(),
                                        run_id=int(run) if run.isdigit() else None)
        view = render_answer_modal(form, channel_id=opening.channel_id)
        session.commit()  # an early answer's run is created here
        return view


def answer_standups(services: Services, opening: Opening) -> View:
    """One modal for the standups of one DM (`context["runs"]`: their run ids, comma-separated)."""
    runs = [int(r) for r in str(opening.context.get("runs", "")).split(",") if r.strip().isdigit()]
    with services.session() as session:
        forms = standups.answer_forms(session=session, team_id=opening.team_id, user_id=opening.user_id,
                                      run_ids=runs, now=services.clock())
        return render_answers_modal(forms, channel_id=opening.channel_id)


def standup_settings(services: Services, opening: Opening) -> View:
    """`/project standup` in Slack: the settings as a form (current values or defaults)."""
    with services.session() as session:
        project = project_service.get_project(session=session, team_id=opening.team_id,
                                              key=opening.context.get("project", ""))
        config = standups.get_config(session=session, project=project) or StandupConfig(
            team_id=opening.team_id, project_id=project.id)
        holidays = config.holidays_country + (f"-{config.holidays_subdiv}" if config.holidays_subdiv else "")
        return render_settings_modal(
            project_key=project.key, project_name=project.name, timezone=project.timezone,
            channel_id=config.channel_id or project.channel_id or opening.channel_id or None,
            config={"time": config.time_local, "days": calendar.format_weekdays(standups.weekdays_of(config)),
                    "timezone": config.timezone, "holidays": holidays, "close": _close_time(config),
                    "remind": config.reminder_at_pct, "per_member": config.per_member_timezone,
                    "thread": config.answers_in_thread})


def retro(services: Services, opening: Opening) -> View:
    """A member's retrospective of the closed project `context["project"]`, with their earlier answers."""
    with services.session() as session:
        project = _project(session, opening)
        closure = retro_service.open_retro(session, project)
        return render_retro_modal(project=project, closure=closure,
                                  answer=retro_service.my_answer(session, closure, opening.user_id))


def reject_change(services: Services, opening: Opening) -> View:
    """Why CR `context["change"]` is rejected; a decided one is said instead (no modal)."""
    with services.session() as session:
        project = _project(session, opening)
        cr = change_service.get_change(session, project, int(opening.context.get("change") or 0))
        if cr.state != change_service.OPEN:
            raise Invalid(f"CR-{cr.number} was already {decided_phrase(cr, project)}; "
                                         "nothing changed.")
        change_service.check_decider(session, project, cr, opening.user_id, verb="reject")
        return render_reject_modal(project_key=project.key, number=cr.number, title=cr.title,
                                   channel_id=opening.channel_id)


def show_reply(services: Services, opening: Opening) -> View:
    """A reply (`context["reply"]`) where there is no message to put it in: the Home tab."""
    return render_reply_modal(opening.context["reply"])


def _close_time(config: StandupConfig) -> str:
    start = datetime.strptime(config.time_local, "%H:%M")
    return (start + timedelta(minutes=config.close_after_minutes)).strftime("%H:%M")


OPENERS: dict[ViewId, Builder] = {
    ViewId.NEW_PROJECT: new_project,
    ViewId.ADD_TASK: add_task,
    ViewId.ADD_MILESTONE: add_milestone,
    ViewId.EDIT_PROJECT: edit_project,
    ViewId.EDIT_TASK: edit_task,
    ViewId.REASSIGN: reassign,
    ViewId.ADD_RISK: add_risk,
    ViewId.ALERT_ASSIGN: assign_alert,
    ViewId.STANDUP_ANSWER: answer_standup,
    ViewId.STANDUP_ANSWERS: answer_standups,
    ViewId.STANDUP_SETTINGS: standup_settings,
    ViewId.RETRO: retro,
    ViewId.CHANGE_REJECT: reject_change,
    ViewId.REPLY: show_reply,
}


def open_modal(client: WebClient, services: Services, modal: ViewId | str, *, trigger_id: str,
               opening: Opening, tell: Callable[[str], object]) -> bool:
    """Build the modal `modal` for `opening` and open it with `trigger_id`;
    a builder's refusal goes to `tell` (the clicker) instead. True if opened.

    Callers run this after acknowledging (`bot.slack.acknowledge`). A trigger
    is valid 3 s and once, so `views.open` is not retried: a trigger Slack
    calls expired or used ("trigger_expired", ...) or a 429 is said to the
    clicker through `tell` ("That took too long, click again"); other Web API
    errors are raised."""
    try:
        view = OPENERS[ViewId(modal)](services, opening)
    except DomainError as exc:
        tell(str(exc))
        return False
    once = WebClient(token=client.token, base_url=client.base_url, timeout=client.timeout)  # no retry handlers
    try:
        once.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as exc:
        error = exc.response.get("error", "") if exc.response is not None else ""
        status = exc.response.status_code if exc.response is not None else 0
        if error in TRIGGER_ERRORS or status == 429 or error == "ratelimited":
            log.warning("the %s modal did not open: %s", modal, error or f"HTTP {status}")
            tell(TOO_LATE if error in TRIGGER_ERRORS else SLACK_BUSY)
            return False
        raise
    return True
