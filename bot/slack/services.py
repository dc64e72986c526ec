"""What every listener needs, handed to it through Bolt's `context["services"]`:
settings, the database, the clock, and the outbox pump."""

from __future__ import annotations

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
from bot.domain.outbox import OUTBOX_QUEUED
from bot.domain.replies import Reply
from bot.models import utcnow
from bot.slack.home import audit_mark, enqueue_home_refreshes


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

    def context(self, session: Session, *, team_id: str, user_id: str, channel_id: str = "") -> Context:
        return Context(session=session, team_id=team_id, user_id=user_id, channel_id=channel_id,
                       now=self.clock(), default_timezone=self.settings.default_timezone,
                       default_currency=self.settings.default_currency)

    def run(self, text: str, *, team_id: str, user_id: str, channel_id: str = "", cause: str = "") -> Reply:
        """`/project <text>` through the command layer (which commits or rolls back),
        then queue App Home refreshes for everyone the change concerns; `cause`
        (a trigger or view id) keeps those outbox keys stable across retries."""
        with self.session() as session:
            mark = audit_mark(session)
            reply = dispatch(text, self.context(session, team_id=team_id, user_id=user_id,
                                                channel_id=channel_id))
            queued = not reply.error and enqueue_home_refreshes(
                session=session, team_id=team_id, since_audit_id=mark, cause=cause or uuid4().hex)
            if queued:
                session.commit()
            if queued or session.info.pop(OUTBOX_QUEUED, False):
                self.kick()
        return reply
