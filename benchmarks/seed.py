"""Seed benchmark data fast (bulk inserts), at the sizes the targets name."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.domain import projects as project_service
from bot.models import (
    CostEntry,
    Member,
    Milestone,
    Project,
    Risk,
    StandupAnswer,
    StandupConfig,
    StandupParticipant,
    StandupRun,
    Task,
    TaskStatus,
    User,
)

TEAM = "T0BENCH"
OWNER = "U0OWNER"
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def seed_project(engine: Engine, *, key: str = "big", tasks: int = 5000, risks: int = 300,
                 members: int = 25, standups: int = 60, costs: int = 2000, channel: str = "C0BIG",
                 team_id: str = TEAM, seed: int = 7) -> int:
    """One project of the given size; returns its id."""
    rng = random.Random(seed)
    today = NOW.date()
    start = today - timedelta(days=120)
    with Session(engine, expire_on_commit=False) as s:
        project = project_service.create_project(
            session=s, team_id=team_id, name=f"Project {key}", key=key, owner_user_id=OWNER,
            goal="Benchmark project", objective="Benchmarks", start_date=start,
            due_date=today + timedelta(days=90), budget_cents=50_000_000, currency="USD",
            channel_id=channel, now=NOW,
        )
        pid = project.id
        users = [f"U{key.upper()[:12]}{i:04d}" for i in range(members)]
        s.execute(insert(User), [dict(team_id=team_id, user_id=u, name=f"{key}-member{i}", timezone="UTC")
                                 for i, u in enumerate(users)])
        s.execute(insert(Member), [dict(team_id=team_id, project_id=pid, user_id=u, role="member",
                                        hourly_rate_cents=8000, weekly_capacity_hours=40.0, active=True,
                                        created_at=NOW) for u in users])
        ms_ids = []
        for i in range(8):
            m = Milestone(team_id=team_id, project_id=pid, number=i + 1, name=f"Milestone {i + 1}",
                          due_date=start + timedelta(days=25 * (i + 1)), planned_budget_cents=6_000_000)
            s.add(m)
            s.flush()
            ms_ids.append(m.id)
        statuses = [TaskStatus.DONE] * 5 + [TaskStatus.TODO] * 3 + [TaskStatus.DOING, TaskStatus.BLOCKED]
        rows = []
        for n in range(1, tasks + 1):
            status = rng.choice(statuses)
            created = NOW - timedelta(days=rng.randint(30, 120))
            done_at = created + timedelta(days=rng.randint(1, 29)) if status == TaskStatus.DONE else None
            rows.append(dict(
                team_id=team_id, project_id=pid, number=n, title=f"Task {n} of the benchmark",
                milestone_id=rng.choice(ms_ids), assignee_user_id=rng.choice(users),
                estimate_hours=float(rng.choice([1, 2, 3, 5, 8])), status=str(status),
                blocked_reason="waiting" if status == TaskStatus.BLOCKED else "",
                due_date=today + timedelta(days=rng.randint(-20, 80)), created_by=OWNER,
                created_at=created, started_at=created if status != TaskStatus.TODO else None,
                blocked_at=NOW - timedelta(days=3) if status == TaskStatus.BLOCKED else None,
                done_at=done_at,
            ))
        for i in range(0, len(rows), 1000):
            s.execute(insert(Task), rows[i : i + 1000])
        s.execute(insert(Risk), [dict(
            team_id=team_id, project_id=pid, number=n, title=f"Risk {n}", description="",
            likelihood=rng.randint(1, 5), impact=rng.randint(1, 5), owner_user_id=rng.choice(users),
            mitigation="", response="mitigate", state=rng.choice(["open", "open", "mitigating", "closed"]),
            source="manual", close_note="", created_by=OWNER, created_at=NOW, updated_at=NOW,
        ) for n in range(1, risks + 1)])
        s.execute(insert(CostEntry), [dict(
            team_id=team_id, project_id=pid, amount_cents=rng.randint(1000, 200_000),
            category=rng.choice(["licenses", "hardware", "contractors", "hosting"]), description="",
            spent_on=start + timedelta(days=rng.randint(0, 119)), user_id=OWNER, created_at=NOW,
        ) for _ in range(costs)])
        cfg = StandupConfig(team_id=team_id, project_id=pid, channel_id=channel, timezone="UTC")
        s.add(cfg)
        s.flush()
        day, made = today, 0
        while made < standups:
            day -= timedelta(days=1)
            if day.weekday() >= 5:
                continue
            at = datetime(day.year, day.month, day.day, 9, 30, tzinfo=UTC)
            run = StandupRun(team_id=team_id, standup_id=cfg.id, project_id=pid, run_date=day,
                             scheduled_at=at, closes_at=at + timedelta(hours=2), state="closed",
                             channel_id=channel, closed_at=at + timedelta(hours=2))
            s.add(run)
            s.flush()
            s.execute(insert(StandupParticipant), [dict(
                team_id=team_id, run_id=run.id, user_id=u, status="asked", prompt_at=at, prompted_at=at,
            ) for u in users])
            answers = [dict(
                team_id=team_id, run_id=run.id, project_id=pid, user_id=u,
                answers={"done": "things", "next": "more things"},
                blocker="vendor" if rng.random() < 0.1 else "", confidence=rng.randint(2, 5), late=False,
                submitted_at=at + timedelta(minutes=20), updated_at=at + timedelta(minutes=20),
            ) for u in users if rng.random() < 0.9]
            if answers:  # an empty executemany would insert one row of defaults
                s.execute(insert(StandupAnswer), answers)
            made += 1
        s.commit()
        return pid


def seed_portfolio(engine: Engine, *, projects: int = 50, tasks_each: int = 100,
                   team_id: str = TEAM) -> list[int]:
    """Many small projects for `/project list`."""
    return [seed_project(engine, key=f"p{i:03d}", tasks=tasks_each, risks=5, members=3, standups=2,
                         costs=10, channel=f"C0P{i:03d}", team_id=team_id, seed=i)
            for i in range(projects)]


def project_row(engine: Engine, pid: int) -> Project:
    with Session(engine, expire_on_commit=False) as s:
        return s.get(Project, pid)


def today() -> date:
    return NOW.date()


def seed_people(engine: Engine, *, people: int = 50, projects: int = 20, team_id: str = TEAM,
                prefix: str = "w") -> list[str]:
    """A workspace where the same people work on many projects (`/project people`):
    `projects` projects owned by OWNER, each person on four of them (an
    allocation set on one), ten open estimated tasks each spread over the
    next eight weeks, one without an estimate, some done; a few absences.
    Returns the people's user ids."""
    from bot.models import DayOff

    rng = random.Random(people * 1000 + projects)
    today = NOW.date()
    users = [f"U{prefix.upper()}{i:04d}" for i in range(people)]
    with Session(engine, expire_on_commit=False) as s:
        pids = []
        for n in range(projects):
            project = project_service.create_project(
                session=s, team_id=team_id, name=f"Portfolio {prefix}{n:02d}", key=f"{prefix}{n:02d}",
                owner_user_id=OWNER, start_date=today - timedelta(days=30), due_date=today + timedelta(days=90),
                channel_id=f"C0{prefix.upper()}{n:03d}", now=NOW)
            pids.append(project.id)
        s.execute(insert(User), [dict(team_id=team_id, user_id=u, name=f"person{i}", timezone="Europe/Berlin",
                                      weekly_capacity_hours=32.0 if i % 5 == 0 else None)
                                 for i, u in enumerate(users)])
        members, tasks = [], []
        for i, u in enumerate(users):
            mine = sorted({pids[(i + j * 3) % projects] for j in range(min(4, projects))})
            for k, pid in enumerate(mine):
                members.append(dict(team_id=team_id, project_id=pid, user_id=u, role="member",
                                    weekly_capacity_hours=20.0 if k == 0 else None, active=True, created_at=NOW))
                for t in range(11):
                    status = TaskStatus.DONE if t == 10 else TaskStatus.TODO
                    tasks.append(dict(team_id=team_id, project_id=pid, title=f"Work {t}", assignee_user_id=u,
                                      estimate_hours=None if t == 9 else float(rng.choice([2, 4, 6, 8])),
                                      status=str(status), blocked_reason="",
                                      due_date=today + timedelta(days=rng.randint(-5, 56)), created_by=OWNER,
                                      created_at=NOW, done_at=NOW if status == TaskStatus.DONE else None))
        s.execute(insert(Member), members)
        numbers: dict[int, int] = {}
        for row in tasks:
            numbers[row["project_id"]] = numbers.get(row["project_id"], 0) + 1
            row["number"] = numbers[row["project_id"]]
        for i in range(0, len(tasks), 1000):
            s.execute(insert(Task), tasks[i : i + 1000])
        s.execute(insert(DayOff), [dict(team_id=team_id, user_id=u, start_date=today + timedelta(days=7),
                                         end_date=today + timedelta(days=9), reason="away", created_at=NOW)
                                    for u in users[::7]])
        s.commit()
    return users
