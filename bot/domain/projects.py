"""Projects: create, find, list, edit, link to a channel."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import bindparam
from sqlmodel import Session, select

from bot.domain import audit
from bot.domain.access import Action, require
from bot.domain.errors import Conflict, Invalid, NotFound
from bot.domain.format import day, truncate
from bot.domain.plan_checks import check_budgets, milestone_budgets
from bot.models import Member, Project, ProjectState, Role, Workspace

KEY_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
# Keys that would read as something else where a command takes a project first:
# task numbers (`task done 3`), milestone refs (`M2`) and argument words.
RESERVED_KEYS = frozenset({"all", "mine", "blocked", "done", "me", "nobody", "none", "confirm",
                           "page", "help", "role", "as", "due", "budget", "name", "goal", "list",
                           "undo", "void", "force", "history", "cancelled"})
_NOT_A_KEY = re.compile(r"^(\d+|m\d+)$")
OPEN_STATES = (ProjectState.ACTIVE, ProjectState.ON_HOLD)
TEXT_LIMITS = {"name": 200, "objective": 200, "goal": 2000, "scope": 2000}
EDITABLE = {"name", "goal", "objective", "scope", "due_date", "start_date", "budget_cents",
            "currency", "timezone", "state"}


def ensure_workspace(*, session: Session, team_id: str, name: str = "", timezone: str = "UTC",
                     currency: str = "USD", now: datetime) -> Workspace:
    """The workspace row for `team_id`, created on first contact."""
    ws = session.exec(select(Workspace).where(Workspace.team_id == team_id)).first()
    if ws is None:
        ws = Workspace(team_id=team_id, name=name, timezone=timezone, currency=currency, created_at=now)
        session.add(ws)
        session.flush()
    return ws


def slugify(name: str) -> str:
    """A usable key from a name: `Website relaunch` -> `website-relaunch`."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    slug = slug[:40].rstrip("-") or "project"
    return f"project-{slug}"[:40].rstrip("-") if key_is_reserved(slug) else slug


def is_channel(channel_id: str | None) -> bool:
    """A public or private channel (C…/G…), not a direct message (D…)."""
    return bool(channel_id) and channel_id[:1] in ("C", "G")


def key_is_reserved(key: str) -> bool:
    return key in RESERVED_KEYS or bool(_NOT_A_KEY.match(key))


def _check_texts(values: dict) -> None:
    for name, limit in TEXT_LIMITS.items():
        value = values.get(name)
        if value is not None and len(str(value)) > limit:
            raise Invalid(f"A project {name} can be at most {limit} characters "
                          f"(this one has {len(str(value))}).")


def get_project(*, session: Session, team_id: str, key: str) -> Project:
    """The project with this key in this workspace, or `NotFound`."""
    project = find_project(session=session, team_id=team_id, key=key)
    if project is None:
        raise NotFound(f"No project called `{truncate(key, 40)}` here. `/project list` shows them all.")
    return project


# built once: nearly every command looks a project up by key
_BY_KEY = select(Project).where(Project.team_id == bindparam("team_id"), Project.key == bindparam("key"))


def find_project(*, session: Session, team_id: str, key: str) -> Project | None:
    return session.exec(_BY_KEY, params={"team_id": team_id, "key": key.lower()}).first()


_table = Project.__table__
_VERSION = select(_table.c.id, _table.c.version, _table.c.timezone).where(_table.c.team_id == bindparam("team_id"))
_VERSION_BY_KEY = _VERSION.where(_table.c.key == bindparam("key"))
_VERSION_BY_CHANNEL = _VERSION.where(_table.c.channel_id == bindparam("channel_id"),
                                     _table.c.state.in_([str(s) for s in OPEN_STATES])).limit(1)


def project_version(*, session: Session, team_id: str, key: str | None = None,
                    channel_id: str = "") -> tuple[int, int, str] | None:
    """(id, version, timezone) of the project called `key`, else of the open
    project homed in `channel_id`: one small query, enough to answer from a
    cache without loading the project."""
    if key is not None:
        row = session.execute(_VERSION_BY_KEY, {"team_id": team_id, "key": key.lower()}).first()
    elif channel_id:
        row = session.execute(_VERSION_BY_CHANNEL, {"team_id": team_id, "channel_id": channel_id}).first()
    else:
        return None
    return (row[0], row[1], row[2]) if row else None


def project_for_channel(*, session: Session, team_id: str, channel_id: str) -> Project | None:
    """The open (active or on hold) project whose home is `channel_id`."""
    if not channel_id:
        return None
    return session.exec(
        select(Project).where(Project.team_id == team_id, Project.channel_id == channel_id,
                              Project.state.in_(OPEN_STATES))
    ).first()


def closed_project_for_channel(*, session: Session, team_id: str, channel_id: str) -> Project | None:
    """The most recently closed (done) project whose home was `channel_id`, when
    no open project lives there: its channel still reads its final figures."""
    if not channel_id:
        return None
    return session.exec(
        select(Project).where(Project.team_id == team_id, Project.channel_id == channel_id,
                              Project.state == ProjectState.DONE).order_by(Project.updated_at.desc()).limit(1)
    ).first()


def list_projects(*, session: Session, team_id: str, include_closed: bool = False) -> list[Project]:
    query = select(Project).where(Project.team_id == team_id)
    if not include_closed:
        query = query.where(Project.state.in_(OPEN_STATES))
    return list(session.exec(query.order_by(Project.due_date.is_(None), Project.due_date, Project.key)))


def validate_timezone(tz: str) -> str:
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise Invalid(f"`{truncate(tz, 40)}` is not a time zone; use an IANA name like Europe/Berlin.") from None
    return tz


def normal_name(name: str) -> str:
    """A name as compared for duplicates: case, spacing and punctuation ignored."""
    return " ".join(re.sub(r"[^\w]+", " ", name.casefold()).split())


def open_project_named(*, session: Session, team_id: str, name: str) -> Project | None:
    """The open (active or on hold) project whose name matches `name`, if any."""
    wanted = normal_name(name)
    for project in list_projects(session=session, team_id=team_id):
        if normal_name(project.name) == wanted:
            return project
    return None


def refuse_duplicate_name(*, session: Session, team_id: str, name: str) -> None:
    """A second open project with the same name is refused, naming the first one's key:
    two "Office network move"s would split its tasks and money between them."""
    existing = open_project_named(session=session, team_id=team_id, name=name)
    if existing is not None:
        raise Conflict(f"There is already an open project called *{existing.name}* (key `{existing.key}`): "
                       f"use it (`/project status {existing.key}`), or give the new one another name.")


def create_project(
    *,
    session: Session,
    team_id: str,
    name: str,
    owner_user_id: str,
    key: str | None = None,
    goal: str = "",
    objective: str = "",
    scope: str = "",
    start_date: date | None = None,
    due_date: date | None = None,
    budget_cents: int | None = None,
    currency: str | None = None,
    default_currency: str | None = None,
    timezone: str | None = None,
    channel_id: str | None = None,
    now: datetime,
) -> Project:
    """Create a project; its creator becomes the owner. `channel_id` becomes its
    home unless it is a direct message or another open project already lives there.
    Without a `currency` (a symbol or code on the budget), it takes the one all
    the workspace's projects share, else `default_currency` (the setting)."""
    name = name.strip()
    if not name:
        raise Invalid("A project needs a name.")
    _check_texts({"name": name, "goal": goal, "objective": objective, "scope": scope})
    ws = ensure_workspace(session=session, team_id=team_id, now=now)
    if key:
        key = key.lower()
        if not KEY_RE.match(key):
            raise Invalid("A project key is 1-40 lowercase letters, digits or dashes, like `website`.")
        if key_is_reserved(key):
            raise Invalid(f"`{key}` cannot be a project key: commands would read it as something "
                          "else. Pick another, like `website`.")
        if find_project(session=session, team_id=team_id, key=key):
            raise Conflict(f"A project with key `{key}` already exists.")
    else:
        base = slugify(name)
        key, n = base, 2
        while find_project(session=session, team_id=team_id, key=key):
            key = f"{base[:36]}-{n}"
            n += 1
    if budget_cents is not None and budget_cents < 0:
        raise Invalid("A budget cannot be negative.")
    start = start_date or now.astimezone(ZoneInfo(validate_timezone(timezone or ws.timezone))).date()
    if due_date and due_date < start:
        raise Invalid(f"The due date {day(due_date, year=True)} is before the start {day(start, year=True)}.")
    project = Project(
        team_id=team_id,
        key=key,
        name=name,
        goal=goal,
        objective=objective,
        scope=scope,
        start_date=start,
        due_date=due_date,
        budget_cents=budget_cents,
        currency=(currency or shared_currency(session=session, team_id=team_id)
                  or default_currency or ws.currency).upper(),
        timezone=validate_timezone(timezone or ws.timezone),
        owner_user_id=owner_user_id,
        created_by=owner_user_id,
        created_at=now,
        updated_at=now,
    )
    session.add(project)
    session.flush()
    if is_channel(channel_id) and project_for_channel(session=session, team_id=team_id,
                                                      channel_id=channel_id) is None:
        _unlink_channel(session=session, team_id=team_id, channel_id=channel_id)
        project.channel_id = channel_id
    session.add(Member(team_id=team_id, project_id=project.id, user_id=owner_user_id, role=Role.OWNER,
                       created_at=now))
    audit.record(session=session, team_id=team_id, user_id=owner_user_id, action="project.create",
                 entity="project", entity_id=project.id, project_id=project.id, now=now,
                 after={"key": key, "name": name, "due_date": due_date, "budget_cents": budget_cents})
    session.flush()
    return project


def shared_currency(*, session: Session, team_id: str) -> str | None:
    """The currency every project of the workspace keeps its money in, if they
    all share one (cancelled ones too: they were real money)."""
    found = set(session.exec(select(Project.currency).where(Project.team_id == team_id).distinct().limit(2)))
    return found.pop() if len(found) == 1 else None


def _unlink_channel(*, session: Session, team_id: str, channel_id: str) -> None:
    for other in session.exec(
        select(Project).where(Project.team_id == team_id, Project.channel_id == channel_id)
    ):
        other.channel_id = None
        session.add(other)
    session.flush()


def link_channel(*, session: Session, project: Project, channel_id: str, user_id: str,
                 now: datetime) -> Project | None:
    """Make `channel_id` the project's channel; returns the project it was taken from."""
    require(session=session, project=project, user_id=user_id, action=Action.MANAGE,
            what="link a channel")
    previous = project_for_channel(session=session, team_id=project.team_id, channel_id=channel_id)
    if previous and previous.id == project.id:
        return None
    if previous:
        require(session=session, project=previous, user_id=user_id, action=Action.MANAGE,
                what="move its channel to another project")
    _unlink_channel(session=session, team_id=project.team_id, channel_id=channel_id)
    before = project.channel_id
    project.channel_id = channel_id
    project.updated_at = now
    session.add(project)
    audit.record(session=session, team_id=project.team_id, user_id=user_id, action="project.link",
                 entity="project", entity_id=project.id, project_id=project.id,
                 before={"channel_id": before}, after={"channel_id": channel_id}, now=now)
    session.flush()
    return previous


def edit_project(*, session: Session, project: Project, user_id: str, changes: dict, now: datetime,
                 force: bool = False) -> dict:
    """Apply `changes` (field -> value) after a permission check; returns the old values.
    A budget below what the milestones' budgets add up to is refused unless `force`."""
    unknown = set(changes) - EDITABLE
    if unknown:
        raise Invalid(f"Cannot edit {', '.join(sorted(unknown))}.")
    require(session=session, project=project, user_id=user_id, action=Action.MANAGE,
            what="change " + ", ".join(k.replace("_cents", "").replace("_", " ") for k in changes))
    if "name" in changes:
        changes["name"] = str(changes["name"]).strip()
        if not changes["name"]:
            raise Invalid("A project needs a name.")
    _check_texts(changes)
    if changes.get("budget_cents") is not None and changes["budget_cents"] < 0:
        raise Invalid("A budget cannot be negative.")
    if "timezone" in changes:
        validate_timezone(changes["timezone"])
    if "state" in changes and changes["state"] not in set(ProjectState):
        raise Invalid("State is one of: " + ", ".join(ProjectState) + ".")
    if changes.get("budget_cents") is not None and changes["budget_cents"] != project.budget_cents:
        check_budgets(project=project, budget=changes["budget_cents"], force=force, what="the edit",
                      milestones_total=milestone_budgets(session=session, project=project))
    due = changes.get("due_date", project.due_date)
    start = changes.get("start_date", project.start_date)
    if due and start and due < start:
        raise Invalid(f"The due date {day(due, year=True)} is before the start {day(start, year=True)}.")
    before = {k: getattr(project, k) for k in changes}
    changed = {k: v for k, v in changes.items() if before[k] != v}
    if not changed:  # a repeated request: nothing to record
        return before
    for k, v in changed.items():
        setattr(project, k, v)
    project.updated_at = now
    session.add(project)
    audit.record(session=session, team_id=project.team_id, user_id=user_id, action="project.edit",
                 entity="project", entity_id=project.id, project_id=project.id,
                 before={k: before[k] for k in changed}, after=changed, now=now)
    session.flush()
    return before


def delete_project(*, session: Session, project: Project, user_id: str, now: datetime) -> dict:
    """Archive the project: state `cancelled`, its channel freed. Nothing is
    erased (history, costs and the audit trail stay); `edit KEY state active`
    brings it back. Returns the old state and channel."""
    require(session=session, project=project, user_id=user_id, action=Action.MANAGE,
            what="delete the project")
    before = {"state": project.state, "channel_id": project.channel_id}
    if project.state == ProjectState.CANCELLED and project.channel_id is None:
        return before
    project.state = ProjectState.CANCELLED
    project.channel_id = None
    project.updated_at = now
    session.add(project)
    audit.record(session=session, team_id=project.team_id, user_id=user_id, action="project.delete",
                 entity="project", entity_id=project.id, project_id=project.id,
                 before=before, after={"state": ProjectState.CANCELLED.value, "channel_id": None}, now=now)
    session.flush()
    return before


def numeric_settings(project: Project, section: str, defaults: dict[str, float]) -> dict[str, float]:
    """`defaults` overlaid by the numbers in `project.settings[section]` (other
    keys and non-numbers are ignored): the per-project thresholds of alerts
    and health."""
    custom = (project.settings or {}).get(section, {}) if isinstance(project.settings, dict) else {}
    merged = dict(defaults)
    for key, value in (custom or {}).items():
        if key in defaults and isinstance(value, int | float) and not isinstance(value, bool):
            merged[key] = float(value)
    return merged
