"""Scenario 6: memory (PSS) of the web and worker processes, idle and after
the status load of scenario 1 (RSS of the process and its children)."""

from __future__ import annotations

import subprocess
import sys
import time

from benchmarks.common import Result, database
from benchmarks.http import Client, free_port, ours, rss_mb, server_env, wait_response
from benchmarks.seed import OWNER, TEAM, seed_project
from tests.support.fakeslack import FakeSlack

TARGET_MB = 150.0
REQUESTS = 200


def _worker(url: str, fake: FakeSlack):
    env = server_env(url, fake, free_port())
    proc = subprocess.Popen([sys.executable, "-m", "bot", "worker"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(4)  # start-up: migrations checked, leader elected, scheduler started
    if proc.poll() is not None:
        raise RuntimeError("worker exited: " + proc.stderr.read().decode(errors="replace")[-1500:])
    return proc


def run(db: str = "sqlite") -> list[Result]:
    results = []
    with database(db) as (url, engine), FakeSlack(team_id=TEAM) as fake:
        seed_project(engine, key="big", tasks=5000, risks=300, members=25, standups=60, costs=2000)
        port = free_port()
        worker = _worker(url, fake)
        try:
            with ours(url, fake, port) as web:
                time.sleep(1)
                idle_web, idle_worker = rss_mb(web.pid), rss_mb(worker.pid)
                client = Client(port, fake, TEAM)
                for i in range(REQUESTS):
                    client.slash("status big", user=OWNER, channel="C0BIG", name=f"m{db}{i}")
                    if not client.answered_in_ack:
                        wait_response(fake, f"m{db}{i}")
                time.sleep(1)
                busy_web, busy_worker = rss_mb(web.pid), rss_mb(worker.pid)
        finally:
            worker.terminate()
            worker.wait(timeout=10)
    for name, idle, busy in (("web", idle_web, busy_web), ("worker", idle_worker, busy_worker)):
        results.append(Result("6 memory", f"{name} PSS idle ({db})", idle, "MB", f"< {TARGET_MB:.0f} MB",
                              idle < TARGET_MB))
        results.append(Result("6 memory", f"{name} PSS after status load ({db})", busy, "MB",
                              f"< {TARGET_MB:.0f} MB", busy < TARGET_MB))
    return results



