"""`doctor`'s view of what runs in the background: the worker and the outbox."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.config import Settings
from bot.doctor.report import Check, fail, ok
from bot.domain.outbox_health import LATE_AFTER, outbox_health
from bot.jobs.outbox_failures import HINTS
from bot.jobs.worker_status import worker_status

STALLED_AFTER = timedelta(minutes=3)  # the sweep runs every minute


def _utc(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "never"


def worker_check(settings: Settings, engine: Engine, now: datetime) -> Check:
    start = ("start `python -m bot worker` (in Socket Mode `python -m bot run` runs it inside; "
             "in HTTP mode so does `web` with RUN_SCHEDULER_IN_WEB=true)")
    status = worker_status(engine, settings.database_url)
    if not status.held:
        last = f"; the scheduler last ran about {_utc(status.last_sweep)}" if status.last_sweep else \
            "; no scheduler has ever run on this database"
        return fail("worker", f"no worker holds the lease: standups, alerts and reports are not sent{last}", start)
    leader = status.holder + (f", leading since {_utc(status.since)}" if status.since else "")
    if status.next_sweep is None:
        return fail("worker", f"the lease is held ({leader}) but the scheduler has never run here",
                    "look at that process's log: it should say `scheduler running`")
    if status.next_sweep < now - STALLED_AFTER:
        return fail("worker", f"the lease is held ({leader}) but the scheduler last ran about "
                    f"{_utc(status.last_sweep)}", "the worker is stuck: restart it and read its log")
    return ok("worker", f"{leader}; the scheduler last ran about {_utc(status.last_sweep)}")


def outbox_check(engine: Engine, now: datetime) -> list[Check]:
    with Session(engine) as session:
        health = outbox_health(session=session, now=now)
    checks = []
    if health.late:
        checks.append(fail("outbox", f"{health.late} message{'s' if health.late != 1 else ''} waiting more than "
                           f"{int(LATE_AFTER.total_seconds() // 60)} minutes (the oldest due "
                           f"{_utc(health.oldest_late)})", "the worker is not delivering: see `worker` above"))
    for group in health.failures:
        hint = next((h for code, h in HINTS.items() if code in group.reason), "")
        checks.append(fail("outbox", f"{group.count} message{'s' if group.count != 1 else ''} given up in the "
                           f"last day: {group.reason[:120]} (e.g. to {group.example or 'nobody'})",
                           hint or "read the worker's log for that message's key"))
    if not checks:
        checks.append(ok("outbox", f"{health.waiting} message{'s' if health.waiting != 1 else ''} waiting, "
                         "none late; nothing given up in the last day"))
    return checks
