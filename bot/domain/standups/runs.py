"""One run's life: opened (who is asked, who is away), prompts and reminders
sent when due, closed with its summary.

A run is one row per (standup, date). Opening it lists who is asked and who
is away; prompts, reminders and the summary are outbox messages with keys
like `standup:{run_id}:prompt:{user}`, so a job that runs twice or a worker
that restarts half-way never sends anything twice and never skips anyone:
`advance_run` just sends whatever is due and not yet sent. Someone asked by
several standups at the same moment gets one DM for all of them
(`bot.domain.standups.digest`).

Lifecycle: `pending` (created early by an answer ahead of time) -> `open`
(prompts go out at each participant's `prompt_at`) -> `closed` (summary
posted; later answers are `late` and go to the summary's thread).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from bot.domain import calendar
from bot.domain.access import Action, require
from bot.domain.errors import NotFound
from bot.domain.standups.digest import Asked, queue_prompt, queue_reminder
from bot.domain.standups.messages import post_summary
from bot.domain.standups.queries import (
    answered_ids,
    participants_for,
    run_participants,
    user_timezones,
)
from bot.domain.standups.schedule import config_timezone, local_to_utc, remind_at, standup_calendar
from bot.domain.standups.settings import get_config, require_config
from bot.models import Project, ProjectState, StandupConfig, StandupParticipant, StandupRun


@dataclass
class StartResult:
    """What `start_run` did: the run (None when skipped) and why."""

    run: StandupRun | None
    created: bool = False
    reason: str = ""
    prompted: list[str] = field(default_factory=list)


def get_or_create_run(*, session: Session, config: StandupConfig, run_date: date,
                      now: datetime) -> tuple[StandupRun, bool]:
    """The run of `config` on `run_date`, created `pending` if there is none
    (a concurrent creation finds the same row); (run, created)."""
    run = session.exec(select(StandupRun).where(StandupRun.standup_id == config.id,
                                                StandupRun.run_date == run_date)).first()
    if run is not None:
        return run, False
    created = insert_ignore(session, StandupRun, {
        "team_id": config.team_id, "standup_id": config.id, "project_id": config.project_id,
        "run_date": run_date, "scheduled_at": now, "closes_at": now, "state": "pending"})
    run = session.exec(select(StandupRun).where(StandupRun.standup_id == config.id,
                                                StandupRun.run_date == run_date)).one()
    return run, created


def insert_ignore(session: Session, model: type, values: dict) -> bool:
    """INSERT unless the row's unique key exists (another worker or a double
    submission got there first); True if inserted. One statement, no savepoint."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    table = model.__table__
    statement = insert(table).values(**values).on_conflict_do_nothing().returning(table.c.id)
    return session.execute(statement).first() is not None


def start_run(*, session: Session, config: StandupConfig, now: datetime, run_date: date | None = None,
              manual: bool = False, until: datetime | None = None) -> StartResult:
    """Open the run for `run_date` (default: today in the standup's zone) and
    queue the prompts due by `until` (default `now`; a later moment queues them
    ahead, each held until its time). Idempotent: a second call finds the run.
    Scheduled calls skip paused standups, non-standup days, holidays and
    company days off; `manual` (`standup now`) runs regardless."""
    project = session.get(Project, config.project_id)
    if project is None or project.state not in (ProjectState.ACTIVE, ProjectState.ON_HOLD):
        return StartResult(None, reason="the project is closed")
    tz = config_timezone(config, project)
    run_date = run_date or now.astimezone(ZoneInfo(tz)).date()
    if not manual:
        if config.paused:
            return StartResult(None, reason="paused")
        why = standup_calendar(session=session, config=config, start=run_date,
                               end=run_date).why_not_working(run_date)
        if why:
            return StartResult(None, reason=why)
    run, created = get_or_create_run(session=session, config=config, run_date=run_date, now=now)
    if run.state == "pending":
        _open(session=session, config=config, project=project, run=run, now=now, manual=manual)
    prompted = advance_run(session=session, run=run, now=now, until=until)
    return StartResult(run, created=created, prompted=prompted.prompted)


def join_open_run(*, session: Session, project: Project, user_id: str, now: datetime) -> StandupRun | None:
    """Someone who joins the project while today's standup is open is asked
    too, from now (unless away, or in a role a standup does not ask); the run
    they were added to, if their prompt was queued."""
    config = get_config(session=session, project=project)
    if config is None or user_id not in participants_for(session=session, project=project):
        return None
    run = session.exec(select(StandupRun).where(StandupRun.standup_id == config.id, StandupRun.state == "open",
                                                StandupRun.closes_at > now)
                       .order_by(StandupRun.run_date.desc())).first()
    if run is None or session.exec(select(StandupParticipant.id).where(
            StandupParticipant.run_id == run.id, StandupParticipant.user_id == user_id)).first():
        return None
    away = user_id in calendar.away_users(session=session, team_id=project.team_id, project_id=project.id,
                                          day=run.run_date)
    session.add(StandupParticipant(team_id=run.team_id, run_id=run.id, user_id=user_id,
                                   status="away" if away else "asked", prompt_at=now))
    session.flush()
    return run if user_id in advance_run(session=session, run=run, now=now).prompted else None


def start_now(*, session: Session, project: Project, actor: str, now: datetime) -> StartResult:
    """`standup now`: open today's run immediately (owner/manager)."""
    require(session=session, project=project, user_id=actor, action=Action.MANAGE,
            what="start a standup")
    config = require_config(session=session, project=project)
    return start_run(session=session, config=config, now=now, manual=True)


def _open(*, session: Session, config: StandupConfig, project: Project, run: StandupRun,
          now: datetime, manual: bool) -> None:
    tz = config_timezone(config, project)
    people = participants_for(session=session, project=project)
    away = calendar.away_users(session=session, team_id=project.team_id, project_id=project.id,
                               day=run.run_date)
    zones = user_timezones(session=session, team_id=project.team_id, user_ids=people) \
        if config.per_member_timezone else {}
    window = timedelta(minutes=config.close_after_minutes)
    prompt_times: dict[str, datetime] = {}
    for user_id in people:
        at = now if manual else local_to_utc(run.run_date, config.time_local, zones.get(user_id, tz))
        prompt_times[user_id] = at
    existing = {p.user_id: p for p in session.exec(
        select(StandupParticipant).where(StandupParticipant.run_id == run.id))}
    for user_id, at in prompt_times.items():
        part = existing.get(user_id) or StandupParticipant(team_id=run.team_id, run_id=run.id,
                                                           user_id=user_id)
        part.status = "away" if user_id in away else "asked"
        part.prompt_at = at
        session.add(part)
    first = min(prompt_times.values(), default=now)
    last = max(prompt_times.values(), default=now)
    run.scheduled_at = first
    run.closes_at = max(last + window, now + window / 4)
    run.channel_id = config.channel_id or project.channel_id
    run.state = "open"
    session.add(run)
    session.flush()


@dataclass
class Progress:
    prompted: list[str] = field(default_factory=list)
    reminded: list[str] = field(default_factory=list)
    closed: bool = False


def advance_run(*, session: Session, run: StandupRun, now: datetime, until: datetime | None = None) -> Progress:
    """Send what is due for an open run: prompts (those due by `until`, default
    `now`, each held until its time), reminders, and the summary at close.
    Safe to call any number of times."""
    progress = Progress()
    if run.state != "open":
        return progress
    config = session.get(StandupConfig, run.standup_id)
    project = session.get(Project, run.project_id)
    assert config is not None and project is not None
    answered = answered_ids(session=session, run=run)
    parts = run_participants(session=session, run=run)
    zones = user_timezones(session=session, team_id=run.team_id, user_ids=[p.user_id for p in parts]) \
        if config.per_member_timezone else {}
    horizon = max(until or now, now)
    for part in parts:
        if part.status != "asked" or part.user_id in answered or part.prompt_at is None:
            continue
        tz = zones.get(part.user_id, config_timezone(config, project))
        if part.prompted_at is None and part.prompt_at <= horizon and now < run.closes_at:
            send_at = max(part.prompt_at, now)
            sent = queue_prompt(session=session, asked=Asked(run, config, project, tz), part=part,
                                send_at=send_at, now=now)
            part.prompted_at = send_at
            session.add(part)
            if sent:
                progress.prompted.append(part.user_id)
        elif (part.prompted_at is not None and part.reminded_at is None
              and now >= remind_at(prompt_at=part.prompt_at or run.scheduled_at, closes_at=run.closes_at,
                                  pct=config.reminder_at_pct)
              and now < run.closes_at):
            progress.reminded += queue_reminder(session=session, part=part, now=now)
            session.add(part)
    if now >= run.closes_at:
        close_run(session=session, run=run, now=now)
        progress.closed = True
    session.flush()
    return progress


def close_run(*, session: Session, run: StandupRun, now: datetime) -> StandupRun:
    """Close the run and post its summary (once)."""
    if run.state == "closed":
        return run
    run.state = "closed"
    run.closed_at = now
    session.add(run)
    session.flush()
    post_summary(session=session, run=run, now=now)
    return run


def close_now(*, session: Session, project: Project, actor: str, now: datetime) -> StandupRun:
    """Close today's open run early (owner/manager)."""
    require(session=session, project=project, user_id=actor, action=Action.MANAGE,
            what="close the standup")
    run = session.exec(select(StandupRun).where(StandupRun.project_id == project.id,
                                                StandupRun.state == "open")
                       .order_by(StandupRun.run_date.desc())).first()
    if run is None:
        raise NotFound(f"*{project.name}* has no open standup to close.")
    run.closes_at = now
    return close_run(session=session, run=run, now=now)
