"""Reads the standup modules share: who a standup asks, their zones, and a
run's participants and answers.
"""

from __future__ import annotations

from sqlmodel import Session, select

from bot.models import (
    Member,
    Project,
    Role,
    StandupAnswer,
    StandupConfig,
    StandupParticipant,
    StandupRun,
    User,
)

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


def run_in_team(*, session: Session, team_id: str, run_id: int) -> tuple[StandupRun, Project] | None:
    """A run and its project, when both exist and belong to `team_id`."""
    run = session.get(StandupRun, run_id)
    project = session.get(Project, run.project_id) if run is not None else None
    if run is None or project is None or project.team_id != team_id:
        return None
    return run, project


def _member_time_projects(session: Session, team_id: str | None = None) -> list[Project]:
    query = (select(Project).join(StandupConfig, StandupConfig.project_id == Project.id)
             .where(StandupConfig.per_member_timezone == True))  # noqa: E712
    if team_id is not None:
        query = query.where(StandupConfig.team_id == team_id)
    return list(session.exec(query.order_by(StandupConfig.id)))


def member_time_users(*, session: Session, team_id: str) -> list[str]:
    """People asked by the workspace's standups that prompt each member at
    their own time (whose Slack time zones must be known), each once."""
    projects = _member_time_projects(session, team_id)
    asked = participants_of(session=session, projects=projects)
    people: list[str] = []
    for project in projects:
        people += [u for u in asked[project.id] if u not in people]
    return people


def member_time_teams(*, session: Session) -> list[str]:
    """Workspaces with a standup that prompts each member at their own time."""
    return sorted({p.team_id for p in _member_time_projects(session)})
