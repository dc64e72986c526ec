"""Settings: defaults, `.env` under the real environment, URL normalisation,
and one clear line naming any malformed setting."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from bot.config import ConfigError, Settings, load_settings, normalise_database_url

ROOT = Path(__file__).resolve().parent.parent


def test_defaults_with_nothing_set():
    s = load_settings(env={}, env_file=None)
    assert s == Settings()
    assert s.database_url == "sqlite:///data/bot.sqlite3"
    assert (s.default_timezone, s.default_currency, s.port, s.log_level) == ("UTC", "USD", 3000, "INFO")
    assert not s.has_slack_credentials and s.is_sqlite


def test_dotenv_is_read_and_the_environment_wins(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("DEFAULT_TIMEZONE=Europe/Berlin\nDEFAULT_CURRENCY=eur\nPORT=8080\n"
                        "SLACK_BOT_TOKEN=xoxb-from-file\n")
    s = load_settings(env={"PORT": "9090"}, env_file=env_file)
    assert (s.default_timezone, s.default_currency, s.port) == ("Europe/Berlin", "EUR", 9090)
    assert s.slack_bot_token == "xoxb-from-file" and s.has_slack_credentials


def test_an_empty_value_means_the_default(tmp_path):
    assert load_settings(env={"PORT": "", "DATABASE_URL": ""}, env_file=None) == Settings()


@pytest.mark.parametrize("url, expected", [
    ("postgres://u:p@db:5432/pm", "postgresql+psycopg://u:p@db:5432/pm"),
    ("postgresql://u@db/pm", "postgresql+psycopg://u@db/pm"),
    ("postgresql+psycopg://u@db/pm", "postgresql+psycopg://u@db/pm"),
    ("sqlite:///data/x.sqlite3", "sqlite:///data/x.sqlite3"),
    (" sqlite:////tmp/x.db ", "sqlite:////tmp/x.db"),
])
def test_database_urls_are_normalised(url, expected):
    assert normalise_database_url(url) == expected
    assert load_settings(env={"DATABASE_URL": url}, env_file=None).database_url == expected


@pytest.mark.parametrize("name, value", [
    ("DATABASE_URL", "mysql://u@db/pm"),
    ("DEFAULT_TIMEZONE", "Mars/Base"),
    ("DEFAULT_TIMEZONE", "../../etc/passwd"),
    ("DEFAULT_CURRENCY", "dollars"),
    ("PORT", "eighty"),
    ("PORT", "70000"),
    ("SCHEDULER_MISFIRE_GRACE_SECONDS", "-1"),
    ("RUN_SCHEDULER_IN_WEB", "maybe"),
    ("SLACK_API_URL", "ftp://slack.example"),
    ("LOG_LEVEL", "LOUD"),
])
def test_a_malformed_setting_is_one_line_naming_it(name, value):
    with pytest.raises(ConfigError) as exc:
        load_settings(env={name: value}, env_file=None)
    message = str(exc.value)
    assert message.startswith(name) and "\n" not in message


def test_values_are_tidied():
    s = load_settings(env={"LOG_LEVEL": "debug", "SLACK_API_URL": "http://127.0.0.1:9/api",
                           "RUN_SCHEDULER_IN_WEB": "yes"}, env_file=None)
    assert (s.log_level, s.slack_api_url, s.run_scheduler_in_web) == (
        "DEBUG", "http://127.0.0.1:9/api/", True)


def test_secrets_never_show_in_repr():
    s = load_settings(env={"SLACK_BOT_TOKEN": "xoxb-secret-1", "SLACK_SIGNING_SECRET": "sig-secret-2",
                           "SLACK_APP_TOKEN": "xapp-secret-3", "SLACK_CLIENT_SECRET": "cs-secret-4",
                           "TOKEN_ENCRYPTION_KEY": "key-secret-5"}, env_file=None)
    assert "secret" not in repr(s)


@pytest.mark.parametrize("env, message", [
    ({"SLACK_APP_TOKEN": "xapp-1"}, "SLACK_BOT_TOKEN is required"),
    ({"SLACK_APP_TOKEN": "xoxb-1", "SLACK_BOT_TOKEN": "xoxb-2"}, "SLACK_APP_TOKEN must be"),
    ({"SLACK_BOT_TOKEN": "xoxb-2"}, "SLACK_SIGNING_SECRET is required"),
    ({"SLACK_CLIENT_ID": "1", "SLACK_CLIENT_SECRET": "2", "SLACK_SIGNING_SECRET": "3"},
     "TOKEN_ENCRYPTION_KEY is required"),
])
def test_slack_mode_names_the_missing_secret(env, message):
    with pytest.raises(ConfigError, match=message):
        load_settings(env=env, env_file=None).require_slack()


def test_env_example_documents_every_setting_with_a_comment():
    lines = (ROOT / ".env.example").read_text().splitlines()
    documented = {}
    for i, line in enumerate(lines):
        if m := re.match(r"^([A-Z_]+)=", line):
            documented[m.group(1)] = i > 0 and lines[i - 1].startswith("#")
    for f in fields(Settings):
        assert documented.get(f.name.upper()), f"{f.name.upper()} missing or uncommented in .env.example"
    # and the example itself is a valid configuration
    load_settings(env={}, env_file=ROOT / ".env.example")


def test_the_slack_cli_tokens_are_used_when_none_is_set():
    """`slack run` starts the start hook with SLACK_CLI_XAPP/SLACK_CLI_XOXB (and, unless
    they are set already, SLACK_APP_TOKEN/SLACK_BOT_TOKEN): a set token wins, as in the CLI."""
    cli = {"SLACK_CLI_XAPP": "xapp-cli", "SLACK_CLI_XOXB": "xoxb-cli"}
    s = load_settings(env=cli, env_file=None)
    assert (s.slack_app_token, s.slack_bot_token, s.socket_mode) == ("xapp-cli", "xoxb-cli", True)
    s = load_settings(env={**cli, "SLACK_APP_TOKEN": "xapp-own", "SLACK_BOT_TOKEN": "xoxb-own"}, env_file=None)
    assert (s.slack_app_token, s.slack_bot_token) == ("xapp-own", "xoxb-own")
