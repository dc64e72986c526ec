"""Delivery that loses nothing: the real Slack notifier against the fake Web API
answering 429 and 500 at random and dropping connections, two dispatchers at
once, and a process that dies between the Slack call and the commit. Every
alert and every edit must arrive exactly once."""

from __future__ import annotations

import contextlib
import json
import logging
import random
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlmodel import Session, select

from bot.domain import alerts
from bot.jobs.outbox_sender import CLAIM_SECONDS, deliver_pending
from bot.models import OutboxMessage, Project, Task
from bot.slack.notifier import SlackNotifier
from tests.conftest import FROZEN_NOW
from tests.support.factories import OWNER, make_project
from tests.support.fakeslack import FakeSlack
from tests.support.helpers import TEAM
from tests.support.slackhttp import BOT_TOKEN

PEOPLE = [f"U0P{i:02d}" for i in range(24)]


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        yield server


def _notifier(fake: FakeSlack) -> SlackNotifier:
    # no retries inside the client: every failure reaches the outbox, which is what is tested
    return SlackNotifier(base_url=fake.api_url, token_for=lambda team: BOT_TOKEN, retries=0)


def _alerts_for_everyone(engine) -> Project:
    """A project where each of 24 people has a task 2 days late: 24 alerts."""
    project = make_project(engine)
    with Session(engine) as s:
        for n, user in enumerate(PEOPLE, start=1):
            s.add(Task(team_id=TEAM, project_id=project.id, number=n, title=f"Task {n}",
                       assignee_user_id=user, due_date=date(2026, 11, 25)))
        s.commit()
    return project


def _check(engine, project: Project, hours: float = 0) -> alerts.SyncResult:
    with Session(engine, expire_on_commit=False) as s:
        result = alerts.check_project(session=s, project=s.get(Project, project.id),
                                      now=FROZEN_NOW + timedelta(hours=hours))
        s.commit()
        return result


def _undelivered(engine) -> int:
    with Session(engine) as s:
        return len(list(s.exec(select(OutboxMessage.id).where(
            OutboxMessage.state.in_(["pending", "sending"])))))


def _keys(calls) -> Counter:
    return Counter(((c.params.get("metadata") or {}).get("event_payload") or {}).get("outbox_key")
                   for c in calls)


def _misbehave(fake: FakeSlack, rng: random.Random, *, rate: float) -> Counter:
    """Make `rate` of the posts and edits fail at random: 429 with Retry-After,
    500, a connection dropped before Slack acts, or (posts only) a connection
    dropped after Slack posted the message: the case only reconciliation saves.
    Returns a live count of the faults injected."""
    handle, lock, injected = fake.handle, threading.Lock(), Counter()
    first = {"chat.postMessage": ["drop-after-posting", "429", "500", "drop", "drop-after-posting"],
             "chat.update": ["drop", "429", "500"]}  # every kind surely happens, then at random

    def flaky(method, params, token):
        with lock:
            fault = None
            if first.get(method):
                fault = first[method].pop(0)
            elif method in first and rng.random() < rate:
                kinds = ["429", "500", "drop"] + (["drop-after-posting"] if method == "chat.postMessage" else [])
                fault = rng.choice(kinds)
            if fault:
                injected[fault] += 1
                if fault == "429":
                    fake.fail_next(method, status=429, retry_after=rng.randint(1, 30))
                elif fault == "500":
                    fake.fail_next(method, status=500)
                elif fault == "drop":
                    fake.fail_next(method, drop=True)
        answer = handle(method, params, token)
        return (-1, {}, {}) if fault == "drop-after-posting" else answer

    fake.handle = flaky  # type: ignore[method-assign]
    return injected


def test_every_alert_and_edit_arrives_exactly_once_through_random_faults(db_engine, fake):
    project = _alerts_for_everyone(db_engine)
    assert len(_check(db_engine, project).opened) == len(PEOPLE)
    assert len(_check(db_engine, project, hours=24).updated) == len(PEOPLE)  # edits queued behind posts
    notifier = _notifier(fake)
    injected = _misbehave(fake, random.Random(20261127), rate=0.3)
    clock = FROZEN_NOW + timedelta(hours=25)
    errors: list[BaseException] = []

    def dispatcher(at):
        try:
            deliver_pending(db_engine, notifier, now=at, limit=10)
        except BaseException as exc:  # surfaced after the join
            errors.append(exc)

    rounds = 0
    while _undelivered(db_engine) and rounds < 200:
        workers = [threading.Thread(target=dispatcher, args=(clock,)) for _ in range(2)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        clock += timedelta(seconds=60)
        rounds += 1
    assert not errors
    assert _undelivered(db_engine) == 0, f"not drained after {rounds} rounds"
    with Session(db_engine) as s:
        rows = list(s.exec(select(OutboxMessage)))
    assert {r.state for r in rows} == {"sent"}
    assert injected["drop-after-posting"] >= 2 and len(injected) == 4, injected
    assert len(fake.calls_to("conversations.history")) >= injected["drop-after-posting"]
    posts = fake.calls_to("chat.postMessage")
    assert _keys(posts) == Counter({r.idempotency_key: 1 for r in rows if r.kind == "post"})
    assert len(posts) == len(PEOPLE)
    updates = fake.calls_to("chat.update")
    sent_ts = {r.result["ts"] for r in rows if r.kind == "post"}
    assert Counter(u.params["ts"] for u in updates) == Counter({ts: 1 for ts in sent_ts})
    assert all("3 days late" in json.dumps(u.params, ensure_ascii=False) for u in updates)
    assert {c.params["channel"] for c in posts} == {"C0PROJ"}


class DiesAfterSending(SlackNotifier):
    """The process is killed right after Slack accepted a post, before the commit."""

    def __init__(self, *args, victims: set[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.victims = victims

    def send(self, message, *, session):
        result = super().send(message, session=session)
        if message.idempotency_key in self.victims:
            self.victims.discard(message.idempotency_key)
            raise SystemExit("killed")
        return result


def test_a_crash_between_the_slack_call_and_the_commit_does_not_post_twice(db_engine, fake):
    project = _alerts_for_everyone(db_engine)
    _check(db_engine, project)
    with Session(db_engine) as s:
        keys = [r.idempotency_key for r in s.exec(select(OutboxMessage).order_by(OutboxMessage.id))]
    victims = set(keys[::5])
    notifier = DiesAfterSending(base_url=fake.api_url, token_for=lambda team: BOT_TOKEN, retries=0,
                                victims=set(victims))
    clock = FROZEN_NOW
    for _ in range(len(victims) + 1):  # each crash kills one run of the dispatcher
        with contextlib.suppress(SystemExit):
            deliver_pending(db_engine, notifier, now=clock)
    assert _undelivered(db_engine) == len(victims)  # claimed, sent, never recorded
    deliver_pending(db_engine, notifier, now=clock + timedelta(seconds=CLAIM_SECONDS + 1))
    assert _undelivered(db_engine) == 0
    posts = fake.calls_to("chat.postMessage")
    assert _keys(posts) == Counter({k: 1 for k in keys})
    assert len(fake.calls_to("conversations.history")) == len(victims)  # reconciled, not re-sent


def test_a_missing_channel_is_logged_and_the_owner_told_once_and_the_edits_given_up(db_engine, fake, caplog):
    project = _alerts_for_everyone(db_engine)
    _check(db_engine, project)
    _check(db_engine, project, hours=24)
    fake.fail_next("chat.postMessage", error="channel_not_found", times=len(PEOPLE))
    with caplog.at_level(logging.ERROR):
        deliver_pending(db_engine, _notifier(fake), now=FROZEN_NOW + timedelta(days=2), limit=200)
        deliver_pending(db_engine, _notifier(fake), now=FROZEN_NOW + timedelta(days=2), limit=200)
    assert "giving up on post to channel C0PROJ: channel_not_found" in caplog.text
    with Session(db_engine) as s:
        rows = list(s.exec(select(OutboxMessage)))
    states = Counter((r.kind, r.state) for r in rows)
    assert states == Counter({("post", "failed"): len(PEOPLE), ("update", "failed"): len(PEOPLE),
                              ("dm", "sent"): 1})
    dms = [c for c in fake.calls_to("chat.postMessage") if c.params["channel"].startswith("D")]
    assert len(dms) == 1  # one notice, not one per lost alert
    assert dms[0].posted_to == OWNER
    assert "Likely fix: the channel is private and the bot is not in it" in json.dumps(dms[0].params, ensure_ascii=False)
