"""Who is away, for every project (not only standups): out of office, and
someone's own public holidays.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel import Session, select

from bot.domain import audit, calendar
from bot.domain.access import Action, require
from bot.domain.errors import Invalid, PermissionDenied
from bot.models import DayOff, Project, User


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
                      end: date, project: Project | None = None, reason: str = "",
                      now: datetime) -> tuple[DayOff, bool]:
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
    row = DayOff(team_id=team_id, user_id=user_id, start_date=start, end_date=end, reason=reason[:200],
                 created_at=now)
    session.add(row)
    session.flush()
    audit.record(session=session, team_id=team_id, user_id=actor, action="ooo.add", entity="day_off",
                 entity_id=row.id, project_id=project.id if project else None,
                 after={"user_id": user_id, "start": start, "end": end}, now=now)
    return row, True


def set_own_holidays(*, session: Session, team_id: str, actor: str, user_id: str, code: str | None,
                     project: Project | None = None, now: datetime) -> str:
    """Give someone public holidays of their own region (`US-NY`; None clears
    it): away on those days in every project. Anyone may set their own;
    setting someone else's takes a manager of `project`. Returns the region."""
    _require_self_or_manager(session=session, project=project, actor=actor, user_id=user_id,
                             what="set someone else's holidays")
    value = "-".join(p for p in calendar.parse_holidays(code) if p) if code else ""
    user = session.exec(select(User).where(User.team_id == team_id, User.user_id == user_id)).first() \
        or User(team_id=team_id, user_id=user_id, created_at=now)
    if user.holidays != value:
        audit.record(session=session, team_id=team_id, user_id=actor, action="user.holidays", entity="user",
                     entity_id=user.id, project_id=project.id if project else None,
                     before={"user_id": user_id, "holidays": user.holidays},
                     after={"user_id": user_id, "holidays": value}, now=now)
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
