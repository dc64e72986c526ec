"""The Alembic history builds exactly the schema the models describe, on SQLite
and PostgreSQL; it has one head; and it can be undone and redone."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import SQLModel

import bot.models  # noqa: F401  (registers the tables)
from bot.db import MIGRATIONS_DIR, alembic_config, downgrade, make_engine, upgrade


def schema_diff(engine: Engine) -> list:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, SQLModel.metadata)


def test_migrated_schema_equals_the_models(db_engine):
    assert schema_diff(db_engine) == []


def test_the_check_notices_a_column_the_migrations_lack(sqlite_engine):
    with sqlite_engine.begin() as conn:
        conn.execute(text("ALTER TABLE projects DROP COLUMN objective"))
    diffs = schema_diff(sqlite_engine)
    assert any(d[0] == "add_column" and d[3].name == "objective" for d in diffs), diffs


def test_there_is_exactly_one_head_and_files_are_named_for_their_revision(sqlite_engine):
    script = ScriptDirectory.from_config(alembic_config(sqlite_engine))
    assert len(script.get_heads()) == 1, script.get_heads()
    for rev in script.walk_revisions():
        name = os.path.basename(rev.path)
        assert re.match(rf"^{re.escape(rev.revision)}_\w+\.py$", name), (name, rev.revision)
    files = sorted(p.name for p in (MIGRATIONS_DIR / "versions").glob("*.py"))
    assert len(files) == len(list(script.walk_revisions()))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_engine(request, tmp_path) -> Iterator[Engine]:
    """A database with no tables at all."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
        yield engine
        engine.dispose()
        return
    server = request.getfixturevalue("pg_database_url")  # skips/fails like the rest of the suite
    admin = make_engine(server, isolation_level="AUTOCOMMIT")
    name = f"pmbot_mig_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(make_url(server).set(database=name).render_as_string(hide_password=False))
    yield engine
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


def test_upgrade_downgrade_to_base_and_upgrade_again(empty_engine):
    upgrade(empty_engine)
    tables = set(inspect(empty_engine).get_table_names())
    assert set(SQLModel.metadata.tables) <= tables
    downgrade(empty_engine, "base")
    assert set(inspect(empty_engine).get_table_names()) <= {"alembic_version"}
    upgrade(empty_engine)
    assert schema_diff(empty_engine) == []


def test_0009_carries_per_project_capacities_over_as_allocations(empty_engine):
    """Someone's 40h nobody set becomes no allocation (a share); a value set
    (different from 40h, or audited) stays an allocation; a person's largest
    allocation above 40h becomes their capacity; downgrading puts 40h back."""
    upgrade(empty_engine, "0008")
    rows = [(1, "U0DAN", 40.0), (2, "U0DAN", 10.0), (3, "U0DAN", 30.0),  # website 40 set, network 10, CRM 30
            (1, "U0BOB", 40.0),  # never set: the old default
            (2, "U0EVE", 50.0), (3, "U0EVE", 40.0)]  # 50h: she works that much
    with empty_engine.begin() as conn:
        for pid, key in ((1, "website"), (2, "netmove"), (3, "crm")):
            conn.execute(text("INSERT INTO projects (id, team_id, key, name, goal, objective, scope, currency, "
                              "timezone, owner_user_id, state, settings, created_by, created_at, updated_at, version) "
                              "VALUES (:id, 'T1', :key, :key, '', '', '', 'USD', 'UTC', 'U0OWN', 'active', '{}', "
                              "'', :now, :now, 1)"), {"id": pid, "key": key, "now": "2026-12-01 00:00:00"})
        for n, (pid, user, hours) in enumerate(rows, start=1):
            conn.execute(text("INSERT INTO members (id, team_id, project_id, user_id, role, weekly_capacity_hours, "
                              "active, created_at) VALUES (:id, 'T1', :pid, :u, 'member', :h, :yes, :now)"),
                         {"id": n, "pid": pid, "u": user, "h": hours, "yes": True, "now": "2026-12-01 00:00:00"})
        conn.execute(text("INSERT INTO audit_log (team_id, project_id, user_id, action, entity, entity_id, before, "
                          "after, created_at) VALUES ('T1', 1, 'U0OWN', 'member.update', 'member', 1, '{}', "
                          ":after, :now)"), {"after": '{"user_id": "U0DAN", "weekly_capacity_hours": 40.0}',
                                             "now": "2026-12-01 00:00:00"})
    upgrade(empty_engine)
    with empty_engine.connect() as conn:
        allocations = dict(conn.execute(text("SELECT id, weekly_capacity_hours FROM members")).all())
        capacities = dict(conn.execute(text("SELECT user_id, weekly_capacity_hours FROM users")).all())
    assert allocations == {1: 40.0, 2: 10.0, 3: 30.0, 4: None, 5: 50.0, 6: None}
    assert capacities == {"U0EVE": 50.0}  # Dan keeps the default 40h: his 80h shows as over-allocated
    downgrade(empty_engine, "0008")
    with empty_engine.connect() as conn:
        assert {h for (h,) in conn.execute(text("SELECT weekly_capacity_hours FROM members"))} == {40.0, 10.0, 30.0,
                                                                                                  50.0}
