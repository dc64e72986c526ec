"""What every listener needs, handed to it through Bolt's `context["services"]`:
settings, the database, the clock, the outbox pump, and the command runner."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.commands.runner import CommandRunner, check_alerts, refresh_homes
from bot.config import Settings
from bot.domain.replies import Reply
from bot.models import utcnow


@dataclass
class Services:
    settings: Settings
    engine: Engine
    kick: Callable[[], None]  # deliver pending outbox rows soon, in the background
    clock: Callable[[], datetime] = utcnow
    # runs commands so a listener can wait a bounded time for the answer, and
    # the after-change work that waits for no one
    executor: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=8, thread_name_prefix="pm-bot-command"))
    # what a button or shortcut does after its acknowledgement (`bot.slack.acknowledge`)
    followups: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=8, thread_name_prefix="pm-bot-click"))
    runner: CommandRunner = field(init=False)

    def __post_init__(self) -> None:
        """Slack's command runner: after a change, the Homes it concerns are
        queued at once (with the command's request id as their cause) and the
        risk detectors re-run off the request path."""
        self.runner = CommandRunner(self.engine, clock=self.clock, kick=self.kick, defer=self.executor.submit,
                                    default_timezone=self.settings.default_timezone,
                                    default_currency=self.settings.default_currency,
                                    date_order=self.settings.date_order,
                                    public_url=self.settings.public_url,
                                    email_configured=self.settings.email_configured)
        self.runner.after_change(refresh_homes)
        self.runner.after_change(check_alerts, deferred=True)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session the caller commits (or that rolls back when left uncommitted)."""
        with self.runner.session() as session:
            yield session

    def run(self, text: str, *, team_id: str, user_id: str, channel_id: str = "", cause: str = "",
            request_key: str = "") -> Reply:
        """`/project <text>` through the command runner; `cause` (a trigger or
        view id) keeps the outbox keys of its after-change work stable across retries;
        `request_key` makes a second delivery of the same request change nothing."""
        return self.runner.run(text, team_id=team_id, user_id=user_id, channel_id=channel_id, cause=cause,
                               request_key=request_key)
