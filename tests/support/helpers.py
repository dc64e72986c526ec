"""Test helpers: run `/project` text as someone, build projects quickly."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.commands import Context, dispatch
from bot.domain.replies import Reply

TEAM = "T0TEST"
OTHER_TEAM = "T0OTHER"


class Runner:
    """Runs commands like Slack would: one session per command, errors surfacing."""

    def __init__(self, engine: Engine, now: datetime, team_id: str = TEAM,
                 timezone: str = "UTC", currency: str = "USD", date_order: str = "DMY",
                 public_url: str = "", email_configured: bool = False):
        self.engine, self.now, self.team_id = engine, now, team_id
        self.timezone, self.currency, self.date_order = timezone, currency, date_order
        self.public_url, self.email_configured = public_url, email_configured

    def __call__(self, text: str, *, user: str = "U0OWNER", channel: str = "C0PROJ") -> Reply:
        with Session(self.engine, expire_on_commit=False) as session:
            ctx = Context(session=session, team_id=self.team_id, user_id=user, channel_id=channel,
                          now=self.now, default_timezone=self.timezone, default_currency=self.currency,
                          date_order=self.date_order, public_url=self.public_url,
                          email_configured=self.email_configured)
            return dispatch(text, ctx, raise_unexpected=True)


def ok(reply: Reply) -> str:
    """The reply's text, after checking it is not an error."""
    assert not reply.error, reply.plain()
    return reply.plain()


def refused(reply: Reply) -> str:
    """The reply's text, after checking it is an error."""
    assert reply.error, f"expected an error, got: {reply.plain()}"
    return reply.plain()
