"""`python -m bot worker`: the scheduler and the outbox senders, on one leader.

Start as many workers as you like: each waits for the lease
(`bot.jobs.leader`); the leader starts the APScheduler scheduler (jobs from
every `register_jobs` in bot/jobs/, plus the transport's own through
`register`) and delivers the outbox every `poll_seconds`; a standby retries
the lease every `standby_seconds` and takes over when the leader dies.
SIGTERM/SIGINT stop it cleanly (unsent claims are handed back). The
notifier and `register` are handed in where transports are wired to jobs
(`bot/__main__.py`): jobs never import a transport.

The database may go away at any time, for any length of time: the leader
then steps down (its lease connection is gone), and the worker keeps asking
for the lease, backing off to `OUTAGE_RETRY_MAX_SECONDS`, and leads again
when the database is back. Nothing it raises ends the process.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable

from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy.engine import Engine

from bot.config import Settings
from bot.db import make_engine
from bot.domain.outbox import Notifier
from bot.jobs.leader import Lease, lease_for
from bot.jobs.outbox_sender import (
    RENEW_SECONDS,
    deliver_pending,
    free_claims_of_dead,
    new_holder,
    renew_claims,
    wait_for_kick,
)
from bot.jobs.scheduler import build_scheduler, job_count, register_all

log = logging.getLogger(__name__)
SENDERS = 8  # outbox senders in parallel on PostgreSQL (each owns a share of the destinations)
OUTAGE_RETRY_MAX_SECONDS = 10.0  # while the database is unreachable: 1, 2, 4, 8, 10, 10, ... s


def lead(settings: Settings, engine: Engine, lease: Lease, notifier: Notifier, stop: threading.Event, *,
         register: Callable[[BaseScheduler], None] | None = None, poll_seconds: float = 1.0) -> None:
    """Run the scheduler and the outbox senders while the lease holds (or until `stop`)."""
    holder = new_holder("worker")  # this leadership term's outbox claims
    free_claims_of_dead(engine, role="worker", alive=holder)  # earlier leaders are gone
    scheduler = build_scheduler(settings, engine)
    senders: list[threading.Thread] = []
    done = threading.Event()
    scheduler.start(paused=True)  # read the store first: stored next-run times survive restarts
    try:
        register_all(scheduler, settings)
        if register is not None:
            register(scheduler)
        scheduler.resume()
        log.info("leader %s: scheduler running with %d jobs", os.getpid(), job_count(scheduler))
        shares = SENDERS if engine.dialect.name == "postgresql" else 1
        senders = [threading.Thread(target=_send, args=(engine, notifier, done, poll_seconds, (i, shares),
                                                        holder),
                                    name=f"outbox-sender-{i}", daemon=True) for i in range(shares)]
        for sender in senders:
            sender.start()
        renewed = time.monotonic()
        while not stop.is_set():
            if not lease.still_held():
                log.error("leader %s: lease lost, stopping the scheduler", os.getpid())
                return
            if time.monotonic() - renewed >= RENEW_SECONDS:
                renewed = time.monotonic()
                _renew(engine, holder)
            stop.wait(poll_seconds)
    finally:
        scheduler.shutdown(wait=False)
        done.set()
        for sender in senders:
            sender.join(poll_seconds + 30)


def _renew(engine: Engine, holder: str) -> None:
    try:
        renew_claims(engine, holder)
    except Exception as exc:  # noqa: BLE001 - the lease check notices an outage
        log.warning("could not renew the outbox claims (%s)", exc.__class__.__name__)


def _send(engine: Engine, notifier: Notifier, done: threading.Event, poll_seconds: float,
          share: tuple[int, int], holder: str) -> None:
    """One outbox sender: delivers its share of the destinations (all of them
    alone) until `done`; polls, and wakes at once when something is queued."""
    seen = 0
    while not done.is_set():
        try:
            sent = deliver_pending(engine, notifier, share=share if share[1] > 1 else None,
                                   holder=holder, stop=done)
        except Exception:  # a delivery bug must not stop the scheduler
            log.exception("outbox delivery failed; retrying")
            sent = 0
        if not sent:
            seen = wait_for_kick(poll_seconds, seen)


def run_worker(settings: Settings, *, notifier: Notifier, stop: threading.Event | None = None,
               register: Callable[[BaseScheduler], None] | None = None,
               poll_seconds: float = 1.0, standby_seconds: float = 5.0) -> None:
    """Wait to lead, then lead until stopped; a lost lease goes back to waiting."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    engine = make_engine(settings.database_url)
    lease = lease_for(settings.database_url)
    waiting_logged = False
    outage = 0  # failed attempts in a row to reach the database
    try:
        while not stop.is_set():
            try:
                acquired = lease.try_acquire()
            except Exception as exc:  # noqa: BLE001 - the database is away: wait for it, never exit
                outage += 1
                delay = min(2.0 ** (outage - 1), OUTAGE_RETRY_MAX_SECONDS)
                if outage == 1:
                    log.error("worker %s: database unreachable (%s); retrying until it is back",
                              os.getpid(), exc.__class__.__name__)
                stop.wait(delay)
                continue
            if outage:
                log.info("worker %s: database reachable again after %d attempts", os.getpid(), outage)
                outage = 0
            if not acquired:
                if not waiting_logged:
                    log.info("worker %s: standby, another worker is the leader", os.getpid())
                    waiting_logged = True
                stop.wait(standby_seconds)
                continue
            waiting_logged = False
            log.info("worker %s: leader", os.getpid())
            failed = False
            try:
                lead(settings, engine, lease, notifier, stop, register=register, poll_seconds=poll_seconds)
            except Exception:  # e.g. the database went away: step down, then try to lead again
                log.exception("worker %s: leading failed; stepping down", os.getpid())
                failed = True
            finally:
                lease.release()
            if failed:
                stop.wait(standby_seconds)
    finally:
        engine.dispose()


def start_in_process(settings: Settings, *, notifier: Notifier,
                     register: Callable[[BaseScheduler], None] | None = None,
                     ) -> tuple[threading.Thread, threading.Event]:
    """Run the worker in a daemon thread (Socket Mode: one process does it all).
    Returns the thread and the event that stops it."""
    stop = threading.Event()
    thread = threading.Thread(target=run_worker, args=(settings,),
                              kwargs={"stop": stop, "notifier": notifier, "register": register},
                              name="pm-bot-worker", daemon=True)
    thread.start()
    return thread, stop
