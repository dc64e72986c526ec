"""A constructed 12-week project history with hand-computed numbers.

"Shop relaunch" started Fri 4 Sep 2026, is due Fri 19 Feb 2027 (168 days),
budget $100,000; today is Fri 27 Nov 2026, day 84 (12 weeks in).

Plan (PV):
  M1 Design, $20,000, due 2 Oct (fully planned by now)             20,000
  M2 Build,  $50,000, due 11 Dec: 2 Oct..11 Dec is 70 days, 56 gone  40,000
  the other $30,000 linear over 168 days, 84 gone                  15,000
                                                               PV = 75,000
Work (EV), estimates in hours:
  M1: 4 tasks x 10h, all done                     20,000 x 40/40  = 20,000
  M2: 10 tasks x 10h, 8 done                      50,000 x 80/100 = 40,000
  M3 Launch (no budget): 4,4,8,8 done, 12,12,12 open 30,000 x 24/60 = 12,000
                                                               EV = 72,000
Cost (AC): licences 12,000 + hardware 18,000
  + Bob 300h x $100 + Carol 380h x $60 = 30,000 + 22,800 =       AC = 82,800

So SV -3,000, CV -10,800, SPI 0.96, CPI 0.8696, EAC 115,000, EAC' 110,800,
ETC 32,200, VAC -15,000, TCPI 28,000 / 17,200 = 1.6279.

Risks: two high (12, 16), one medium (6), one critical but closed. One task
blocked since yesterday. No milestone overdue. Expected health:
"Amber: CPI 0.87 (under 0.90); 2 high risks open".

Throughput over the last six weeks (16 Oct - 26 Nov, 30 working days): M2
tasks on Wednesdays 21 Oct - 25 Nov (6 x 10h) and M3 tasks on Mondays 2-23
Nov (4, 4, 8, 8h): 84h on 10 of 30 days; 56h remain. The seeded forecast:
P50 Fri 25 Dec, P85 Wed 6 Jan 2027, P95 Wed 13 Jan 2027 (before the due date).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session

from bot.domain import projects as project_service
from bot.models import (
    CostEntry,
    HealthSnapshot,
    Member,
    Milestone,
    Project,
    Risk,
    Task,
    TaskStatus,
    TimeEntry,
)

TEAM = "T0HIST"
OWNER = "U0ALICE"
BOB, CAROL = "U0BOB", "U0CAROL"
START = date(2026, 9, 4)
DUE = date(2027, 2, 19)
TODAY = date(2026, 11, 27)
NOW = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)
CHANNEL = "C0SHOP"

EXPECTED = {"bac": 10_000_000, "pv": 7_500_000, "ev": 7_200_000, "ac": 8_280_000,
            "sv": -300_000, "cv": -1_080_000, "spi": 0.96, "cpi": 0.8696, "eac": 11_500_000,
            "eac_atypical": 11_080_000, "etc": 3_220_000, "vac": -1_500_000, "tcpi": 1.6279}
EXPECTED_HEALTH = "Amber: CPI 0.87 (under 0.90); 2 high risks open"


def _at(d: date, hour: int = 15) -> datetime:
    return datetime(d.year, d.month, d.day, hour, tzinfo=UTC)


def build_history(session: Session, *, team_id: str = TEAM, key: str = "shop",
                  channel: str | None = CHANNEL, snapshots: bool = True) -> Project:
    """Insert the whole history; returns the project (flushed, not committed)."""
    p = project_service.create_project(
        session=session, team_id=team_id, name="Shop relaunch", key=key, owner_user_id=OWNER,
        goal="Sell online", objective="Grow online sales", start_date=START, due_date=DUE,
        budget_cents=10_000_000, currency="USD", timezone="UTC", channel_id=channel,
        now=_at(START, 9))
    session.add_all([
        Member(team_id=team_id, project_id=p.id, user_id=BOB, role="manager", hourly_rate_cents=10_000),
        Member(team_id=team_id, project_id=p.id, user_id=CAROL, role="member", hourly_rate_cents=6_000),
    ])
    m1 = Milestone(team_id=team_id, project_id=p.id, number=1, name="Design", due_date=date(2026, 10, 2),
                   planned_budget_cents=2_000_000, done_at=_at(date(2026, 10, 1)))
    m2 = Milestone(team_id=team_id, project_id=p.id, number=2, name="Build", due_date=date(2026, 12, 11),
                   planned_budget_cents=5_000_000)
    m3 = Milestone(team_id=team_id, project_id=p.id, number=3, name="Launch", due_date=DUE)
    session.add_all([m1, m2, m3])
    session.flush()
    n = 0

    def task(ms: Milestone, est: float, done: date | None, **extra) -> Task:
        nonlocal n
        n += 1
        t = Task(team_id=team_id, project_id=p.id, number=n, title=f"{ms.name} task {n}",
                 milestone_id=ms.id, estimate_hours=est, assignee_user_id=BOB if n % 2 else CAROL,
                 status=TaskStatus.DONE if done else extra.pop("status", TaskStatus.TODO),
                 created_at=_at(START, 9), done_at=_at(done) if done else None, **extra)
        session.add(t)
        return t

    for d in (date(2026, 9, 10), date(2026, 9, 17), date(2026, 9, 24), date(2026, 10, 1)):
        task(m1, 10, d)
    for d in (date(2026, 10, 7), date(2026, 10, 14)) + tuple(date(2026, 10, 21) + timedelta(weeks=i)
                                                              for i in range(6)):
        task(m2, 10, d)
    task(m2, 10, None, status=TaskStatus.DOING, due_date=date(2026, 12, 4))
    task(m2, 10, None, status=TaskStatus.BLOCKED, blocked_reason="Waiting for the payment provider",
         blocked_at=_at(TODAY - timedelta(days=1)), due_date=date(2026, 12, 2))
    for est, d in ((4, date(2026, 11, 2)), (4, date(2026, 11, 9)), (8, date(2026, 11, 16)),
                   (8, date(2026, 11, 23))):
        task(m3, est, d)
    for _ in range(3):
        task(m3, 12, None)
    session.add_all([
        CostEntry(team_id=team_id, project_id=p.id, amount_cents=1_200_000, category="licenses",
                  description="Design tool and shop platform", spent_on=date(2026, 9, 7), user_id=OWNER),
        CostEntry(team_id=team_id, project_id=p.id, amount_cents=1_800_000, category="hardware",
                  description="Card terminals", spent_on=date(2026, 10, 12), user_id=OWNER),
    ])
    worked = [START + timedelta(days=i) for i in range(84) if (START + timedelta(days=i)).weekday() < 5][:60]
    for d in worked:
        session.add(TimeEntry(team_id=team_id, project_id=p.id, user_id=BOB, minutes=300,
                              rate_cents=10_000, worked_on=d))
        session.add(TimeEntry(team_id=team_id, project_id=p.id, user_id=CAROL, minutes=380,
                              rate_cents=6_000, worked_on=d))
    for number, (lk, im, state) in enumerate([(3, 4, "open"), (4, 4, "mitigating"), (2, 3, "open"),
                                              (5, 5, "closed")], start=1):
        session.add(Risk(team_id=team_id, project_id=p.id, number=number, title=f"Risk {number}",
                         likelihood=lk, impact=im, state=state, owner_user_id=BOB))
    if snapshots:
        for back in range(7, 0, -1):
            rag = "green" if back > 3 else "amber"
            session.add(HealthSnapshot(team_id=team_id, project_id=p.id, day=TODAY - timedelta(days=back),
                                       rag=rag, reasons=[], metrics={}))
    session.flush()
    return p
