"""The scheduler's path: which standups run, what is due now, and opening many
runs at once in a few statements.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert as sa_insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from bot.domain import calendar
from bot.domain.outbox import OUTBOX_QUEUED
from bot.domain.standups.digest import Asked, Prompt, prompt_key, queue_prompts
from bot.domain.standups.messages import prompt_reply
from bot.domain.standups.queries import participants_of
from bot.domain.standups.runs import StartResult, advance_run, start_run
from bot.domain.standups.schedule import config_timezone, local_to_utc, remind_at, weekdays_of
from bot.models import (
    DayOff,
    OutboxMessage,
    Project,
    ProjectState,
    StandupAnswer,
    StandupConfig,
    StandupParticipant,
    StandupRun,
    User,
)


@dataclass(frozen=True)
class Running:
    """A standup that runs: its time and days, its own zone, and every zone it
    prompts in (its members' too with member-time)."""

    config_id: int
    time_local: str
    days: str
    zone: str
    zones: tuple[str, ...]


def running_standups(*, session: Session) -> list[Running]:
    """Standups not paused, in active or on-hold projects, with their zones: a
    few statements however many standups there are (the scheduler's job list
    and the minute's catch-up both read it)."""
    rows = session.exec(select(StandupConfig.id, StandupConfig.time_local, StandupConfig.days,
                               StandupConfig.per_member_timezone, StandupConfig.timezone.label("zone"),
                               Project.timezone.label("project_zone"), Project.id.label("project_id"))
                        .join(Project, Project.id == StandupConfig.project_id)
                        .where(StandupConfig.paused == False,  # noqa: E712
                               Project.state.in_([ProjectState.ACTIVE, ProjectState.ON_HOLD]))).all()
    member_time = {r.project_id for r in rows if r.per_member_timezone}
    projects = list(session.exec(select(Project).where(Project.id.in_(member_time)))) if member_time else []
    people = participants_of(session=session, projects=projects)
    teams = {p.id: p.team_id for p in projects}
    known = {(team, user): tz for team, user, tz in session.exec(select(User.team_id, User.user_id, User.timezone).where(
        User.team_id.in_(set(teams.values())), User.user_id.in_({u for ids in people.values() for u in ids}),
        User.timezone != ""))} if projects else {}
    out = []
    for r in rows:  # plain rows: 10,000 standups in a fraction of a second
        tz = r.zone or r.project_zone or "UTC"  # as `config_timezone`
        zones = {tz}
        if r.per_member_timezone:
            zones |= {known[(teams[r.project_id], u)] for u in people[r.project_id]
                      if (teams[r.project_id], u) in known}
        out.append(Running(r.id, r.time_local, r.days, tz, tuple(sorted(zones))))
    return out


Due = tuple[int, str | None, datetime | None]


def start_runs(*, session: Session, due: list[Due], now: datetime) -> dict[int, StartResult]:
    """`start_run` for many standups at once (the scheduler's busy minute):
    (config id, zone whose clock names the run date or None for the standup's
    own, the moment the standup is for or None for `now`) -> the same result,
    in a few statements for all of them. A moment after `now` opens the run
    ahead: its prompts are queued, each held until its time. Standups that
    prompt each member at their own time, and runs already open, go through
    `start_run`/`advance_run` one by one."""
    rows = session.exec(select(StandupConfig, Project).join(Project, Project.id == StandupConfig.project_id)
                        .where(StandupConfig.id.in_({c for c, _, _ in due}))).all()
    found = {config.id: (config, project) for config, project in rows}
    results: dict[int, StartResult] = {}
    todo: dict[tuple[int, date], tuple[StandupConfig, Project]] = {}
    until: dict[tuple[int, date], datetime] = {}
    for config_id, zone, moment in due:
        if config_id not in found:
            continue
        config, project = found[config_id]
        tz = config_timezone(config, project)
        moment = max(moment or now, now)
        run_date = moment.astimezone(ZoneInfo(zone or tz)).date()
        until[(config_id, run_date)] = moment
        if config.per_member_timezone:
            results[config_id] = start_run(session=session, config=config, now=now, run_date=run_date,
                                           until=moment)
        elif project.state not in (ProjectState.ACTIVE, ProjectState.ON_HOLD):
            results[config_id] = StartResult(None, reason="the project is closed")
        elif config.paused:
            results[config_id] = StartResult(None, reason="paused")
        else:
            todo[(config_id, run_date)] = (config, project)
    if not todo:
        return results
    days = [d for _, d in todo]
    days_off = _project_days_off(session=session, projects={p.id for _, p in todo.values()},
                                 start=min(days), end=max(days))
    for (config_id, run_date), (config, project) in list(todo.items()):
        why = calendar.WorkCalendar(
            country=config.holidays_country, subdiv=config.holidays_subdiv, weekdays=weekdays_of(config),
            days_off=frozenset(days_off.get(project.id, set()))).why_not_working(run_date)
        if why:
            results[config_id] = StartResult(None, reason=why)
            del todo[(config_id, run_date)]
    if not todo:
        return results
    runs, created = _get_or_create_runs(session=session, keys=todo, now=now)
    pending = {key: run for key, run in runs.items() if run.state == "pending"}
    prompted = _open_many(session=session, runs=pending, configs=todo, now=now, until=until)
    for key, run in runs.items():
        if key not in pending:  # already open: whatever is due, as `start_run` would
            prompted[run.id] = advance_run(session=session, run=run, now=now, until=until[key]).prompted
        results[key[0]] = StartResult(run, created=run.id in created, prompted=prompted.get(run.id, []))
    return results


def _project_days_off(*, session: Session, projects: set[int], start: date, end: date) -> dict[int, set[date]]:
    """`calendar.company_days_off` of many projects in one query."""
    out: dict[int, set[date]] = {}
    for row in session.exec(select(DayOff).where(DayOff.project_id.in_(projects), DayOff.user_id.is_(None),
                                                 DayOff.start_date <= end, DayOff.end_date >= start)):
        out.setdefault(row.project_id, set()).update(calendar.expand([(row.start_date, row.end_date)]))
    return out


def _get_or_create_runs(*, session: Session, keys: dict[tuple[int, date], tuple[StandupConfig, Project]],
                        now: datetime) -> tuple[dict[tuple[int, date], StandupRun], set[int]]:
    """`get_or_create_run` of many (config id, date): one INSERT ... ON CONFLICT
    DO NOTHING for all, one SELECT; also the ids of the runs this call created."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    table = StandupRun.__table__
    values = [{"team_id": config.team_id, "standup_id": config.id, "project_id": config.project_id,
               "run_date": run_date, "scheduled_at": now, "closes_at": now, "state": "pending"}
              for (_, run_date), (config, _) in keys.items()]
    created = set(session.execute(insert(table).on_conflict_do_nothing().returning(table.c.id),
                                  values).scalars())  # executemany: the versions hook sees the projects
    rows = session.exec(select(StandupRun).where(StandupRun.standup_id.in_({c for c, _ in keys}),
                                                 StandupRun.run_date.in_({d for _, d in keys})))
    return {(r.standup_id, r.run_date): r for r in rows if (r.standup_id, r.run_date) in keys}, created


def _open_many(*, session: Session, runs: dict[tuple[int, date], StandupRun],
               configs: dict[tuple[int, date], tuple[StandupConfig, Project]],
               now: datetime, until: dict[tuple[int, date], datetime]) -> dict[int, list[str]]:
    """`_open` (scheduled, in the standup's own zone) then `advance_run` (with
    prompts due by `until[key]` queued) for many pending runs, with a few
    statements for all: run id -> users newly prompted."""
    if not runs:
        return {}
    projects = {configs[key][1].id: configs[key][1] for key in runs}
    asked = participants_of(session=session, projects=list(projects.values()))
    teams = {p.team_id for p in projects.values()}
    days = [d for _, d in runs]
    absences = session.exec(select(DayOff).where(DayOff.team_id.in_(teams), DayOff.user_id.is_not(None),
                                                 DayOff.start_date <= max(days),
                                                 DayOff.end_date >= min(days))).all()
    own_holidays = {(team, d): set(calendar.on_own_holiday(session=session, team_id=team, day=d))
                    for team in teams for d in set(days)}
    run_ids = {r.id for r in runs.values()}
    existing: dict[tuple[int, str], StandupParticipant] = {(p.run_id, p.user_id): p for p in session.exec(
        select(StandupParticipant).where(StandupParticipant.run_id.in_(run_ids)))}
    answered = set(session.exec(select(StandupAnswer.run_id, StandupAnswer.user_id).where(
        StandupAnswer.run_id.in_(run_ids))).all()) if existing else set()
    new_parts, prompts, parts = [], [], {}
    for key, run in runs.items():
        config, project = configs[key]
        tz = config_timezone(config, project)
        people = asked[project.id]
        away = {a.user_id for a in absences if a.team_id == project.team_id
                and a.project_id in (None, project.id) and a.start_date <= run.run_date <= a.end_date}
        away |= own_holidays[(project.team_id, run.run_date)]
        at = local_to_utc(run.run_date, config.time_local, tz) if people else now
        window = timedelta(minutes=config.close_after_minutes)
        run.scheduled_at, run.closes_at = at, max(at + window, now + window / 4)
        run.channel_id = config.channel_id or project.channel_id
        run.state = "open"
        session.add(run)
        reply = None
        for user_id in people:
            status = "away" if user_id in away else "asked"
            part = existing.get((run.id, user_id))
            due = (status == "asked" and (run.id, user_id) not in answered and at <= until[key]
                   and now < run.closes_at and (part is None or part.prompted_at is None))
            send_at = max(at, now)
            if part is None:
                part = {"team_id": run.team_id, "run_id": run.id, "user_id": user_id, "status": status,
                        "prompt_at": at, "prompted_at": send_at if due else None, "prompt_key": None}
                new_parts.append(part)
            else:
                part.status, part.prompt_at = status, at
                part.prompted_at = send_at if due else part.prompted_at
                session.add(part)
            parts[(run.id, user_id)] = part
            if due:
                reply = reply or prompt_reply(config=config, project=project, run=run, tz=tz)
                prompts.append(Prompt(Asked(run, config, project, tz), user_id, send_at, reply))
    queued: set[tuple[int, str]] = set()
    for team_id in {p.asked.run.team_id for p in prompts}:
        keys, messages, merged = queue_prompts(
            session=session, team_id=team_id, prompts=[p for p in prompts if p.asked.run.team_id == team_id],
            now=now)
        for (run_id, user_id), dm_key in keys.items():  # the DM that asks them, when not their own
            shared = None if dm_key == prompt_key(run_id, user_id) else dm_key
            part = parts[(run_id, user_id)]
            if isinstance(part, dict):
                part["prompt_key"] = shared
            else:
                part.prompt_key = shared
        new_keys = _enqueue_all(session=session, messages=messages)
        queued |= merged | {(r, u) for m in messages if m.idempotency_key in new_keys
                            for r, u in ((run_id, m.user_id) for run_id in m.payload["runs"])}
    if new_parts:
        session.execute(sa_insert(StandupParticipant.__table__), new_parts)
    session.flush()
    prompted: dict[int, list[str]] = {}
    for p in prompts:
        if (p.asked.run.id, p.user_id) in queued:
            prompted.setdefault(p.asked.run.id, []).append(p.user_id)
    return prompted


def _enqueue_all(*, session: Session, messages: list[OutboxMessage]) -> set[str]:
    """Queue outbox rows as `enqueue` would (a key already queued wins), in one
    INSERT ... ON CONFLICT DO NOTHING; the keys newly queued."""
    if not messages:
        return set()
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    table = OutboxMessage.__table__
    queued = set(session.execute(insert(table).on_conflict_do_nothing().returning(table.c.idempotency_key),
                                 [m.model_dump(exclude={"id"}) for m in messages]).scalars())
    if queued:
        session.info[OUTBOX_QUEUED] = True
    return queued


def due_run_ids(*, session: Session, now: datetime) -> list[int]:
    """Open runs with something due at `now` (a prompt, a reminder, the close),
    oldest first: the ones `advance_run` would act on (and a few it may find
    done, such as a prompt whose person already answered). One query for all."""
    rows = session.exec(
        select(StandupRun.id, StandupRun.closes_at, StandupConfig.reminder_at_pct, StandupParticipant.status,
               StandupParticipant.prompt_at, StandupParticipant.prompted_at, StandupParticipant.reminded_at)
        .join(StandupConfig, StandupConfig.id == StandupRun.standup_id)
        .outerjoin(StandupParticipant, StandupParticipant.run_id == StandupRun.id)
        .where(StandupRun.state == "open").order_by(StandupRun.closes_at, StandupRun.id)).all()
    due: dict[int, None] = {}
    for run_id, closes_at, pct, status, prompt_at, prompted_at, reminded_at in rows:
        asked = status == "asked" and prompt_at is not None
        prompt_due = asked and prompted_at is None and prompt_at <= now
        reminder_due = (asked and prompted_at is not None and reminded_at is None
                        and now >= remind_at(prompt_at=prompt_at, closes_at=closes_at, pct=pct))
        if now >= closes_at or prompt_due or reminder_due:
            due[run_id] = None
    return list(due)


def next_due_at(*, session: Session, after: datetime) -> datetime | None:
    """The first moment after `after` when an open run has something due (a
    prompt, a reminder, the close): when a simulated clock must stop for the
    sweep. None when no run is open."""
    rows = session.exec(
        select(StandupRun.closes_at, StandupConfig.reminder_at_pct, StandupParticipant.status,
               StandupParticipant.prompt_at, StandupParticipant.prompted_at, StandupParticipant.reminded_at)
        .join(StandupConfig, StandupConfig.id == StandupRun.standup_id)
        .outerjoin(StandupParticipant, StandupParticipant.run_id == StandupRun.id)
        .where(StandupRun.state == "open")).all()
    moments = []
    for closes_at, pct, status, prompt_at, prompted_at, reminded_at in rows:
        moments.append(closes_at)
        if status == "asked" and prompt_at is not None and prompted_at is None:
            moments.append(prompt_at)
        elif status == "asked" and prompt_at is not None and reminded_at is None:
            moments.append(remind_at(prompt_at=prompt_at, closes_at=closes_at, pct=pct))
    return min((m for m in moments if m > after), default=None)


CATCH_UP_AFTER = timedelta(minutes=2)  # the cron job's turn first


def due_configs(*, session: Session, now: datetime, grace: timedelta) -> list[tuple[int, date]]:
    """(config id, run date) of standups whose first prompt time was 2 minutes
    to `grace` ago and whose run has not opened: the catch-up for a scheduler
    that crashed between firing and committing the run. A few queries in all."""
    candidates: list[tuple[int, date]] = []
    for standup in running_standups(session=session):  # every minute, over every standup
        weekdays = calendar.parse_weekdays(standup.days)  # as `weekdays_of`
        today = now.astimezone(ZoneInfo(standup.zone)).date()
        for run_date in (today - timedelta(days=1), today, today + timedelta(days=1)):
            if run_date.weekday() not in weekdays:
                continue
            first = min(local_to_utc(run_date, standup.time_local, z) for z in standup.zones)
            if first + CATCH_UP_AFTER <= now < first + grace:
                candidates.append((standup.config_id, run_date))
    if not candidates:
        return []
    opened = set(session.exec(select(StandupRun.standup_id, StandupRun.run_date).where(
        StandupRun.standup_id.in_({c for c, _ in candidates}), StandupRun.state != "pending")).all())
    return [c for c in candidates if c not in opened]
