"""A standup's settings: time, days, zone, channel, answer window, reminder and
questions; pausing it and company days off.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session, select

from bot.domain import audit, calendar
from bot.domain.access import Action, require
from bot.domain.errors import Invalid, NotFound
from bot.domain.projects import validate_timezone
from bot.domain.standups.schedule import parse_hhmm
from bot.models import DayOff, Project, StandupConfig, StandupRun

FINISHED, NEXT, BLOCKERS, CONFIDENCE = "finished", "next", "blockers", "confidence"


DEFAULT_QUESTIONS = [
    {"id": FINISHED, "text": "What did you finish since last standup?"},
    {"id": NEXT, "text": "What will you do next?"},
    {"id": BLOCKERS, "text": "Anything blocking you?"},
    {"id": CONFIDENCE, "text": "How confident are you about the plan (1-5)?"},
]


def get_config(*, session: Session, project: Project) -> StandupConfig | None:
    return session.exec(select(StandupConfig).where(StandupConfig.project_id == project.id)).first()


def questions_of(config: StandupConfig) -> list[dict]:
    return list(config.questions) or [dict(q) for q in DEFAULT_QUESTIONS]



def run_questions(*, session: Session, run: StandupRun) -> list[dict]:
    """The questions of the standup `run` belongs to (the defaults if it is gone)."""
    config = session.get(StandupConfig, run.standup_id)
    return questions_of(config) if config else [dict(q) for q in DEFAULT_QUESTIONS]

def configure(*, session: Session, project: Project, actor: str, time_local: str | None = None,
              days: str | None = None, timezone: str | None = None, channel_id: str | None = None,
              holidays: str | None = None, close_local: str | None = None,
              close_after_minutes: int | None = None, reminder_at_pct: int | None = None,
              per_member_timezone: bool | None = None, answers_in_thread: bool | None = None,
              now: datetime) -> tuple[StandupConfig, bool]:
    """Create or change the project's standup; returns (config, created).
    Unset values keep their current value (defaults: 09:30, mon-fri, the
    project's zone and channel, close after 2 hours, remind at 80%)."""
    require(session=session, project=project, user_id=actor, action=Action.MANAGE,
            what="set up the standup")
    config = get_config(session=session, project=project)
    created = config is None
    if config is None:
        config = StandupConfig(team_id=project.team_id, project_id=project.id,
                               questions=[dict(q) for q in DEFAULT_QUESTIONS], created_at=now, updated_at=now)
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
    config.updated_at = now
    session.add(config)
    session.flush()
    audit.record(session=session, team_id=project.team_id, user_id=actor,
                 action="standup.create" if created else "standup.edit", entity="standup",
                 entity_id=config.id, project_id=project.id, before=before,
                 after=_config_facts(config), now=now)
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
                  confidence: bool = True, now: datetime) -> StandupConfig:
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
    config.updated_at = now
    session.add(config)
    audit.record(session=session, team_id=project.team_id, user_id=actor, action="standup.questions",
                 entity="standup", entity_id=config.id, project_id=project.id, before=before,
                 after={"questions": [q["text"] for q in questions]}, now=now)
    session.flush()
    return config


def set_paused(*, session: Session, project: Project, actor: str, paused: bool,
               now: datetime) -> StandupConfig:
    require(session=session, project=project, user_id=actor, action=Action.MANAGE,
            what="pause or resume the standup")
    config = require_config(session=session, project=project)
    if config.paused != paused:
        config.paused = paused
        config.updated_at = now
        session.add(config)
        audit.record(session=session, team_id=project.team_id, user_id=actor,
                     action="standup.pause" if paused else "standup.resume", entity="standup",
                     entity_id=config.id, project_id=project.id, now=now)
        session.flush()
    return config


def skip_day(*, session: Session, project: Project, actor: str, day: date, until: date | None = None,
             reason: str = "", now: datetime) -> tuple[DayOff, bool]:
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
                 reason=reason[:200], created_at=now)
    session.add(row)
    session.flush()
    audit.record(session=session, team_id=project.team_id, user_id=actor, action="standup.skip",
                 entity="day_off", entity_id=row.id, project_id=project.id,
                 after={"start": day, "end": end}, now=now)
    return row, True
