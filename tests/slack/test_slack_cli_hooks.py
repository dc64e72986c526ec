"""`slack run` works: the hooks in `.slack/hooks.json` answer as the Slack CLI expects.

The CLI cannot run here, so these tests do what it does, as its documented
hook protocol (slackapi/slack-cli docs/reference/hooks.md) and its code say:

- it reads `.slack/hooks.json` at the project root (`slack.json` there is
  the deprecated name it still falls back to);
- it runs `get-hooks` first, with the default protocol (no flags), takes the
  JSON on stdout, and lays hooks.json over it (a hook named there wins);
- it uses the first protocol of `config.protocol-version` it knows;
- it runs every hook through the shell (`$SHELL -c "command flags"`) with the
  project's `.venv` first on PATH, environment = the hook's < `.env` < the shell's;
- `get-manifest`: flags `--source="<project>"`, and with the message-boundaries
  protocol `--protocol=message-boundaries --boundary=<64 hex>`; the answer is
  what stdout has between two boundaries, parsed as JSON from its first `{`;
- `start` (SDK-managed connection): no flags; the app's tokens in
  SLACK_CLI_XAPP / SLACK_CLI_XOXB, and in SLACK_APP_TOKEN / SLACK_BOT_TOKEN
  unless the shell had those; it runs until stopped and dials Slack itself.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import inspect

import bot
from bot.db import make_engine
from bot.slack.manifest import bot_scopes, build_manifest
from tests.support.fakesocket import FakeSocketMode

ROOT = Path(bot.__file__).resolve().parents[1]  # the repository
HOOKS_FILE = ROOT / ".slack" / "hooks.json"
KNOWN_PROTOCOLS = ("message-boundaries", "default")  # slack-cli internal/hooks/protocol.go


def hook_env(**extra: str) -> dict[str, str]:
    """The shell's environment as the CLI passes it: its .venv activated, no Slack settings of ours."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_", "TOKEN_"))}
    venv_bin = str(Path(sys.executable).parent)
    env.update(PATH=venv_bin + os.pathsep + env.get("PATH", ""), VIRTUAL_ENV=str(Path(venv_bin).parent))
    env.pop("PYTHONHOME", None)
    return {**env, **extra}


def shell(command: str, flags: list[str], env: dict[str, str], cwd: Path = ROOT, **kwargs):
    """Run a hook the way the CLI's ShellExec does."""
    return subprocess.run([os.environ.get("SHELL") or "sh", "-c", " ".join([command, *flags])], env=env,
                          cwd=cwd, capture_output=True, text=True, timeout=120, **kwargs)


def merged(default: dict, custom: dict) -> dict:
    """hooks.json laid over the get-hooks answer (the CLI decodes one JSON over the other)."""
    out = dict(default)
    for key, value in custom.items():
        out[key] = merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def between_boundaries(stdout: str, boundary: str) -> str:
    """What the CLI's BoundariedWriter keeps from one write of `stdout`."""
    kept, active = [], False
    line = stdout.rstrip("\r\n")
    if boundary in line:
        for chunk in line.split(boundary):
            if active:
                kept.append(chunk)
            active = not active
    return "".join(kept)


@pytest.fixture(scope="module")
def config() -> dict:
    project = json.loads(HOOKS_FILE.read_text())
    answer = shell(project["hooks"]["get-hooks"], [], hook_env())
    assert answer.returncode == 0, answer.stderr
    return merged(json.loads(answer.stdout.strip()), project)


def test_the_hooks_file_is_where_the_cli_looks_first_and_stays_in_git():
    assert HOOKS_FILE.exists() and not (ROOT / "slack.json").exists()
    ignored = subprocess.run(["git", "check-ignore", "-q", str(HOOKS_FILE)], cwd=ROOT)
    assert ignored.returncode == 1  # not ignored: every clone has it
    dev_app = subprocess.run(["git", "check-ignore", "-q", str(ROOT / ".slack" / "apps.dev.json")], cwd=ROOT)
    assert dev_app.returncode == 0  # the CLI's record of your development app is yours


def test_get_hooks_and_the_project_file_give_our_hooks_and_the_sdks_protocol(config):
    hooks = config["hooks"]
    assert hooks["get-manifest"] == "python3 -m bot manifest --socket --format json"
    assert hooks["start"] == "exec python3 -m bot run --socket"  # exec: the CLI's stop signal reaches the bot, not only sh
    assert "slack_cli_hooks.hooks.doctor" in hooks["doctor"]  # Slack's own, for `slack doctor`
    assert next(p for p in config["config"]["protocol-version"] if p in KNOWN_PROTOCOLS) == "message-boundaries"
    assert config["config"]["sdk-managed-connection-enabled"] is True  # the bot opens the socket itself
    assert config["runtime"] == "python"
    for watch in ("manifest", "app"):  # `slack run` reinstalls / restarts when these change
        spec = config["config"]["watch"][watch]
        assert all((ROOT / path).is_dir() for path in spec["paths"])
        assert re.search(spec["filter-regex"], "bot/slack/listeners/commands.py")
        assert not re.search(spec["filter-regex"], "bot/migrations/script.py.mako")


def test_get_manifest_answers_between_message_boundaries(config):
    boundary = secrets.token_hex(32)  # the CLI's is a SHA-256 in hex
    flags = [f'--source="{ROOT}"', "--protocol=message-boundaries", f"--boundary={boundary}"]
    answer = shell(config["hooks"]["get-manifest"], flags, hook_env(SLACK_ENV="local", SLACK_WORKSPACE="acme"))
    assert answer.returncode == 0, answer.stderr
    response = between_boundaries(answer.stdout, boundary)
    manifest = json.loads(response[response.index("{"):])
    assert manifest == json.loads(build_manifest(socket=True, url=None, fmt="json"))
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/project"]
    assert manifest["oauth_config"]["scopes"]["bot"] == bot_scopes()
    assert "request_url" not in json.dumps(manifest)  # Socket Mode: Slack calls no URL of ours
    assert not any("url" in command for command in manifest["features"]["slash_commands"])
    assert answer.stdout.strip() == boundary + response + boundary  # nothing else on stdout
    assert len(answer.stdout.encode()) < 4096  # one atomic pipe write (PIPE_BUF): the CLI reads it whole


def test_get_manifest_with_the_default_protocol_prints_only_the_json(config):
    answer = shell(config["hooks"]["get-manifest"], [f'--source="{ROOT}"'], hook_env())
    assert answer.returncode == 0, answer.stderr
    assert json.loads(answer.stdout.strip())["display_information"]["name"] == "Project Manager"


@pytest.mark.slow
@pytest.mark.parametrize("shell_had_tokens", [False, True])
def test_start_runs_the_bot_in_socket_mode_with_the_tokens_the_cli_made(config, fake, tmp_path, shell_had_tokens):
    """`slack run` starts the hook with its development app's tokens; the bot
    migrates a fresh database, dials Socket Mode with the app token, and answers."""
    app_token, bot_token = "xapp-1-A0DEV-1-clitoken", "xoxb-cli-dev-token"
    fake.accept_only(app_token, bot_token)
    database = tmp_path / "data" / "bot.sqlite3"
    env = hook_env(SLACK_CLI_XAPP=app_token, SLACK_CLI_XOXB=bot_token, SLACK_API_URL=fake.api_url,
                   DATABASE_URL=f"sqlite:///{database}")
    if shell_had_tokens:  # the CLI also sets these in its own environment when the shell had none
        env.update(SLACK_APP_TOKEN=app_token, SLACK_BOT_TOKEN=bot_token)
    command = config["hooks"]["start"]
    # the project's .env stays out of it: run from an empty folder (the package is installed in .venv)
    with FakeSocketMode(fake) as socket_mode:
        process = subprocess.Popen([os.environ.get("SHELL") or "sh", "-c", command], env=env, cwd=tmp_path,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            socket_mode.wait_connected(timeout=60)
            ack = socket_mode.request("slash_commands", {
                "token": "x", "team_id": fake.team_id, "channel_id": "C0DEV", "user_id": "U0DEV",
                "command": "/project", "text": "help", "response_url": fake.response_url("cli"),
                "trigger_id": "trigger.cli", "api_app_id": "A0DEV"})
            assert "/project" in json.dumps(ack)
        finally:
            process.terminate()
            output = process.communicate(timeout=30)[0]
    assert fake.last("apps.connections.open").token == app_token
    assert fake.last("auth.test").token == bot_token
    assert "status_marks" in inspect(make_engine(f"sqlite:///{database}")).get_table_names()  # migrated
    assert "Socket Mode" in output and app_token not in output and bot_token not in output


def test_start_without_the_clis_tokens_says_what_is_missing(config, tmp_path):
    started = time.monotonic()
    answer = shell(config["hooks"]["start"], [], hook_env(DATABASE_URL=f"sqlite:///{tmp_path}/x.sqlite3"),
                   cwd=tmp_path)
    assert answer.returncode == 2 and time.monotonic() - started < 60
    assert answer.stderr.strip() == ("Configuration error: --socket needs SLACK_APP_TOKEN (xapp-...); "
                                     "`slack run` sets it, or see the README's manual path")
