"""Budget actuals: money spent and hours logged, and where it went.

`record_spend` stores a cost entry (owner or manager); `log_time` stores hours
for a person, snapshotting their hourly rate on the project into
`TimeEntry.rate_cents` so a later rate change does not rewrite history
(labour cost = minutes x rate / 60). `breakdown` totals both by category,
member or month with grouped queries.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import case, func
from sqlmodel import Session, select

from bot.domain import audit
from bot.domain.access import Action, require
from bot.domain.errors import Invalid, NotFound
from bot.domain.format import day, money
from bot.models import CostEntry, Member, Project, Task, TimeEntry

CATEGORY_RE = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
LABOUR = "labour"
MAX_DESCRIPTION = 500
MAX_AMOUNT_CENTS = 10**11  # one billion in major units
GROUPINGS = ("category", "member", "month")
DOUBLE_SUBMIT = timedelta(minutes=2)


def record_spend(*, session: Session, project: Project, actor: str, amount_cents: int, category: str,
                 description: str = "", spent_on: date, today: date,
                 now: datetime) -> tuple[CostEntry, bool]:
    """Record money spent on the project; the owner and managers may. Returns
    (entry, created): the same entry by the same person within two minutes is
    a double submission and is not stored twice."""
    require(session=session, project=project, user_id=actor, action=Action.MANAGE,
            what="record spending")
    if amount_cents == 0:
        raise Invalid("An amount spent is more than zero, like 1200 or $49.99 (a refund: -150 with a reason).")
    if amount_cents < 0 and not description.strip():
        raise Invalid('A refund needs a reason: `/project spend -150 hardware "Returned one switch"`.')
    if amount_cents < 0:
        other, _, _ = totals(session=session, project=project)
        if other + amount_cents < 0:
            raise Invalid(f"A refund cannot be more than what was spent: "
                          f"{money(other, project.currency)} so far, not counting labour.")
    if abs(amount_cents) > MAX_AMOUNT_CENTS:
        raise Invalid("That amount is larger than this bot records; is it a typo?")
    category = category.strip().lower()
    if category == LABOUR:
        raise Invalid("Labour is counted from logged hours: use `/project log 3h` instead.")
    if not CATEGORY_RE.match(category):
        raise Invalid("A category is one word like licenses, hardware, hosting or contractors.")
    if len(description) > MAX_DESCRIPTION:
        raise Invalid(f"A description can be at most {MAX_DESCRIPTION} characters.")
    if spent_on > today:
        raise Invalid(f"{day(spent_on, year=True)} is in the future; record spending when it happens.")
    same = _recent(session, CostEntry, now, CostEntry.project_id == project.id, CostEntry.user_id == actor,
                   CostEntry.amount_cents == amount_cents, CostEntry.category == category,
                   CostEntry.description == description.strip(), CostEntry.spent_on == spent_on)
    if same is not None:
        return same, False
    entry = CostEntry(team_id=project.team_id, project_id=project.id, amount_cents=amount_cents,
                      category=category, description=description.strip(), spent_on=spent_on,
                      user_id=actor, created_at=now)
    session.add(entry)
    session.flush()
    audit.record(session=session, team_id=project.team_id, user_id=actor,
                 action="cost.refund" if amount_cents < 0 else "cost.add",
                 entity="cost", entity_id=entry.id, project_id=project.id, now=now,
                 after={"amount_cents": amount_cents, "category": category,
                        "spent_on": spent_on.isoformat(),
                        **({"reason": description.strip()} if amount_cents < 0 else {})})
    return entry, True


def log_time(*, session: Session, project: Project, actor: str, hours: float, worked_on: date,
             today: date, user_id: str | None = None, task: Task | None = None,
             note: str = "", now: datetime) -> tuple[TimeEntry, bool]:
    """Log hours for `user_id` (default: the actor) at their current rate;
    returns (entry, created), not storing a double submission twice.

    Members log their own time; the owner and managers may log anyone's."""
    who = user_id or actor
    if who == actor:
        require(session=session, project=project, user_id=actor, action=Action.WORK, what="log time")
    else:
        require(session=session, project=project, user_id=actor, action=Action.MANAGE,
                what="log time for someone else")
    if not 0 < hours <= 24:
        raise Invalid("Log between a few minutes and 24h for one day, like 3h or 90m.")
    if worked_on > today:
        raise Invalid(f"{day(worked_on, year=True)} is in the future; log hours once they are worked.")
    if task is not None and task.project_id != project.id:
        raise Invalid(f"Task #{task.number} is not in *{project.name}*.")
    member = session.exec(select(Member).where(Member.project_id == project.id,
                                               Member.user_id == who)).first()
    if member is None and who != project.owner_user_id:
        raise Invalid(f"<@{who}> is not on *{project.name}*; add them with `/project member add`.")
    minutes = round(hours * 60)
    same = _recent(session, TimeEntry, now, TimeEntry.project_id == project.id, TimeEntry.user_id == who,
                   TimeEntry.minutes == minutes, TimeEntry.worked_on == worked_on,
                   (TimeEntry.task_id == task.id) if task else TimeEntry.task_id.is_(None),
                   TimeEntry.note == note.strip()[:MAX_DESCRIPTION])
    if same is not None:
        return same, False
    entry = TimeEntry(team_id=project.team_id, project_id=project.id, task_id=task.id if task else None,
                      user_id=who, minutes=minutes,
                      rate_cents=member.hourly_rate_cents if member else None,
                      worked_on=worked_on, note=note.strip()[:MAX_DESCRIPTION], created_at=now)
    session.add(entry)
    session.flush()
    audit.record(session=session, team_id=project.team_id, user_id=actor, action="time.log",
                 entity="time", entity_id=entry.id, project_id=project.id, now=now,
                 after={"user_id": who, "minutes": entry.minutes, "rate_cents": entry.rate_cents,
                        "worked_on": worked_on.isoformat()})
    return entry, True


def _recent(session: Session, model, now: datetime, *conditions):
    """The same row stored in the last `DOUBLE_SUBMIT` (a repeated command), if any."""
    since = now - DOUBLE_SUBMIT
    return session.exec(select(model).where(*conditions, model.created_at >= since)).first()


def labour_cents(entry: TimeEntry) -> int:
    """minutes x rate / 60, rounded to the cent (0 without a rate)."""
    return round(entry.minutes * (entry.rate_cents or 0) / 60)


@dataclass(frozen=True)
class CostLine:
    """One row of a breakdown: a label, money, and hours where they apply."""

    label: str
    cents: int
    hours: float = 0.0
    unrated_hours: float = 0.0  # logged by someone without a rate: not in `cents`


def breakdown(*, session: Session, project: Project, by: str) -> list[CostLine]:
    """Totals by `category` (labour as one), `member` (labour; other spending as
    one line) or `month`, biggest first (months in order)."""
    if by not in GROUPINGS:
        raise Invalid(f"Break costs down by one of: {', '.join(GROUPINGS)}.")
    pid = project.id
    labour_money = func.sum(TimeEntry.minutes * func.coalesce(TimeEntry.rate_cents, 0))
    unrated = func.sum(case((TimeEntry.rate_cents.is_(None), TimeEntry.minutes), else_=0))
    if by == "category":
        lines = [CostLine(c, int(a)) for c, a in session.exec(
            select(CostEntry.category, func.sum(CostEntry.amount_cents))
            .where(CostEntry.project_id == pid).group_by(CostEntry.category))]
        money, minutes, no_rate = session.exec(
            select(labour_money, func.sum(TimeEntry.minutes), unrated)
            .where(TimeEntry.project_id == pid)).one()
        if minutes:
            lines.append(CostLine(LABOUR, round((money or 0) / 60), minutes / 60, (no_rate or 0) / 60))
        return sorted(lines, key=lambda line: -line.cents)
    if by == "member":
        lines = [CostLine(f"<@{u}>", round((m or 0) / 60), (mins or 0) / 60, (nr or 0) / 60)
                 for u, m, mins, nr in session.exec(
                     select(TimeEntry.user_id, labour_money, func.sum(TimeEntry.minutes), unrated)
                     .where(TimeEntry.project_id == pid).group_by(TimeEntry.user_id))]
        other = session.exec(select(func.sum(CostEntry.amount_cents))
                             .where(CostEntry.project_id == pid)).one()
        if other:
            lines.append(CostLine("other spending (not labour)", int(other)))
        return sorted(lines, key=lambda line: -line.cents)
    months: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for spent_on, amount in session.exec(
        select(CostEntry.spent_on, func.sum(CostEntry.amount_cents))
        .where(CostEntry.project_id == pid).group_by(CostEntry.spent_on)
    ):
        months[f"{spent_on:%Y-%m}"][0] += amount * 60
    for worked_on, money, mins in session.exec(
        select(TimeEntry.worked_on, labour_money, func.sum(TimeEntry.minutes))
        .where(TimeEntry.project_id == pid).group_by(TimeEntry.worked_on)
    ):
        months[f"{worked_on:%Y-%m}"][0] += money or 0
        months[f"{worked_on:%Y-%m}"][1] += mins or 0
    return [CostLine(m, round(v[0] / 60), v[1] / 60) for m, v in sorted(months.items())]


def totals(*, session: Session, project: Project) -> tuple[int, int, float]:
    """(other spending, labour cost, hours logged) in cents and hours."""
    other = session.exec(select(func.sum(CostEntry.amount_cents))
                         .where(CostEntry.project_id == project.id)).one() or 0
    money, minutes = session.exec(
        select(func.sum(TimeEntry.minutes * func.coalesce(TimeEntry.rate_cents, 0)),
               func.sum(TimeEntry.minutes)).where(TimeEntry.project_id == project.id)).one()
    return int(other), round((money or 0) / 60), (minutes or 0) / 60


# --- corrections: a correcting entry, never an erase ----------------------------------


def get_cost(*, session: Session, project: Project, entry_id: int) -> CostEntry:
    entry = session.get(CostEntry, entry_id)
    if entry is None or entry.project_id != project.id:
        raise NotFound(f"*{project.name}* has no spending C{entry_id}. `/project spend list` shows them.")
    return entry


def get_time(*, session: Session, project: Project, entry_id: int) -> TimeEntry:
    entry = session.get(TimeEntry, entry_id)
    if entry is None or entry.project_id != project.id:
        raise NotFound(f"*{project.name}* has no logged time L{entry_id}. `/project log list` shows them.")
    return entry


def _correction_of(session: Session, model, entry_id: int):
    return session.exec(select(model).where(model.reverses_id == entry_id)).first()


def void_cost(*, session: Session, project: Project, actor: str, entry: CostEntry, reason: str = "",
              now: datetime) -> tuple[CostEntry, bool]:
    """Void spending with a correcting entry (the same amount negated, on the same
    day and category), so totals drop and both stay in the record. Returns
    (correction, created); a second void finds the first correction."""
    require(session=session, project=project, user_id=actor, action=Action.MANAGE,
            what="correct spending")
    if entry.reverses_id is not None:
        raise Invalid(f"C{entry.id} is itself the correction of C{entry.reverses_id}; "
                      "record the spending again instead.")
    existing = _correction_of(session, CostEntry, entry.id)
    if existing is not None:
        return existing, False
    reason = reason.strip()[:MAX_DESCRIPTION]
    correction = CostEntry(team_id=project.team_id, project_id=project.id, amount_cents=-entry.amount_cents,
                           category=entry.category, description=reason or f"void of C{entry.id}",
                           spent_on=entry.spent_on, user_id=actor, reverses_id=entry.id, created_at=now)
    session.add(correction)
    session.flush()
    audit.record(session=session, team_id=project.team_id, user_id=actor, action="cost.void",
                 entity="cost", entity_id=entry.id, project_id=project.id, now=now,
                 before={"amount_cents": entry.amount_cents},
                 after={"amount_cents": 0, "correction": f"C{correction.id}", "reason": reason})
    return correction, True


def void_time(*, session: Session, project: Project, actor: str, entry: TimeEntry, reason: str = "",
              now: datetime) -> tuple[TimeEntry, bool]:
    """Void logged time with a correcting entry (the minutes negated, at the same
    rate, day, person and task). Members void their own; owner and managers anyone's."""
    if entry.user_id == actor:
        require(session=session, project=project, user_id=actor, action=Action.WORK, what="correct logged time")
    else:
        require(session=session, project=project, user_id=actor, action=Action.MANAGE,
                what="correct someone else's logged time")
    if entry.reverses_id is not None:
        raise Invalid(f"L{entry.id} is itself the correction of L{entry.reverses_id}; log the time again instead.")
    existing = _correction_of(session, TimeEntry, entry.id)
    if existing is not None:
        return existing, False
    reason = reason.strip()[:MAX_DESCRIPTION]
    correction = TimeEntry(team_id=project.team_id, project_id=project.id, task_id=entry.task_id,
                           user_id=entry.user_id, minutes=-entry.minutes, rate_cents=entry.rate_cents,
                           worked_on=entry.worked_on, note=reason or f"void of L{entry.id}",
                           reverses_id=entry.id, created_at=now)
    session.add(correction)
    session.flush()
    audit.record(session=session, team_id=project.team_id, user_id=actor, action="time.void",
                 entity="time", entity_id=entry.id, project_id=project.id, now=now,
                 before={"user_id": entry.user_id, "minutes": entry.minutes},
                 after={"user_id": entry.user_id, "minutes": 0, "correction": f"L{correction.id}",
                        "reason": reason})
    return correction, True


def list_costs(*, session: Session, project: Project) -> list[CostEntry]:
    """Every spending entry, corrections included, newest first."""
    return list(session.exec(select(CostEntry).where(CostEntry.project_id == project.id)
                             .order_by(CostEntry.spent_on.desc(), CostEntry.id.desc())))


def list_times(*, session: Session, project: Project, user_id: str | None = None) -> list[TimeEntry]:
    """Logged time (of one person, if given), corrections included, newest first."""
    query = select(TimeEntry).where(TimeEntry.project_id == project.id)
    if user_id:
        query = query.where(TimeEntry.user_id == user_id)
    return list(session.exec(query.order_by(TimeEntry.worked_on.desc(), TimeEntry.id.desc())))


def voided_ids(entries: list) -> dict[int, int]:
    """entry id -> the id of the correction that voids it, among `entries`."""
    return {e.reverses_id: e.id for e in entries if e.reverses_id is not None}
