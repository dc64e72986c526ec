"""Deliver due outbox rows through a `Notifier`, safely, with retries.

Each row, in send order:
1. claim it in a short transaction: `pending` (or a `sending` row whose
   claim ran out) becomes `sending`, claimed by the sender (`claimed_by`)
   for `CLAIM_SECONDS`, with one more attempt. The claim is a
   compare-and-set on (state, attempts), so two senders never both send
   a row; on PostgreSQL the candidates are also read with
   `FOR UPDATE SKIP LOCKED` so senders do not queue behind each other.
   A row that edits or threads under an earlier message (`update_key`,
   `thread_key`) is not claimed until that message is sent. Up to `BATCH`
   rows for different destinations are claimed in one transaction, the
   never-tried ones in a single `UPDATE ... RETURNING` that takes a row only
   while it is still pending and due.
2. send it, outside any transaction;
3. record the outcome, again as compare-and-set on the claim, so a sender
   that lost its claim cannot overwrite a newer attempt.

A claim lasts about as long as one send: its holder renews it every
`RENEW_SECONDS` while it lives (`renew_claims`), a sender told to stop hands
its unsent claims back (`release_claims`), and a new worker leader frees at
once the claims of every earlier leader (`free_claims_of_dead`: only one
leader sends at a time, so they are dead or stepping down). A claim whose
holder vanished unnoticed runs out after `CLAIM_SECONDS`. A row taken over
from a claim is retried with reconciliation (it may have been sent).

Temporary failures wait `Retry-After` (and hold back the channel's other
rows as long) or back off exponentially (2 s doubling to 5 min); a message
is given up only after failing for 24 hours, so a Slack outage loses
nothing. Permanent failures are logged with the reason and the project
owner gets a DM saying what to fix (`outbox_failures.py`).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import uuid4

from sqlalchemy import bindparam, func, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.domain.outbox import (
    DEPENDENCY_KEYS,
    SECRET_KEYS,
    Notifier,
    PermanentFailure,
    State,
    TemporaryFailure,
    scrubbed,
)
from bot.jobs.outbox_failures import give_up
from bot.models import OutboxMessage, utcnow

log = logging.getLogger(__name__)
MIN_ATTEMPTS = 8  # a message is given up only after this many tries ...
GIVE_UP_AFTER = timedelta(hours=24)  # ... spread over this long: Slack outages end
BATCH = 8  # rows claimed in one transaction (different destinations): 500 prompts at 09:00 go in batches
CLAIM_SECONDS = 30.0  # a claim not renewed (nor recorded) by then is retried, with reconciliation ...
RENEW_SECONDS = 10.0  # ... so a live holder renews its claims this often (one send takes at most ~30 s)
CANDIDATES = 2 * BATCH
MAYBE_SENT_KEPT = 5  # times of unconfirmed attempts a row remembers


_kicked = threading.Condition()
_kicks = 0


def kick_delivery() -> None:
    """Wake this process's outbox senders now rather than at their next poll:
    something was just queued."""
    global _kicks
    with _kicked:
        _kicks += 1
        _kicked.notify_all()


_timers: dict[datetime, threading.Timer] = {}
KICK_SLACK_SECONDS = 0.01  # a timer is never early by the clock's reading of `moment`


def kick_delivery_at(moment: datetime) -> None:
    """Wake the outbox senders at `moment`, when messages queued ahead (standup
    prompts held by `not_before`) fall due, rather than at their next poll."""
    delay = (moment - utcnow()).total_seconds()
    if delay <= 0:
        kick_delivery()
        return
    with _kicked:
        if moment in _timers:
            return
        timer = threading.Timer(delay + KICK_SLACK_SECONDS, _timed_kick, args=(moment,))
        timer.daemon = True
        _timers[moment] = timer
    timer.start()


def _timed_kick(moment: datetime) -> None:
    with _kicked:
        _timers.pop(moment, None)
    kick_delivery()


def wait_for_kick(timeout: float, seen: int) -> int:
    """Wait up to `timeout` seconds for a kick after the `seen`-th; the kicks so far."""
    with _kicked:
        _kicked.wait_for(lambda: _kicks != seen, timeout)
        return _kicks


def backoff(attempts: int) -> float:
    """Seconds to wait after the n-th failed attempt: 2, 4, 8, ... at most 5 minutes."""
    return min(2.0 ** attempts, 300.0)


@dataclass(frozen=True)
class Claim:
    id: int
    attempts: int
    maybe_sent: bool
    failing_since: str | None  # ISO time of the first failed attempt, if any
    row: OutboxMessage | None = field(default=None, compare=False, repr=False)  # as read when claimed


def new_holder(role: str) -> str:
    """A name for one sender's claims: role (`worker`, `web`), host, process, and a
    fresh suffix per leadership term or pump."""
    return f"{role}:{socket.gethostname()[:30]}:{os.getpid()}:{uuid4().hex[:8]}"


def deliver_pending(engine: Engine, notifier: Notifier, *, now: datetime | None = None,
                    limit: int = 100, share: tuple[int, int] | None = None, holder: str | None = None,
                    stop: threading.Event | None = None, overdue: float = 0.0) -> int:
    """Send up to `limit` due messages; returns how many were sent.

    `now` freezes the clock (tests); by default each row uses the real time.
    `share=(i, n)` (PostgreSQL) delivers only the i-th of n shares of the
    destinations, so n senders in parallel keep each destination's order.
    `holder` names the claims (see `renew_claims`); once `stop` is set the
    claims not yet sent are handed back. `overdue` takes only rows due at
    least that many seconds ago (a fallback sender leaving fresh ones to the worker)."""
    sent = 0
    for _ in range(limit * 3):  # deferrals count as progress, so bound the loop
        if stop is not None and stop.is_set():
            break
        clock = now or utcnow()
        claims = _claim_next(engine, clock, share, holder=holder, overdue=overdue)
        if claims is None:
            break
        if claims is _DEFERRED:
            continue
        for n, claim in enumerate(claims):  # type: ignore[union-attr]
            if stop is not None and stop.is_set():
                release_claims(engine, claims[n:], now=clock)  # type: ignore[index]
                return sent
            sent += _deliver(engine, notifier, claim, now or utcnow())
            limit -= 1
        if limit <= 0:
            break
    return sent


_DEFERRED = object()


def _claim_next(engine: Engine, now: datetime, share: tuple[int, int] | None = None, *,
                holder: str | None = None, overdue: float = 0.0) -> list[Claim] | object | None:
    """Claim the first due row, and with it up to `BATCH - 1` more due rows for
    other destinations that depend on nothing (each destination still gets its
    messages in order); `_DEFERRED` if rows were only deferred or failed."""
    due = now - timedelta(seconds=overdue)
    with Session(engine, expire_on_commit=False) as session:
        query = (
            select(OutboxMessage)
            .where(OutboxMessage.state.in_([State.PENDING, State.SENDING]),
                   OutboxMessage.next_attempt_at <= due)
            .order_by(OutboxMessage.id)
            .limit(CANDIDATES)
        )
        if share is not None:
            query = query.where(_share_of_destination(share[1]) == share[0])
        if engine.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = list(session.exec(query))
        if not rows:
            return None
        for n, row in enumerate(rows):
            blocker = _unsent_dependency(session, row, now)
            if blocker == "wait":
                continue
            if blocker == "withdrawn":
                row.state = State.CANCELLED
                session.add(row)
                session.commit()
                log.info("outbox %s: withdrawn with the message it depends on", row.idempotency_key)
                return _DEFERRED
            if blocker:
                give_up(session, row, blocker, notify=False, now=now)
                session.commit()
                return _DEFERRED
            maybe_sent = row.state == State.SENDING or bool(row.result.get("maybe_sent"))
            if row.state == State.SENDING:
                log.warning("outbox %s: taken over from %s (claim ran out or its holder died); "
                            "retrying with reconciliation", row.idempotency_key, row.claimed_by)
            first = _claim(session, row, now, maybe_sent, holder)
            if first is None:
                session.commit()
                return _DEFERRED  # another sender won this row; look again
            claims, clean = [first], []
            taken = {_destination(row)}
            for more in rows[n + 1:]:
                if len(claims) + len(clean) >= BATCH:
                    break
                if _destination(more) in taken or more.state != State.PENDING or any(
                        more.payload.get(k) for k in DEPENDENCY_KEYS):
                    taken.add(_destination(more))  # left for a claim of its own, after the ones before it
                    continue
                taken.add(_destination(more))
                if not more.result:  # never tried: claimed with the others in one statement
                    clean.append(more)
                    continue
                claim = _claim(session, more, now, bool(more.result.get("maybe_sent")), holder)
                if claim is not None:
                    claims.append(claim)
            claims += _claim_untried(session, clean, now, due, holder)
            session.commit()
            return claims
        session.commit()
        return _DEFERRED if _any_due(engine, due, share) else None


def _destination(row: OutboxMessage) -> tuple[str, str]:
    return row.team_id, row.channel_id or row.user_id or ""


# Core statements built once: 500 prompts at 09:00 claim and record a row each
_outbox = OutboxMessage.__table__
_MINE = (_outbox.c.id == bindparam("row_id"), _outbox.c.state == bindparam("was_state"),
         _outbox.c.attempts == bindparam("was_attempts"))
_CLAIM = update(_outbox).where(*_MINE).values(
    state=State.SENDING, attempts=bindparam("was_attempts") + 1, claimed_by=bindparam("holder"),
    next_attempt_at=bindparam("lease_until", type_=_outbox.c.next_attempt_at.type),
    result=bindparam("progress", type_=_outbox.c.result.type))
_CLAIM_UNTRIED = (
    update(_outbox)
    .where(_outbox.c.id.in_(bindparam("row_ids", expanding=True)), _outbox.c.state == State.PENDING,
           _outbox.c.next_attempt_at <= bindparam("due_by", type_=_outbox.c.next_attempt_at.type))
    .values(state=State.SENDING, attempts=_outbox.c.attempts + 1, claimed_by=bindparam("holder"),
            next_attempt_at=bindparam("lease_until", type_=_outbox.c.next_attempt_at.type))
    .returning(_outbox.c.id, _outbox.c.attempts))
_RELEASE = update(_outbox).where(*_MINE).values(  # a claim handed back unsent: as it was before
    state=State.PENDING, attempts=bindparam("was_attempts") - 1, claimed_by=None,
    next_attempt_at=bindparam("due_at", type_=_outbox.c.next_attempt_at.type))
_RECORD_SENT = update(_outbox).where(*_MINE).values(
    state=State.SENT, result=bindparam("sent_result", type_=_outbox.c.result.type),
    sent_at=bindparam("sent_time", type_=_outbox.c.sent_at.type), last_error="")
_RECORD_SENT_SCRUBBED = _RECORD_SENT.values(  # a row that held a secret keeps the rest of its payload
    payload=bindparam("kept_payload", type_=_outbox.c.payload.type))


def _claim_untried(session: Session, rows: list[OutboxMessage], now: datetime, due: datetime,
                   holder: str | None) -> list[Claim]:
    """Claim pending rows never tried before, in one statement: each is taken
    only if still pending and due (what a compare-and-set on it would check)."""
    if not rows:
        return []
    by_id = {r.id: r for r in rows}
    taken = session.execute(_CLAIM_UNTRIED, {"row_ids": list(by_id), "due_by": due, "holder": holder,
                                             "lease_until": now + timedelta(seconds=CLAIM_SECONDS)}).all()
    return [Claim(id=row_id, attempts=attempts, maybe_sent=False, failing_since=None, row=by_id[row_id])
            for row_id, attempts in sorted(taken)]


def _claim(session: Session, row: OutboxMessage, now: datetime, maybe_sent: bool,
           holder: str | None) -> Claim | None:
    """Compare-and-set `row` from what was read to `sending`, claimed by `holder`."""
    claimed = session.execute(_CLAIM, {
        "row_id": row.id, "was_state": row.state, "was_attempts": row.attempts, "holder": holder,
        "lease_until": now + timedelta(seconds=CLAIM_SECONDS),
        "progress": _progress(maybe_sent, row.result.get("failing_since"),
                              row.result.get("maybe_sent_at"))}).rowcount
    if claimed != 1:
        return None
    return Claim(id=row.id, attempts=row.attempts + 1, maybe_sent=maybe_sent,
                 failing_since=row.result.get("failing_since"), row=row)


def release_claims(engine: Engine, claims: list[Claim], *, now: datetime | None = None) -> int:
    """Hand back claims that were never sent (a sender stopping): pending and due
    again at once, as before the claim; returns how many."""
    if not claims:
        return 0
    with engine.begin() as connection:
        released = connection.execute(_RELEASE, [
            {"row_id": c.id, "was_state": State.SENDING, "was_attempts": c.attempts,
             "due_at": now or utcnow()} for c in claims]).rowcount
    log.info("outbox: handed back %d unsent claims", len(claims))
    return released


def renew_claims(engine: Engine, holder: str, *, now: datetime | None = None) -> int:
    """Extend every claim `holder` still has by `CLAIM_SECONDS` (its holder is alive)."""
    with engine.begin() as connection:
        return connection.execute(
            update(_outbox).where(_outbox.c.state == State.SENDING, _outbox.c.claimed_by == holder)
            .values(next_attempt_at=(now or utcnow()) + timedelta(seconds=CLAIM_SECONDS))).rowcount


def free_claims_of_dead(engine: Engine, *, role: str, alive: str, now: datetime | None = None) -> int:
    """Make the claims of every other holder of `role` due now (a new worker leader:
    the earlier leaders are dead or stepping down); they are retried with
    reconciliation. Returns how many were freed."""
    with engine.begin() as connection:
        freed = connection.execute(
            update(_outbox).where(_outbox.c.state == State.SENDING, _outbox.c.claimed_by != alive,
                                  _outbox.c.claimed_by.like(f"{role}:%"))
            .values(next_attempt_at=now or utcnow())).rowcount
    if freed:
        log.warning("outbox: freed %d claims left by an earlier %s; retrying them with reconciliation",
                    freed, role)
    return freed


def _share_of_destination(shares: int):
    """Which of `shares` a row's destination (channel, or user for DMs) falls in (PostgreSQL)."""
    destination = func.coalesce(OutboxMessage.channel_id, OutboxMessage.user_id, "")
    return func.abs(func.hashtext(OutboxMessage.team_id + ":" + destination) % shares)


def _any_due(engine: Engine, now: datetime, share: tuple[int, int] | None = None) -> bool:
    query = select(OutboxMessage.id).where(OutboxMessage.state.in_([State.PENDING, State.SENDING]),
                                           OutboxMessage.next_attempt_at <= now).limit(1)
    if share is not None:
        query = query.where(_share_of_destination(share[1]) == share[0])
    with Session(engine) as session:
        return session.exec(query).first() is not None


def _unsent_dependency(session: Session, row: OutboxMessage, now: datetime) -> str | None:
    """None when `row` may go now; "wait" (after deferring it) while the message
    it edits or threads under is unsent; "withdrawn" when that message was
    cancelled; a reason when it failed or is missing."""
    for name in DEPENDENCY_KEYS:
        key = row.payload.get(name)
        if not key:
            continue
        dep = session.exec(select(OutboxMessage).where(OutboxMessage.idempotency_key == key)).first()
        if dep is None:
            return f"it depends on message {key}, which was never queued"
        if dep.state == State.SENT:
            continue
        if dep.state == State.CANCELLED:
            return "withdrawn"
        if dep.state == State.FAILED:
            return f"it depends on message {key}, which failed"
        wait_until = max(dep.next_attempt_at, now) if dep.state == State.PENDING else now
        row.next_attempt_at = wait_until + timedelta(seconds=1)
        session.add(row)
        session.flush()
        return "wait"
    return None


def _deliver(engine: Engine, notifier: Notifier, claim: Claim, now: datetime) -> int:
    """Send one claimed row and record the outcome; 1 if it was sent."""
    with Session(engine, expire_on_commit=False) as session:
        row = claim.row or session.get(OutboxMessage, claim.id)  # what it sends never changes
        assert row is not None
        try:
            result = None
            find_sent = getattr(notifier, "find_sent", None)
            if claim.maybe_sent and callable(find_sent):
                result = find_sent(row, session=session)
                if result is not None:
                    log.info("outbox %s: already delivered by an earlier attempt", row.idempotency_key)
            if result is None:
                result = notifier.send(row, session=session) or {}
        except TemporaryFailure as exc:
            session.rollback()
            _retry(session, engine, claim, row, exc, now)
            return 0
        except PermanentFailure as exc:
            session.rollback()
            if _still_ours(session, claim):
                give_up(session, session.get(OutboxMessage, claim.id), str(exc), notify=True, now=now)
            session.commit()
            return 0
        except Exception as exc:  # a bug in rendering or the transport: retry, loudly
            session.rollback()
            log.exception("outbox %s: unexpected error while sending", row.idempotency_key)
            _retry(session, engine, claim, row, TemporaryFailure(f"{type(exc).__name__}: {exc}",
                                                                 maybe_sent=True), now)
            return 0
    # record in a fresh transaction (nothing the notifier read is kept): one statement, no session
    values = {"row_id": claim.id, "was_state": State.SENDING, "was_attempts": claim.attempts,
              "sent_result": result, "sent_time": now}
    secret = any(k in (row.payload or {}) for k in SECRET_KEYS)
    if secret:
        values["kept_payload"] = scrubbed(row.payload)
    with engine.begin() as connection:
        done = connection.execute(_RECORD_SENT_SCRUBBED if secret else _RECORD_SENT, values).rowcount == 1
    if not done:
        log.warning("outbox %s: sent, but the claim had expired and was taken over", row.idempotency_key)
    return 1 if done else 0


def _still_ours(session: Session, claim: Claim) -> bool:
    row = session.get(OutboxMessage, claim.id, populate_existing=True)
    return row is not None and row.state == State.SENDING and row.attempts == claim.attempts


def _record(session: Session, claim: Claim, **values) -> bool:
    """Write the outcome of our attempt unless someone has claimed the row since."""
    return session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == claim.id, OutboxMessage.state == State.SENDING,
               OutboxMessage.attempts == claim.attempts)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount == 1


def _retry(session: Session, engine: Engine, claim: Claim, row: OutboxMessage,
           exc: TemporaryFailure, now: datetime) -> None:
    rate_limited = exc.retry_after is not None
    maybe_sent = claim.maybe_sent or exc.maybe_sent
    since = datetime.fromisoformat(claim.failing_since) if claim.failing_since else now
    if claim.attempts >= MIN_ATTEMPTS and now - since >= GIVE_UP_AFTER:
        if _still_ours(session, claim):
            give_up(session, session.get(OutboxMessage, claim.id),
                  f"gave up after {claim.attempts} attempts: {exc}", notify=True, now=now)
        session.commit()
        return
    delay = exc.retry_after if rate_limited else backoff(claim.attempts)
    next_at = now + timedelta(seconds=delay)
    attempts_at = list((row.result or {}).get("maybe_sent_at") or [])
    if exc.attempt_at is not None:
        attempts_at = (attempts_at + [round(exc.attempt_at, 3)])[-MAYBE_SENT_KEPT:]
    _record(session, claim, state=State.PENDING, next_attempt_at=next_at, last_error=str(exc)[:500],
            result=_progress(maybe_sent, since.isoformat(), attempts_at))
    if rate_limited and exc.channel_wide and row.channel_id:
        # Slack limits per channel: hold the channel's other due rows back as long
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.team_id == row.team_id, OutboxMessage.channel_id == row.channel_id,
                   OutboxMessage.state == State.PENDING, OutboxMessage.next_attempt_at < next_at)
            .values(next_attempt_at=next_at)
            .execution_options(synchronize_session=False)
        )
    session.commit()
    log.info("outbox %s: attempt %s failed (%s); next try in %.0fs", row.idempotency_key,
             claim.attempts, exc, delay)


def _progress(maybe_sent: bool, failing_since: str | None, maybe_sent_at: list | None = None) -> dict:
    """What a pending row remembers between attempts (with when each attempt
    whose outcome is unknown left: the reconciler looks around those times)."""
    out: dict = {"maybe_sent": True} if maybe_sent else {}
    if failing_since:
        out["failing_since"] = failing_since
    if maybe_sent and maybe_sent_at:
        out["maybe_sent_at"] = list(maybe_sent_at)
    return out
