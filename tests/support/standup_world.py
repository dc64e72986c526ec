"""A standup team for tests: a project, its people, a frozen clock, and the
worker's steps (sweep, deliver) run by hand at chosen instants."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.domain import members
from bot.domain.outbox import Kind
from bot.domain.replies import Reply, reply_from_dict
from bot.jobs.outbox_sender import deliver_pending
from bot.jobs.standup_jobs import open_standup, sweep
from bot.models import OutboxMessage, Project, Role, StandupConfig, StandupRun
from tests.support.factories import make_project
from tests.support.helpers import Runner

OWNER = "U0OWNER"
PEOPLE = ["U0ANNA", "U0BEN", "U0CARL", "U0DORA", "U0EMIL"]  # with the owner: six people
ANNA, BEN, CARL, DORA, EMIL = PEOPLE
STAKEHOLDER = "U0STAKE"
TUE = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)  # Tue 1 Dec 2026, 08:00 in Berlin
PROMPT = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)  # 09:30 Berlin, the standard standup's time
CLOSE = datetime(2026, 12, 1, 10, 30, tzinfo=UTC)  # 11:30 Berlin, when it closes


@dataclass
class Sent:
    kind: str
    to: str  # user id for DMs, channel id for posts
    reply: Reply
    thread_key: str | None
    update_key: str | None
    key: str

    @property
    def text(self) -> str:
        return self.reply.plain()


@dataclass
class RecordingNotifier:
    """Records what would leave the bot (the fake Slack is used end to end elsewhere)."""

    sent: list[Sent] = field(default_factory=list)

    def send(self, message: OutboxMessage, *, session: Session) -> dict:
        payload = message.payload or {}
        to = message.channel_id or message.user_id if message.kind != Kind.DM else message.user_id
        self.sent.append(Sent(message.kind, to or "", reply_from_dict(payload["reply"]),
                              payload.get("thread_key"), payload.get("update_key"),
                              message.idempotency_key))
        return {"ts": f"{len(self.sent)}.000", "channel": to}

    def dms(self, user: str | None = None) -> list[Sent]:
        return [s for s in self.sent if s.kind == Kind.DM and (user is None or s.to == user)]

    def posts(self) -> list[Sent]:
        """Channel messages and their edits."""
        return [s for s in self.sent if s.kind == Kind.POST or (s.kind == Kind.UPDATE and s.to.startswith("C"))]

    def dm_edits(self, user: str) -> list[Sent]:
        return [s for s in self.sent if s.kind == Kind.UPDATE and s.to == user]


class World:
    """One project with an owner and five members in Europe/Berlin."""

    def __init__(self, engine: Engine, now: datetime, *, timezone: str = "Europe/Berlin",
                 people: list[str] | None = None, owner: str = OWNER):
        self.engine, self.now = engine, now
        self.people = [owner, *(PEOPLE if people is None else people)]
        roles = {p: Role.MEMBER for p in self.people[1:]}
        roles[STAKEHOLDER] = Role.STAKEHOLDER
        self.project: Project = make_project(engine, people=roles, timezone=timezone, owner=owner)
        self.notifier = RecordingNotifier()
        self.grace = timedelta(hours=1)

    def cmd(self, text: str, *, user: str | None = None, ok: bool = True) -> Reply:
        reply = Runner(self.engine, self.now)(text, user=user or self.people[0])
        if ok:
            assert not reply.error, reply.plain()
        return reply

    def at(self, when: datetime) -> World:
        self.now = when
        return self

    def tick(self) -> None:
        """What the worker does each minute: sweep, then deliver."""
        sweep(self.engine, now=self.now, grace=self.grace)
        self.deliver()

    def fire(self, *, zone: str | None = None) -> None:
        """What the standup's cron job does at its time."""
        open_standup(self.engine, config_id=self.config().id, zone=zone, now=self.now)
        self.deliver()

    def deliver(self) -> None:
        while deliver_pending(self.engine, self.notifier, now=self.now):
            pass

    def config(self) -> StandupConfig:
        with Session(self.engine) as s:
            return s.exec(select(StandupConfig).where(StandupConfig.project_id == self.project.id)).one()

    def runs(self) -> list[StandupRun]:
        with Session(self.engine) as s:
            return list(s.exec(select(StandupRun).where(StandupRun.project_id == self.project.id)
                               .order_by(StandupRun.run_date)))

    def remember_zone(self, user: str, tz: str) -> None:
        with Session(self.engine) as s:
            members.remember_user(session=s, team_id=self.project.team_id, user_id=user, timezone=tz,
                                  now=self.now)
            s.commit()

    def outbox_keys(self) -> list[str]:
        with Session(self.engine) as s:
            return list(s.exec(select(OutboxMessage.idempotency_key).order_by(OutboxMessage.id)))


def answer(world: World, user: str, text: str = 'finished "API" next "UI" blockers none confidence 4',
           ok: bool = True):
    """`user` answers the standup with `/project standup answer ...`."""
    return world.cmd(f"standup answer {text}", user=user, ok=ok)
