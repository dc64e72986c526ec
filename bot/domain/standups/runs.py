"""Daily standups: configuration, runs, prompts, answers, reminders, summaries.

A run is one row per (standup, date). Opening it lists who is asked and who
is away; prompts, reminders and the summary are outbox messages with keys
like `standup:{run_id}:prompt:{user}`, so a job that runs twice or a worker
that restarts half-way never sends anything twice and never skips anyone:
`advance_run` just sends whatever is due and not yet sent.

Lifecycle: `pending` (created early by an answer ahead of time) -> `open`
(prompts go out at each participant's `prompt_at`) -> `closed` (summary
posted; later answers are `late` and go to the summary's thread).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert as sa_insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from bot.domain import audit, calendar
from bot.domain.access import Action, require, role_of
from bot.domain.errors import Invalid, NotFound, PermissionDenied
from bot.domain.format import day as fmt_day
from bot.domain.format import truncate
from bot.domain.outbox import OUTBOX_QUEUED, Kind, enqueue
from bot.domain.projects import validate_timezone
from bot.domain.replies import Button, Intent, Reply, Section, reply_to_dict
from bot.models import (
    DayOff,
    Member,
    OutboxMessage,
    Project,
    ProjectState,
    Role,
    StandupAnswer,
    StandupConfig,
    StandupParticipant,
    StandupRun,
    User,
    utcnow,
)

FINISHED, NEXT, BLOCKERS, CONFIDENCE = "finished", "next", "blockers", "confidence"
DEFAULT_QUESTIONS = [
    {"id": FINISHED, "text": "What did you finish since last standup?"},
    {"id": NEXT, "text": "What will you do next?"},
    {"id": BLOCKERS, "text": "Anything blocking you?"},
    {"id": CONFIDENCE, "text": "How confident are you about the plan (1-5)?"},
]
ASKED_ROLES = {Role.OWNER, Role.MANAGER, Role.MEMBER}
NO_BLOCKER = re.compile(r"^\s*(no(ne|pe|thing)?|n/?a|-+|nope|all good|nothing( blocking)?)\s*[.!]?\s*$",
                        re.I)
MAX_ANSWER = 3000
_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


# --- times ---------------------------------------------------------------------


def parse_hhmm(text: str) -> str:
    """`9:30` -> `09:30`; `Invalid` unless a 24-hour time."""
    m = _HHMM.match(text.strip())
    if not m:
        raise Invalid(f"Expected a time like 09:30 (24-hour clock), got `{text}`.")
    return f"{int(m.group(1)):02d}:{m.group(2)}"


def local_to_utc(day: date, hhmm: str, tz: str) -> datetime:
    """Wall-clock `hhmm` on `day` in `tz`, as UTC. A time in a spring-forward gap
    maps to the same instant as the offset before the change (02:30 -> 03:30),
    a repeated autumn time to its first occurrence, like the scheduler does."""
    hour, minute = (int(p) for p in hhmm.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(tz)).astimezone(UTC)


def config_timezone(config: StandupConfig, project: Project) -> str:
    return config.timezone or project.timezone or "UTC"


def local_time(moment: datetime, tz: str) -> str:
    """`11:30 (Europe/Berlin)`."""
    return f"{moment.astimezone(ZoneInfo(tz)):%H:%M} ({tz})"


# --- configuration -------------------------------------------------------------


def get_config(*, session: Session, project: Project) -> StandupConfig | None:
    return session.exec(select(StandupConfig).where(StandupConfig.project_id == project.id)).first()


def weekdays_of(config: StandupConfig) -> frozenset[int]:
    return calendar.parse_weekdays(config.days)


def questions_of(config: StandupConfig) -> list[dict]:
    return list(config.questions) or [dict(q) for q in DEFAULT_QUESTIONS]


def configure(*, session: Session, project: Project, actor: str, time_local: str | None = None,
              days: str | None = None, timezone: str | None = None, channel_id: str | None = None,
              holidays: str | None = None, close_local: str | None = None,
              close_after_minutes: int | None = None, reminder_at_pct: int | None = None,
              per_member_timezone: bool | None = None, answers_in_thread: bool | None = None,
              now: datetime | None = None) -> tuple[StandupConfig, bool]:
    """Create or change the project's standup; returns (config, created).
    Unset values keep their current value (defaults: 09:30, mon-fri, the
    project's zone and channel, close after 2 hours, remind at 80%)."""
    require(session=session, project=project, user_id=actor, action=Action.MANAGE,
            what="set up the standup")
    config = get_config(session=session, project=project)
    created = config is None
    if config is None:
        config = StandupConfig(team_id=project.team_id, project_id=project.id,
                               questions=[dict(q) for q in DEFAULT_QUESTIONS])
    before = _config_facts(config)
    if time_local is not None:
        config.time_local = parse_hhmm(time_local)
    config.days = calendar.format_weekdays(calendar.parse_weekdays(days or config.days))
    if timezone is not None:
        config.timezone = validate_timezone(timezone)
    if channel_id is not None:
        config.channel_id = channel_id or None
    if holidays is not None:
        if holidays.strip().lower() in {"", "none", "off"}:
            config.holidays_country, config.holidays_subdiv = "", ""
        else:
            config.holidays_country, config.holidays_subdiv = calendar.parse_holidays(holidays)
    if close_after_minutes is not None:
        config.close_after_minutes = close_after_minutes
    if close_local is not None:
        start = datetime.strptime(config.time_local, "%H:%M")
        end = datetime.strptime(parse_hhmm(close_local), "%H:%M")
        if end <= start:
            raise Invalid(f"The standup closes after it starts: {close_local} is not after "
                          f"{config.time_local}.")
        config.close_after_minutes = int((end - start).total_seconds() // 60)
    if not 10 <= config.close_after_minutes <= 16 * 60:
        raise Invalid("A standup stays open between 10 minutes and 16 hours.")
    if reminder_at_pct is not None:
        if not 10 <= reminder_at_pct <= 95:
            raise Invalid("The reminder goes out between 10% and 95% of the answer window.")
        config.reminder_at_pct = reminder_at_pct
    if per_member_timezone is not None:
        config.per_member_timezone = per_member_timezone
    if answers_in_thread is not None:
        config.answers_in_thread = answers_in_thread
    if not (config.channel_id or project.channel_id):
        raise Invalid("Where should the summary go? Add `in #channel` or `/project link #channel`.")
    config.updated_at = now or utcnow()
    session.add(config)
    session.flush()
    audit.record(session=session, team_id=project.team_id, user_id=actor,
                 action="standup.create" if created else "standup.edit", entity="standup",
                 entity_id=config.id, project_id=project.id, before=before,
                 after=_config_facts(config))
    return config, created


def _config_facts(config: StandupConfig) -> dict:
    return {"time": config.time_local, "days": config.days, "timezone": config.timezone,
            "channel": config.channel_id, "holidays": config.holidays_country + (
                f"-{config.holidays_subdiv}" if config.holidays_subdiv else ""),
            "close_after_minutes": config.close_after_minutes, "paused": config.paused,
            "per_member_timezone": config.per_member_timezone}


def require_config(*, session: Session, project: Project) -> StandupConfig:
    config = get_config(session=session, project=project)
    if config is None:
        raise NotFound(f"*{project.name}* has no standup yet. Start one with "
                       f"`/project standup set 09:30 mon-fri`.")
    return config


def set_questions(*, session: Session, project: Project, actor: str, texts: list[str] | None,
                  confidence: bool = True, now: datetime | None = None) -> StandupConfig:
    """Replace the questions: the first three are finished / next / blockers,
    any more are extra; `texts=None` restores the defaults."""
    require(session=session, project=project, user_id=actor, action=Action.MANAGE,
            what="change the standup questions")
    config = require_config(session=session, project=project)
    if texts is None:
        questions = [dict(q) for q in DEFAULT_QUESTIONS if confidence or q["id"] != CONFIDENCE]
    else:
        texts = [t.strip() for t in texts]
        if not 1 <= len(texts) <= 8 or any(not t or len(t) > 150 for t in texts):
            raise Invalid("Give 1 to 8 questions, each up to 150 characters, in quotes.")
        ids = [FINISHED, NEXT, BLOCKERS] + [f"q{i}" for i in range(4, 10)]
        questions = [{"id": ids[i], "text": t} for i, t in enumerate(texts)]
        if confidence:
            questions.append(dict(DEFAULT_QUESTIONS[3]))
    before = {"questions": [q["text"] for q in questions_of(config)]}
    config.questions = questions
    config.updated_at = now or utcnow()
    session.add(config)
    audit.record(session=session, team_id=project.team_id, user_id=actor, action="standup.questions",
                 entity="standup", entity_id=config.id, project_id=project.id, before=before,
                 after={"questions": [q["text"] for q in questions]})
    session.flush()
    return config


def set_paused(*, session: Session, project: Project, actor: str, paused: bool,
               now: datetime | None = None) -> StandupConfig:
    require(session=session, project=project, user_id=actor, action=Action.MANAGE,
            what="pause or resume the standup")
    config = require_config(session=session, project=project)
    if config.paused != paused:
        config.paused = paused
        config.updated_at = now or utcnow()
        session.add(config)
        audit.record(session=session, team_id=project.team_id, user_id=actor,
                     action="standup.pause" if paused else "standup.resume", entity="standup",
                     entity_id=config.id, project_id=project.id)
        session.flush()
    return config


def skip_day(*, session: Session, project: Project, actor: str, day: date, until: date | None = None,
             reason: str = "") -> tuple[DayOff, bool]:
    """A company day off (no standup); returns (row, created). Idempotent."""
    require(session=session, project=project, user_id=actor, action=Action.MANAGE,
            what="add company days off")
    end = until or day
    if end < day:
        raise Invalid("A day-off range ends after it starts.")
    existing = session.exec(select(DayOff).where(
        DayOff.project_id == project.id, DayOff.user_id.is_(None), DayOff.start_date == day,
        DayOff.end_date == end)).first()
    if existing:
        return existing, False
    row = DayOff(team_id=project.team_id, project_id=project.id, start_date=day, end_date=end,
                 reason=reason[:200])
    session.add(row)
    session.flush()
    audit.record(session=session, team_id=project.team_id, user_id=actor, action="standup.skip",
                 entity="day_off", entity_id=row.id, project_id=project.id,
                 after={"start": day, "end": end})
    return row, True


def _require_self_or_manager(*, session: Session, project: Project | None, actor: str, user_id: str,
                             what: str) -> None:
    """Anyone may change their own availability; someone else's takes an owner or manager of `project`."""
    if user_id == actor:
        return
    if project is None:
        raise PermissionDenied(f"Only a project's owner or manager can {what}; "
                               "run it in the project's channel or name the project.")
    require(session=session, project=project, user_id=actor, action=Action.MANAGE, what=what)


def set_out_of_office(*, session: Session, team_id: str, actor: str, user_id: str, start: date,
                      end: date, project: Project | None = None, reason: str = "") -> tuple[DayOff, bool]:
    """Mark someone away (for every project) from start to end; returns (row, created).
    Anyone may mark themselves; marking someone else takes a manager of `project`."""
    if end < start:
        raise Invalid("An absence ends on or after the day it starts.")
    if (end - start).days > 366:
        raise Invalid("An absence can be at most a year long.")
    _require_self_or_manager(session=session, project=project, actor=actor, user_id=user_id,
                             what="mark someone else away")
    existing = session.exec(select(DayOff).where(
        DayOff.team_id == team_id, DayOff.user_id == user_id, DayOff.start_date == start,
        DayOff.end_date == end)).first()
    if existing:
        return existing, False
    row = DayOff(team_id=team_id, user_id=user_id, start_date=start, end_date=end, reason=reason[:200])
    session.add(row)
    session.flush()
    audit.record(session=session, team_id=team_id, user_id=actor, action="ooo.add", entity="day_off",
                 entity_id=row.id, project_id=project.id if project else None,
                 after={"user_id": user_id, "start": start, "end": end})
    return row, True


def set_own_holidays(*, session: Session, team_id: str, actor: str, user_id: str, code: str | None,
                     project: Project | None = None) -> str:
    """Give someone public holidays of their own region (`US-NY`; None clears
    it): away on those days in every project. Anyone may set their own;
    setting someone else's takes a manager of `project`. Returns the region."""
    _require_self_or_manager(session=session, project=project, actor=actor, user_id=user_id,
                             what="set someone else's holidays")
    value = "-".join(p for p in calendar.parse_holidays(code) if p) if code else ""
    user = session.exec(select(User).where(User.team_id == team_id, User.user_id == user_id)).first() \
        or User(team_id=team_id, user_id=user_id)
    if user.holidays != value:
        audit.record(session=session, team_id=team_id, user_id=actor, action="user.holidays", entity="user",
                     entity_id=user.id, project_id=project.id if project else None,
                     before={"user_id": user_id, "holidays": user.holidays},
                     after={"user_id": user_id, "holidays": value})
        user.holidays = value
        session.add(user)
        session.flush()
    return value


def own_holidays(*, session: Session, team_id: str, user_id: str) -> str:
    """Someone's own public-holiday region, or "" (they follow each standup's)."""
    return session.exec(select(User.holidays).where(User.team_id == team_id, User.user_id == user_id)).first() or ""


def absences(*, session: Session, team_id: str, user_id: str | None, today: date) -> list[DayOff]:
    """Current and coming absences (of one person, or everyone)."""
    query = select(DayOff).where(DayOff.team_id == team_id, DayOff.user_id.is_not(None),
                                 DayOff.end_date >= today)
    if user_id:
        query = query.where(DayOff.user_id == user_id)
    return list(session.exec(query.order_by(DayOff.start_date)))


def cancel_out_of_office(*, session: Session, team_id: str, actor: str, user_id: str, today: date,
                         project: Project | None = None) -> int:
    """End someone's current and future absences today; returns how many changed."""
    _require_self_or_manager(session=session, project=project, actor=actor, user_id=user_id,
                             what="change someone else's absence")
    changed = 0
    for row in absences(session=session, team_id=team_id, user_id=user_id, today=today):
        if row.start_date >= today:
            session.delete(row)
        else:
            row.end_date = today - timedelta(days=1)
            session.add(row)
        changed += 1
    session.flush()
    return changed


# --- calendar of one standup ---------------------------------------------------


def standup_calendar(*, session: Session, config: StandupConfig, start: date,
                     end: date) -> calendar.WorkCalendar:
    return calendar.WorkCalendar(
        country=config.holidays_country, subdiv=config.holidays_subdiv, weekdays=weekdays_of(config),
        days_off=frozenset(calendar.company_days_off(session=session, team_id=config.team_id,
                                                     project_id=config.project_id, start=start,
                                                     end=end)))


def next_run_date(*, session: Session, config: StandupConfig, start: date) -> date:
    """The first standup day on or after `start`."""
    cal = standup_calendar(session=session, config=config, start=start, end=start + timedelta(days=60))
    for offset in range(60):
        candidate = start + timedelta(days=offset)
        if cal.is_working_day(candidate):
            return candidate
    raise Invalid("No standup day in the next 60 days: check the days and days off.")


# --- runs ----------------------------------------------------------------------


@dataclass
class StartResult:
    """What `start_run` did: the run (None when skipped) and why."""

    run: StandupRun | None
    created: bool = False
    reason: str = ""
    prompted: list[str] = field(default_factory=list)


def _get_or_create_run(*, session: Session, config: StandupConfig, run_date: date,
                       now: datetime) -> tuple[StandupRun, bool]:
    run = session.exec(select(StandupRun).where(StandupRun.standup_id == config.id,
                                                StandupRun.run_date == run_date)).first()
    if run is not None:
        return run, False
    created = _insert_ignore(session, StandupRun, {
        "team_id": config.team_id, "standup_id": config.id, "project_id": config.project_id,
        "run_date": run_date, "scheduled_at": now, "closes_at": now, "state": "pending"})
    run = session.exec(select(StandupRun).where(StandupRun.standup_id == config.id,
                                                StandupRun.run_date == run_date)).one()
    return run, created


def _insert_ignore(session: Session, model: type, values: dict) -> bool:
    """INSERT unless the row's unique key exists (another worker or a double
    submission got there first); True if inserted. One statement, no savepoint."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    table = model.__table__
    statement = insert(table).values(**values).on_conflict_do_nothing().returning(table.c.id)
    return session.execute(statement).first() is not None


def participants_for(*, session: Session, project: Project) -> list[str]:
    """Who a standup asks: active owners, managers and members (not stakeholders or bots)."""
    return participants_of(session=session, projects=[project])[project.id]


def participants_of(*, session: Session, projects: list[Project]) -> dict[int, list[str]]:
    """`participants_for` of many projects in two statements: project id -> the
    owner (first, when not a member) and the active managers and members in
    the order they joined, without bots or deleted accounts."""
    if not projects:
        return {}
    asked: dict[int, list[str]] = {p.id: [] for p in projects}
    for pid, user_id, role in session.exec(select(Member.project_id, Member.user_id, Member.role).where(
            Member.project_id.in_(asked), Member.active == True).order_by(Member.id)):  # noqa: E712
        if role in ASKED_ROLES and user_id not in asked[pid]:
            asked[pid].append(user_id)
    for project in projects:
        if project.owner_user_id and project.owner_user_id not in asked[project.id]:
            asked[project.id].insert(0, project.owner_user_id)
    bots = set(session.exec(select(User.team_id, User.user_id).where(
        User.team_id.in_({p.team_id for p in projects}), User.user_id.in_({u for ids in asked.values() for u in ids}),
        (User.is_bot == True) | (User.deleted == True))).all())  # noqa: E712
    return {p.id: [u for u in asked[p.id] if (p.team_id, u) not in bots] for p in projects}


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


def user_timezones(*, session: Session, team_id: str, user_ids: list[str]) -> dict[str, str]:
    """Each user's cached Slack timezone (absent when unknown)."""
    rows = session.exec(select(User.user_id, User.timezone).where(
        User.team_id == team_id, User.user_id.in_(user_ids))).all()
    return {u: tz for u, tz in rows if tz}


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
    run, created = _get_or_create_run(session=session, config=config, run_date=run_date, now=now)
    if run.state == "pending":
        _open(session=session, config=config, project=project, run=run, now=now, manual=manual)
    prompted = advance_run(session=session, run=run, now=now, until=until)
    return StartResult(run, created=created, prompted=prompted.prompted)


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
    """`_get_or_create_run` of many (config id, date): one INSERT ... ON CONFLICT
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
    new_parts, messages, prompted = [], [], {}
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
                new_parts.append({"team_id": run.team_id, "run_id": run.id, "user_id": user_id,
                                  "status": status, "prompt_at": at, "prompted_at": send_at if due else None})
            else:
                part.status, part.prompt_at = status, at
                part.prompted_at = send_at if due else part.prompted_at
                session.add(part)
            if due:
                reply = reply or prompt_reply(config=config, project=project, run=run, tz=tz)
                messages.append(OutboxMessage(
                    team_id=run.team_id, idempotency_key=f"standup:{run.id}:prompt:{user_id}", kind=str(Kind.DM),
                    user_id=user_id, project_id=project.id, payload={"reply": reply_to_dict(reply)},
                    next_attempt_at=send_at))
                prompted.setdefault(run.id, []).append(user_id)
    if new_parts:
        session.execute(sa_insert(StandupParticipant.__table__), new_parts)
    queued = _enqueue_all(session=session, messages=messages)
    session.flush()
    return {run_id: [u for u in users if f"standup:{run_id}:prompt:{u}" in queued]
            for run_id, users in prompted.items()}


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
    answered = _answered_ids(session=session, run=run)
    parts = _participants(session=session, run=run)
    zones = user_timezones(session=session, team_id=run.team_id, user_ids=[p.user_id for p in parts]) \
        if config.per_member_timezone else {}
    horizon = max(until or now, now)
    for part in parts:
        if part.status != "asked" or part.user_id in answered or part.prompt_at is None:
            continue
        tz = zones.get(part.user_id, config_timezone(config, project))
        if part.prompted_at is None and part.prompt_at <= horizon and now < run.closes_at:
            send_at = max(part.prompt_at, now)
            _, sent = enqueue(session=session, not_before=send_at, team_id=run.team_id,
                              key=f"standup:{run.id}:prompt:{part.user_id}", kind=Kind.DM,
                              user_id=part.user_id, project_id=project.id,
                              reply=prompt_reply(config=config, project=project, run=run, tz=tz))
            part.prompted_at = send_at
            session.add(part)
            if sent:
                progress.prompted.append(part.user_id)
        elif (part.prompted_at is not None and part.reminded_at is None
              and now >= remind_at(run=run, part=part, config=config) and now < run.closes_at):
            _, sent = enqueue(session=session, not_before=now, team_id=run.team_id,
                              key=f"standup:{run.id}:remind:{part.user_id}", kind=Kind.DM,
                              user_id=part.user_id, project_id=project.id,
                              reply=reminder_reply(project=project, run=run, tz=tz))
            part.reminded_at = now
            session.add(part)
            if sent:
                progress.reminded.append(part.user_id)
    if now >= run.closes_at:
        close_run(session=session, run=run, now=now)
        progress.closed = True
    session.flush()
    return progress


def remind_at(*, run: StandupRun, part: StandupParticipant, config: StandupConfig) -> datetime:
    """`reminder_at_pct` of the way from this person's prompt to the close."""
    start = part.prompt_at or run.scheduled_at
    return start + (run.closes_at - start) * (config.reminder_at_pct / 100)


def close_run(*, session: Session, run: StandupRun, now: datetime) -> StandupRun:
    """Close the run and post its summary (once)."""
    if run.state == "closed":
        return run
    run.state = "closed"
    run.closed_at = now
    session.add(run)
    session.flush()
    _post_summary(session=session, run=run, now=now)
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
                        and now >= prompt_at + (closes_at - prompt_at) * (pct / 100))  # as `remind_at`
        if now >= closes_at or prompt_due or reminder_due:
            due[run_id] = None
    return list(due)


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


def _participants(*, session: Session, run: StandupRun) -> list[StandupParticipant]:
    return list(session.exec(select(StandupParticipant).where(StandupParticipant.run_id == run.id)
                             .order_by(StandupParticipant.id)))


def _answers(*, session: Session, run: StandupRun) -> list[StandupAnswer]:
    return list(session.exec(select(StandupAnswer).where(StandupAnswer.run_id == run.id)
                             .order_by(StandupAnswer.submitted_at, StandupAnswer.id)))


def _answered_ids(*, session: Session, run: StandupRun) -> set[str]:
    return set(session.exec(select(StandupAnswer.user_id).where(StandupAnswer.run_id == run.id)))


# --- answers -------------------------------------------------------------------


@dataclass
class AnswerResult:
    answer: StandupAnswer
    run: StandupRun
    created: bool
    when: str  # "on time" | "late" | "early"
    closed_run: StandupRun | None = None  # early because this run (answered already) has closed


def is_blocker(text: str) -> bool:
    return bool(text.strip()) and not NO_BLOCKER.match(text)


def _config_for(*, session: Session, project: Project) -> StandupConfig:
    return require_config(session=session, project=project)


def target_run(*, session: Session, project: Project, user_id: str, now: datetime) -> tuple[StandupRun, str]:
    """The run an answer from `user_id` now belongs to: the open one (editable
    until it closes), else the last closed one they did not answer (late),
    else the next one (early)."""
    config = _config_for(session=session, project=project)
    runs = list(session.exec(select(StandupRun).where(
        StandupRun.standup_id == config.id, StandupRun.state.in_(["open", "closed"]))
        .order_by(StandupRun.run_date.desc()).limit(3)))
    for run in runs:
        if run.state == "open" and now < run.closes_at:
            return run, "on time"
    if runs and runs[0].state == "closed":
        last = runs[0]
        was_in = session.exec(select(StandupParticipant).where(
            StandupParticipant.run_id == last.id, StandupParticipant.user_id == user_id)).first()
        if was_in and user_id not in _answered_ids(session=session, run=last):
            return last, "late"
    tz = config_timezone(config, project)
    today = now.astimezone(ZoneInfo(tz)).date()
    opened_today = any(r.run_date == today for r in runs)
    today_closes = local_to_utc(today, config.time_local, tz) + timedelta(minutes=config.close_after_minutes)
    start = today + timedelta(days=1) if opened_today or now >= today_closes else today
    run_date = next_run_date(session=session, config=config, start=start)
    run, _ = _get_or_create_run(session=session, config=config, run_date=run_date, now=now)
    return run, "early"


def submit_answer(*, session: Session, project: Project, user_id: str, answers: dict[str, str],
                  confidence: int | None, now: datetime, run_id: int | None = None) -> AnswerResult:
    """Store (or edit) `user_id`'s answer. With `run_id` (the button's run) that
    run; otherwise `target_run`. Edits are allowed until close; a first answer
    after close is late and goes to the summary's thread."""
    role = role_of(session=session, project=project, user_id=user_id)
    if role not in ASKED_ROLES:
        raise PermissionDenied(f"Only members of *{project.name}* answer its standup.")
    config = _config_for(session=session, project=project)
    if run_id is not None:
        run = session.get(StandupRun, run_id)
        if run is None or run.project_id != project.id:
            raise NotFound("That standup no longer exists.")
        when = "late" if run.state == "closed" else "on time" if run.state == "open" else "early"
    else:
        run, when = target_run(session=session, project=project, user_id=user_id, now=now)
    if run.state == "open" and now >= run.closes_at:
        advance_run(session=session, run=run, now=now)  # close it first, then this one is late
        when = "late"
    clean = _clean_answers(config=config, answers=answers, confidence=confidence)
    answer = session.exec(select(StandupAnswer).where(StandupAnswer.run_id == run.id,
                                                      StandupAnswer.user_id == user_id)).first()
    created = answer is None
    if answer is not None and run.state == "closed":
        raise Invalid(f"The standup of {fmt_day(run.run_date)} closed at "
                      f"{local_time(run.closed_at or run.closes_at, config_timezone(config, project))}; "
                      "answers can be edited only until then.")
    if answer is None:
        created = _insert_ignore(session, StandupAnswer, {
            "team_id": run.team_id, "run_id": run.id, "project_id": project.id, "user_id": user_id,
            "answers": clean["answers"], "blocker": clean["blocker"], "confidence": clean["confidence"],
            "late": when == "late", "submitted_at": now, "updated_at": now})
        answer = session.exec(select(StandupAnswer).where(StandupAnswer.run_id == run.id,
                                                          StandupAnswer.user_id == user_id)).one()
    else:
        answer.answers = clean["answers"]
        answer.blocker = clean["blocker"]
        answer.confidence = clean["confidence"]
        answer.updated_at = now
        session.add(answer)
        session.flush()
    if run.state == "open":
        part = session.exec(select(StandupParticipant).where(
            StandupParticipant.run_id == run.id, StandupParticipant.user_id == user_id)).first()
        if part is None:  # joined after the run opened
            session.add(StandupParticipant(team_id=run.team_id, run_id=run.id, user_id=user_id,
                                           status="asked", prompt_at=now))
    if run.state == "closed" and created:
        _post_late(session=session, run=run, answer=answer, now=now)
    _mark_prompt_answered(session=session, config=config, project=project, run=run, answer=answer,
                          now=now)
    session.flush()
    closed_run = None
    if when == "early":
        closed_run = session.exec(select(StandupRun).where(
            StandupRun.standup_id == config.id, StandupRun.state == "closed",
            StandupRun.run_date < run.run_date).order_by(StandupRun.run_date.desc())).first()
        if closed_run is not None and closed_run.run_date != now.astimezone(
                ZoneInfo(config_timezone(config, project))).date():
            closed_run = None
    return AnswerResult(answer=answer, run=run, created=created, when=when, closed_run=closed_run)


def _clean_answers(*, config: StandupConfig, answers: dict[str, str], confidence: int | None) -> dict:
    ids = {q["id"] for q in questions_of(config)}
    unknown = set(answers) - ids
    if unknown:
        raise Invalid(f"This standup has no question `{sorted(unknown)[0]}`; it asks: "
                      f"{', '.join(sorted(ids - {CONFIDENCE}))}.")
    clean = {k: v.strip() for k, v in answers.items() if k != CONFIDENCE and v and v.strip()}
    for key, value in clean.items():
        if len(value) > MAX_ANSWER:
            raise Invalid(f"An answer can be at most {MAX_ANSWER} characters (`{key}` has {len(value)}).")
    if not clean and confidence is None:
        raise Invalid("The answer is empty: say what you finished, what is next, or what blocks you.")
    if confidence is not None and not 1 <= confidence <= 5:
        raise Invalid(f"Confidence is from 1 (worried) to 5 (sure), got {confidence}.")
    blocker = clean.get(BLOCKERS, "")
    return {"answers": clean, "blocker": blocker if is_blocker(blocker) else "",
            "confidence": confidence if CONFIDENCE in ids else None}


def _mark_prompt_answered(*, session: Session, config: StandupConfig, project: Project, run: StandupRun,
                          answer: StandupAnswer, now: datetime) -> None:
    """Turn the person's prompt DM into "answered" (with an edit button while
    open); a prompt still held for its time (the run opened ahead) is withdrawn."""
    prompt_key = f"standup:{run.id}:prompt:{answer.user_id}"
    prompt = session.exec(select(OutboxMessage).where(OutboxMessage.idempotency_key == prompt_key)).first()
    if prompt is None:
        return
    if prompt.state == "pending" and prompt.attempts == 0 and prompt.next_attempt_at > now:
        prompt.state = "cancelled"  # answered before being asked: no question, no edit
        session.add(prompt)
        return
    tz = config_timezone(config, project)
    until = (f" You can edit it until {local_time(run.closes_at, tz)}." if run.state == "open" else "")
    buttons = [Button("Edit answer", Intent.ANSWER_STANDUP, str(run.id))] if run.state == "open" else []
    reply = Reply(title=f"Standup: {project.name}, {fmt_day(run.run_date, year=False)}",
                  sections=[Section(text=f":white_check_mark: Answered at {local_time(now, tz)}.{until}",
                                    buttons=buttons)], ephemeral=False)
    enqueue(session=session, not_before=now, team_id=run.team_id, kind=Kind.UPDATE, user_id=answer.user_id,
            key=f"standup:{run.id}:answered:{answer.user_id}:{int(now.timestamp())}",
            project_id=project.id, extra={"update_key": prompt_key}, reply=reply)


@dataclass
class AnswerForm:
    """What the answer modal shows: the run, the questions and current values."""

    run: StandupRun
    project: Project
    questions: list[dict]
    values: dict[str, str]
    confidence: int | None
    editing: bool


def answer_form(*, session: Session, project: Project, user_id: str, now: datetime,
                run_id: int | None = None) -> AnswerForm:
    """The modal's contents: this run's answer if any, else the previous
    answer's "next" pre-filled as "finished"."""
    config = _config_for(session=session, project=project)
    if run_id is not None:
        run = session.get(StandupRun, run_id)
        if run is None or run.project_id != project.id:
            raise NotFound("That standup no longer exists.")
    else:
        run, _ = target_run(session=session, project=project, user_id=user_id, now=now)
    current = session.exec(select(StandupAnswer).where(StandupAnswer.run_id == run.id,
                                                       StandupAnswer.user_id == user_id)).first()
    if current is not None:
        return AnswerForm(run, project, questions_of(config), dict(current.answers), current.confidence,
                          editing=True)
    previous = session.exec(select(StandupAnswer).join(StandupRun, StandupRun.id == StandupAnswer.run_id)
                            .where(StandupRun.standup_id == config.id, StandupAnswer.user_id == user_id,
                                   StandupRun.run_date < run.run_date)
                            .order_by(StandupRun.run_date.desc())).first()
    values = {FINISHED: previous.answers.get(NEXT, "")} if previous and previous.answers.get(NEXT) else {}
    return AnswerForm(run, project, questions_of(config), values, None, editing=False)


# --- messages ------------------------------------------------------------------


def _answer_command(project: Project) -> str:
    return (f'/project standup answer {project.key} finished "..." next "..." blockers none '
            "confidence 4")


def prompt_reply(*, config: StandupConfig, project: Project, run: StandupRun, tz: str) -> Reply:
    """The prompt DM; times in the person's zone `tz`."""
    questions = "\n".join(f"• {q['text']}" for q in questions_of(config))
    return Reply(
        title=f"Standup: {project.name}, {fmt_day(run.run_date, year=False)}",
        sections=[Section(text=f"Time for a quick update. Answer by {local_time(run.closes_at, tz)}.\n"
                               f"{questions}",
                          buttons=[Button("Answer standup", Intent.ANSWER_STANDUP, str(run.id),
                                          "primary")])],
        footer=f"Or type `{_answer_command(project)}`",
        ephemeral=False,
    )


def reminder_reply(*, project: Project, run: StandupRun, tz: str) -> Reply:
    return Reply(
        title=f"Reminder: {project.name} standup",
        sections=[Section(text=f"The standup of {fmt_day(run.run_date, year=False)} closes at "
                               f"{local_time(run.closes_at, tz)}. It takes a minute.",
                          buttons=[Button("Answer standup", Intent.ANSWER_STANDUP, str(run.id),
                                          "primary")])],
        footer=f"Or type `{_answer_command(project)}`",
        ephemeral=False,
    )


@dataclass
class RunSummary:
    """Counts and lists for one run's summary."""

    run: StandupRun
    answers: list[StandupAnswer]
    missing: list[str]
    away: list[str]
    expected: int
    repeated: set[str]

    @property
    def blockers(self) -> list[StandupAnswer]:
        return [a for a in self.answers if a.blocker]

    def headline(self) -> str:
        n = len(self.blockers)
        late = sum(1 for a in self.answers if a.late)
        late_note = f" ({late} late)" if late else ""
        return (f"Standup, {fmt_day(self.run.run_date, year=False)}: {len(self.answers)} of "
                f"{self.expected} answered{late_note}, {n} blocker{'s' if n != 1 else ''}")


def run_summary(*, session: Session, run: StandupRun) -> RunSummary:
    parts = _participants(session=session, run=run)
    answers = _answers(session=session, run=run)
    answered = {a.user_id for a in answers}
    missing = [p.user_id for p in parts if p.status == "asked" and p.user_id not in answered]
    away = [p.user_id for p in parts if p.status == "away" and p.user_id not in answered]
    expected = len([p for p in parts if p.status == "asked" or p.user_id in answered])
    project = session.get(Project, run.project_id)
    assert project is not None
    repeated = {r.user_id for r in repeated_blockers(session=session, project=project,
                                                     now=run.closed_at or run.closes_at,
                                                     until_run=run)}
    return RunSummary(run, answers, missing, away, expected, repeated)


def answer_text(*, config: StandupConfig, answer: StandupAnswer, repeated: bool = False) -> str:
    """One person's answer as text, blocker highlighted."""
    labels = {q["id"]: q["text"] for q in questions_of(config)}
    lines = [f"*<@{answer.user_id}>*" + (" _(late)_" if answer.late else "")]
    for key, value in answer.answers.items():
        if key == BLOCKERS:
            continue
        lines.append(f"_{labels.get(key, key)}_\n{truncate(value, 900)}")
    if answer.blocker:
        again = " (blocked at the last standup too)" if repeated else ""
        lines.append(f":warning: *Blocker{again}:* {truncate(answer.blocker, 900)}")
    if answer.confidence is not None:
        lines.append(f"Confidence: {answer.confidence}/5")
    return "\n".join(lines)


def summary_reply(*, session: Session, run: StandupRun, config: StandupConfig) -> Reply:
    summary = run_summary(session=session, run=run)
    sections: list[Section] = []
    if summary.blockers:
        lines = [f"• <@{a.user_id}>: {truncate(a.blocker, 300)}"
                 + (" :rotating_light: _blocked 2 standups in a row_" if a.user_id in summary.repeated
                    else "") for a in summary.blockers]
        sections.append(Section(text=":warning: *Blockers*\n" + "\n".join(lines),
                                buttons=[Button("Make it a risk", Intent.BLOCKER_TO_RISK,
                                                f"{run.id}:{a.user_id}") for a in summary.blockers[:3]]))
    people = []
    if summary.missing:
        people.append("*Missing:* " + ", ".join(f"<@{u}>" for u in summary.missing))
    if summary.away:
        people.append("*Away:* " + ", ".join(f"<@{u}>" for u in summary.away))
    confidences = [a.confidence for a in summary.answers if a.confidence is not None]
    if confidences:
        people.append(f"*Confidence:* {sum(confidences) / len(confidences):.1f}/5 on average")
    if people:
        sections.append(Section(text="\n".join(people)))
    if not config.answers_in_thread:
        sections += [Section(text=answer_text(config=config, answer=a, repeated=a.user_id in summary.repeated))
                     for a in summary.answers[:40]]
    footer = "Answers in the thread." if config.answers_in_thread and summary.answers else ""
    return Reply(title=summary.headline(), sections=sections, footer=footer, ephemeral=False)


def _summary_key(run: StandupRun) -> str:
    return f"standup:{run.id}:summary"


def _post_summary(*, session: Session, run: StandupRun, now: datetime) -> None:
    config = session.get(StandupConfig, run.standup_id)
    project = session.get(Project, run.project_id)
    assert config is not None and project is not None
    channel, dm = run.channel_id, None
    if not channel:
        dm = project.owner_user_id
    enqueue(session=session, not_before=now, team_id=run.team_id, key=_summary_key(run),
            kind=Kind.POST if channel else Kind.DM, channel_id=channel, user_id=dm,
            project_id=project.id, reply=summary_reply(session=session, run=run, config=config))
    if config.answers_in_thread:
        repeated = run_summary(session=session, run=run).repeated
        for answer in _answers(session=session, run=run):
            enqueue(session=session, not_before=now, team_id=run.team_id, key=f"standup:{run.id}:answer:{answer.user_id}",
                    kind=Kind.POST if channel else Kind.DM, channel_id=channel, user_id=dm,
                    project_id=project.id, extra={"thread_key": _summary_key(run)},
                    reply=Reply(sections=[Section(text=answer_text(
                        config=config, answer=answer, repeated=answer.user_id in repeated))],
                        ephemeral=False))


def _post_late(*, session: Session, run: StandupRun, answer: StandupAnswer, now: datetime) -> None:
    """A late answer: into the summary's thread, and the summary's counts updated."""
    config = session.get(StandupConfig, run.standup_id)
    assert config is not None
    channel = run.channel_id
    dm = None if channel else session.get(Project, run.project_id).owner_user_id  # type: ignore[union-attr]
    kind = Kind.POST if channel else Kind.DM
    enqueue(session=session, not_before=now, team_id=run.team_id, key=f"standup:{run.id}:late:{answer.user_id}",
            kind=kind, channel_id=channel, user_id=dm, project_id=run.project_id,
            extra={"thread_key": _summary_key(run)},
            reply=Reply(sections=[Section(text=answer_text(config=config, answer=answer))],
                        ephemeral=False))
    enqueue(session=session, not_before=now, team_id=run.team_id,
            key=f"standup:{run.id}:summary:late:{answer.user_id}", kind=Kind.UPDATE,
            channel_id=channel, user_id=dm, project_id=run.project_id,
            extra={"update_key": _summary_key(run)},
            reply=summary_reply(session=session, run=run, config=config))


# --- blockers and participation -----------------------------------------------


@dataclass(frozen=True)
class RepeatedBlocker:
    """A member who reported a blocker at each of the last `runs` standups."""

    user_id: str
    blockers: list[tuple[date, str]]  # newest first
    run_ids: list[int]


def _recent_runs(*, session: Session, project: Project, now: datetime, count: int,
                 until_run: StandupRun | None = None, closed_only: bool = False) -> list[StandupRun]:
    states = ["closed"] if closed_only else ["open", "closed"]
    query = select(StandupRun).where(StandupRun.project_id == project.id, StandupRun.state.in_(states),
                                     StandupRun.scheduled_at <= now)
    if until_run is not None:
        query = query.where(StandupRun.run_date <= until_run.run_date)
    return list(session.exec(query.order_by(StandupRun.run_date.desc()).limit(count)))


def repeated_blockers(*, session: Session, project: Project, now: datetime, runs: int = 2,
                      until_run: StandupRun | None = None) -> list[RepeatedBlocker]:
    """Members who reported a blocker at each of the project's last `runs` standups."""
    recent = _recent_runs(session=session, project=project, now=now, count=runs, until_run=until_run)
    if len(recent) < runs:
        return []
    by_user: dict[str, list[tuple[date, str, int]]] = {}
    for run in recent:
        for answer in _answers(session=session, run=run):
            if answer.blocker:
                by_user.setdefault(answer.user_id, []).append((run.run_date, answer.blocker, run.id))
    return [RepeatedBlocker(user, [(d, b) for d, b, _ in items], [r for _, _, r in items])
            for user, items in sorted(by_user.items()) if len(items) == runs]


def missed_in_a_row(*, session: Session, project: Project, now: datetime, runs: int = 2) -> list[str]:
    """Members asked (not away) at each of the last `runs` closed standups who answered none."""
    recent = _recent_runs(session=session, project=project, now=now, count=runs, closed_only=True)
    if len(recent) < runs:
        return []
    silent: set[str] | None = None
    for run in recent:
        answered = _answered_ids(session=session, run=run)
        asked = {p.user_id for p in _participants(session=session, run=run) if p.status == "asked"}
        missing = asked - answered
        silent = missing if silent is None else silent & missing
    return sorted(silent or set())


@dataclass
class MemberParticipation:
    user_id: str
    asked: int = 0
    answered: int = 0
    late: int = 0
    away: int = 0
    blockers: int = 0

    @property
    def rate(self) -> float | None:
        return self.answered / self.asked if self.asked else None


@dataclass
class Participation:
    """Answer rates per member and for the project over [start, end]."""

    start: date
    end: date
    runs: int
    members: list[MemberParticipation]

    @property
    def asked(self) -> int:
        return sum(m.asked for m in self.members)

    @property
    def answered(self) -> int:
        return sum(m.answered for m in self.members)

    @property
    def rate(self) -> float | None:
        return self.answered / self.asked if self.asked else None


def participation(*, session: Session, project: Project, start: date, end: date) -> Participation:
    """Who was asked, answered (on time or late) and away at runs from start to end."""
    runs = list(session.exec(select(StandupRun).where(
        StandupRun.project_id == project.id, StandupRun.state.in_(["open", "closed"]),
        StandupRun.run_date >= start, StandupRun.run_date <= end)))
    run_ids = [r.id for r in runs]
    stats: dict[str, MemberParticipation] = {}
    if run_ids:
        answers = {(a.run_id, a.user_id): a for a in session.exec(
            select(StandupAnswer).where(StandupAnswer.run_id.in_(run_ids)))}
        for part in session.exec(select(StandupParticipant).where(StandupParticipant.run_id.in_(run_ids))):
            m = stats.setdefault(part.user_id, MemberParticipation(part.user_id))
            answer = answers.get((part.run_id, part.user_id))
            if part.status == "away" and answer is None:
                m.away += 1
                continue
            m.asked += 1
            if answer is not None:
                m.answered += 1
                m.late += int(answer.late)
                m.blockers += int(bool(answer.blocker))
    members = sorted(stats.values(), key=lambda m: (-(m.rate or 0), m.user_id))
    return Participation(start, end, len(runs), members)


def participation_last_days(*, session: Session, project: Project, today: date,
                            days: int = 30) -> Participation:
    """Participation over the last `days` days up to `today` (for status and reports)."""
    return participation(session=session, project=project, start=today - timedelta(days=days - 1),
                         end=today)


def runs_between(*, session: Session, project: Project, start: date, end: date) -> list[StandupRun]:
    return list(session.exec(select(StandupRun).where(
        StandupRun.project_id == project.id, StandupRun.state.in_(["open", "closed"]),
        StandupRun.run_date >= start, StandupRun.run_date <= end).order_by(StandupRun.run_date.desc())))


def answers_of(*, session: Session, project: Project, user_id: str, start: date,
               end: date) -> list[tuple[StandupRun, StandupAnswer]]:
    rows = session.exec(select(StandupRun, StandupAnswer)
                        .join(StandupAnswer, StandupAnswer.run_id == StandupRun.id)
                        .where(StandupRun.project_id == project.id, StandupAnswer.user_id == user_id,
                               StandupRun.run_date >= start, StandupRun.run_date <= end)
                        .order_by(StandupRun.run_date.desc()))
    return list(rows.all())
