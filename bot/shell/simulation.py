"""Simulated weeks: run a workspace through the command layer while a
simulated clock moves, firing on the way what the worker would fire.

`Simulation.run(text, as_="@bob")` runs `/project` text at the simulated
time, as the shell does; `advance(days=2)` and `to(when)` move the clock and
stop at every moment the worker's scheduler would act: each standup's
opening (a minute ahead, as its cron job does), every prompt, reminder and
close (the standup sweep), the risk detectors and health snapshots on every
hour, each project's weekly report time, and any held message falling due.
At each stop the outbox is delivered into a recording notifier, so every
DM and channel post is kept with its time (`log`, `delivered`).

`run_script` reads the plain-text script of `python -m bot simulate`
(format in the README, Development): commands, people and channels, and
clock moves, printing every reply and message.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.config import Settings
from bot.db import session_scope
from bot.domain import standups
from bot.domain.demo import DEMO_TEAM, seed_demo
from bot.domain.outbox import next_attempt_after
from bot.domain.replies import Reply
from bot.jobs.closing_jobs import summarise_due
from bot.jobs.outbox_sender import deliver_pending
from bot.jobs.report_jobs import next_report_at, snapshot_all, weekly_reports
from bot.jobs.risk_jobs import detect_all
from bot.jobs.scheduler import daily_trigger
from bot.jobs.standup_jobs import OPEN_AHEAD, sweep
from bot.models import Project, ProjectState
from bot.shell.console import Shell
from bot.shell.render import render_text


@dataclass(frozen=True)
class Entry:
    """One line of the record: a command, its reply, a message the bot sent, or a clock move."""

    at: datetime
    kind: str  # "command", "reply", "message", "clock"
    text: str
    where: str = ""  # a message's destination ("#website", "DM to @bob", ...)


class Simulation:
    """A workspace driven through simulated time (see the module docstring)."""

    def __init__(self, engine: Engine, settings: Settings | None = None, *, start: datetime,
                 team_id: str = DEMO_TEAM, user: str = "alice", channel: str = "website",
                 zone: str = "UTC", echo: Callable[[Entry], None] | None = None,
                 detect_every: timedelta = timedelta(hours=1)):
        if start.tzinfo is None:
            raise ValueError("start needs a time zone")
        self.engine, self.settings = engine, settings or Settings()
        self.now = start.astimezone(UTC)
        self.zone = ZoneInfo(zone)  # the zone times are shown in
        self.echo = echo
        self.log: list[Entry] = []
        self.shell = Shell(engine, self.settings, team_id=team_id, user=user, channel=channel,
                           clock=lambda: self.now)
        self.grace = timedelta(seconds=self.settings.scheduler_misfire_grace_seconds)
        # the worker runs the detectors and snapshots hourly; a long test may space them out
        self.detect_every = detect_every
        self._last_hour = self.now.replace(minute=0, second=0, microsecond=0)

    # --- people, places, and what happened -----------------------------------------
    @property
    def notifier(self):
        return self.shell.notifier

    def delivered(self, since: int = 0) -> list[Entry]:
        """The messages the bot sent (from the `since`-th entry of the log on)."""
        return [e for e in self.log[since:] if e.kind == "message"]

    def clock_text(self, at: datetime | None = None) -> str:
        local = (at or self.now).astimezone(self.zone)
        return f"{local:%a} {local.day} {local:%b %Y %H:%M} {self.zone.key}"

    def _record(self, kind: str, text: str, where: str = "") -> Entry:
        entry = Entry(self.now, kind, text, where)
        self.log.append(entry)
        if self.echo:
            self.echo(entry)
        return entry

    def seed_demo(self) -> Project | None:
        """The shell's demo project ('Website relaunch'), created at the simulated time."""
        with Session(self.engine, expire_on_commit=False) as session:
            project = seed_demo(session=session, now=self.now, team_id=self.shell.team_id)
            session.commit()
        return project

    # --- commands -----------------------------------------------------------------
    def run(self, text: str, *, as_: str | None = None, in_: str | None = None) -> Reply:
        """`/project <text>` (the `/project` is optional) as `as_` in `in_`
        (default: the current person and channel), then what falls due at once."""
        user, channel = self.shell.user_id, self.shell.channel_id
        if as_:
            user = self.shell._user_id(as_)
        if in_:
            channel = self.shell._channel_id(in_)
        text = text.strip()
        text = text[len("/project"):] if text.startswith("/project") else text
        names = self._names()
        who = f"@{names.get(user, user)} in #{self.shell.channels.get(channel, channel)}"
        self._record("command", f"{who}> /project {text.strip()}")
        reply = self.shell.runner.run(self.shell.translate(text), team_id=self.shell.team_id,
                                      user_id=user, channel_id=channel)
        self._record("reply", render_text(reply, self._names(), self.shell.channels))
        self._tick(self.now, hourly=False)
        return reply

    def act_as(self, who: str) -> None:
        self.shell.user_id = self.shell._user_id(who)

    def act_in(self, where: str) -> None:
        self.shell.channel_id = self.shell._channel_id(where)

    # --- the clock ------------------------------------------------------------------
    def advance(self, *, weeks: float = 0, days: float = 0, hours: float = 0, minutes: float = 0) -> list[Entry]:
        """Move the clock forward; returns the messages sent on the way."""
        step = timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes)
        if step < timedelta(0):
            raise ValueError("the clock only moves forward")
        return self.to(self.now + step)

    def to(self, when: datetime | date) -> list[Entry]:
        """Move the clock to `when` (a date means 09:00 in the display zone),
        stopping wherever the worker would act; returns the messages sent."""
        if not isinstance(when, datetime):
            when = datetime.combine(when, time(9, 0), tzinfo=self.zone)
        target = when.astimezone(UTC)
        if target < self.now:
            raise ValueError(f"the clock only moves forward (it is {self.clock_text()})")
        mark = len(self.log)
        self._record("clock", f"→ {self.clock_text(target)}")
        while self.now < target:
            moment, opens = self._next_stop(target)
            self.now = moment
            self._tick(moment, opens=opens)
        return self.delivered(mark)

    def _next_stop(self, target: datetime) -> tuple[datetime, list[standups.Due]]:
        """The next moment (at most `target`) the worker acts, and the standups it opens then."""
        after = self.now
        candidates = [target, self._last_hour + self.detect_every]
        opens: dict[datetime, list[standups.Due]] = {}
        with Session(self.engine) as session:
            for s in standups.running_standups(session=session):
                for zone in s.zones:
                    fire = daily_trigger(s.time_local, s.days, zone).get_next_fire_time(
                        None, after + OPEN_AHEAD + timedelta(microseconds=1))
                    if fire is not None:
                        moment = fire.astimezone(UTC)
                        opens.setdefault(moment - OPEN_AHEAD, []).append((s.config_id, zone, moment))
            candidates += list(opens)
            candidates += [m for m in (standups.next_due_at(session=session, after=after),
                                       next_attempt_after(session=session, after=after)) if m]
            for project in session.exec(select(Project).where(Project.state == ProjectState.ACTIVE,
                                                              Project.channel_id.is_not(None))):
                if (moment := next_report_at(project, after)) is not None:
                    candidates.append(moment)
        moment = min(m for m in candidates if m > after)
        return moment, opens.get(moment, [])

    def _tick(self, now: datetime, *, opens: list[standups.Due] = (), hourly: bool = True) -> None:
        """What the worker does at `now`: open standups, sweep, on the hour the
        detectors and snapshots, due weekly reports; then deliver the outbox."""
        if opens:
            with session_scope(self.engine) as session:  # as the standup cron jobs do
                standups.start_runs(session=session, due=list(opens), now=now)
        sweep(self.engine, now=now, grace=self.grace)
        if hourly and now >= self._last_hour + self.detect_every:
            self._last_hour = now.replace(minute=0, second=0, microsecond=0)
            detect_all(engine=self.engine, now=now)
            snapshot_all(engine=self.engine, now=now)
            summarise_due(engine=self.engine, now=now)
        weekly_reports(engine=self.engine, now=now, public_url=self.settings.public_url)
        self.notifier.names.update(self._names())
        before = len(self.notifier.delivered)
        while deliver_pending(self.engine, self.notifier, now=now):
            pass
        self.notifier.drain()
        for where, text in self.notifier.delivered[before:]:
            self._record("message", text, where)

    def _names(self) -> dict[str, str]:
        return self.shell._names()


# --- scripts ------------------------------------------------------------------------

_UNITS = {"w": "weeks", "week": "weeks", "weeks": "weeks", "d": "days", "day": "days", "days": "days",
          "h": "hours", "hour": "hours", "hours": "hours", "m": "minutes", "min": "minutes",
          "minute": "minutes", "minutes": "minutes"}
_AMOUNT = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]+)")
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class ScriptError(ValueError):
    """A script line that does not fit the format; says which line and what was expected."""


def parse_advance(text: str) -> dict[str, float]:
    """`2 days`, `1w 2d`, `3h30m`, `90 minutes` -> keyword arguments of `advance`."""
    parts = _AMOUNT.findall(text.lower())
    if not parts or re.sub(r"\s+", "", text.lower()) != "".join(n + u for n, u in parts):
        raise ScriptError(f"expected an amount of time like `2 days`, `3h` or `1w 2d` (got `{text}`)")
    out: dict[str, float] = {}
    for number, unit in parts:
        if unit not in _UNITS:
            raise ScriptError(f"`{unit}` is not a unit; use weeks, days, hours or minutes")
        out[_UNITS[unit]] = out.get(_UNITS[unit], 0) + float(number)
    return out


def parse_moment(text: str, *, now: datetime, zone: ZoneInfo) -> datetime:
    """`2026-12-07`, `2026-12-07 14:30`, `mon`, `fri 16:05`, `14:30` (today or
    the next such day; a date alone is 09:00) in the script's zone."""
    words = text.split()
    local = now.astimezone(zone)
    at = time(9, 0)
    if words and re.fullmatch(r"\d{1,2}:\d{2}", words[-1]):
        hour, minute = (int(x) for x in words.pop().split(":"))
        if hour > 23 or minute > 59:
            raise ScriptError(f"`{text}` is not a time of day")
        at = time(hour, minute)
    if not words:
        moment = datetime.combine(local.date(), at, tzinfo=zone)
        return moment if moment > local else moment + timedelta(days=1)
    if len(words) != 1:
        raise ScriptError(f"expected a date like 2026-12-07, a weekday like fri, and a time like 16:00 (got `{text}`)")
    word = words[0].lower()
    if word in _WEEKDAY_NAMES:
        day = local.date() + timedelta(days=1)
        while day.weekday() != _WEEKDAYS.index(word[:3]):
            day += timedelta(days=1)
        return datetime.combine(day, at, tzinfo=zone)
    try:
        return datetime.combine(date.fromisoformat(word), at, tzinfo=zone)
    except ValueError:
        raise ScriptError(f"`{words[0]}` is not a date (2026-12-07) or a weekday (fri)") from None


_WEEKDAY_NAMES = {"mon", "monday", "tue", "tues", "tuesday", "wed", "wednesday", "thu", "thur", "thurs",
                  "thursday", "fri", "friday", "sat", "saturday", "sun", "sunday"}


def format_entry(entry: Entry, sim: Simulation, *, edits: bool = False) -> str:
    """An entry as the simulate command prints it; an edit of a message sent
    earlier (an alert's numbers, a standup headline) in one line unless `edits`."""
    local = entry.at.astimezone(sim.zone)
    stamp = f"[{local:%a} {local.day} {local:%b %H:%M}]"
    if entry.kind == "command":
        return f"\n{stamp} {entry.text}"
    if entry.kind == "clock":
        return f"\n{stamp} ⏩ {entry.text[2:]}"
    if entry.kind == "message" and "(updated)" in entry.where and not edits:
        lines = [line for line in entry.text.splitlines() if line.strip() and set(line) != {"─"}]
        return f"{stamp} ✎ {entry.where.replace(' (updated)', '')}: " + " ".join(lines[:2])
    if entry.kind == "message":
        return f"\n{stamp} ── {entry.where} ──\n{entry.text}"
    return entry.text


def run_script(engine: Engine, settings: Settings, lines: list[str], *,
               echo: Callable[[str], None] = print, edits: bool = False) -> Simulation:
    """Run a simulate script (see the README, Development), printing as it goes.
    A line that does not fit stops the script with its number and the reason."""
    sim: Simulation | None = None
    start, zone = None, "UTC"
    pending: list[tuple[int, str]] = []

    def begin() -> Simulation:
        nonlocal sim
        if sim is None:
            when = start or datetime.combine(date.today(), time(9, 0), tzinfo=ZoneInfo(zone))
            sim = Simulation(engine, settings, start=when, zone=zone,
                             echo=lambda e: echo(format_entry(e, sim, edits=edits)))  # type: ignore[arg-type]
            echo(f"Simulation starts {sim.clock_text()}.")
        return sim

    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        pending.append((number, line))
    for number, line in pending:
        try:
            word, _, rest = line.partition(" ")
            word, rest = word.lower(), rest.strip()
            if word == "start":
                if sim is not None:
                    raise ScriptError("`start` comes before anything else")
                parts = rest.split()
                if parts and "/" in parts[-1]:
                    zone = parts.pop()
                try:
                    zone_info = ZoneInfo(zone)
                except (ZoneInfoNotFoundError, ValueError):
                    raise ScriptError(f"`{zone}` is not a time zone like Europe/Berlin") from None
                if not parts:
                    raise ScriptError("expected `start 2026-11-02 [09:00] [Europe/Berlin]`")
                start = parse_moment(" ".join(parts), now=datetime(1970, 1, 1, tzinfo=UTC), zone=zone_info)
            elif word == "demo":
                s = begin()
                echo("Seeded the demo project 'Website relaunch' (key: website)." if s.seed_demo()
                     else "The workspace already has projects; no demo seeded.")
            elif word in {"as", ":as"}:
                begin().act_as(rest)
            elif word in {"in", ":in"}:
                begin().act_in(rest)
            elif word in {"advance", "wait"}:
                begin().advance(**parse_advance(rest))
            elif word in {"to", "until"}:
                s = begin()
                s.to(parse_moment(rest, now=s.now, zone=s.zone))
            elif word == "/project":
                begin().run(line)
            elif word.startswith("@") and rest.startswith("/project"):
                begin().run(rest, as_=word)
            else:
                raise ScriptError("expected /project ..., @name /project ..., as @name, in #channel, "
                                  "advance 2 days, to fri 16:00, start DATE, demo or # a comment")
        except ScriptError as exc:
            raise ScriptError(f"line {number}: {exc}") from None
        except ValueError as exc:
            raise ScriptError(f"line {number}: {exc}") from None
    return begin()
