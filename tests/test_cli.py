"""`python -m bot`: start-up errors are one line, migrations run from the CLI, and
the suite's REQUIRE_POSTGRES switch turns a skipped PostgreSQL test into a failure."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from tests.shell.test_shell import ROOT, clean_env


def bot(tmp_path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True,
                          cwd=tmp_path, env={**clean_env(tmp_path), **env}, timeout=120, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("env, setting", [
    ({"DEFAULT_TIMEZONE": "Mars/Base"}, "DEFAULT_TIMEZONE"),
    ({"DATABASE_URL": "mysql://db/pm"}, "DATABASE_URL"),
])
def test_a_malformed_setting_stops_run_with_one_line(tmp_path, env, setting):
    result = bot(tmp_path, "run", **env)
    assert result.returncode != 0
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and setting in lines[0] and lines[0].startswith("Configuration error:")


def test_a_malformed_dotenv_setting_is_caught_too(tmp_path):
    (tmp_path / ".env").write_text("PORT=eighty\n")
    result = bot(tmp_path, "db", "upgrade")
    assert result.returncode != 0 and result.stderr.strip() == (
        "Configuration error: PORT must be a whole number (got 'eighty')")


def test_an_unreachable_database_is_one_line_without_the_password(tmp_path):
    result = bot(tmp_path, "db", "upgrade", DATABASE_URL="postgresql://pm:hunter2@127.0.0.1:1/pm")
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Database error: cannot open DATABASE_URL")
    assert "hunter2" not in result.stderr and "Traceback" not in result.stderr


def test_db_upgrade_and_downgrade(tmp_path):
    assert "Database is at head." in bot(tmp_path, "db", "upgrade").stdout
    db = tmp_path / "bot.sqlite3"
    tables = {r[0] for r in sqlite3.connect(db).execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"projects", "tasks", "members", "audit_log"} <= tables
    assert "Database is at base." in bot(tmp_path, "db", "downgrade", "base").stdout
    tables = {r[0] for r in sqlite3.connect(db).execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables <= {"alembic_version"}


def run_tiny_pg_suite(tmp_path, **env: str) -> subprocess.CompletedProcess:
    """One PostgreSQL test (through the suite's own conftest) in a fresh pytest."""
    test_file = tmp_path / "test_tiny_pg.py"
    test_file.write_text("def test_uses_the_database(db_engine):\n    assert db_engine is not None\n")
    base = {k: v for k, v in clean_env(tmp_path).items() if k != "DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "-m", "pytest", str(test_file), "-p", "tests.conftest", "-p", "no:cacheprovider",
         "-p", "no:hypothesispytest", "-o", "addopts=", "-q", "-ra", "-k", "postgresql",
         "--rootdir", str(tmp_path)],
        capture_output=True, text=True, cwd=ROOT, env={**base, **env}, timeout=120)


def test_require_postgres_turns_a_skip_into_a_failure(tmp_path):
    bogus = "postgresql+psycopg://nobody@127.0.0.1:1/nothing"
    skipped = run_tiny_pg_suite(tmp_path, TEST_DATABASE_URL=bogus)
    assert skipped.returncode == 0 and "1 skipped" in skipped.stdout, skipped.stdout + skipped.stderr
    assert "PostgreSQL at TEST_DATABASE_URL is not reachable" in skipped.stdout
    required = run_tiny_pg_suite(tmp_path, TEST_DATABASE_URL=bogus, REQUIRE_POSTGRES="1")
    assert required.returncode == 1 and "1 failed" in required.stdout, required.stdout
    assert "PostgreSQL suite required (REQUIRE_POSTGRES=1)" in required.stdout


def test_ci_runs_make_test_with_postgres_required():
    script = (ROOT / ".ci" / "run").read_text()
    assert "export REQUIRE_POSTGRES=1" in script and "TEST_DATABASE_URL" in script
    assert script.rstrip().splitlines()[-1].strip() == "make test"
