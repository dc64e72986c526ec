"""Scenario 2: SQL statements per status, list and App Home at 100 and 5,000
tasks, and per `people` for 5 people on 4 projects and 50 people on 20."""

from __future__ import annotations

from sqlmodel import Session

from benchmarks.common import Result, database
from benchmarks.querycount import count_statements
from benchmarks.seed import NOW, OWNER, TEAM, seed_people, seed_project
from bot.commands import Context, dispatch
from bot.domain import status_cache

TARGET = 15


def _dispatch_count(engine, text: str) -> int:
    """Statements for one command with a cold status cache (the worst case)."""
    status_cache.clear()
    with Session(engine, expire_on_commit=False) as session:
        ctx = Context(session=session, team_id=TEAM, user_id=OWNER, now=NOW)
        with count_statements(engine) as counter:
            reply = dispatch(text, ctx)
        if reply.error:
            raise RuntimeError(reply.plain())
    return counter.count


def _home_count(engine, user: str) -> int:
    """Statements to build the App Home of `user` (every task of "big" is theirs)."""
    from bot.slack.home import home_reply

    status_cache.clear()
    with Session(engine, expire_on_commit=False) as session, count_statements(engine) as counter:
        home_reply(session=session, team_id=TEAM, user_id=user, now=NOW)
    return counter.count


def run(db: str = "sqlite") -> list[Result]:
    results = []
    counts: dict[str, dict[int, int]] = {"status": {}, "list (50 projects)": {}, "App Home": {}}
    for size in (100, 5000):
        with database(db) as (_, engine):
            seed_project(engine, key="big", tasks=size, members=1, channel="C0BIG")
            for i in range(49):
                seed_project(engine, key=f"p{i:02d}", tasks=20, risks=2, members=2, standups=1,
                             costs=5, channel=f"C0P{i:02d}", seed=i)
            counts["status"][size] = _dispatch_count(engine, "status big")
            counts["list (50 projects)"][size] = _dispatch_count(engine, "list")
            counts["App Home"][size] = _home_count(engine, "UBIG0000")
    people: dict[int, int] = {}
    for size, projects in ((5, 4), (50, 20)):
        with database(db) as (_, engine):
            seed_people(engine, people=size, projects=projects)
            people[size] = _dispatch_count(engine, "people")
    for what, by_size in counts.items():
        same = by_size[100] == by_size[5000]
        results.append(Result(
            scenario="2 constant work", metric=f"{what} statements ({db})", value=by_size[5000],
            unit="stmts", target=f"same at 100 and 5,000 tasks, <= {TARGET}",
            met=same and by_size[5000] <= TARGET,
            note=f"{by_size[100]} at 100 tasks, {by_size[5000]} at 5,000",
        ))
    results.append(Result(
        scenario="2 constant work", metric=f"people, 50 x 20 projects, statements ({db})", value=people[50],
        unit="stmts", target=f"same for 5 x 4 and 50 x 20, <= {TARGET}",
        met=people[5] == people[50] and people[50] <= TARGET,
        note=f"{people[5]} for 5 people on 4 projects, {people[50]} for 50 people on 20",
    ))
    return results
