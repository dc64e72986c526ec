"""Start servers as production does and drive them with signed Slack requests."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

from tests.support.fakeslack import FakeSlack
from tests.support.slackhttp import sign

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench-token"
ROOT = Path(__file__).resolve().parent.parent
GUNICORN_FLAGS = ["-k", "gthread", "-w", "1", "--threads", "8", "--timeout", "30"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(database_url: str, fake: FakeSlack, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env.update(DATABASE_URL=database_url, SLACK_SIGNING_SECRET=SECRET, SLACK_BOT_TOKEN=TOKEN,
               SLACK_API_URL=fake.api_url, PORT=str(port), LOG_LEVEL="WARNING",
               PYTHONPATH=str(ROOT))
    return env


@contextmanager
def running(cmd: list[str], env: dict[str, str], port: int) -> Iterator[subprocess.Popen]:
    """Run a server process until /healthz answers; stop it afterwards."""
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                err = proc.stderr.read().decode(errors="replace")[-2000:] if proc.stderr else ""
                raise RuntimeError(f"server did not start: {' '.join(cmd)}\n{err}")
            time.sleep(0.1)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def ours(database_url: str, fake: FakeSlack, port: int):
    """`python -m bot web`, the Procfile's web line."""
    return running([sys.executable, "-m", "bot", "web"], server_env(database_url, fake, port), port)


def bare(fake: FakeSlack, port: int):
    cmd = [sys.executable, "-m", "gunicorn", *GUNICORN_FLAGS, "-b", f"127.0.0.1:{port}",
           "--log-level", "warning", "benchmarks.bare_app:wsgi()"]
    return running(cmd, server_env("sqlite://", fake, port), port)


class Client:
    """Sends signed slash commands on a keep-alive connection."""

    def __init__(self, port: int, fake: FakeSlack, team_id: str):
        self.port, self.fake, self.team_id = port, fake, team_id
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.last_body = b""

    def slash(self, text: str, *, user: str, channel: str, name: str) -> int:
        body = urlencode({
            "token": "x", "team_id": self.team_id, "team_domain": "bench", "channel_id": channel,
            "channel_name": "bench", "user_id": user, "user_name": "owner", "command": "/project",
            "text": text, "api_app_id": "A0BENCH", "response_url": self.fake.response_url(name),
            "trigger_id": f"trigger.{name}",
        }).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body, secret=SECRET)}
        self.conn.request("POST", "/slack/events", body=body, headers=headers)
        response = self.conn.getresponse()
        self.last_body = response.read()
        return response.status

    @property
    def answered_in_ack(self) -> bool:
        """True when the reply came back in the acknowledgement itself."""
        return b'"blocks"' in self.last_body or b'"text"' in self.last_body


def wait_response(fake: FakeSlack, name: str, timeout: float = 30.0) -> float:
    """Block until the response_url named `name` received its POST; returns when (monotonic)."""
    path = f"/response/{name}"
    deadline = time.monotonic() + timeout
    with fake._lock:
        while True:
            for r in reversed(fake.responses):
                if r.path == path:
                    return r.at
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no reply at {path}")
            fake._lock.wait(left)


def rss_mb(pid: int) -> float:
    """Memory of a process and its children (gunicorn master + worker), in MB:
    the proportional set size, so pages the fork shares are counted once."""
    total = 0
    for p in [pid] + [int(c) for c in _children(pid)]:
        try:
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except FileNotFoundError:
            continue
    return total / 1024


def _children(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except FileNotFoundError:
        return []
