"""A small office-network project driven through commands, ready to close."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.models import OutboxMessage, Project, ProjectClosure
from tests.support.helpers import Runner, ok

OWNER, ANNA, BEN, STAKE, CLIENT = "U0OWNER", "U0ANNA", "U0BEN", "U0STAKE", "U0CLIENT"


class Office:
    """`netmove` in #C0NET: budget $8,000, due Fri 18 Dec 2026, two milestones,
    Anna at $80/h and Ben at $60/h, three tasks (one done), a risk, $500 spent."""

    def __init__(self, engine: Engine, now: datetime):
        self.engine, self.now = engine, now
        self.run = Runner(engine, now)
        self("new \"Office network move\" key netmove due 18 Dec budget 8k start 2 Nov "
             "goal \"Move the office network without downtime\" objective \"Cheaper premises\"")
        self(f"member add <@{ANNA}> <@{BEN}>")
        self(f"member add <@{STAKE}> role stakeholder")
        self(f"member add <@{CLIENT}> role client")
        self(f"member rate <@{ANNA}> 80")
        self(f"member rate <@{BEN}> 60")
        self('milestone add "Cabling done" due 4 Dec budget 3k effort 20h')
        self('milestone add "Cut-over" due 18 Dec budget 5k effort 30h')
        self(f'task add "Order switches" <@{ANNA}> estimate 4h milestone M1')
        self(f'task add "Pull cables" <@{BEN}> estimate 16h milestone M1')
        self(f'task add "Move the firewall" <@{ANNA}> estimate 8h milestone M2')
        self("task done 1", user=ANNA)
        self('log 6h "switches" 24 Nov', user=ANNA)
        self('log 10h "cables" 25 Nov', user=BEN)
        self('spend 500 hardware "Two switches" 20 Nov')
        self('risk add "ISP needs notice" likelihood 4 impact 4')

    def __call__(self, text: str, *, user: str = OWNER, channel: str = "C0NET") -> str:
        return ok(self.run(text, user=user, channel=channel))

    def reply(self, text: str, *, user: str = OWNER, channel: str = "C0NET"):
        return self.run(text, user=user, channel=channel)

    def project(self) -> Project:
        with Session(self.engine) as s:
            return s.exec(select(Project).where(Project.key == "netmove")).one()

    def closure(self) -> ProjectClosure | None:
        with Session(self.engine, expire_on_commit=False) as s:
            return s.exec(select(ProjectClosure).order_by(ProjectClosure.id.desc())).first()

    def outbox(self, prefix: str = "") -> list[OutboxMessage]:
        with Session(self.engine, expire_on_commit=False) as s:
            rows = s.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()
            return [r for r in rows if r.idempotency_key.startswith(prefix)]
