"""What the standups tell over time: blockers reported again and again, people
who keep missing, participation, and history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, case, func
from sqlmodel import Session, select

from bot.domain.standups.queries import answered_ids, run_answers, run_participants
from bot.models import Project, StandupAnswer, StandupParticipant, StandupRun

HELD = ("open", "closed")  # run states that count: opened, whether or not closed yet


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
        for answer in run_answers(session=session, run=run):
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
        answered = answered_ids(session=session, run=run)
        asked = {p.user_id for p in run_participants(session=session, run=run) if p.status == "asked"}
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
        StandupRun.project_id == project.id, StandupRun.state.in_(HELD),
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


def answer_counts(*, session: Session, project_ids: list[int], start: date,
                  end: date) -> dict[int, tuple[int, int]]:
    """(asked, answered) per project at runs from start to end, counted as
    `participation` counts them (someone away who did not answer was not
    asked): one statement for any number of projects (status, portfolio)."""
    rows = session.exec(
        select(StandupRun.project_id,
               func.sum(case((and_(StandupParticipant.status == "away", StandupAnswer.id.is_(None)), 0),
                             else_=1)),
               func.count(StandupAnswer.id))
        .join(StandupParticipant, StandupParticipant.run_id == StandupRun.id)
        .outerjoin(StandupAnswer, and_(StandupAnswer.run_id == StandupRun.id,
                                       StandupAnswer.user_id == StandupParticipant.user_id))
        .where(StandupRun.project_id.in_(project_ids), StandupRun.state.in_(HELD),
               StandupRun.run_date >= start, StandupRun.run_date <= end)
        .group_by(StandupRun.project_id))
    return {pid: (int(asked or 0), int(answered or 0)) for pid, asked, answered in rows}


def participation_last_days(*, session: Session, project: Project, today: date,
                            days: int = 30) -> Participation:
    """Participation over the last `days` days up to `today` (for status and reports)."""
    return participation(session=session, project=project, start=today - timedelta(days=days - 1),
                         end=today)


def runs_between(*, session: Session, project: Project, start: date, end: date) -> list[StandupRun]:
    """The project's runs held from start to end, newest first."""
    return list(session.exec(select(StandupRun).where(
        StandupRun.project_id == project.id, StandupRun.state.in_(HELD),
        StandupRun.run_date >= start, StandupRun.run_date <= end).order_by(StandupRun.run_date.desc())))


def answers_of(*, session: Session, project: Project, user_id: str, start: date,
               end: date) -> list[tuple[StandupRun, StandupAnswer]]:
    """One person's answers from start to end, newest first, with their runs."""
    rows = session.exec(select(StandupRun, StandupAnswer)
                        .join(StandupAnswer, StandupAnswer.run_id == StandupRun.id)
                        .where(StandupRun.project_id == project.id, StandupAnswer.user_id == user_id,
                               StandupRun.run_date >= start, StandupRun.run_date <= end)
                        .order_by(StandupRun.run_date.desc()))
    return list(rows.all())
