"""`python -m bot doctor` against the fake Slack: it catches, on purpose, a
missing scope, a wrong token, a token for another workspace, a wrong signing
secret, the app-level token, and a channel the bot is not in; and it passes
(exit 0) only when everything does."""

from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import insert
from sqlmodel import Session

from bot.config import Settings
from bot.doctor import Status, run_doctor
from bot.jobs.leader import lease_for
from bot.jobs.worker_status import SWEEP_JOB_ID
from bot.models import Project, scheduler_jobs, utcnow
from bot.slack.manifest import bot_scopes
from tests.support.factories import make_project
from tests.support.helpers import TEAM
from tests.support.slackhttp import BOT_TOKEN, SlackApp, settings_for

APP_TOKEN = "xapp-1-A0FAKE-1-apptoken"
SLACK_SECRET = "8f742231b10e8888abcd99e0a1b2c3d4"  # the app's real Signing Secret, as Slack signs with it


def url_of(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def socket_settings(fake, engine, **overrides) -> Settings:
    values = dict(slack_signing_secret="", slack_app_token=APP_TOKEN, database_url=url_of(engine))
    return settings_for(fake, **{**values, **overrides})


def check(checks, name: str):
    found = [c for c in checks if c.name == name]
    assert len(found) == 1, [(c.name, c.status, c.detail) for c in checks]
    return found[0]


@pytest.fixture
def slack_ok(fake):
    """Slack as a correct install sees it: known tokens, every scope the manifest asks for."""
    fake.accept_only(BOT_TOKEN, APP_TOKEN)
    fake.grant(*bot_scopes())
    return fake


def test_a_healthy_socket_mode_install_passes_every_check_and_exits_0(slack_ok, db_engine, monkeypatch, tmp_path):
    make_project(db_engine, channel_id="C0WEB")
    slack_ok.add_channel("C0WEB", "website", members={slack_ok.bot_user_id})
    settings = socket_settings(slack_ok, db_engine)
    lease = lease_for(settings.database_url)
    assert lease.try_acquire()  # a worker leads ...
    with db_engine.begin() as conn:  # ... and its scheduler moved the sweep on a moment ago
        conn.execute(insert(scheduler_jobs).values(id=SWEEP_JOB_ID, job_state=b"-",
                                                   next_run_time=(utcnow() + timedelta(seconds=40)).timestamp()))
    try:
        checks = run_doctor(settings)
        assert [c for c in checks if c.status is Status.FAIL] == []
        assert "workspace Fake Team (T0TEST), bot user @pm-bot (U0BOT)" in check(checks, "Slack token").detail
        assert check(checks, "Socket Mode").status is Status.OK
        assert "can post in 1 of 1 project channel" in check(checks, "channels").detail
        assert check(checks, "worker").status is Status.OK

        from bot.__main__ import cli

        monkeypatch.chdir(tmp_path)  # no .env here
        env = {"DATABASE_URL": settings.database_url, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": APP_TOKEN,
               "SLACK_API_URL": slack_ok.api_url, "SLACK_SIGNING_SECRET": ""}
        result = CliRunner().invoke(cli, ["doctor"], env=env)
        assert result.exit_code == 0, result.output
        assert "All " in result.output and "checks passed" in result.output and "FAIL" not in result.output
        assert BOT_TOKEN not in result.output and APP_TOKEN not in result.output
        lease.release()
        result = CliRunner().invoke(cli, ["doctor"], env=env)  # the worker stops: doctor says so, exit 1
        assert result.exit_code == 1 and "FAIL  worker" in result.output
    finally:
        lease.release()


def test_a_missing_scope_is_named_with_the_manifest_lines_to_add(slack_ok, db_engine):
    slack_ok.grant(*(s for s in bot_scopes() if s not in ("groups:read", "users:read")))
    scopes = check(run_doctor(socket_settings(slack_ok, db_engine)), "scopes")
    assert scopes.status is Status.FAIL
    assert "lacks groups:read, users:read" in scopes.detail
    assert "      - groups:read\n      - users:read" in scopes.fix and "oauth_config → scopes → bot" in scopes.fix
    assert "Reinstall" in scopes.fix


def test_a_wrong_bot_token_fails_auth_test(slack_ok, db_engine):
    checks = run_doctor(socket_settings(slack_ok, db_engine, slack_bot_token="xoxb-mistyped"))
    token = check(checks, "Slack token")
    assert token.status is Status.FAIL and "invalid_auth" in token.detail
    assert "OAuth & Permissions" in token.fix
    assert slack_ok.calls_to("auth.test", ok_only=False)[-1].error == "invalid_auth"


def test_a_user_token_is_caught_before_any_call(slack_ok, db_engine):
    checks = run_doctor(socket_settings(slack_ok, db_engine, slack_bot_token="xoxp-1-user"))
    assert check(checks, "SLACK_BOT_TOKEN").detail == "is a user token, not a bot token (xoxb-)"


def test_a_token_for_another_workspace_is_caught(slack_ok, db_engine):
    make_project(db_engine, team_id="T0ELSEWHERE", channel_id="C0WEB")
    workspace = check(run_doctor(socket_settings(slack_ok, db_engine)), "workspace")
    assert workspace.status is Status.FAIL
    assert "the bot token is for Fake Team (T0TEST) but the projects here belong to T0ELSEWHERE" in workspace.detail


def test_a_wrong_app_level_token_fails_socket_mode(slack_ok, db_engine):
    socket = check(run_doctor(socket_settings(slack_ok, db_engine, slack_app_token="xapp-1-other")),
                   "Socket Mode")
    assert socket.status is Status.FAIL and "invalid_auth" in socket.detail and "connections:write" in socket.fix
    assert slack_ok.calls_to("apps.connections.open", ok_only=False)[-1].token == "xapp-1-other"


@pytest.mark.parametrize(("channel", "expected", "fix"), [
    (dict(private=True), "Slack does not show it to the bot: it is private", "/invite @pm-bot"),
    (dict(private=True, members={"U0BOT"}, archived=True), "the channel is archived", "/project link website"),
])
def test_a_channel_the_bot_cannot_post_in_is_caught(slack_ok, db_engine, channel, expected, fix):
    make_project(db_engine, channel_id="C0WEB")
    slack_ok.add_channel("C0WEB", "website", **channel)
    checks = run_doctor(socket_settings(slack_ok, db_engine))
    (found,) = [c for c in checks if c.name.startswith("channel ") and "C0WEB" in c.name]
    assert found.status is Status.FAIL and "project website" in found.detail and expected in found.detail
    assert fix in found.fix
    # and Slack would indeed refuse the bot's post there
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    with pytest.raises(SlackApiError):
        WebClient(token=BOT_TOKEN, base_url=slack_ok.api_url).chat_postMessage(channel="C0WEB", text="hi")


def test_a_public_channel_needs_membership_only_without_chat_write_public(slack_ok, db_engine):
    make_project(db_engine, channel_id="C0WEB")
    slack_ok.add_channel("C0WEB", "website")  # public, the bot has not joined
    assert check(run_doctor(socket_settings(slack_ok, db_engine)), "channels").status is Status.OK
    slack_ok.grant(*(s for s in bot_scopes() if s != "chat:write.public"))
    found = check(run_doctor(socket_settings(slack_ok, db_engine)), "channel #website (C0WEB)")
    assert found.status is Status.FAIL and "public, and the token lacks chat:write.public" in found.detail
    assert found.fix == "type /invite @pm-bot in that channel"


def test_a_wrong_signing_secret_shows_as_slacks_requests_refused(slack_ok, db_engine):
    """The web process has the wrong secret: every request Slack signs is refused,
    and doctor (reading what the server recorded) says so; fixed, it passes."""
    settings = settings_for(slack_ok, database_url=url_of(db_engine))  # SIGNING_SECRET: not the app's
    assert check(run_doctor(settings), "Slack's requests").status is Status.SKIP  # nothing came yet
    with SlackApp.start(settings, db_engine, slack_ok) as slack:
        slack.secret = SLACK_SECRET  # Slack signs with the app's real secret
        assert slack.slash("help").status == 401
        assert slack.slash("help").status == 401
    refused = check(run_doctor(settings), "Slack's requests")
    assert refused.status is Status.FAIL
    assert "were refused" in refused.detail and "SLACK_SIGNING_SECRET does not match" in refused.detail
    assert "Signing Secret" in refused.fix

    fixed = settings_for(slack_ok, database_url=url_of(db_engine), slack_signing_secret=SLACK_SECRET)
    with SlackApp.start(fixed, db_engine, slack_ok) as slack:
        slack.secret = SLACK_SECRET
        assert slack.slash("help").status == 200
    assert check(run_doctor(fixed), "Slack's requests").status is Status.OK


def test_the_public_url_is_checked_for_healthz_and_the_same_signing_secret(slack_ok, db_engine):
    server_settings = settings_for(slack_ok, database_url=url_of(db_engine))
    with SlackApp.start(server_settings, db_engine, slack_ok) as slack:
        checks = run_doctor(server_settings, url=slack.url)
        assert check(checks, "server").status is Status.OK and "/healthz answers 200" in check(checks, "server").detail
        assert check(checks, "signing secret").status is Status.OK
        assert check(checks, "Slack's requests").status is Status.SKIP  # doctor's own probe is no evidence

        elsewhere = settings_for(slack_ok, database_url=url_of(db_engine), slack_signing_secret=SLACK_SECRET)
        secret = check(run_doctor(elsewhere, url=slack.url), "signing secret")
        assert secret.status is Status.FAIL and "the server has another one" in secret.detail
    gone = check(run_doctor(server_settings, url=slack.url), "server")
    assert gone.status is Status.FAIL and "not reachable from here" in gone.detail
    assert check(run_doctor(server_settings, url="http://pm.example.com"), "server").detail.endswith(
        "is not https://")


def test_an_unmigrated_database_fails_and_skips_what_needs_it(slack_ok, tmp_path):
    from bot.db import make_engine

    empty = make_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    with empty.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE unrelated (x INTEGER)")
    checks = run_doctor(socket_settings(slack_ok, empty))
    database = check(checks, "database")
    assert database.status is Status.FAIL and "has no tables yet" in database.detail
    assert database.fix.startswith("python -m bot db upgrade")
    assert {c.name for c in checks}.isdisjoint({"worker", "outbox", "channels"})  # nothing to read them from
    assert check(checks, "Slack token").status is Status.OK  # Slack is still checked


def test_oauth_checks_every_installed_workspace(fake, db_engine):
    from cryptography.fernet import Fernet
    from slack_sdk.oauth.installation_store import Installation

    from bot.slack.oauth import installation_store

    settings = settings_for(fake, slack_bot_token="", slack_client_id="111.222", slack_client_secret="s" * 32,
                            token_encryption_key=Fernet.generate_key().decode(), database_url=url_of(db_engine),
                            slack_signing_secret=SLACK_SECRET)
    assert check(run_doctor(settings), "workspaces").status is Status.FAIL  # nobody installed it yet
    installation_store(settings, db_engine).save(Installation(
        app_id="A0APP", team_id=TEAM, bot_token="xoxb-installed", bot_id="B0BOT", bot_user_id="U0BOT",
        bot_scopes=",".join(bot_scopes(oauth=True)), user_id="U0INSTALLER", installed_at=utcnow().timestamp()))
    fake.accept_only("xoxb-installed")
    checks = run_doctor(settings)
    assert check(checks, "workspaces").detail == "1 installed"
    assert check(checks, "Slack token").status is Status.OK
    assert fake.last("auth.test").token == "xoxb-installed"


def test_project_states_that_post_nothing_are_not_checked(slack_ok, db_engine):
    project = make_project(db_engine, channel_id="C0OLD")
    with Session(db_engine) as s:
        row = s.get(Project, project.id)
        row.state = "cancelled"
        s.add(row)
        s.commit()
    slack_ok.add_channel("C0OLD", "old", private=True)
    assert check(run_doctor(socket_settings(slack_ok, db_engine)), "channels").status is Status.SKIP
