"""When a standup happens: wall-clock times in its zone, its working days,
and when a reminder falls due.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.domain import calendar
from bot.domain.errors import Invalid
from bot.models import Project, StandupConfig

_HHMM = re.compile(r"^([01]?\d|2[0-3])[:.]([0-5]\d)$")
_AMPM = re.compile(r"^(1[0-2]|0?[1-9])(?:[:.]([0-5]\d))?\s*([ap])\.?m\.?$")
TIME_OF_DAY = re.compile(r"^(?:\d{1,2}[:.]\d{2}|\d{1,2}(?:[:.]\d{2})?\s*[ap]\.?m\.?)$", re.I)


def parse_hhmm(text: str) -> str:
    """`9:30`, `09.30`, `9:30am`, `9 pm`, `12am` -> `09:30`, ..., `00:00`; `Invalid` otherwise."""
    raw = text.strip().lower()
    if m := _HHMM.match(raw):
        return f"{int(m.group(1)):02d}:{m.group(2)}"
    if m := _AMPM.match(raw):
        hour = int(m.group(1)) % 12 + (12 if m.group(3) == "p" else 0)
        return f"{hour:02d}:{m.group(2) or '00'}"
    raise Invalid(f"Expected a time like 09:30, 17:00 or 9:30am (got `{text}`).")


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


def weekdays_of(config: StandupConfig) -> frozenset[int]:
    return calendar.parse_weekdays(config.days)


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


def remind_at(*, prompt_at: datetime, closes_at: datetime, pct: int) -> datetime:
    """When someone prompted at `prompt_at` is reminded: `pct`% of the way from
    their prompt to the close (the standup's `reminder_at_pct`)."""
    return prompt_at + (closes_at - prompt_at) * (pct / 100)
