"""Working days: weekends, public holidays, company days off, people away.

Pure functions take the facts as arguments (`is_working_day`,
`working_days_between`, `add_working_days`); `work_calendar` and `away_users`
load them from the database. Public holidays come from the `holidays` library
for a country (ISO code, `DE`) and optional subdivision (`BY`): a project's
(its standup's) for the team, and a person's own (`User.holidays`) for them.

    cal = work_calendar(session=s, project=p, start=today, end=today + timedelta(days=90))
    cal.is_working_day(day); cal.working_days_between(today, due)
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

from sqlalchemy import or_
from sqlmodel import Session, select

from bot.domain.errors import Invalid
from bot.models import DayOff, Project, StandupConfig, User

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MON_FRI: frozenset[int] = frozenset(range(5))


def parse_holidays(code: str) -> tuple[str, str]:
    """`DE-BY` -> ("DE", "BY"), `us` -> ("US", ""); `Invalid` unless the library knows it."""
    raw = code.strip().upper().replace("_", "-")
    country, _, subdiv = raw.partition("-")
    validate_holidays(country, subdiv)
    return country, subdiv


def _country_holidays(country: str, **kwargs):
    """The `holidays` table of a country, imported on first use (it is large)."""
    import holidays

    return holidays.country_holidays(country, **kwargs)


def validate_holidays(country: str, subdiv: str = "") -> None:
    if not country:
        return
    try:
        _country_holidays(country, subdiv=subdiv or None)
    except NotImplementedError:
        if subdiv:
            known = _subdivisions(country)
            if known:
                raise Invalid(f"`{country}` has no region `{subdiv}`; one of "
                              f"{', '.join(known[:30])}.") from None
        raise Invalid(f"No public holiday calendar for `{country}`; use a country code "
                      "like DE, US, GB, optionally with a region: DE-BY, US-NY.") from None


def _subdivisions(country: str) -> list[str]:
    try:
        return list(_country_holidays(country).subdivisions)
    except NotImplementedError:
        return []


@lru_cache(maxsize=256)
def _holidays_for(country: str, subdiv: str, year: int) -> dict[date, str]:
    if not country:
        return {}
    table = _country_holidays(country, subdiv=subdiv or None, years=year)
    return dict(table.items())


def holiday_name(day: date, *, country: str, subdiv: str = "") -> str | None:
    """The public holiday on `day` (its name), or None."""
    return _holidays_for(country.upper(), subdiv.upper(), day.year).get(day)


def holidays_between(start: date, end: date, *, country: str, subdiv: str = "") -> dict[date, str]:
    """Public holidays from `start` to `end` inclusive."""
    found: dict[date, str] = {}
    for year in range(start.year, end.year + 1):
        for day, name in _holidays_for(country.upper(), subdiv.upper(), year).items():
            if start <= day <= end:
                found[day] = name
    return dict(sorted(found.items()))


def parse_weekdays(text: str) -> frozenset[int]:
    """`mon-fri`, `mon,wed,fri`, `weekdays`, `daily` -> weekday numbers (Mon=0)."""
    raw = text.strip().lower()
    if raw in {"weekdays", "workdays"}:
        return MON_FRI
    if raw in {"daily", "everyday", "every-day"}:
        return frozenset(range(7))
    days: set[int] = set()
    for part in filter(None, raw.replace(" ", "").split(",")):
        first, dash, last = part.partition("-")
        try:
            a = WEEKDAY_NAMES.index(first[:3])
            b = WEEKDAY_NAMES.index(last[:3]) if dash else a
        except ValueError:
            raise Invalid(f"Expected days like mon-fri or mon,wed,fri (got `{text}`).") from None
        span = range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)]
        days.update(span)
    if not days:
        raise Invalid(f"Expected days like mon-fri or mon,wed,fri (got `{text}`).")
    return frozenset(days)


def format_weekdays(days: Collection[int]) -> str:
    """{0,1,2,3,4} -> `mon-fri`; {0,2,4} -> `mon,wed,fri`."""
    ordered = sorted(set(days))
    runs: list[list[int]] = []
    for d in ordered:
        if runs and d == runs[-1][-1] + 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    out: list[str] = []
    for run in runs:
        if len(run) >= 3:
            out.append(f"{WEEKDAY_NAMES[run[0]]}-{WEEKDAY_NAMES[run[-1]]}")
        else:
            out.extend(WEEKDAY_NAMES[d] for d in run)
    return ",".join(out)


def is_working_day(day: date, *, country: str = "", subdiv: str = "",
                   days_off: Collection[date] = (), weekdays: Collection[int] = MON_FRI) -> bool:
    """True unless `day` is outside `weekdays`, a public holiday or a day off."""
    if day.weekday() not in weekdays or day in days_off:
        return False
    return not (country and holiday_name(day, country=country, subdiv=subdiv))


def working_days(start: date, end: date, **facts) -> Iterator[date]:
    """Working days d with start <= d <= end (same keyword facts as `is_working_day`)."""
    day = start
    while day <= end:
        if is_working_day(day, **facts):
            yield day
        day += timedelta(days=1)


def working_days_between(start: date, end: date, **facts) -> int:
    """How many working days d with start <= d < end (0 when end <= start)."""
    if end <= start:
        return 0
    return sum(1 for _ in working_days(start, end - timedelta(days=1), **facts))


def add_working_days(start: date, count: int, **facts) -> date:
    """The date `count` working days after `start` (start itself not counted)."""
    if count < 0:
        raise ValueError("count must be >= 0")
    day, left = start, count
    for _ in range(count * 7 + 3700):  # guard: never loop forever on an all-off calendar
        if left == 0:
            return day
        day += timedelta(days=1)
        if is_working_day(day, **facts):
            left -= 1
    raise Invalid("No working days in the calendar: check the days and days off.")


def expand(ranges: Iterable[tuple[date, date]]) -> set[date]:
    """Every date covered by (start, end) inclusive ranges."""
    out: set[date] = set()
    for start, end in ranges:
        day = start
        while day <= end:
            out.add(day)
            day += timedelta(days=1)
    return out


# --- from the database ---------------------------------------------------------


def company_days_off(*, session: Session, team_id: str, project_id: int, start: date,
                     end: date) -> set[date]:
    """A project's days off (no standup, not a working day) between start and end."""
    rows = session.exec(select(DayOff).where(
        DayOff.team_id == team_id, DayOff.project_id == project_id, DayOff.user_id.is_(None),
        DayOff.start_date <= end, DayOff.end_date >= start))
    return {d for d in expand((r.start_date, r.end_date) for r in rows) if start <= d <= end}


def away_users(*, session: Session, team_id: str, project_id: int | None, day: date) -> set[str]:
    """People out of office on `day` (absences for every project, or this one),
    or on a public holiday of their own region."""
    query = select(DayOff.user_id).where(
        DayOff.team_id == team_id, DayOff.user_id.is_not(None),
        DayOff.start_date <= day, DayOff.end_date >= day)
    if project_id is not None:
        query = query.where(or_(DayOff.project_id.is_(None), DayOff.project_id == project_id))
    return {u for u in session.exec(query) if u} | set(on_own_holiday(session=session, team_id=team_id, day=day))


def on_own_holiday(*, session: Session, team_id: str, day: date) -> dict[str, str]:
    """People whose own public-holiday region (`/project holidays US-NY`) has a
    holiday on `day`: user id -> the holiday's name."""
    out = {}
    for user_id, code in session.exec(select(User.user_id, User.holidays).where(
            User.team_id == team_id, User.holidays != "")):
        country, _, subdiv = code.partition("-")
        if name := holiday_name(day, country=country, subdiv=subdiv):
            out[user_id] = name
    return out


def user_days_away(*, session: Session, team_id: str, user_id: str, start: date,
                   end: date) -> set[date]:
    """The days between start and end that `user_id` is out of office or on a
    public holiday of their own region."""
    return days_away(session=session, team_id=team_id, user_ids=[user_id], start=start, end=end)[user_id]


def days_away(*, session: Session, team_id: str, user_ids: Collection[str], start: date,
              end: date) -> dict[str, set[date]]:
    """`user_days_away` of many people in two statements: user id -> days."""
    out: dict[str, set[date]] = {u: set() for u in user_ids}
    if not out:
        return out
    for row in session.exec(select(DayOff).where(
            DayOff.team_id == team_id, DayOff.user_id.in_(out), DayOff.start_date <= end, DayOff.end_date >= start)):
        out[row.user_id] |= {d for d in expand([(row.start_date, row.end_date)]) if start <= d <= end}
    for user_id, code in session.exec(select(User.user_id, User.holidays).where(
            User.team_id == team_id, User.user_id.in_(out), User.holidays != "")):
        country, _, subdiv = code.partition("-")
        out[user_id] |= set(holidays_between(start, end, country=country, subdiv=subdiv))
    return out


@dataclass(frozen=True)
class WorkCalendar:
    """A project's working days: its weekdays, holiday region and days off."""

    country: str = ""
    subdiv: str = ""
    weekdays: frozenset[int] = MON_FRI
    days_off: frozenset[date] = field(default_factory=frozenset)

    @property
    def facts(self) -> dict:
        return {"country": self.country, "subdiv": self.subdiv, "days_off": self.days_off,
                "weekdays": self.weekdays}

    def is_working_day(self, day: date) -> bool:
        return is_working_day(day, **self.facts)

    def why_not_working(self, day: date) -> str | None:
        """`Christmas Day`, `company day off`, `weekend`, or None on a working day."""
        if self.country and (name := holiday_name(day, country=self.country, subdiv=self.subdiv)):
            return name
        if day in self.days_off:
            return "company day off"
        if day.weekday() not in self.weekdays:
            return "not a standup day" if day.weekday() < 5 else "weekend"
        return None

    def working_days(self, start: date, end: date) -> list[date]:
        return list(working_days(start, end, **self.facts))

    def working_days_between(self, start: date, end: date) -> int:
        return working_days_between(start, end, **self.facts)

    def add_working_days(self, start: date, count: int) -> date:
        return add_working_days(start, count, **self.facts)


def work_calendar(*, session: Session, project: Project, start: date, end: date,
                  weekdays: Collection[int] | None = None) -> WorkCalendar:
    """The project's calendar with days off loaded for [start, end]. The holiday
    region comes from its standup settings; weekdays default to Mon-Fri."""
    config = session.exec(select(StandupConfig).where(StandupConfig.project_id == project.id)).first()
    return WorkCalendar(
        country=config.holidays_country if config else "",
        subdiv=config.holidays_subdiv if config else "",
        weekdays=frozenset(weekdays) if weekdays is not None else MON_FRI,
        days_off=frozenset(company_days_off(session=session, team_id=project.team_id,
                                            project_id=project.id, start=start, end=end)),
    )
