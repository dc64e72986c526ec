"""Project versions: `projects.version` changes with anything status shows.

Status caches (`bot.domain.status_cache`) are keyed by the project's version,
so a cached status is never older than the data. The version is a random
63-bit token, replaced in the same transaction as the change that caused it:

- every ORM flush notes the projects whose rows (the project itself, tasks,
  milestones, risks, costs, time, standup configs, runs, participants and
  answers, days off, members) are new, changed or deleted;
- Core writes through a session (`session.execute(insert(...))`, such as the
  standups' INSERT ... ON CONFLICT DO NOTHING and bulk inserts) are noted
  from their parameters; an UPDATE or DELETE whose projects cannot be told
  changes every project's version, which is never wrong, only slower;
- just before the transaction commits, one UPDATE gives the noted projects a
  new token (and the session's loaded `Project` objects learn it).

A random token (not a counter) never repeats, even when a database is
recreated and its project ids start at 1 again. Writes outside a session
(raw connections) must call `touch`. The listeners are installed on import.
"""

from __future__ import annotations

import secrets
from itertools import chain

from sqlalchemy import event, inspect, select, update
from sqlalchemy.orm import Session, attributes

from bot.models import (
    CostEntry,
    DayOff,
    Member,
    Milestone,
    Project,
    Risk,
    StandupAnswer,
    StandupConfig,
    StandupParticipant,
    StandupRun,
    Task,
    TaskLink,
    TimeEntry,
)

_BY_PROJECT = (Task, Milestone, Risk, CostEntry, TimeEntry, StandupConfig, StandupRun, StandupAnswer,
               DayOff, Member, TaskLink)
_TABLES = {m.__tablename__ for m in _BY_PROJECT} | {"standup_participants", "projects"}
_PENDING = "status_versions"  # session.info: {"projects": set, "runs": set, "all": bool}
_projects = Project.__table__
_runs = StandupRun.__table__


def new_version() -> int:
    return secrets.randbits(62) + 1


def _pending(session: Session) -> dict:
    return session.info.setdefault(_PENDING, {"projects": set(), "runs": set(), "all": False})


def touch(session: Session, project_id: int | None = None) -> None:
    """Give `project_id` (None: every project) a new version when `session` commits."""
    pending = _pending(session)
    if project_id is None:
        pending["all"] = True
    else:
        pending["projects"].add(project_id)


def is_pending(session: Session, project_id: int) -> bool:
    """True while `session` holds changes (flushed or not) that may touch `project_id`'s status."""
    for obj in chain(session.new, session.dirty, session.deleted):
        found = _touched(session, obj)
        if found and (found[0] == "runs" or project_id in found[1]):
            return True
    pending = session.info.get(_PENDING)
    return bool(pending) and (pending["all"] or bool(pending["runs"]) or project_id in pending["projects"])


def _values(obj, key: str) -> list:
    """The attribute's current value and, if it changed, its old one."""
    hist = attributes.get_history(obj, key)
    return [v for v in chain(hist.added, hist.unchanged, hist.deleted) if v is not None]


def _touched(session: Session, obj) -> tuple[str, list] | None:
    """("projects", ids) or ("runs", ids) an added, changed or deleted row belongs to."""
    if isinstance(obj, _BY_PROJECT):
        key, bucket = "project_id", "projects"
    elif isinstance(obj, StandupParticipant):
        key, bucket = "run_id", "runs"
    elif isinstance(obj, Project) and not inspect(obj).pending:
        key, bucket = "id", "projects"
    else:
        return None
    if obj in session.dirty and not session.is_modified(obj):
        return None
    return bucket, _values(obj, key)


@event.listens_for(Session, "after_flush")
def _note_flushed(session: Session, _context) -> None:
    for obj in chain(session.new, session.dirty, session.deleted):
        found = _touched(session, obj)
        if found:
            _pending(session)[found[0]].update(found[1])


@event.listens_for(Session, "do_orm_execute")
def _note_statement(state) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    name = getattr(table, "name", None)
    if name not in _TABLES:
        return
    key = {"standup_participants": "run_id", "projects": "id"}.get(name, "project_id")
    rows = state.parameters if isinstance(state.parameters, list) else [state.parameters or {}]
    values = [r.get(key) for r in rows]
    if state.is_insert and not any(values) and not state.is_orm_statement:  # insert(table).values(...)
        dialect = state.session.get_bind().dialect
        params = state.statement.compile(dialect=dialect).params
        # one row binds `project_id`; a multi-row VALUES binds `project_id_m0`, `project_id_m1`, ...
        values.extend(v for name, v in params.items()
                      if name == key or (name.startswith(f"{key}_m") and name[len(key) + 2:].isdigit()))
    found = [v for v in values if v is not None]
    pending = _pending(state.session)
    if state.is_insert and found:
        pending["runs" if key == "run_id" else "projects"].update(found)
    else:  # an UPDATE/DELETE filtered by something else: no telling which projects
        pending["all"] = True


@event.listens_for(Session, "before_commit")
def _bump(session: Session) -> None:
    if session.new or session.dirty or session.deleted:
        session.flush()
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    ids = set(pending["projects"])
    conn = session.connection()
    if pending["runs"] and not pending["all"]:
        ids.update(conn.execute(select(_runs.c.project_id).where(_runs.c.id.in_(pending["runs"]))).scalars())
    if not ids and not pending["all"]:
        return
    token = new_version()
    statement = update(_projects).values(version=token)
    if not pending["all"]:
        statement = statement.where(_projects.c.id.in_(sorted(ids)))
    conn.execute(statement)
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Project) and (pending["all"] or obj.id in ids):
            attributes.set_committed_value(obj, "version", token)


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, previous) -> None:
    if previous.parent is None:  # the whole transaction is gone, and its changes with it
        session.info.pop(_PENDING, None)
