"""What every listener needs, handed to it through Bolt's `context["services"]`:
settings, the database, the clock, and the outbox pump."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from uuid import uuid4

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.commands import Context, dispatch
from bot.config import Settings
from bot.domain import audit
from bot.domain.alerts import after_audited_changes
from bot.domain.outbox import OUTBOX_QUEUED
from bot.domain.replies import Reply
from bot.models import utcnow
from bot.slack.home import enqueue_home_refreshes

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    engine: Engine
    kick: Callable[[], None]  # deliver pending outbox rows soon, in the background
    clock: Callable[[], datetime] = utcnow
    # runs commands so a listener can wait a bounded time for the answer
    executor: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=8, thread_name_prefix="pm-bot-command"))

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session the caller commits (or that rolls back when left uncommitted)."""
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    def context(self, session: Session, *, team_id: str, user_id: str, channel_id: str = "",
                request_key: str = "") -> Context:
        return Context(session=session, team_id=team_id, user_id=user_id, channel_id=channel_id,
                       now=self.clock(), default_timezone=self.settings.default_timezone,
                       default_currency=self.settings.default_currency, request_key=request_key)

    def run(self, text: str, *, team_id: str, user_id: str, channel_id: str = "", cause: str = "",
            request_key: str = "") -> Reply:
        """`/project <text>` through the command layer (which commits or rolls back),
        then queue App Home refreshes for everyone the change concerns; `cause`
        (a trigger or view id) keeps those outbox keys stable across retries;
        `request_key` makes a second delivery of the same request change nothing."""
        with self.session() as session:
            reply = dispatch(text, self.context(session, team_id=team_id, user_id=user_id,
                                                channel_id=channel_id, request_key=request_key))
            # read-only commands wrote no audit rows: nothing to refresh or re-check
            mark = None if reply.error else audit.mark_before_changes(session)
            queued = mark is not None and enqueue_home_refreshes(
                session=session, team_id=team_id, since_audit_id=mark, cause=cause or uuid4().hex)
            if queued:
                session.commit()
            if queued or session.info.pop(OUTBOX_QUEUED, False):
                self.kick()
        if mark is not None:
            self.executor.submit(self.detect_after, team_id=team_id, since_audit_id=mark)
        return reply

    def detect_after(self, *, team_id: str, since_audit_id: int) -> None:
        """Re-run the risk detectors a command's changes can trigger, off the
        request path (the hourly job is the safety net if this fails)."""
        try:
            with self.session() as session:
                if after_audited_changes(session=session, team_id=team_id, since_audit_id=since_audit_id,
                                         now=self.clock()):
                    session.commit()
                    if session.info.pop(OUTBOX_QUEUED, False):
                        self.kick()
        except Exception:  # noqa: BLE001 - logged; alerts catch up on the hourly run
            log.exception("risk detectors after a change failed (team %s)", team_id)
