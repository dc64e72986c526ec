"""One way to run `/project` text, for every transport: the command, then
the after-change hooks the transport registered.

`CommandRunner.run` opens a session and dispatches (the command commits or
rolls back). When the command changed something (it wrote audit entries),
each hook gets a `Change` naming what changed since which audit entry.
A hook registered as `deferred` runs after the reply in its own transaction,
through the runner's `defer` (Slack: a thread pool, off the request path;
the shell: at once); the others run in the command's session right away and
are committed with it. Anything the command or a hook queued in the outbox
is handed to `kick`. A failing deferred hook is logged: the command already
committed, and the scheduled jobs catch up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from uuid import uuid4

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.commands.dispatch import dispatch
from bot.commands.registry import Context
from bot.domain import audit
from bot.domain.alerts import after_audited_changes
from bot.domain.home import enqueue_home_refreshes
from bot.domain.outbox import OUTBOX_QUEUED
from bot.domain.replies import Reply

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Change:
    """What a command changed: the audit entries after `since_audit_id` in
    `team_id`; `cause` (a trigger or view id) keeps outbox keys stable when
    Slack retries the request."""

    team_id: str
    user_id: str
    since_audit_id: int
    cause: str
    now: datetime


Hook = Callable[[Session, Change], object]  # truthy when it wrote something to commit


def check_alerts(session: Session, change: Change) -> bool:
    """Re-run the risk detectors the change can trigger (the hourly job is the safety net)."""
    return bool(after_audited_changes(session=session, team_id=change.team_id,
                                      since_audit_id=change.since_audit_id, now=change.now))


def refresh_homes(session: Session, change: Change) -> bool:
    """Queue an App Home re-publish for everyone the change concerns."""
    return bool(enqueue_home_refreshes(session=session, team_id=change.team_id,
                                       since_audit_id=change.since_audit_id, cause=change.cause,
                                       now=change.now))


class CommandRunner:
    """Runs commands for one transport, with the hooks it registered."""

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime],
                 default_timezone: str = "UTC", default_currency: str = "USD", date_order: str = "DMY",
                 public_url: str = "", email_configured: bool = False,
                 kick: Callable[[], None] = lambda: None,
                 defer: Callable[[Callable[[], None]], object] = lambda task: task()):
        self.engine, self.clock, self.kick, self.defer = engine, clock, kick, defer
        self.default_timezone, self.default_currency = default_timezone, default_currency
        self.date_order = date_order
        self.public_url, self.email_configured = public_url, email_configured
        self.hooks: list[tuple[Hook, bool]] = []

    def after_change(self, hook: Hook, *, deferred: bool = False) -> Hook:
        """Register `hook` to run after every command that changed something."""
        self.hooks.append((hook, deferred))
        return hook

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session the caller commits (or that rolls back when left uncommitted)."""
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    def context(self, session: Session, *, team_id: str, user_id: str, channel_id: str = "",
                request_key: str = "") -> Context:
        return Context(session=session, team_id=team_id, user_id=user_id, channel_id=channel_id,
                       now=self.clock(), default_timezone=self.default_timezone,
                       default_currency=self.default_currency, date_order=self.date_order,
                       request_key=request_key, public_url=self.public_url,
                       email_configured=self.email_configured)

    def run(self, text: str, *, team_id: str, user_id: str, channel_id: str = "", cause: str = "",
            request_key: str = "") -> Reply:
        """`/project <text>` as `user_id` in `channel_id`, then the hooks; a
        `request_key` (Slack: `command:{trigger_id}`) is claimed with the change,
        so a second delivery of the same request changes nothing and runs no hook."""
        change, wrote = None, False
        with self.session() as session:
            ctx = self.context(session, team_id=team_id, user_id=user_id, channel_id=channel_id,
                               request_key=request_key)
            reply = dispatch(text, ctx)
            # read-only commands wrote no audit rows: nothing to refresh or re-check
            mark = None if reply.error else audit.mark_before_changes(session)
            if mark is not None:
                change = Change(team_id=team_id, user_id=user_id, since_audit_id=mark,
                                cause=cause or uuid4().hex, now=ctx.now)
                wrote = any([hook(session, change) for hook, deferred in self.hooks if not deferred])
                if wrote:
                    session.commit()
            if session.info.pop(OUTBOX_QUEUED, False) or wrote:
                self.kick()
        if change is not None:
            for hook, deferred in self.hooks:
                if deferred:
                    self.defer(lambda hook=hook: self._run_deferred(hook, change))
        return reply

    def _run_deferred(self, hook: Hook, change: Change) -> None:
        try:
            with self.session() as session:
                if hook(session, change):
                    session.commit()
                    if session.info.pop(OUTBOX_QUEUED, False):
                        self.kick()
        except Exception:  # noqa: BLE001 - logged; the scheduled jobs catch up
            log.exception("%s after a change failed (team %s)", getattr(hook, "__name__", "a hook"),
                          change.team_id)
