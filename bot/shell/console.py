"""The local shell: type `/project ...` as a chosen user in a chosen channel.

Same command layer as Slack; `@name` and `#name` are turned into Slack's
`<@U…|name>` and `<#C…|name>` before the command layer sees them.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.commands.runner import CommandRunner, check_alerts
from bot.config import Settings
from bot.domain import members
from bot.domain.demo import DEMO_CHANNELS, DEMO_TEAM, seed_demo
from bot.models import Project
from bot.shell.notifier import ShellNotifier
from bot.shell.render import render_text

HELP = """Shell commands:
  /project ...     run a bot command (try /project help)
  :as @name        act as another person
  :in #channel     act in another channel
  :who             who and where you are
  :quit            leave (Ctrl-D works too)"""

_AT = re.compile(r"(?<![<\w])@([a-z][a-z0-9._-]*)", re.I)
_HASH = re.compile(r"(?<![<\w&])#([a-z][a-z0-9_-]*)", re.I)


class Shell:
    """One shell session: a workspace, a current user and channel."""

    def __init__(self, engine: Engine, settings: Settings, *, team_id: str = DEMO_TEAM,
                 user: str = "alice", channel: str = "website",
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self.engine = engine
        self.settings = settings
        self.team_id = team_id
        self.clock = clock
        self.channels: dict[str, str] = dict(DEMO_CHANNELS)
        self.user_id = self._user_id(user)
        self.channel_id = self._channel_id(channel)
        self.notifier = ShellNotifier(channels=self.channels)
        # The shell's command runner: after a change the risk detectors run at
        # once, so their alerts print with the reply (no App Home to refresh).
        self.runner = CommandRunner(engine, clock=clock, default_timezone=settings.default_timezone,
                                    default_currency=settings.default_currency,
                                    date_order=settings.date_order, public_url=settings.public_url,
                                    email_configured=settings.email_configured)
        self.runner.after_change(check_alerts, deferred=True)

    # people and channels, created on first mention
    def _names(self) -> dict[str, str]:
        with Session(self.engine) as s:
            return members.user_names(session=s, team_id=self.team_id)

    def _user_id(self, name: str) -> str:
        name = name.lstrip("@").lower()
        for uid, known in self._names().items():
            if known.lower() == name:
                return uid
        uid = "U0" + re.sub(r"[^A-Z0-9]", "", name.upper())[:20]
        with Session(self.engine) as s:
            members.remember_user(session=s, team_id=self.team_id, user_id=uid, name=name, now=self.clock())
            s.commit()
        return uid

    def _channel_id(self, name: str) -> str:
        name = name.lstrip("#").lower()
        for cid, known in self.channels.items():
            if known == name:
                return cid
        cid = "C0" + re.sub(r"[^A-Z0-9]", "", name.upper())[:20]
        self.channels[cid] = name
        return cid

    def translate(self, text: str) -> str:
        """`@bob` -> `<@U0BOB|bob>`, `#website` -> `<#C0WEBSITE|website>`."""
        text = _AT.sub(lambda m: f"<@{self._user_id(m.group(1))}|{m.group(1).lower()}>", text)
        return _HASH.sub(lambda m: f"<#{self._channel_id(m.group(1))}|{m.group(1).lower()}>", text)

    @property
    def prompt(self) -> str:
        return f"@{self._names().get(self.user_id, self.user_id)} in #{self.channels[self.channel_id]}> "

    def handle(self, line: str) -> str | None:
        """Run one line; returns the text to print, or None to quit."""
        line = line.strip()
        if not line:
            return ""
        if line in {":quit", ":q", ":exit", "exit", "quit"}:
            return None
        if line.startswith(":as"):
            who = line[3:].strip()
            if not who:
                return "Usage: :as @name"
            self.user_id = self._user_id(who)
            return f"You are now @{who.lstrip('@').lower()}."
        if line.startswith(":in"):
            where = line[3:].strip()
            if not where:
                return "Usage: :in #channel"
            self.channel_id = self._channel_id(where)
            return f"You are now in #{self.channels[self.channel_id]}."
        if line == ":who":
            return f"{self.prompt.rstrip('> ')} (workspace {self.team_id})"
        if line.startswith(":"):
            return HELP
        if line.startswith("/project"):
            line = line[len("/project"):]
        elif line.startswith("/"):
            return "Only /project commands here. " + HELP.splitlines()[1].strip()
        return self.run_command(self.translate(line))

    def run_command(self, text: str) -> str:
        reply = self.runner.run(text, team_id=self.team_id, user_id=self.user_id, channel_id=self.channel_id)
        with Session(self.engine) as session:
            names = members.user_names(session=session, team_id=self.team_id)
        out = render_text(reply, names, self.channels)
        sent = self.deliver(names)
        return f"{out}\n\n{sent}" if sent else out

    def deliver(self, names: dict[str, str]) -> str:
        """Run the standup steps due at the shell's clock (the shell is its own
        scheduler) and print what the bot sends through the outbox."""
        from bot.jobs.outbox_sender import deliver_pending
        from bot.jobs.standup_jobs import sweep

        now = self.clock()
        sweep(self.engine, now=now, grace=timedelta(seconds=self.settings.scheduler_misfire_grace_seconds))
        self.notifier.names.update(names)
        while deliver_pending(self.engine, self.notifier, now=now):
            pass
        return self.notifier.drain()


def seed_if_empty(engine: Engine, now: datetime) -> bool:
    """Seed the demo project only when the database holds no project at all."""
    with Session(engine) as session:
        if session.exec(select(Project.id).limit(1)).first() is not None:
            return False
        project = seed_demo(session=session, now=now)
        session.commit()
        return project is not None


def run_shell(engine: Engine, settings: Settings, *, demo: bool, user: str = "alice",
              channel: str = "website") -> None:
    """The interactive loop (readline history when available)."""
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401  (line editing and history)
    if demo and seed_if_empty(engine, datetime.now(UTC)):
        print("Seeded the demo project 'Website relaunch' (key: website).")
    shell = Shell(engine, settings, user=user, channel=channel)
    print("Type /project help, :as @bob to switch person, :in #general to switch channel, :quit to leave.")
    while True:
        try:
            line = input(shell.prompt)
        except (EOFError, KeyboardInterrupt):
            print()
            return
        out = shell.handle(line)
        if out is None:
            return
        if out:
            print(out)
