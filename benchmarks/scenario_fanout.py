"""Scenario 4: standup prompts to 1,000 members through a fake Web API that
enforces Slack's limits: one message per second per channel and a workspace
cap per minute (default 600), answering 429 with Retry-After.

The run is opened with `standup now` (all 1,000 prompts enter the outbox in
one transaction); the outbox sender then delivers through the Slack notifier, as
the worker does. The theoretical minimum is set by the workspace cap: with N
messages and a cap of C a minute, the last window opens after
(ceil(N / C) - 1) minutes.
"""

from __future__ import annotations

import math
import os
import time
from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import insert
from sqlmodel import Session

from benchmarks.common import Result, database
from bot.domain import projects as project_service
from bot.domain import standups
from bot.jobs.outbox_sender import deliver_pending
from bot.models import Member, OutboxMessage, User
from bot.slack.notifier import SlackNotifier
from tests.support.fakeslack import FakeSlack

MEMBERS = int(os.environ.get("BENCH_FANOUT_MEMBERS", "1000"))
CAP_PER_MINUTE = int(os.environ.get("BENCH_FANOUT_CAP", "600"))
TEAM = "T0FAN"
OWNER = "U0FANOWNER"
TARGET_RATIO = 1.15
PER_DATABASE = False  # PostgreSQL only: delivery is bound by Slack's caps, not the database


def _seed(engine, now: datetime) -> int:
    with Session(engine, expire_on_commit=False) as s:
        project = project_service.create_project(session=s, team_id=TEAM, name="Fan-out", key="fanout",
                                                 owner_user_id=OWNER, channel_id="C0FAN", now=now)
        users = [f"U0F{i:05d}" for i in range(MEMBERS - 1)]
        s.execute(insert(User), [dict(team_id=TEAM, user_id=u, name=u.lower(), timezone="UTC",
                                      is_bot=False, deleted=False) for u in users])
        s.execute(insert(Member), [dict(team_id=TEAM, project_id=project.id, user_id=u, role="member",
                                        weekly_capacity_hours=40.0, active=True, created_at=now)
                                   for u in users])
        standups.configure(session=s, project=project, actor=OWNER, time_local="09:30", now=now)
        s.commit()
        return project.id


def run(db: str = "postgresql") -> list[Result]:
    with database(db) as (_, engine), FakeSlack(team_id=TEAM) as fake:
        now = datetime.now(UTC)
        pid = _seed(engine, now)
        fake.rate_limit(per_channel_per_second=1.0, per_minute=CAP_PER_MINUTE)
        with Session(engine, expire_on_commit=False) as s:
            project = project_service.get_project(session=s, team_id=TEAM, key="fanout")
            assert project.id == pid
            standups.start_now(session=s, project=project, actor=OWNER, now=now)
            s.commit()
        notifier = SlackNotifier(base_url=fake.api_url, token_for=lambda _team: "xoxb-bench")
        t0 = time.monotonic()
        deadline = t0 + 600
        while time.monotonic() < deadline:
            deliver_pending(engine, notifier, limit=200)
            with Session(engine) as s:
                left = s.exec(OutboxMessage.__table__.select().where(
                    OutboxMessage.state.in_(["pending", "sending"]))).first()
            if left is None:
                break
            time.sleep(0.05)
        posts = [c for c in fake.calls_to("chat.postMessage", ok_only=False)]
    ok = [c for c in posts if c.ok]
    last = max((c.at for c in ok), default=t0)
    elapsed = last - t0
    floor = (math.ceil(MEMBERS / CAP_PER_MINUTE) - 1) * 60.0
    ratio = elapsed / floor if floor else float("nan")
    per_channel = Counter(c.params.get("channel") for c in ok)
    duplicated = sum(n - 1 for n in per_channel.values() if n > 1)
    lost = MEMBERS - len(per_channel)
    rate_limited = sum(1 for c in posts if c.status == 429)
    return [
        Result("4 standup fan-out", f"completion / theoretical minimum ({db})", ratio, "x",
               f"<= {TARGET_RATIO}", ratio <= TARGET_RATIO,
               f"{MEMBERS} prompts in {elapsed:.1f} s; minimum {floor:.0f} s at {CAP_PER_MINUTE}/min"),
        Result("4 standup fan-out", f"429 answers received ({db})", rate_limited, "", "", None),
        Result("4 standup fan-out", f"prompts lost ({db})", lost, "", "0", lost == 0),
        Result("4 standup fan-out", f"prompts duplicated ({db})", duplicated, "", "0", duplicated == 0),
    ]
