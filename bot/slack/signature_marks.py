"""What the signature check on `/slack/events` saw, kept for `python -m bot doctor`.

A wrong `SLACK_SIGNING_SECRET` shows only from inside the web process: every
request Slack signs fails the check. `SignatureMarks` records, in the
`status_marks` row `slack_signature`, when a request last passed and when one
last failed (with how many failed since the last pass), so `doctor`, run as
another process or on another machine, can tell "Slack's requests are
refused" from "no request has come yet".

Only requests that look signed by Slack count as failures (a `v0=` signature
with a timestamp inside Slack's 5 minutes): a scanner without a signature,
or a replay of an old one, says nothing about the secret. Writes are
throttled (a pass at most once a minute unless a failure came since,
failures at most every 5 s, counted in between), happen in the request's
thread, and never fail the request.
`doctor --url`'s own signed probe (User-Agent `pm-bot-doctor`) is not recorded.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from bot.models import StatusMark, utcnow

log = logging.getLogger(__name__)
MARK = "slack_signature"
DOCTOR_AGENT = "pm-bot-doctor"  # `doctor --url` signs a probe with its own secret: not evidence either way
OK_EVERY, FAILED_EVERY = 60.0, 5.0  # seconds between writes
SLACK_WINDOW = 5 * 60  # Slack's requests are at most 5 minutes old


def looks_signed_by_slack(timestamp: str, signature: str, *, now: float | None = None) -> bool:
    """A `v0=` signature with a timestamp inside Slack's 5-minute window."""
    try:
        age = abs((time.time() if now is None else now) - int(timestamp))
    except ValueError:
        return False
    return signature.startswith("v0=") and age <= SLACK_WINDOW


@dataclass(frozen=True)
class SignatureState:
    """The `slack_signature` mark as `doctor` reads it."""

    ok_at: datetime | None
    failed_at: datetime | None
    failures: int

    @property
    def refused_since_last_pass(self) -> bool:
        return self.failed_at is not None and (self.ok_at is None or self.failed_at > self.ok_at)


class SignatureMarks:
    """Throttled recorder of passes and failures (one per web process)."""

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] = utcnow,
                 monotonic: Callable[[], float] = time.monotonic):
        self.engine, self.clock, self.monotonic = engine, clock, monotonic
        self._lock = threading.Lock()
        self._ok_written = self._failed_written = float("-inf")
        self._unwritten_failures = 0

    def passed(self) -> None:
        with self._lock:
            after_failure = self._failed_written > self._ok_written  # say so at once: the failures are over
            if self.monotonic() - self._ok_written < OK_EVERY and not after_failure:
                return
            self._ok_written = self.monotonic()
        self._write(ok=True, failures=0)

    def failed(self) -> None:
        with self._lock:
            self._unwritten_failures += 1
            if self.monotonic() - self._failed_written < FAILED_EVERY:
                return
            self._failed_written = self.monotonic()
            count, self._unwritten_failures = self._unwritten_failures, 0
        self._write(ok=False, failures=count)

    def _write(self, *, ok: bool, failures: int) -> None:
        now = self.clock()
        values = {"ok_at": now, "failures": 0} if ok else {
            "failed_at": now, "failures": StatusMark.failures + failures}
        try:
            with self.engine.begin() as conn:
                changed = conn.execute(update(StatusMark).where(StatusMark.name == MARK).values(**values))
                if changed.rowcount == 0:
                    first = {"ok_at": now} if ok else {"failed_at": now}
                    conn.execute(StatusMark.__table__.insert().values(
                        name=MARK, failures=0 if ok else failures, **first))
        except IntegrityError:  # another process inserted it first: the next write updates it
            pass
        except SQLAlchemyError as exc:  # the request must not fail for its bookkeeping
            log.warning("could not record the signature check (%s)", exc.__class__.__name__)


def read_signature_state(engine: Engine) -> SignatureState | None:
    """The recorded mark, or None when no request was ever checked."""
    with engine.connect() as conn:
        row = conn.execute(StatusMark.__table__.select().where(StatusMark.name == MARK)).first()
    if row is None:
        return None
    return SignatureState(ok_at=row.ok_at, failed_at=row.failed_at, failures=row.failures)
