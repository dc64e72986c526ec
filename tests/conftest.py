"""Shared fixtures: a migrated database per test, on SQLite and on PostgreSQL.

`db_engine` is parametrised over both backends. The SQLite schema is built
once from the Alembic migrations into a template file and copied per test;
PostgreSQL gets a private database per test session (so parallel runs do not
collide), migrated once and truncated after each test.

PostgreSQL runs when TEST_DATABASE_URL is set; otherwise those tests skip,
unless REQUIRE_POSTGRES=1 (CI), which turns the skip into a failure.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, SQLModel

import bot.models  # noqa: F401
from bot.db import make_engine, upgrade

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
REQUIRE_PG = os.environ.get("REQUIRE_POSTGRES") == "1"


def _no_postgres(reason: str):
    if REQUIRE_PG:
        pytest.fail(f"PostgreSQL suite required (REQUIRE_POSTGRES=1) but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_database_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, migrated to head."""
    if not PG_URL:
        _no_postgres("TEST_DATABASE_URL is not set")
    admin = make_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"pmbot_test_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - turned into a clear skip/fail
        admin.dispose()
        _no_postgres(f"PostgreSQL at TEST_DATABASE_URL is not reachable: {exc.__class__.__name__}")
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"
        ), {"n": name})
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


def _truncate_all(engine: Engine) -> None:
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_engine(request, tmp_path) -> Iterator[Engine]:
    """A migrated, empty database: SQLite, then PostgreSQL."""
    if request.param == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "bot.sqlite3"
        shutil.copy(template, path)
        engine = make_engine(f"sqlite:///{path}")
        yield engine
        engine.dispose()
    else:
        url = request.getfixturevalue("pg_database_url")
        engine = make_engine(url)
        yield engine
        _truncate_all(engine)
        engine.dispose()


@pytest.fixture
def sqlite_engine(sqlite_template, tmp_path) -> Iterator[Engine]:
    """SQLite only, for tests that are about the shell or files."""
    path = tmp_path / "bot.sqlite3"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


@pytest.fixture
def session(db_engine) -> Iterator[Session]:
    with Session(db_engine, expire_on_commit=False) as s:
        yield s


FROZEN_NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


@pytest.fixture
def now() -> datetime:
    return FROZEN_NOW
