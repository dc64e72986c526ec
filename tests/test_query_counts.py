"""Constant work: `/project status` and `/project list` run the same number of
SQL statements at 100 and at 5,000 tasks (no N+1), and at most 15."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from benchmarks.querycount import count_statements
from benchmarks.seed import NOW, OWNER, TEAM, seed_portfolio, seed_project
from bot.commands import Context, dispatch
from bot.domain import status_cache
from bot.models import Project

MAX_STATEMENTS = 15


def _count(engine, text: str, channel: str = "") -> tuple[int, str]:
    status_cache.clear()  # count the cold path, the one that does the work
    with Session(engine, expire_on_commit=False) as session:
        ctx = Context(session=session, team_id=TEAM, user_id=OWNER, channel_id=channel, now=NOW)
        with count_statements(engine) as counter:
            reply = dispatch(text, ctx, raise_unexpected=True)
    assert not reply.error, reply.plain()
    return counter.count, reply.plain()


@pytest.mark.slow
def test_status_runs_the_same_statements_at_100_and_5000_tasks(db_engine):
    seed_project(db_engine, key="small", tasks=100, risks=10, members=5, standups=5, costs=50,
                 channel="C0SMALL")
    seed_project(db_engine, key="big", tasks=5000, risks=300, members=25, standups=60, costs=2000,
                 channel="C0BIG")
    small, small_text = _count(db_engine, "status small")
    big, big_text = _count(db_engine, "status big")
    assert "Project small" in small_text and "Project big" in big_text
    assert small == big, f"status ran {small} statements at 100 tasks but {big} at 5,000"
    assert big <= MAX_STATEMENTS, f"status ran {big} statements (target at most {MAX_STATEMENTS})"


@pytest.mark.slow
def test_list_of_50_projects_runs_a_bounded_number_of_statements(db_engine):
    seed_portfolio(db_engine, projects=5, tasks_each=20)
    few, _ = _count(db_engine, "list")
    for i in range(5, 50):
        seed_project(db_engine, key=f"q{i:03d}", tasks=100, risks=5, members=3, standups=2, costs=10,
                     channel=f"C0Q{i:03d}", seed=i)
    many, text = _count(db_engine, "list")
    assert "Project q049" in text or "and 25 more" in text
    assert few == many, f"list ran {few} statements for 5 projects but {many} for 50"
    assert many <= MAX_STATEMENTS


@pytest.mark.slow
def test_app_home_runs_the_same_statements_for_100_and_5000_open_tasks(db_engine):
    """One person with 100 open tasks, another with 5,000 (every task of their project)."""
    from bot.slack.home import home_reply

    def home_count(user: str) -> tuple[int, str]:
        status_cache.clear()
        with Session(db_engine, expire_on_commit=False) as session, count_statements(db_engine) as counter:
            reply = home_reply(session=session, team_id=TEAM, user_id=user, now=NOW)
        return counter.count, reply.plain()

    seed_project(db_engine, key="small", tasks=100, members=1, channel="C0SMALL")
    seed_project(db_engine, key="big", tasks=5000, members=1, channel="C0BIG")
    small, small_text = home_count("USMALL0000")
    big, big_text = home_count("UBIG0000")
    assert "My open tasks (" in small_text and "Project small" in small_text
    assert "My open tasks (" in big_text and "Project big" in big_text
    assert small == big, f"App Home ran {small} statements at 100 tasks but {big} at 5,000"
    assert big <= MAX_STATEMENTS


@pytest.mark.slow
def test_people_runs_the_same_statements_for_5_people_on_4_projects_and_50_on_20(db_engine):
    """`/project people` (the owner sees everyone) across the workspace's projects."""
    from benchmarks.seed import seed_people

    seed_people(db_engine, people=5, projects=4, prefix="s")
    few, few_text = _count(db_engine, "people")
    with Session(db_engine) as s:
        s.exec(Project.__table__.update().values(state="done"))  # the small workspace's projects close
        s.commit()
    seed_people(db_engine, people=50, projects=20, prefix="b")
    many, text = _count(db_engine, "people")
    pages, _ = _count(db_engine, "people page 4")
    assert "<@US0000>" in few_text and "Portfolio s00" in few_text
    assert "People and workload" in text and "Page 1 of 4 (51 people" in text  # and the owner
    assert few == many == pages, f"people ran {few} statements for 5 people but {many} for 50 x 20"
    assert many <= MAX_STATEMENTS
