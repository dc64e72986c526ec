"""doctor's local half (settings, database), how it prints, and the one-line
hint `run` prints before starting."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from bot.config import Settings
from bot.db import downgrade, make_engine, upgrade
from bot.doctor import Status, quick_hint, render, run_doctor
from bot.doctor.local import database_check, settings_checks
from bot.doctor.report import fail, ok, skip
from bot.models import scheduler_jobs

SECRET_32 = "8f742231b10e8888abcd99e0a1b2c3d4"


def url_of(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def by_name(checks, name):
    (found,) = [c for c in checks if c.name == name]
    return found


@pytest.mark.parametrize(("settings", "name", "status", "words"), [
    (Settings(), "mode", Status.OK, "local shell only"),
    (Settings(slack_app_token="xapp-1-a"), "mode", Status.FAIL, "SLACK_APP_TOKEN set but SLACK_BOT_TOKEN is empty"),
    (Settings(slack_bot_token="xapp-1-a", slack_signing_secret=SECRET_32), "SLACK_BOT_TOKEN", Status.FAIL,
     "is an app-level token, not a bot token"),
    (Settings(slack_bot_token="xoxb-1", slack_app_token="xoxb-2"), "SLACK_APP_TOKEN", Status.FAIL,
     "is a bot token, not an app-level token"),
    (Settings(slack_bot_token="xoxb-1"), "SLACK_SIGNING_SECRET", Status.FAIL, "is empty"),
    (Settings(slack_bot_token="xoxb-1", slack_signing_secret="a" * 24), "SLACK_SIGNING_SECRET", Status.FAIL,
     "has 24 characters (the length of the old Verification Token)"),
    (Settings(slack_bot_token="xoxb-1", slack_signing_secret=SECRET_32), "SLACK_SIGNING_SECRET", Status.OK,
     "32 characters"),
    (Settings(slack_bot_token="xoxb-1", slack_app_token="xapp-1"), "SLACK_SIGNING_SECRET", Status.SKIP,
     "not used in Socket Mode"),
    (Settings(slack_client_id="111.222"), "mode", Status.FAIL, "only one of SLACK_CLIENT_ID"),
    (Settings(slack_client_id="111.222", slack_client_secret="c", slack_signing_secret=SECRET_32,
              token_encryption_key="not-a-key"), "TOKEN_ENCRYPTION_KEY", Status.FAIL, "not a Fernet key"),
    (Settings(slack_client_id="my-app", slack_client_secret="c", slack_signing_secret=SECRET_32),
     "SLACK_CLIENT_ID", Status.FAIL, "digits.digits"),
])
def test_each_setting_is_checked_for_its_shape(settings, name, status, words):
    found = by_name(settings_checks(settings), name)
    assert found.status is status and words in found.detail, found
    assert status is not Status.FAIL or found.fix


def test_no_check_ever_prints_a_secret():
    settings = Settings(slack_bot_token="xoxp-1-very-secret-user-token", slack_app_token="xoxb-secret-bot",
                        slack_signing_secret="secret-signing-value", slack_client_secret="secret-client")
    text = render(settings_checks(settings))
    assert not any(secret in text for secret in ("very-secret", "secret-bot", "secret-signing", "secret-client"))


def test_a_database_behind_on_migrations_is_caught_on_both_databases(db_engine):
    settings = Settings(database_url=url_of(db_engine))
    assert database_check(settings)[0].status is Status.OK
    downgrade(db_engine, "0004")
    try:
        check, engine = database_check(settings)
        assert check.status is Status.FAIL and engine is None
        assert ("is at 0004: 9 migrations not applied (0005, 0006, 0007, 0008, 0012, 0009, 0011, 0013, 0010)"
                in check.detail)
        assert check.fix == "python -m bot db upgrade (`make run` and the Procfile's release step run it)"
    finally:
        upgrade(db_engine)


def test_a_missing_or_unreachable_database_is_one_clear_failure(tmp_path):
    missing = tmp_path / "nothing-here.sqlite3"
    check, _ = database_check(Settings(database_url=f"sqlite:///{missing}"))
    assert check.status is Status.FAIL and "no database file" in check.detail and not missing.exists()
    check, _ = database_check(Settings(database_url="postgresql+psycopg://pm:hunter2@127.0.0.1:1/pm"))
    assert check.status is Status.FAIL and "cannot connect to postgresql+psycopg://pm:***@127.0.0.1:1/pm" in \
        check.detail and "hunter2" not in check.detail


def test_render_puts_the_fix_under_its_failure_and_counts():
    text = render([ok("database", "fine"), fail("scopes", "lacks x", "add x\nthen reinstall"), skip("server", "n/a")])
    assert text.splitlines() == [
        "ok    database  fine",
        "FAIL  scopes    lacks x",
        "                -> add x",
        "                   then reinstall",
        "skip  server    n/a",
        "",
        "1 of 2 checks failed: fix them from the top, then run `python -m bot doctor` again."]
    assert render([ok("database", "fine")]).endswith("The one check passed.\n")


def test_quick_doctor_needs_no_network_and_gives_one_line(sqlite_engine, monkeypatch):
    import socket

    def no_network(*args, **kwargs):
        raise AssertionError("the quick checks opened a connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    settings = Settings(database_url=url_of(sqlite_engine), slack_bot_token="xoxb-1", slack_signing_secret="x" * 24)
    checks = run_doctor(settings, quick=True)
    assert [c.name for c in checks] == ["mode", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "database"]
    hint = quick_hint(settings)
    assert hint.startswith("SLACK_SIGNING_SECRET: has 24 characters") and "\n" not in hint
    assert "To fix: Basic Information → App Credentials" in hint
    assert quick_hint(Settings(database_url=url_of(sqlite_engine))) is None


def test_run_prints_the_hint_before_starting(sqlite_engine, tmp_path, monkeypatch):
    from bot.__main__ import cli

    monkeypatch.chdir(tmp_path)  # no .env here
    env = {"DATABASE_URL": url_of(sqlite_engine), "SLACK_APP_TOKEN": "xapp-1-a", "SLACK_BOT_TOKEN": "",
           "SLACK_SIGNING_SECRET": "", "SLACK_CLIENT_ID": "", "SLACK_CLIENT_SECRET": ""}
    result = CliRunner().invoke(cli, ["run"], env=env, input="")
    hints = [line for line in result.stderr.splitlines() if line.startswith("Hint: ")]
    assert hints == ["Hint: mode: SLACK_APP_TOKEN set but SLACK_BOT_TOKEN is empty, so `run` opens the local "
                     "shell instead of Slack. To fix: copy the Bot User OAuth Token (xoxb-...) from "
                     "api.slack.com/apps → your app → OAuth & Permissions (`python -m bot doctor` checks "
                     "everything)"]
    assert "No Slack credentials found: starting the local shell" in result.stdout


def test_run_socket_without_an_app_token_stops_with_one_line(sqlite_engine, tmp_path, monkeypatch):
    from bot.__main__ import cli

    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["run", "--socket"], env={"DATABASE_URL": url_of(sqlite_engine),
                                                              "SLACK_APP_TOKEN": "", "SLACK_BOT_TOKEN": "xoxb-1"})
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "Configuration error: --socket needs SLACK_APP_TOKEN (xapp-...); `slack run` sets it, or see the "
        "README's manual path"]


def test_the_doctor_never_touches_the_database_it_reads(sqlite_engine):
    before = _snapshot(sqlite_engine)
    run_doctor(Settings(database_url=url_of(sqlite_engine)))
    assert _snapshot(sqlite_engine) == before


def _snapshot(engine):
    with make_engine(str(engine.url)).connect() as conn:
        return [tuple(r) for r in conn.execute(scheduler_jobs.select())], \
            [tuple(r) for r in conn.exec_driver_sql("SELECT * FROM status_marks")]
