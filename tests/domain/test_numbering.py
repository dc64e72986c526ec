"""Per-project numbers (#tasks, M milestones, risks) never refuse a concurrent
request: 20 people adding at the same moment get 20 rows numbered 1..20."""

from __future__ import annotations

import threading

import pytest
from sqlmodel import Session, select

from bot.models import Milestone, Risk, Task
from tests.support.factories import MANAGER, MEMBER, OWNER, make_project
from tests.support.helpers import Runner

ADDERS = 20
COMMANDS = {  # what each of the 20 people types, and the table the rows land in
    "task": (lambda n: f'task add website "Concurrent task {n}"', Task, (OWNER, MANAGER, MEMBER)),
    "milestone": (lambda n: f'milestone add website "Concurrent milestone {n}"', Milestone, (OWNER, MANAGER)),
    "risk": (lambda n: f'risk add website "Concurrent risk {n}" likelihood 2 impact 3', Risk,
             (OWNER, MANAGER, MEMBER)),
}


@pytest.mark.parametrize("what", sorted(COMMANDS))
def test_twenty_concurrent_adds_are_all_stored_and_numbered_one_to_twenty(db_engine, now, what):
    make_project(db_engine)
    command, model, people = COMMANDS[what]
    run = Runner(db_engine, now)
    start = threading.Barrier(ADDERS)
    replies: dict[int, object] = {}

    def add(n: int) -> None:
        start.wait()
        try:
            replies[n] = run(command(n), user=people[n % len(people)])
        except Exception as exc:  # noqa: BLE001 - counted below, with the reason
            replies[n] = exc

    threads = [threading.Thread(target=add, args=(n,)) for n in range(ADDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    errors = {n: (r if isinstance(r, Exception) else r.plain()) for n, r in replies.items()
              if isinstance(r, Exception) or r.error}
    assert len(replies) == ADDERS and not errors, errors
    with Session(db_engine) as session:
        rows = list(session.exec(select(model)))
    assert sorted(r.number for r in rows) == list(range(1, ADDERS + 1))
    titles = {(r.title if hasattr(r, "title") else r.name) for r in rows}
    assert len(titles) == ADDERS  # each request stored once, none twice
