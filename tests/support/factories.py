"""Build test data through the domain services (as the commands would)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.domain import members, milestones, projects, tasks
from bot.models import Project, Role, Task
from tests.support.helpers import TEAM

OWNER, MANAGER, MEMBER, STAKEHOLDER, OUTSIDER = "U0OWNER", "U0MGR", "U0MEMB", "U0STAKE", "U0OUT"
TEAM_ROLES = {MANAGER: Role.MANAGER, MEMBER: Role.MEMBER, STAKEHOLDER: Role.STAKEHOLDER}


def make_project(engine: Engine, *, team_id: str = TEAM, key: str = "website",
                 name: str = "Website relaunch", channel_id: str | None = "C0PROJ",
                 owner: str = OWNER, people: dict[str, Role] | None = None,
                 task_titles: tuple[str, ...] = (), due_date: date | None = None,
                 budget_cents: int | None = None, timezone: str = "UTC",
                 now: datetime | None = None) -> Project:
    """A project with an owner, the usual roles (manager, member, stakeholder) and tasks,
    written at `now` (default: the real time)."""
    now = now or datetime.now(UTC)
    with Session(engine, expire_on_commit=False) as s:
        project = projects.create_project(
            session=s, team_id=team_id, name=name, key=key, owner_user_id=owner,
            channel_id=channel_id, due_date=due_date, budget_cents=budget_cents,
            timezone=timezone, start_date=date(2026, 10, 1), now=now)
        for user_id, role in (TEAM_ROLES if people is None else people).items():
            members.add_member(session=s, project=project, actor=owner, user_id=user_id, role=role, now=now)
        for title in task_titles:
            tasks.add_task(session=s, project=project, actor=owner, title=title, now=now)
        s.commit()
        return project


def add_milestone(engine: Engine, project: Project, name: str, due_date: date | None = None,
                  now: datetime | None = None):
    with Session(engine, expire_on_commit=False) as s:
        m = milestones.add_milestone(session=s, project=project, actor=project.owner_user_id,
                                     name=name, due_date=due_date, now=now or datetime.now(UTC))
        s.commit()
        return m


def task(engine: Engine, project: Project, number: int) -> Task:
    with Session(engine, expire_on_commit=False) as s:
        return tasks.get_task(session=s, project=project, number=number)


def fresh(engine: Engine, project: Project) -> Project:
    """The project as stored now."""
    with Session(engine, expire_on_commit=False) as s:
        return s.get(Project, project.id)
