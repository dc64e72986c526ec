"""SQLModel tables. Every row carries `team_id` (the Slack workspace) and every
query filters on it. Times are stored as UTC (`UTCDateTime`), money as integer
minor units (`*_cents`), durations as minutes or hours as named.

The schema is built by Alembic migrations (`bot/migrations`), never by
`create_all`, so a column added here without a migration fails the tests.
"""

from __future__ import annotations

import enum
import secrets
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    TypeDecorator,
    Unicode,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Stores naive UTC, returns aware UTC, on SQLite and PostgreSQL alike."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def ts_field(nullable: bool = True, default_now: bool = False, index: bool = False) -> Any:
    """A UTC timestamp column."""
    kwargs: dict[str, Any] = {}
    if default_now:
        kwargs["default_factory"] = utcnow
    else:
        kwargs["default"] = None
    return Field(sa_column=Column(UTCDateTime(), nullable=nullable, index=index), **kwargs)


def json_field(default: Any = dict) -> Any:
    return Field(default_factory=default, sa_column=Column(JSON, nullable=False))


def text_field(default: str = "") -> Any:
    return Field(default=default, sa_column=Column(Text, nullable=False))


class Role(enum.StrEnum):
    OWNER = "owner"
    MANAGER = "manager"
    MEMBER = "member"
    STAKEHOLDER = "stakeholder"
    CLIENT = "client"  # outside the team: reads status, works only on tasks given to them
    SPONSOR = "sponsor"  # decides change requests with the owner; reads, no tasks, no capacity


class ProjectState(enum.StrEnum):
    ACTIVE = "active"
    ON_HOLD = "on_hold"
    DONE = "done"
    CANCELLED = "cancelled"


class TaskStatus(enum.StrEnum):
    TODO = "todo"
    DOING = "doing"
    BLOCKED = "blocked"
    DONE = "done"
    CANCELLED = "cancelled"  # out of progress, value, forecasts and alerts; kept in history


CLOSED_TASK_STATES = (TaskStatus.DONE, TaskStatus.CANCELLED)


# --- workspace and people -------------------------------------------------


class Workspace(SQLModel, table=True):
    """A Slack workspace (team) the bot serves."""

    __tablename__ = "workspaces"
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, unique=True, index=True)
    name: str = Field(default="", max_length=200)
    timezone: str = Field(default="UTC", max_length=64)
    currency: str = Field(default="USD", max_length=3)
    created_at: datetime = ts_field(nullable=False, default_now=True)


class User(SQLModel, table=True):
    """A Slack user as the bot knows them: name and timezone (cached from users.info)."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("team_id", "user_id"),)
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    user_id: str = Field(max_length=32)
    name: str = Field(default="", max_length=200)
    timezone: str = Field(default="", max_length=64)
    is_bot: bool = False
    deleted: bool = False
    refreshed_at: datetime | None = ts_field()
    # their own public holidays (`US-NY`): off on those days in every project
    holidays: str = Field(default="", sa_column=Column(String(16), nullable=False, server_default=""))
    # hours a week across every project (`/project capacity`); None: the default
    # (40h for someone who works on a project, none for stakeholders and the like)
    weekly_capacity_hours: float | None = None


# --- projects -----------------------------------------------------------------


class Project(SQLModel, table=True):
    """An IT project: goal, scope, dates, budget, owner and channel."""

    __tablename__ = "projects"
    __table_args__ = (
        UniqueConstraint("team_id", "key"),
        Index("ix_projects_team_channel", "team_id", "channel_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    key: str = Field(max_length=40)
    name: str = Field(max_length=200)
    goal: str = text_field()
    objective: str = Field(default="", max_length=200)
    scope: str = text_field()
    start_date: date | None = None
    due_date: date | None = None
    budget_cents: int | None = None
    currency: str = Field(default="USD", max_length=3)
    timezone: str = Field(default="UTC", max_length=64)
    owner_user_id: str = Field(default="", max_length=32)
    channel_id: str | None = Field(default=None, max_length=32)
    state: str = Field(default=ProjectState.ACTIVE, max_length=16)
    settings: dict = json_field()
    created_by: str = Field(default="", max_length=32)
    created_at: datetime = ts_field(nullable=False, default_now=True)
    updated_at: datetime = ts_field(nullable=False, default_now=True)
    # a fresh random token whenever anything status shows changes (bot/domain/versions.py)
    version: int = Field(default_factory=lambda: secrets.randbits(62),
                         sa_column=Column(BigInteger, nullable=False, server_default="0"))
    # plan vs now in brief (first and current baseline, change counts), kept by
    # bot/domain/baselines.py with every baseline and decision, so status, list
    # and Home show it without another query; None before the first baseline
    plan: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class Member(SQLModel, table=True):
    """A person's role on one project, with rate and allocation."""

    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("project_id", "user_id"),)
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    project_id: int = Field(foreign_key="projects.id", index=True)
    user_id: str = Field(max_length=32)
    role: str = Field(default=Role.MEMBER, max_length=16)
    hourly_rate_cents: int | None = None
    # their allocation to this project, hours a week (`member capacity`); None: a
    # share of what their capacity leaves (bot/domain/capacity.py)
    weekly_capacity_hours: float | None = None
    active: bool = True
    created_at: datetime = ts_field(nullable=False, default_now=True)


class Milestone(SQLModel, table=True):
    """A dated checkpoint with its planned budget and effort."""

    __tablename__ = "milestones"
    __table_args__ = (UniqueConstraint("project_id", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    project_id: int = Field(foreign_key="projects.id", index=True)
    number: int
    name: str = Field(max_length=200)
    due_date: date | None = None
    planned_budget_cents: int | None = None
    planned_effort_hours: float | None = None
    done_at: datetime | None = ts_field()
    cancelled_at: datetime | None = ts_field()  # out of the plan (budget, value, alerts), kept
    created_at: datetime = ts_field(nullable=False, default_now=True)


class Task(SQLModel, table=True):
    """A unit of work, numbered per project (#1, #2, ...)."""

    __tablename__ = "tasks"
    __table_args__ = (
        UniqueConstraint("project_id", "number"),
        Index("ix_tasks_project_status", "project_id", "status"),
        Index("ix_tasks_team_assignee", "team_id", "assignee_user_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    project_id: int = Field(foreign_key="projects.id")
    number: int
    title: str = text_field()
    milestone_id: int | None = Field(default=None, foreign_key="milestones.id")
    assignee_user_id: str | None = Field(default=None, max_length=32)
    estimate_hours: float | None = None
    status: str = Field(default=TaskStatus.TODO, max_length=16)
    blocked_reason: str = text_field()
    due_date: date | None = None
    created_by: str = Field(default="", max_length=32)
    created_at: datetime = ts_field(nullable=False, default_now=True)
    started_at: datetime | None = ts_field()
    blocked_at: datetime | None = ts_field()
    done_at: datetime | None = ts_field()
    cancelled_at: datetime | None = ts_field()
    cancel_reason: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))


class TaskLink(SQLModel, table=True):
    """Finish-to-start: `task_id` starts when `after_task_id` is done (plus `lag_days` working days)."""

    __tablename__ = "task_links"
    __table_args__ = (UniqueConstraint("task_id", "after_task_id"),)
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    project_id: int = Field(foreign_key="projects.id", index=True)
    task_id: int = Field(foreign_key="tasks.id")
    after_task_id: int = Field(foreign_key="tasks.id", index=True)
    lag_days: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    created_by: str = Field(default="", max_length=32)
    created_at: datetime = ts_field(nullable=False, default_now=True)


# --- risk, money, time --------------------------------------------------------


class Risk(SQLModel, table=True):
    """An entry in a project's risk register; score = likelihood x impact."""

    __tablename__ = "risks"
    __table_args__ = (UniqueConstraint("project_id", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    project_id: int = Field(foreign_key="projects.id", index=True)
    number: int
    title: str = text_field()
    description: str = text_field()
    likelihood: int = 3
    impact: int = 3
    owner_user_id: str | None = Field(default=None, max_length=32)
    mitigation: str = text_field()
    response: str = Field(default="mitigate", max_length=16)
    state: str = Field(default="open", max_length=16)
    review_date: date | None = None
    source: str = Field(default="manual", max_length=32)
    close_note: str = text_field()
    created_by: str = Field(default="", max_length=32)
    created_at: datetime = ts_field(nullable=False, default_now=True)
    updated_at: datetime = ts_field(nullable=False, default_now=True)
    closed_at: datetime | None = ts_field()
    # for the team only: never on a client's status page, email or screen
    internal: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default="0"))
    # how it ended, said when the project closes: "happened" (with what it cost) or "did_not_happen"
    outcome: str = Field(default="", sa_column=Column(String(16), nullable=False, server_default=""))
    outcome_cost_cents: int | None = None


class CostEntry(SQLModel, table=True):
    """Money spent on a project (licences, hardware, contractors...)."""

    __tablename__ = "cost_entries"
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    project_id: int = Field(foreign_key="projects.id", index=True)
    amount_cents: int
    category: str = Field(default="other", max_length=64)
    description: str = text_field()
    spent_on: date
    user_id: str = Field(default="", max_length=32)
    # a correcting entry (the negated amount) voids the entry it names; nothing is erased
    reverses_id: int | None = Field(default=None, foreign_key="cost_entries.id")
    created_at: datetime = ts_field(nullable=False, default_now=True)


class TimeEntry(SQLModel, table=True):
    """Hours a person worked on a project; cost = minutes x rate at the time."""

    __tablename__ = "time_entries"
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    project_id: int = Field(foreign_key="projects.id", index=True)
    task_id: int | None = Field(default=None, foreign_key="tasks.id")
    user_id: str = Field(max_length=32)
    minutes: int
    rate_cents: int | None = None
    worked_on: date
    note: str = text_field()
    reverses_id: int | None = Field(default=None, foreign_key="time_entries.id")  # as for costs
    created_at: datetime = ts_field(nullable=False, default_now=True)


# --- standups -----------------------------------------------------------------


class StandupConfig(SQLModel, table=True):
    """A project's standup schedule and questions."""

    __tablename__ = "standup_configs"
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    project_id: int = Field(foreign_key="projects.id", unique=True)
    time_local: str = Field(default="09:30", max_length=5)
    days: str = Field(default="mon,tue,wed,thu,fri", max_length=40)
    timezone: str = Field(default="", max_length=64)
    channel_id: str | None = Field(default=None, max_length=32)
    holidays_country: str = Field(default="", max_length=8)
    holidays_subdiv: str = Field(default="", max_length=16)
    close_after_minutes: int = 120
    reminder_at_pct: int = 80
    per_member_timezone: bool = False
    answers_in_thread: bool = True
    questions: list = json_field(list)
    paused: bool = False
    created_at: datetime = ts_field(nullable=False, default_now=True)
    updated_at: datetime = ts_field(nullable=False, default_now=True)


class DayOff(SQLModel, table=True):
    """A company day off for a project's standup, or a person's absence."""

    __tablename__ = "days_off"
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    project_id: int | None = Field(default=None, foreign_key="projects.id", index=True)
    user_id: str | None = Field(default=None, max_length=32)
    start_date: date
    end_date: date
    reason: str = Field(default="", max_length=200)
    created_at: datetime = ts_field(nullable=False, default_now=True)


class StandupRun(SQLModel, table=True):
    """One day's standup: unique per (config, date)."""

    __tablename__ = "standup_runs"
    __table_args__ = (UniqueConstraint("standup_id", "run_date"),)
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    standup_id: int = Field(foreign_key="standup_configs.id")
    project_id: int = Field(foreign_key="projects.id", index=True)
    run_date: date
    scheduled_at: datetime = ts_field(nullable=False)
    closes_at: datetime = ts_field(nullable=False)
    state: str = Field(default="open", max_length=16)
    channel_id: str | None = Field(default=None, max_length=32)
    summary_ts: str | None = Field(default=None, max_length=32)
    closed_at: datetime | None = ts_field()


class StandupParticipant(SQLModel, table=True):
    """Who a run asked (or skipped as away), and when they were prompted/reminded."""

    __tablename__ = "standup_participants"
    __table_args__ = (UniqueConstraint("run_id", "user_id"),)
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    run_id: int = Field(foreign_key="standup_runs.id", index=True)
    user_id: str = Field(max_length=32)
    status: str = Field(default="asked", max_length=16)
    prompt_at: datetime | None = ts_field()
    prompted_at: datetime | None = ts_field()
    reminded_at: datetime | None = ts_field()
    # the outbox key of the DM that asked them: one DM may ask several standups
    # (bot/domain/standups/digest.py); None: `standup:{run_id}:prompt:{user_id}`
    prompt_key: str | None = Field(default=None, max_length=200)


class StandupAnswer(SQLModel, table=True):
    """A member's answer to one run; editable until the run closes."""

    __tablename__ = "standup_answers"
    __table_args__ = (UniqueConstraint("run_id", "user_id"),)
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    run_id: int = Field(foreign_key="standup_runs.id", index=True)
    project_id: int = Field(foreign_key="projects.id", index=True)
    user_id: str = Field(max_length=32)
    answers: dict = json_field()
    blocker: str = text_field()
    confidence: int | None = None
    late: bool = False
    submitted_at: datetime = ts_field(nullable=False, default_now=True)
    updated_at: datetime = ts_field(nullable=False, default_now=True)


# --- closing: closures, retrospectives, lessons ---------------------------------


class ProjectClosure(SQLModel, table=True):
    """One closing of a project: when and by whom, its final figures, and its
    retrospective (collected until `retro_until`, then summarised); a reopened
    project keeps the row with `reopened_at` set."""

    __tablename__ = "project_closures"
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    project_id: int = Field(foreign_key="projects.id", index=True)
    closed_by: str = Field(max_length=32)
    closed_at: datetime = ts_field(nullable=False)
    final: dict = json_field()  # the figures at closing (cost, dates, CPI, SPI, hours)
    retro_mode: str = Field(default="named", max_length=16)  # named | anonymous
    retro_until: datetime | None = ts_field()
    retro_summarised_at: datetime | None = ts_field()
    reopened_at: datetime | None = ts_field()
    reopened_by: str | None = Field(default=None, max_length=32)


class RetroAnswer(SQLModel, table=True):
    """One person's retrospective of one closing; answering again replaces it."""

    __tablename__ = "retro_answers"
    __table_args__ = (UniqueConstraint("closure_id", "user_id"),)
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    closure_id: int = Field(foreign_key="project_closures.id", index=True)
    user_id: str = Field(max_length=32)
    went_well: str = text_field()
    went_badly: str = text_field()
    differently: str = text_field()
    satisfaction: int | None = None  # 1-5
    created_at: datetime = ts_field(nullable=False)
    updated_at: datetime = ts_field(nullable=False)


class Lesson(SQLModel, table=True):
    """Something learned, kept for the next similar project (by hand or from a retrospective)."""

    __tablename__ = "lessons"
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    project_id: int | None = Field(default=None, foreign_key="projects.id", index=True)
    text: str = text_field()
    tags: str = Field(default="", max_length=200)  # space-separated, lower case
    source: str = Field(default="manual", max_length=16)  # manual | retro
    created_by: str = Field(default="", max_length=32)
    created_at: datetime = ts_field(nullable=False)


# --- alerts, outbox, audit, health -------------------------------------------


class Alert(SQLModel, table=True):
    """A detector finding posted to a channel; one row per fingerprint."""

    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("project_id", "fingerprint"),)
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    project_id: int = Field(foreign_key="projects.id", index=True)
    fingerprint: str = Field(max_length=200)
    detector: str = Field(max_length=40)
    severity: str = Field(max_length=16)
    reason: str = text_field()
    details: dict = json_field()
    state: str = Field(default="open", max_length=16)
    snoozed_until: datetime | None = ts_field()
    acknowledged_by: str | None = Field(default=None, max_length=32)
    channel_id: str | None = Field(default=None, max_length=32)
    message_ts: str | None = Field(default=None, max_length=32)
    created_at: datetime = ts_field(nullable=False, default_now=True)
    updated_at: datetime = ts_field(nullable=False, default_now=True)
    resolved_at: datetime | None = ts_field()


class OutboxMessage(SQLModel, table=True):
    """An outgoing Slack call, written in the transaction that caused it."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_state_next", "state", "next_attempt_at"),)
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    idempotency_key: str = Field(max_length=200, unique=True)
    kind: str = Field(max_length=32)
    channel_id: str | None = Field(default=None, max_length=32)
    user_id: str | None = Field(default=None, max_length=32)
    project_id: int | None = Field(default=None, foreign_key="projects.id")
    payload: dict = json_field()
    state: str = Field(default="pending", max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = ts_field(nullable=False, default_now=True)
    claimed_by: str | None = Field(default=None, max_length=64)  # the sender holding it while `sending`
    last_error: str = text_field()
    result: dict = json_field()
    created_at: datetime = ts_field(nullable=False, default_now=True)
    sent_at: datetime | None = ts_field()


class AuditEntry(SQLModel, table=True):
    """Who changed what, when: old and new values."""

    __tablename__ = "audit_log"
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    project_id: int | None = Field(default=None, foreign_key="projects.id", index=True)
    user_id: str = Field(default="", max_length=32)
    action: str = Field(max_length=64)
    entity: str = Field(max_length=32)
    entity_id: int | None = None
    before: dict = json_field()
    after: dict = json_field()
    created_at: datetime = ts_field(nullable=False, default_now=True)


class HealthSnapshot(SQLModel, table=True):
    """A project's red/amber/green for one day, with reasons and numbers."""

    __tablename__ = "health_snapshots"
    __table_args__ = (UniqueConstraint("project_id", "day"),)
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    project_id: int = Field(foreign_key="projects.id")
    day: date
    rag: str = Field(max_length=8)
    reasons: list = json_field(list)
    metrics: dict = json_field()
    created_at: datetime = ts_field(nullable=False, default_now=True)


class ProjectCounter(SQLModel, table=True):
    """The last number handed out in a project for one kind (tasks, milestones, risks)."""

    __tablename__ = "project_counters"
    project_id: int = Field(foreign_key="projects.id", primary_key=True)
    name: str = Field(max_length=32, primary_key=True)
    value: int


class ShareLink(SQLModel, table=True):
    """A read-only status page for people outside Slack (`PUBLIC_URL/p/<token>`),
    numbered per project (S1, S2, ...). Only the token's SHA-256 is stored."""

    __tablename__ = "share_links"
    __table_args__ = (UniqueConstraint("project_id", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    project_id: int = Field(foreign_key="projects.id", index=True)
    number: int
    token_hash: str = Field(max_length=64, unique=True)
    show_costs: bool = False
    label: str = Field(default="", max_length=300)  # who or what it was made for
    created_by: str = Field(default="", max_length=32)
    created_at: datetime = ts_field(nullable=False, default_now=True)
    expires_at: datetime = ts_field(nullable=False)
    revoked_at: datetime | None = ts_field()
    revoked_by: str | None = Field(default=None, max_length=32)


class Baseline(SQLModel, table=True):
    """A project's plan frozen for comparison (Baseline 1, 2, ...): budget, dates,
    scope, milestones with dates and budgets, and task estimates (`plan`)."""

    __tablename__ = "baselines"
    __table_args__ = (UniqueConstraint("project_id", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    project_id: int = Field(foreign_key="projects.id", index=True)
    number: int
    reason: str = text_field()
    change_id: int | None = None  # the change request whose approval took it
    budget_cents: int | None = None
    currency: str = Field(default="USD", max_length=3)
    start_date: date | None = None
    due_date: date | None = None
    scope: str = text_field()
    plan: dict = json_field()  # {"milestones": [{number, name, due, budget, effort}], "estimates": {number: h}}
    created_by: str = Field(default="", max_length=32)
    created_at: datetime = ts_field(nullable=False, default_now=True)


class ChangeRequest(SQLModel, table=True):
    """A proposed change to budget, dates or scope (CR-1, CR-2, ...): open until the
    owner or a sponsor approves (every part applied at once, then a new baseline)
    or rejects it with a reason."""

    __tablename__ = "change_requests"
    __table_args__ = (UniqueConstraint("project_id", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    project_id: int = Field(foreign_key="projects.id", index=True)
    number: int
    title: str = text_field()
    reason: str = text_field()
    # {"budget": {"delta"|"set": cents}, "due": {"days": n}|{"date": iso}, "scope": {"add"|"set": text},
    #  "milestones": [{"number": 3, "due": iso}]}
    parts: dict = json_field()
    source: str = Field(default="request", max_length=16)  # request | edit (a non-owner's edit) | direct
    state: str = Field(default="open", max_length=16)  # open | approved | rejected
    requested_by: str = Field(default="", max_length=32)
    created_at: datetime = ts_field(nullable=False, default_now=True)
    decided_by: str | None = Field(default=None, max_length=32)
    decided_at: datetime | None = ts_field(index=True)
    decision_note: str = text_field()  # a rejection's reason
    applied: dict = json_field()  # field -> [before, after], as applied
    baseline_id: int | None = Field(default=None, foreign_key="baselines.id")
    messages: dict = json_field()  # outbox keys of its channel post and DMs, to edit them once decided


class ProcessedRequest(SQLModel, table=True):
    """Idempotency: a Slack delivery or submission already handled."""

    __tablename__ = "processed_requests"
    __table_args__ = (UniqueConstraint("team_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    key: str = Field(max_length=200)
    result: dict = json_field()
    created_at: datetime = ts_field(nullable=False, default_now=True)


class StatusMark(SQLModel, table=True):
    """When something the deployment does last went right and wrong (e.g. the
    signature check on Slack's requests), for `python -m bot doctor`. About the
    installation, not a workspace: the only table without `team_id`."""

    __tablename__ = "status_marks"
    name: str = Field(primary_key=True, max_length=64)
    ok_at: datetime | None = ts_field()
    failed_at: datetime | None = ts_field()
    failures: int = 0  # failures since `ok_at`


# APScheduler 3.x SQLAlchemyJobStore's table (its exact layout), so the
# schedule lives in the bot's database and is created by a migration.
scheduler_jobs = Table(
    "apscheduler_jobs",
    SQLModel.metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)


# Bolt's OAuth stores (slack_sdk SQLAlchemyInstallationStore / OAuthStateStore)
# for multi-workspace installs, in their layout; token columns are wider
# because bot/slack/oauth.py stores tokens Fernet-encrypted.
slack_installations = Table(
    "slack_installations",
    SQLModel.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_id", String(32), nullable=False),
    Column("app_id", String(32), nullable=False),
    Column("enterprise_id", String(32)),
    Column("enterprise_name", String(200)),
    Column("enterprise_url", String(200)),
    Column("team_id", String(32)),
    Column("team_name", String(200)),
    Column("bot_token", String(500)),
    Column("bot_id", String(32)),
    Column("bot_user_id", String(32)),
    Column("bot_scopes", String(1000)),
    Column("bot_refresh_token", String(500)),
    Column("bot_token_expires_at", DateTime),
    Column("user_id", String(32), nullable=False),
    Column("user_token", String(500)),
    Column("user_scopes", String(1000)),
    Column("user_refresh_token", String(500)),
    Column("user_token_expires_at", DateTime),
    Column("incoming_webhook_url", String(500)),
    Column("incoming_webhook_channel", String(200)),
    Column("incoming_webhook_channel_id", String(200)),
    Column("incoming_webhook_configuration_url", String(200)),
    Column("is_enterprise_install", Boolean, nullable=False),
    Column("token_type", String(32)),
    Column("installed_at", DateTime, nullable=False),
    Index("slack_installations_idx", "client_id", "enterprise_id", "team_id", "user_id", "installed_at"),
)
slack_bots = Table(
    "slack_bots",
    SQLModel.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_id", String(32), nullable=False),
    Column("app_id", String(32), nullable=False),
    Column("enterprise_id", String(32)),
    Column("enterprise_name", String(200)),
    Column("team_id", String(32)),
    Column("team_name", String(200)),
    Column("bot_token", String(500)),
    Column("bot_id", String(32)),
    Column("bot_user_id", String(32)),
    Column("bot_scopes", String(1000)),
    Column("bot_refresh_token", String(500)),
    Column("bot_token_expires_at", DateTime),
    Column("is_enterprise_install", Boolean, nullable=False),
    Column("installed_at", DateTime, nullable=False),
    Index("slack_bots_idx", "client_id", "enterprise_id", "team_id", "installed_at"),
)
slack_oauth_states = Table(
    "slack_oauth_states",
    SQLModel.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("state", String(200), nullable=False),
    Column("expire_at", DateTime, nullable=False),
)
