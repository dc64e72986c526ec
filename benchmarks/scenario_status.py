"""Scenario 1: `/project status` on a big project, end to end over HTTP.

The server runs as the Procfile starts it (`python -m bot web`: gunicorn,
gthread). Latency is measured from sending the signed request to the reply
arriving at the response_url, one request at a time.
"""

from __future__ import annotations

import time

from benchmarks.common import Result, database, percentile
from benchmarks.http import Client, free_port, ours, wait_response
from benchmarks.seed import OWNER, TEAM, seed_project
from tests.support.fakeslack import FakeSlack

SAMPLES = 200
WARMUP = 20
TARGET_P95_MS = 50.0


def run(db: str = "sqlite") -> list[Result]:
    with database(db) as (url, engine), FakeSlack(team_id=TEAM) as fake:
        seed_project(engine, key="big", tasks=5000, risks=300, members=25, standups=60, costs=2000)
        port = free_port()
        with ours(url, fake, port):
            client = Client(port, fake, TEAM)
            latencies = []
            for i in range(WARMUP + SAMPLES):
                name = f"s{db}{i}"
                t0 = time.monotonic()
                status = client.slash("status big", user=OWNER, channel="C0BIG", name=name)
                if status != 200:
                    raise RuntimeError(f"status answered HTTP {status}")
                done = time.monotonic() if client.answered_in_ack else wait_response(fake, name)
                if i >= WARMUP:
                    latencies.append((done - t0) * 1000)
            body = client.last_body.decode() if client.answered_in_ack else fake.responses[-1].body
    if "Project big" not in str(body):
        raise RuntimeError(f"unexpected reply: {str(body)[:300]}")
    p95 = percentile(latencies, 95)
    note = (f"p50 {percentile(latencies, 50):.1f} ms, p95 {p95:.1f} ms, p99 "
            f"{percentile(latencies, 99):.1f} ms over {SAMPLES} requests")
    return [
        Result("1 status at scale", f"status p50 ({db})", percentile(latencies, 50), "ms"),
        Result("1 status at scale", f"status p95 ({db})", p95, "ms", f"< {TARGET_P95_MS:.0f} ms",
               p95 < TARGET_P95_MS, note),
        Result("1 status at scale", f"status p99 ({db})", percentile(latencies, 99), "ms"),
    ]
