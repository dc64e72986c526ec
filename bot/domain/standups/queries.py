"""Reads the standup modules share: who a standup asks, their zones, and a
run's participants and answers.
"""

from __future__ import annotations

from sqlmodel import Session, select

from bot.models import Member, Project, Role, StandupAnswer, StandupParticipant, StandupRun, User

ASKED_ROLES = {Role.OWNER, Role.MANAGER, Role.MEMBER}


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


def user_timezones(*, session: Session, team_id: str, user_ids: list[str]) -> dict[str, str]:
    """Each user's cached Slack timezone (absent when unknown)."""
    rows = session.exec(select(User.user_id, User.timezone).where(
        User.team_id == team_id, User.user_id.in_(user_ids))).all()
    return {u: tz for u, tz in rows if tz}


def run_participants(*, session: Session, run: StandupRun) -> list[StandupParticipant]:
    """Everyone a run asked or counted as away, in the order they were added."""
    return list(session.exec(select(StandupParticipant).where(StandupParticipant.run_id == run.id)
                             .order_by(StandupParticipant.id)))


def run_answers(*, session: Session, run: StandupRun) -> list[StandupAnswer]:
    """A run's answers, first submitted first."""
    return list(session.exec(select(StandupAnswer).where(StandupAnswer.run_id == run.id)
                             .order_by(StandupAnswer.submitted_at, StandupAnswer.id)))


def answered_ids(*, session: Session, run: StandupRun) -> set[str]:
    """Who answered a run."""
    return set(session.exec(select(StandupAnswer.user_id).where(StandupAnswer.run_id == run.id)))
