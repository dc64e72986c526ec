"""An in-process LRU of assembled status reports, never stale.

A report is stored under everything it depends on: the database, the
project's id and version (`bot.domain.versions`: replaced with any change
status shows), the project-local day it is for, and the report's options.
The version is read from the database on every call (one small query), so a
`Project` object loaded before a change cannot hit an old entry. A session
holding uncommitted changes to a project neither reads nor fills the cache
for it. A report's milestones and blocked tasks are built from plain rows and
belong to no session; a hit is a shallow copy carrying the caller's `Project`.
What is built from a report alone (the status reply) is kept beside it under
the same key (`derived`), so an unchanged project answers without rebuilding.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from sqlmodel import Session

from bot.domain import versions
from bot.models import Project

CAPACITY = 1024
T = TypeVar("T")

_lock = threading.Lock()
_entries: OrderedDict[Hashable, object] = OrderedDict()
_derived: OrderedDict[tuple[Hashable, str], object] = OrderedDict()
stats = {"hits": 0, "misses": 0}


def key(session: Session, project_id: int | None, version: int | None, *options: Hashable) -> Hashable | None:
    """The cache key for a project at its committed `version` (read in this
    transaction), or None when it must not be cached."""
    if project_id is None or version is None or versions.is_pending(session, project_id):
        return None
    return (session.get_bind().url, project_id, version, *options)


def get(cache_key: Hashable | None, project: Project):
    """The cached report for `cache_key`, carrying `project`, or None."""
    if cache_key is None:
        return None
    with _lock:
        found = _entries.get(cache_key)
        if found is None:
            stats["misses"] += 1
            return None
        _entries.move_to_end(cache_key)
        stats["hits"] += 1
    return dataclasses.replace(found, project=project)


def put(cache_key: Hashable | None, report) -> None:
    """Store `report` (a `StatusReport`) under `cache_key`."""
    if cache_key is None:
        return
    stored = dataclasses.replace(report, project=None)  # its milestones and tasks belong to no session
    with _lock:
        _entries[cache_key] = stored
        _entries.move_to_end(cache_key)
        while len(_entries) > CAPACITY:
            _entries.popitem(last=False)


def peek(cache_key: Hashable | None, name: str):
    """What `derived` holds for `cache_key` and `name`, or None (never builds)."""
    if cache_key is None:
        return None
    with _lock:
        found = _derived.get((cache_key, name))
        if found is not None:
            _derived.move_to_end((cache_key, name))
            stats["hits"] += 1
        return found


def derived(cache_key: Hashable | None, name: str, build: Callable[[], T]) -> T:
    """`build()`, computed once per `cache_key` and `name` (every time when the
    key is None); `build` must depend only on what the key names."""
    if cache_key is None:
        return build()
    with _lock:
        found = _derived.get((cache_key, name))
        if found is not None:
            _derived.move_to_end((cache_key, name))
            return found  # type: ignore[return-value]
    value = build()
    with _lock:
        _derived[(cache_key, name)] = value
        _derived.move_to_end((cache_key, name))
        while len(_derived) > CAPACITY:
            _derived.popitem(last=False)
    return value


def clear() -> None:
    with _lock:
        _entries.clear()
        _derived.clear()
        stats.update(hits=0, misses=0)

