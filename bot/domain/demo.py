"""A realistic small-business project for the shell and for trying the bot."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from bot.domain import costs, members, milestones, projects, tasks
from bot.models import Project, Role, Task, TaskStatus

DEMO_TEAM = "T0DEMO"
DEMO_TIMEZONE = "Europe/Berlin"
DEMO_CHANNELS = {"C0WEBSITE": "website", "C0GENERAL": "general"}
DEMO_PEOPLE = [  # user id, name, role, timezone, rate, capacity
    ("U0ALICE", "alice", Role.OWNER, "Europe/Berlin", 9000, 20.0),
    ("U0BOB", "bob", Role.MANAGER, "Europe/Berlin", 7500, 40.0),
    ("U0CAROL", "carol", Role.MEMBER, "Europe/London", 6500, 32.0),
    ("U0DAN", "dan", Role.MEMBER, "America/New_York", 6000, 40.0),
    ("U0ERIN", "erin", Role.STAKEHOLDER, "Europe/Berlin", None, 0.0),
]


def seed_demo(*, session: Session, now: datetime, team_id: str = DEMO_TEAM) -> Project | None:
    """Create the 'Website relaunch' project if the workspace has no project yet."""
    if session.exec(select(Project).where(Project.team_id == team_id)).first():
        return None
    today = now.astimezone(ZoneInfo(DEMO_TIMEZONE)).date()
    projects.ensure_workspace(session=session, team_id=team_id, name="Demo Bakery",
                              timezone="Europe/Berlin", currency="EUR", now=now)
    for uid, name, _, tz, _, _ in DEMO_PEOPLE:
        members.remember_user(session=session, team_id=team_id, user_id=uid, name=name, timezone=tz, now=now)
    owner = DEMO_PEOPLE[0][0]
    project = projects.create_project(
        session=session, team_id=team_id, name="Website relaunch", key="website", owner_user_id=owner,
        goal="Take bread pre-orders online: 20% of sales through the website by spring",
        objective="Grow online sales", scope="New shop site, payment provider, order emails",
        start_date=today - timedelta(days=42), due_date=today + timedelta(days=60),
        budget_cents=2_500_000, currency="EUR", timezone="Europe/Berlin", channel_id="C0WEBSITE", now=now,
    )
    for uid, _, role, _, _, _ in DEMO_PEOPLE[1:]:
        members.add_member(session=session, project=project, actor=owner, user_id=uid, role=role, now=now)
    for uid, _, _, _, rate, capacity in DEMO_PEOPLE:
        members.update_member(session=session, project=project, actor=owner, user_id=uid,
                              hourly_rate_cents=rate, weekly_capacity_hours=capacity, now=now)
    m1 = milestones.add_milestone(session=session, project=project, actor=owner, name="Design approved",
                                  due_date=today - timedelta(days=10), planned_budget_cents=500_000,
                                  planned_effort_hours=60, now=now)
    m2 = milestones.add_milestone(session=session, project=project, actor=owner, name="Shop live (beta)",
                                  due_date=today + timedelta(days=25), planned_budget_cents=1_200_000,
                                  planned_effort_hours=160, now=now)
    m3 = milestones.add_milestone(session=session, project=project, actor=owner, name="Launch",
                                  due_date=today + timedelta(days=60), planned_budget_cents=800_000,
                                  planned_effort_hours=80, now=now)
    milestones.complete_milestone(session=session, project=project, actor=owner, milestone=m1, now=now)
    plan = [  # title, assignee, milestone, estimate, due offset, status
        ("Collect requirements from the shop staff", "U0BOB", m1, 6, -35, TaskStatus.DONE),
        ("Mood board and page layouts", "U0CAROL", m1, 16, -20, TaskStatus.DONE),
        ("Choose hosting provider", "U0DAN", m1, 4, -14, TaskStatus.DONE),
        ("Sign off design with the owner", "U0ALICE", m1, 2, -10, TaskStatus.DONE),
        ("Set up hosting and domain", "U0DAN", m2, 6, -2, TaskStatus.DOING),
        ("Build product catalogue pages", "U0CAROL", m2, 24, 10, TaskStatus.DOING),
        ("Integrate payment provider", "U0DAN", m2, 16, 15, TaskStatus.BLOCKED),
        ("Order confirmation emails", "U0BOB", m2, 8, 20, TaskStatus.TODO),
        ("Write product descriptions", "U0ERIN", m2, 10, 22, TaskStatus.TODO),
        ("Photograph the bread range", None, m2, 8, 18, TaskStatus.TODO),
        ("Load test the checkout", "U0DAN", m3, 6, 45, TaskStatus.TODO),
        ("Staff training on order handling", "U0BOB", m3, 4, 52, TaskStatus.TODO),
        ("Launch announcement and newsletter", "U0ALICE", m3, 3, 58, TaskStatus.TODO),
    ]
    for title, who, ms, est, due, status in plan:
        task = tasks.add_task(session=session, project=project, actor=owner, title=title, assignee=who,
                              milestone=ms, estimate_hours=est, due_date=today + timedelta(days=due), now=now)
        if status is not TaskStatus.TODO:
            reason = "Waiting for the payment provider to approve our merchant account"
            tasks.set_status(session=session, project=project, actor=owner, task=task, status=status,
                             reason=reason if status is TaskStatus.BLOCKED else "", now=now)
            _backdate(task, now, due)
    spending = [  # euro cents, category, what, days ago
        (240_000, "design", "Design agency: layouts and mood board", 18),
        (18_000, "hosting", "Hosting, first three months", 2),
        (25_000, "services", "Payment provider setup fee", 1),
    ]
    for cents, category, what, ago in spending:
        costs.record_spend(session=session, project=project, actor=owner, amount_cents=cents,
                           category=category, description=what, spent_on=today - timedelta(days=ago),
                           today=today, now=now)
    for uid, hours, ago in [("U0CAROL", 16, 20), ("U0BOB", 8, 12), ("U0CAROL", 8, 4), ("U0DAN", 14, 2)]:
        costs.log_time(session=session, project=project, actor=owner, user_id=uid, hours=hours,
                       worked_on=today - timedelta(days=ago), today=today, now=now)
    session.flush()
    return project


def _backdate(task: Task, now: datetime, due_offset: int) -> None:
    """Done tasks finish around their due date, so history looks real."""
    if task.done_at:
        task.done_at = min(now, now + timedelta(days=due_offset))
        task.started_at = task.done_at - timedelta(days=3)
    if task.started_at is None and task.status != TaskStatus.TODO:
        task.started_at = now - timedelta(days=4)
    if task.blocked_at:
        task.blocked_at = now - timedelta(days=3)


