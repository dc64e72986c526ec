"""The production entry points as a deployment runs them: `python -m bot web` under
gunicorn (the Procfile's web line), configuration errors, and no internet needed."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.db import make_engine
from bot.domain.outbox import Kind, enqueue
from bot.domain.replies import Reply
from bot.models import StandupConfig
from tests.support.factories import make_project
from tests.support.fakesocket import FakeSocketMode
from tests.support.helpers import Runner
from tests.support.slackhttp import BOT_TOKEN, SIGNING_SECRET, SlackApp, get, settings_for

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(tmp_path: Path, **values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_", "TOKEN_"))}
    env.update(PYTHONPATH=str(ROOT), **values)
    return env


def _copy_database(sqlite_template: Path, tmp_path: Path) -> tuple[str, Engine]:
    """A migrated SQLite file of the test's own: its URL and an engine on it."""
    db = tmp_path / "bot.sqlite3"
    shutil.copy(sqlite_template, db)
    return f"sqlite:///{db}", make_engine(f"sqlite:///{db}")


@contextmanager
def _bot(command: str, tmp_path: Path, **env: str) -> Iterator[tuple[subprocess.Popen, list[str]]]:
    """`python -m bot <command>` as a deployment runs it; stopped afterwards,
    its output (stdout and stderr) appended to the yielded list."""
    process = subprocess.Popen([sys.executable, "-m", "bot", command], cwd=tmp_path, env=_env(tmp_path, **env),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output: list[str] = []
    try:
        yield process, output
    finally:
        process.terminate()
        output.append(process.communicate(timeout=20)[0])


def _wait(condition, process: subprocess.Popen, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, process.stdout.read()
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def _healthy(base: str) -> bool:
    try:
        return get(base + "/healthz", timeout=1).status == 200
    except OSError:
        return False


@pytest.mark.slow
def test_procfile_web_line_runs_gunicorn_on_port(fake, sqlite_template, tmp_path):
    procfile = (ROOT / "Procfile").read_text()
    assert "web: python -m bot web" in procfile
    url, engine = _copy_database(sqlite_template, tmp_path)
    make_project(engine, task_titles=("Choose hosting",))
    port = _free_port()
    with _bot("web", tmp_path, PORT=str(port), DATABASE_URL=url, SLACK_BOT_TOKEN=BOT_TOKEN,
              SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=fake.api_url, LOG_LEVEL="INFO") as (server, output):
        base = f"http://127.0.0.1:{port}"
        _wait(lambda: _healthy(base), server, "gunicorn did not come up")
        client = SlackApp(base, fake)
        assert client.slash("status website").status == 200
        reply = client.wait_reply(timeout=10)
        assert "Website relaunch: status" in reply["text"]
        assert client.slash("status", signed=False).status == 401
    assert "gunicorn" in output[0].lower() or "Booting worker" in output[0]
    assert BOT_TOKEN not in output[0] and SIGNING_SECRET not in output[0]


@pytest.mark.slow
def test_run_scheduler_in_web_runs_the_scheduler_and_the_outbox_in_the_gunicorn_worker(fake, sqlite_template,
                                                                                       tmp_path):
    """A one-process HTTP deployment: `RUN_SCHEDULER_IN_WEB=true` starts the
    worker (scheduler and outbox senders) inside the gunicorn worker."""
    url, engine = _copy_database(sqlite_template, tmp_path)
    project = make_project(engine)
    assert not Runner(engine, datetime.now(UTC))("standup set 09:30", channel=project.channel_id).error
    with Session(engine) as s:
        config_id = s.exec(select(StandupConfig.id)).one()

    def stored_jobs() -> set[str]:
        with engine.connect() as conn:
            return set(conn.execute(text("SELECT id FROM apscheduler_jobs")).scalars())

    with _bot("web", tmp_path, PORT=str(_free_port()), DATABASE_URL=url, SLACK_BOT_TOKEN=BOT_TOKEN,
              SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=fake.api_url,
              RUN_SCHEDULER_IN_WEB="true") as (server, output):
        _wait(lambda: {"standups:sweep", f"standup:{config_id}"} <= stored_jobs(), server,
              "the scheduler did not start in the web process")
        _queue_post(engine, project, "sent by the worker inside the web process")  # not by a web request
        (call,) = fake.wait_for("chat.postMessage", timeout=15)
        assert "sent by the worker inside the web process" in call.text()
    assert "scheduler running" in output[0] and BOT_TOKEN not in output[0] and SIGNING_SECRET not in output[0]


@pytest.mark.slow
def test_socket_mode_answers_a_slash_command_over_a_real_websocket(fake, sqlite_template, tmp_path):
    """`python -m bot run` with SLACK_APP_TOKEN: it opens a Socket Mode
    connection (apps.connections.open, then the websocket), answers a slash
    command inside the acknowledgement, and runs the worker in the process."""
    app_token = "xapp-1-A0FAKE-1-socketsecret"
    url, engine = _copy_database(sqlite_template, tmp_path)
    project = make_project(engine, task_titles=("Choose hosting",))
    with FakeSocketMode(fake) as socket_mode, _bot("run", tmp_path, DATABASE_URL=url, SLACK_BOT_TOKEN=BOT_TOKEN,
                                                   SLACK_APP_TOKEN=app_token, SLACK_API_URL=fake.api_url) as (_, output):
        socket_mode.wait_connected()
        ack = socket_mode.request("slash_commands", {
            "token": "x", "team_id": project.team_id, "channel_id": project.channel_id,
            "user_id": project.owner_user_id, "command": "/project", "text": "status website",
            "response_url": fake.response_url("socket"), "trigger_id": "trigger.socket", "api_app_id": "A0FAKE"})
        assert "Website relaunch: status" in ack["text"] and ack["blocks"]
        assert fake.last("apps.connections.open").token == app_token
        _queue_post(engine, project, "from the in-process worker")  # the worker runs in the same process
        assert "from the in-process worker" in fake.wait_for("chat.postMessage", timeout=15)[0].text()
    assert "Socket Mode" in output[0] and app_token not in output[0] and BOT_TOKEN not in output[0]


def _queue_post(engine: Engine, project, message: str) -> None:
    with Session(engine) as s:
        enqueue(session=s, team_id=project.team_id, key=f"post:{message}", kind=Kind.POST,
                channel_id=project.channel_id, reply=Reply.text(message), now=datetime.now(UTC))
        s.commit()


@pytest.mark.parametrize(("command", "env", "message"), [
    ("web", {"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET is required to serve Slack over HTTP"),
    ("run", {"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET is required to serve Slack over HTTP"),
    ("run", {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xoxb-wrong"},
     "SLACK_APP_TOKEN must be an app-level token"),
    ("web", {"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "c", "SLACK_SIGNING_SECRET": "s"},
     "TOKEN_ENCRYPTION_KEY is required"),
    ("web", {"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "c", "SLACK_SIGNING_SECRET": "s",
             "TOKEN_ENCRYPTION_KEY": "not-a-key"}, "TOKEN_ENCRYPTION_KEY must be a Fernet key"),
])
def test_a_missing_or_bad_slack_setting_stops_start_up_with_one_clear_line(command, env, message, tmp_path,
                                                                           monkeypatch):
    from click.testing import CliRunner

    from bot.__main__ import cli

    monkeypatch.chdir(tmp_path)  # no .env here
    for name in list(os.environ):
        if name.startswith(("SLACK_", "TOKEN_", "DATABASE_")):
            monkeypatch.delenv(name)
    result = CliRunner().invoke(cli, [command], env={"DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3", **env})
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_the_app_needs_no_internet(fake, db_engine, monkeypatch):
    """Every connection the app makes goes to 127.0.0.1 (the fake) when SLACK_API_URL points there."""
    real_connect = socket.socket.connect
    outside: list = []

    def guarded_connect(self, address):
        if isinstance(address, tuple) and address[0] not in ("127.0.0.1", "::1", "localhost"):
            outside.append(address)
            raise OSError(f"blocked connection to {address}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    make_project(db_engine, task_titles=("Choose hosting",))
    with SlackApp.start(settings_for(fake), db_engine, fake) as slack:
        slack.slash("status website")
        slack.wait_reply()
        slack.event({"type": "app_home_opened", "user": "U0OWNER", "tab": "home", "event_ts": "1.0"})
        fake.wait_for("views.publish")
    assert outside == []
    assert fake.calls_to("auth.test")  # even the start-up token check went to the fake


def test_socket_mode_connects_with_the_app_token_and_runs_the_worker_in_process(fake, sqlite_engine, monkeypatch):
    """With SLACK_APP_TOKEN, `run` uses Socket Mode (no public URL) and one process does it all:
    the worker runs in a thread, sending through the app's notifier, with the Slack jobs."""
    from functools import partial

    import slack_bolt.adapter.socket_mode as socket_mode
    from apscheduler.schedulers.background import BackgroundScheduler

    import bot.jobs.worker as worker
    from bot.__main__ import _worker_in_process
    from bot.slack.runner import run_slack

    started: dict = {}

    class RecordingHandler:
        def __init__(self, app, app_token):
            started.update(app=app, token=app_token)

        def start(self):
            started["connected"] = True

    monkeypatch.setattr(socket_mode, "SocketModeHandler", RecordingHandler)
    monkeypatch.setattr(worker, "start_in_process",
                        lambda settings, notifier, register: started.update(worker=notifier, register=register))
    settings = settings_for(fake, slack_signing_secret="", slack_app_token="xapp-1-test",
                            database_url=str(sqlite_engine.url))
    run_slack(settings, start_worker=partial(_worker_in_process, settings))  # as `python -m bot run` does
    assert started["token"] == "xapp-1-test" and started["connected"]
    assert started["app"].client.base_url == fake.api_url  # every WebClient on SLACK_API_URL
    assert started["worker"] is started["app"].pm_notifier
    scheduler = BackgroundScheduler()
    started["register"](scheduler)
    assert scheduler.get_job("standups:zones") is not None  # the Slack users' time zones, refreshed
