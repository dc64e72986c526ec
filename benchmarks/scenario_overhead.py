"""Scenario 3: requests per second for `/project status` (5,000 tasks) against a
bare Bolt app that only acks, both under gunicorn gthread in the same run.

Ours counts a request complete when its reply reached the response_url; the
bare app's work ends with the ack. Eight client threads, each its own
keep-alive connection.
"""

from __future__ import annotations

import threading
import time

from benchmarks.common import Result, database, median
from benchmarks.http import Client, bare, free_port, ours, wait_response
from benchmarks.seed import OWNER, TEAM, seed_project
from tests.support.fakeslack import FakeSlack

THREADS = 8
PER_THREAD = 40
TARGET_RATIO = 2.0
ROUNDS = 3
PER_DATABASE = False


def _load(port: int, fake: FakeSlack, tag: str, wait_reply: bool) -> float:
    """Requests per second over THREADS x PER_THREAD requests."""
    errors: list[str] = []

    def worker(t: int) -> None:
        client = Client(port, fake, TEAM)
        for i in range(PER_THREAD):
            name = f"{tag}-{t}-{i}"
            status = client.slash("status big", user=OWNER, channel="C0BIG", name=name)
            if status != 200:
                errors.append(f"HTTP {status}")
                return
            if wait_reply and not client.answered_in_ack:
                wait_response(fake, name)

    warm = Client(port, fake, TEAM)
    for i in range(10):
        warm.slash("status big", user=OWNER, channel="C0BIG", name=f"{tag}-warm-{i}")
        if wait_reply and not warm.answered_in_ack:
            wait_response(fake, f"{tag}-warm-{i}")
    threads = [threading.Thread(target=worker, args=(t,)) for t in range(THREADS)]
    t0 = time.monotonic()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    elapsed = time.monotonic() - t0
    if errors:
        raise RuntimeError(f"{tag}: {errors[:3]}")
    return THREADS * PER_THREAD / elapsed


def run(db: str = "sqlite") -> list[Result]:
    """Three rounds, bare and ours alternating, so a burst of other load on the
    machine hits both; the medians are compared."""
    floors, mine = [], []
    with database(db) as (url, engine), FakeSlack(team_id=TEAM) as fake:
        seed_project(engine, key="big", tasks=5000, risks=300, members=25, standups=60, costs=2000)
        bare_port, our_port = free_port(), free_port()
        with bare(fake, bare_port), ours(url, fake, our_port):
            for round_no in range(ROUNDS):
                floors.append(_load(bare_port, fake, f"bare{round_no}", wait_reply=False))
                mine.append(_load(our_port, fake, f"ours{round_no}", wait_reply=True))
    floor, ours_rps = median(floors), median(mine)
    ratio = floor / ours_rps
    rounds = ", ".join(f"{f:.0f}/{m:.0f}" for f, m in zip(floors, mine, strict=True))
    return [
        Result("3 overhead", f"bare Bolt ack-only ({db})", floor, "rps"),
        Result("3 overhead", f"/project status, 5,000 tasks ({db})", ours_rps, "rps"),
        Result("3 overhead", f"ratio bare / ours ({db})", ratio, "x", f"<= {TARGET_RATIO:.0f}",
               ratio <= TARGET_RATIO, f"median of {ROUNDS} rounds (bare/ours rps: {rounds})"),
    ]
