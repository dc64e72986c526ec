"""Scenario 5: the scheduler at scale.

10,000 projects, each with a standup, spread over every IANA zone; 500 of them
are set so their local standup time falls on the same UTC minute. A worker
subprocess (the real `lead` loop: leader lease, APScheduler with its
SQLAlchemy job store, outbox senders, Slack notifier against the fake Web
API) reports its start-up time and memory; lateness is measured from that
minute to each run's first prompt leaving the outbox (the fake receiving it).
Runs open `OPEN_AHEAD` before their minute, so the minute itself only sends.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import zoneinfo
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select

from benchmarks.common import Result, database, percentile
from benchmarks.http import ROOT, server_env
from bot.jobs.standup_jobs import OPEN_AHEAD
from bot.models import Member, OutboxMessage, Project, StandupConfig, User
from tests.support.fakeslack import FakeSlack

PROJECTS = 10_000
SAME_MINUTE = 500
TEAM = "T0SCHED"
PER_DATABASE = False  # PostgreSQL only: the database a 10,000-project install runs on
TARGETS = {"startup": 5.0, "memory": 300.0, "lateness": 2.0}


def _zones() -> list[str]:
    return sorted(z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith("Etc/"))


def seed(engine, fire_at: datetime) -> None:
    """10,000 projects and standups; the first 500 fire at `fire_at` (UTC)."""
    zones = _zones()
    now = datetime.now(UTC)
    rows, configs, users, members = [], [], [], []
    for i in range(PROJECTS):
        zone = zones[i % len(zones)]
        rows.append(dict(team_id=TEAM, key=f"s{i:05d}", name=f"Standup project {i}", goal="", objective="",
                         scope="", currency="USD", timezone=zone, owner_user_id=f"U0S{i:05d}",
                         channel_id=f"C0S{i:05d}", state="active", settings={}, created_by="",
                         created_at=now, updated_at=now, start_date=now.date()))
    with engine.begin() as conn:
        for chunk in range(0, PROJECTS, 2000):
            conn.execute(insert(Project), rows[chunk : chunk + 2000])
        ids = conn.execute(select(Project.id, Project.key, Project.timezone).where(
            Project.team_id == TEAM).order_by(Project.key)).all()
        for n, (pid, _key, zone) in enumerate(ids):
            if n < SAME_MINUTE:
                local = fire_at.astimezone(ZoneInfo(zone))
                hhmm, days = f"{local:%H:%M}", "mon,tue,wed,thu,fri,sat,sun"
            else:  # 3 to 20 hours later: away from the measured minute and from catch-up
                local = (fire_at + timedelta(minutes=180 + (n * 7) % 1020)).astimezone(ZoneInfo(zone))
                hhmm, days = f"{local:%H:%M}", "mon-fri"
            configs.append(dict(team_id=TEAM, project_id=pid, time_local=hhmm, days=days, timezone=zone,
                                channel_id=f"C0S{n:05d}", holidays_country="", holidays_subdiv="",
                                close_after_minutes=120, reminder_at_pct=80, per_member_timezone=False,
                                answers_in_thread=True, questions=[], paused=False, created_at=now,
                                updated_at=now))
            owner = f"U0S{n:05d}"
            users.append(dict(team_id=TEAM, user_id=owner, name=f"owner{n}", timezone=zone,
                              is_bot=False, deleted=False))
            members.append(dict(team_id=TEAM, project_id=pid, user_id=owner, role="owner",
                                weekly_capacity_hours=40.0, active=True, created_at=now))
        for table, data in ((StandupConfig, configs), (User, users), (Member, members)):
            for chunk in range(0, len(data), 2000):
                conn.execute(insert(table), data[chunk : chunk + 2000])


PROBE = r"""
import json, os, sys, time, threading
from datetime import UTC, datetime
from bot.config import load_settings
from bot.db import make_engine
from bot.jobs import worker
from bot.jobs.leader import lease_for
from bot.jobs.scheduler import job_count
from bot.slack.notifier import notifier_for

settings = load_settings(env_file=None)
engine = make_engine(settings.database_url)
sent = {}
inner = notifier_for(settings, engine)

class Timing:
    def send(self, message, *, session):
        result = inner.send(message, session=session)
        if ":prompt:" in message.idempotency_key:
            run = message.idempotency_key.split(":")[1]
            sent.setdefault(run, time.time())
        return result
    def __getattr__(self, name):
        return getattr(inner, name)

stop = threading.Event()
started = time.time()
ready = {}
def register(scheduler):
    ready["jobs"] = job_count(scheduler)  # counted in SQL: the probe adds no unpickling of its own
    ready["at"] = time.time()
def leader():
    lease = lease_for(settings.database_url)  # acquired in the thread that holds it
    assert lease.try_acquire()
    worker.lead(settings, engine, lease, Timing(), stop, register=register, poll_seconds=0.2)
t = threading.Thread(target=leader, daemon=True)
t.start()
while "at" not in ready:
    time.sleep(0.05)
rss = int(open("/proc/self/status").read().split("VmRSS:")[1].split()[0]) / 1024
print(json.dumps({"startup": ready["at"] - started, "jobs": ready["jobs"], "rss": rss}), flush=True)
deadline = float(sys.argv[1])
while time.time() < deadline:
    time.sleep(0.5)
stop.set(); t.join(30)
rss2 = int(open("/proc/self/status").read().split("VmRSS:")[1].split()[0]) / 1024
print(json.dumps({"first_prompt": sent, "rss_after": rss2}), flush=True)
"""


def _probe(url: str, fake: FakeSlack, until: float) -> tuple[dict, dict]:
    env = server_env(url, fake, 3000)
    proc = subprocess.run([sys.executable, "-c", PROBE, str(until)], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or len(lines) < 2:
        raise RuntimeError(f"probe failed ({proc.returncode}): {proc.stderr[-3000:]}")
    return lines[0], lines[1]


def _retime(engine, fire_at: datetime) -> None:
    """Move the first 500 standups to `fire_at` (as `/project standup set` would)."""
    with engine.begin() as conn:
        rows = conn.execute(select(StandupConfig.id, StandupConfig.timezone)
                            .order_by(StandupConfig.id).limit(SAME_MINUTE)).all()
        for config_id, zone in rows:
            local = fire_at.astimezone(ZoneInfo(zone))
            conn.execute(StandupConfig.__table__.update().where(StandupConfig.id == config_id)
                         .values(time_local=f"{local:%H:%M}", days="mon,tue,wed,thu,fri,sat,sun"))


def run(db: str = "postgresql") -> list[Result]:
    with database(db) as (url, engine), FakeSlack(team_id=TEAM) as fake:
        seed(engine, datetime.now(UTC) + timedelta(days=1))  # every standup far from now
        cold, _ = _probe(url, fake, time.time() + 1)  # first start: creates every job
        # the busy minute: its runs open OPEN_AHEAD before it, at least 25 s from now (warm start-up
        # plus margin), so the worker is running, as in production, when they open
        fire_at = (datetime.now(UTC) + OPEN_AHEAD + timedelta(seconds=85)).replace(second=0, microsecond=0)
        _retime(engine, fire_at)
        warm, after = _probe(url, fake, fire_at.timestamp() + 30)  # restart, then the busy minute
        with engine.connect() as conn:  # when each prompt was queued: opening vs delivery
            queued = [(at - fire_at).total_seconds() for at in conn.execute(
                select(OutboxMessage.created_at).where(OutboxMessage.idempotency_key.like("standup:%:prompt:%")))
                .scalars()]
    firsts = after["first_prompt"]
    lateness = [ts - fire_at.timestamp() for ts in firsts.values()]
    p99 = percentile(lateness, 99) if lateness else float("inf")
    return [
        Result("5 scheduler", f"start-up, first ({db})", cold["startup"], "s", "< 5 s",
               cold["startup"] < TARGETS["startup"], f"{cold['jobs']} jobs created"),
        Result("5 scheduler", f"start-up, restart ({db})", warm["startup"], "s", "< 5 s",
               warm["startup"] < TARGETS["startup"],
               f"{warm['jobs']} jobs loaded, {SAME_MINUTE} of them re-timed since the last run"),
        Result("5 scheduler", f"worker RSS with 10,000 standups ({db})", max(warm["rss"], after["rss_after"]),
               "MB", "< 300 MB", max(warm["rss"], after["rss_after"]) < TARGETS["memory"]),
        Result("5 scheduler", f"lateness p99, 500 at once ({db})", p99, "s", "< 2 s",
               p99 < TARGETS["lateness"] and len(lateness) == SAME_MINUTE,
               f"{len(lateness)} of {SAME_MINUTE} runs prompted; p50 {percentile(lateness, 50):.2f} s; "
               f"runs opened and prompts queued {-percentile(queued, 99):.1f} to {-percentile(queued, 1):.1f} s "
               "before the minute" if queued else "no prompt queued"),
    ]
