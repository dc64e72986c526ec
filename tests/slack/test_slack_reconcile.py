"""A post whose answer was lost is found again, not sent twice, within Slack's
rules for reading, and where no read can tell, the stated policy applies.

The fake reads like Slack's reference pages say (fakeslack.FakeSlack._read):
conversations.history and .replies only where the bot is a member
(`not_in_channel`), history without thread replies (only parents and
broadcast replies), and with `limit_history()` the limits for commercially
distributed apps outside the Marketplace since 29 May 2025: one call a minute
per method (then HTTP 429 with Retry-After) and 15 messages a call.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from bot.domain.outbox import Kind, enqueue
from bot.domain.replies import Reply
from bot.jobs.outbox_sender import deliver_pending
from bot.models import OutboxMessage
from bot.slack.notifier import NOTIFIER_SCOPES, SlackNotifier
from bot.slack.reconcile import PATIENCE
from tests.support.factories import OWNER, make_project

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
TEAM = "T0TEST"


class Clock:
    """The outbox's and the notifier's `now`, moved by hand."""

    def __init__(self) -> None:
        self.now, self.mono = NOW, 1000.0

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        self.mono += seconds
        return self.now


def _notifier(fake, clock: Clock, *, limited: bool = False, dm_channel: str = "user") -> SlackNotifier:
    notifier = SlackNotifier(base_url=fake.api_url, token_for=lambda team: "xoxb-team-token",
                             clock=lambda: clock.now, retries=0, history_limited=limited, dm_channel=dm_channel)
    notifier.finder.monotonic = lambda: clock.mono
    return notifier


def _queue(engine, key: str, kind: Kind, text: str, **kwargs) -> None:
    with Session(engine) as s:
        enqueue(session=s, team_id=TEAM, key=key, kind=kind, reply=Reply.text(text), now=NOW, **kwargs)
        s.commit()


def _row(engine, key: str) -> OutboxMessage:
    with Session(engine) as s:
        return s.exec(select(OutboxMessage).where(OutboxMessage.idempotency_key == key)).one()


def _posted(fake, text: str) -> int:
    """How many messages holding `text` Slack has, anywhere (threads included)."""
    return sum(text in json.dumps(m) for messages in fake.history.values() for m in messages)


def _deliver_losing_the_answer(engine, fake, notifier, clock: Clock, key: str) -> None:
    """First attempt: Slack posts, the answer is lost; then the outbox retries."""
    fake.fail_next("chat.postMessage", lose_answer=True)
    deliver_pending(engine, notifier, now=clock.now)
    assert _row(engine, key).result.get("maybe_sent_at"), "the lost attempt's time is kept"
    deliver_pending(engine, notifier, now=clock.advance(5))


def test_a_lost_post_in_a_public_channel_the_bot_never_joined_is_found_not_resent(fake, db_engine):
    """Before: history answered not_in_channel on every retry (26 times in 24 h, then failed)."""
    fake.add_channel("C0PUB", "general", members=set())  # public, bot not in it
    clock = Clock()
    notifier = _notifier(fake, clock)
    _queue(db_engine, "alert:1:post:1", Kind.POST, "Pick a host is 2 days late", channel_id="C0PUB")
    _deliver_losing_the_answer(db_engine, fake, notifier, clock, "alert:1:post:1")
    row = _row(db_engine, "alert:1:post:1")
    assert row.state == "sent" and _posted(fake, "Pick a host is 2 days late") == 1
    assert fake.last("conversations.join").params["channel"] == "C0PUB"  # joined before the first post
    assert row.result["ts"] == fake.history["C0PUB"][0]["ts"]
    read = fake.last("conversations.history").params
    assert float(read["oldest"]) <= float(row.result["ts"]) <= float(read["latest"])  # only around the attempt
    assert "channels:join" in NOTIFIER_SCOPES


def test_a_lost_thread_reply_is_found_with_conversations_replies_not_posted_twice(fake, db_engine):
    """History returns parent messages only: a reply in a summary's thread is
    looked up with conversations.replies (issue 12, item 3)."""
    clock = Clock()
    notifier = _notifier(fake, clock)
    _queue(db_engine, "standup:1:summary", Kind.POST, "Standup, Fri 27 Nov", channel_id="C0PROJ")
    deliver_pending(db_engine, notifier, now=clock.now)
    _queue(db_engine, "standup:1:answer:U1", Kind.POST, "U1 answered late", channel_id="C0PROJ",
           extra={"thread_key": "standup:1:summary"})
    _deliver_losing_the_answer(db_engine, fake, notifier, clock, "standup:1:answer:U1")
    assert _row(db_engine, "standup:1:answer:U1").state == "sent"
    assert _posted(fake, "U1 answered late") == 1
    replies = fake.last("conversations.replies").params
    assert replies["ts"] == _row(db_engine, "standup:1:summary").result["ts"]


def test_history_without_thread_replies_is_what_the_fake_answers(fake):
    """The fake as Slack: a thread reply is not in history (unless broadcast)."""
    from slack_sdk import WebClient

    client = WebClient(token="xoxb-t", base_url=fake.api_url)
    parent = client.chat_postMessage(channel="C1", text="parent")["ts"]
    client.chat_postMessage(channel="C1", text="reply", thread_ts=parent)
    client.chat_postMessage(channel="C1", text="broadcast", thread_ts=parent, reply_broadcast=True)
    assert [m["text"] for m in client.conversations_history(channel="C1")["messages"]] == ["broadcast", "parent"]
    assert [m["text"] for m in client.conversations_replies(channel="C1", ts=parent)["messages"]] == [
        "parent", "reply", "broadcast"]


@pytest.mark.parametrize(("key", "posts", "state"), [
    ("alert:1:post:1", 2, "sent"),  # policy "resend": it may show twice
    ("post_status:T0TEST:website:1.0:abc", 1, "failed"),  # policy "report": the owner is told
])
def test_where_the_channel_cannot_be_read_the_policy_of_the_message_kind_applies(fake, db_engine, key, posts, state):
    """An old install without channels:join cannot join; posting works through
    chat:write.public, but history answers not_in_channel."""
    project = make_project(db_engine, channel_id="C0PUB")
    fake.grant(*(set(NOTIFIER_SCOPES) - {"channels:join"}))
    fake.add_channel("C0PUB", "general", members=set())
    clock = Clock()
    notifier = _notifier(fake, clock)
    with Session(db_engine) as s:
        enqueue(session=s, team_id=TEAM, key=key, kind=Kind.POST, reply=Reply.text("The status"),
                channel_id="C0PUB", project_id=project.id, now=NOW)
        s.commit()
    _deliver_losing_the_answer(db_engine, fake, notifier, clock, key)
    assert fake.calls_to("conversations.history", ok_only=False)[0].error == "not_in_channel"
    assert _posted(fake, "The status") == posts and _row(db_engine, key).state == state
    if state == "failed":
        assert "may not have been delivered" in _row(db_engine, key).last_error
        deliver_pending(db_engine, notifier, now=clock.advance(1))
        notice = [c for c in fake.calls_to("chat.postMessage") if c.posted_to == OWNER]
        assert notice and "may not have been delivered" in notice[0].text()


def test_with_one_read_a_minute_a_second_lost_dm_waits_for_its_read(fake, db_engine):
    """One read a minute: a second lost DM waits for the next minute's read (it
    is not sent again meanwhile), and is then found."""
    fake.limit_history(per_minute=1, messages=15)
    clock = Clock()
    fake.clock = lambda: clock.mono  # Slack's minute passes with the test's clock
    notifier = _notifier(fake, clock, limited=True)
    for user in ("U1", "U2"):
        _queue(db_engine, f"standup:1:prompt:{user}", Kind.DM, f"Standup for {user}", user_id=user)
    fake.fail_next("chat.postMessage", lose_answer=True, times=2)
    deliver_pending(db_engine, notifier, now=clock.now)
    deliver_pending(db_engine, notifier, now=clock.advance(5))
    states = {u: _row(db_engine, f"standup:1:prompt:{u}") for u in ("U1", "U2")}
    assert sorted(r.state for r in states.values()) == ["pending", "sent"]
    waiting = next(r for r in states.values() if r.state == "pending")
    assert "one conversations.history read a minute" in waiting.last_error
    assert len(fake.calls_to("conversations.history")) == 1 and _posted(fake, "Standup for") == 2
    deliver_pending(db_engine, notifier, now=clock.advance(61))
    assert _row(db_engine, waiting.idempotency_key).state == "sent"  # read in its minute, found
    assert _posted(fake, "Standup for") == 2


def test_slack_answering_429_on_history_defers_then_after_patience_the_dm_is_sent_again(fake, db_engine):
    clock = Clock()
    notifier = _notifier(fake, clock)  # not limited by us: Slack's 429 still holds it
    _queue(db_engine, "standup:1:prompt:U1", Kind.DM, "Standup for U1", user_id="U1")
    fake.fail_next("chat.postMessage", lose_answer=True)
    deliver_pending(db_engine, notifier, now=clock.now)
    fake.fail_next("conversations.history", status=429, retry_after=30, times=50)
    deliver_pending(db_engine, notifier, now=clock.advance(5))
    row = _row(db_engine, "standup:1:prompt:U1")
    assert row.state == "pending" and _posted(fake, "Standup for U1") == 1
    assert (row.next_attempt_at.replace(tzinfo=UTC) - clock.now).total_seconds() >= 29
    deliver_pending(db_engine, notifier, now=clock.advance(PATIENCE.total_seconds() + 1))
    assert _row(db_engine, "standup:1:prompt:U1").state == "sent"
    assert _posted(fake, "Standup for U1") == 2  # the documented duplicate: Slack refused every read


def test_one_read_returns_at_most_15_messages_and_more_means_undecided(fake, db_engine):
    """Limited reads ask for 15; when more than 15 messages fall in the window
    the post may be among those not returned, so the policy applies ("report"
    for a status someone posted: no second copy)."""
    fake.limit_history(per_minute=None, messages=15)
    project = make_project(db_engine, channel_id="C0BUSY")
    clock = Clock()
    notifier = _notifier(fake, clock, limited=True)
    key = "post_status:T0TEST:website:1.0:abc"
    with Session(db_engine) as s:
        enqueue(session=s, team_id=TEAM, key=key, kind=Kind.POST, reply=Reply.text("The status"),
                channel_id="C0BUSY", project_id=project.id, now=NOW)
        s.commit()
    fake.fail_next("chat.postMessage", lose_answer=True)
    deliver_pending(db_engine, notifier, now=clock.now)
    from slack_sdk import WebClient

    people = WebClient(token="xoxp-people", base_url=fake.api_url)
    for n in range(20):  # a busy channel right after the lost post
        people.chat_postMessage(channel="C0BUSY", text=f"chatter {n}")
    deliver_pending(db_engine, notifier, now=clock.advance(5))
    read = fake.last("conversations.history").params
    assert int(read["limit"]) == 15
    assert _row(db_engine, key).state == "failed" and _posted(fake, "The status") == 1


def test_older_messages_outside_the_window_do_not_hide_the_lost_post(fake, db_engine):
    fake.limit_history(per_minute=None, messages=15)
    clock = Clock()
    notifier = _notifier(fake, clock, limited=True)
    fake.history["C0PROJ"] += [{"type": "message", "text": f"old {n}", "ts": f"{1_600_000_000 + n}.000000"}
                               for n in range(30)]
    _queue(db_engine, "alert:2:post:1", Kind.POST, "Budget at 90%", channel_id="C0PROJ")
    _deliver_losing_the_answer(db_engine, fake, notifier, clock, "alert:2:post:1")
    assert _row(db_engine, "alert:2:post:1").state == "sent" and _posted(fake, "Budget at 90%") == 1


# --- which DM channel ------------------------------------------------------------------------


def test_a_dm_goes_to_the_user_id_by_default_and_then_to_the_d_channel_slack_named(fake, db_engine):
    clock = Clock()
    notifier = _notifier(fake, clock)
    for n in (1, 2):
        _queue(db_engine, f"dm:{n}", Kind.DM, f"hello {n}", user_id="U0ANN")
        deliver_pending(db_engine, notifier, now=clock.advance(1))
    first, second = fake.calls_to("chat.postMessage")
    assert first.posted_to == "U0ANN" and second.params["channel"] == first.params["channel"] == "D0ANN"
    assert second.posted_to == "" and not fake.calls_to("conversations.open")


def test_with_slack_dm_channel_open_the_dm_is_opened_once_and_its_d_id_used(fake, db_engine):
    clock = Clock()
    notifier = _notifier(fake, clock, dm_channel="open")
    for n in (1, 2):
        _queue(db_engine, f"dm:{n}", Kind.DM, f"hello {n}", user_id="U0ANN")
        deliver_pending(db_engine, notifier, now=clock.advance(1))
    assert len(fake.calls_to("conversations.open")) == 1
    assert [(c.params["channel"], c.posted_to) for c in fake.calls_to("chat.postMessage")] == [
        ("D0ANN", ""), ("D0ANN", "")]


def test_the_settings_choose_the_history_limits_and_the_dm_channel():
    from bot.config import ConfigError, load_settings

    assert not load_settings({}, env_file=None).history_limited
    oauth = {"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "s"}
    assert load_settings(oauth, env_file=None).history_limited  # a distributed app: Slack's 2025 limits
    assert not load_settings({**oauth, "SLACK_HISTORY_LIMITS": "internal"}, env_file=None).history_limited
    assert load_settings({"SLACK_DM_CHANNEL": "open"}, env_file=None).slack_dm_channel == "open"
    with pytest.raises(ConfigError, match="SLACK_DM_CHANNEL must be user or open"):
        load_settings({"SLACK_DM_CHANNEL": "im"}, env_file=None)


def test_a_post_waiting_for_its_read_does_not_hold_back_the_channels_other_posts(fake, db_engine):
    clock = Clock()
    notifier = _notifier(fake, clock, limited=True)
    for n in (1, 2):
        _queue(db_engine, f"alert:{n}:post:1", Kind.POST, f"Alert {n}", channel_id="C0PROJ")
    fake.fail_next("chat.postMessage", lose_answer=True, times=2)
    deliver_pending(db_engine, notifier, now=clock.now)
    _queue(db_engine, "alert:3:post:1", Kind.POST, "Alert 3", channel_id="C0PROJ")
    deliver_pending(db_engine, notifier, now=clock.advance(5))  # one lost post read, the other waits
    assert sorted(_row(db_engine, f"alert:{n}:post:1").state for n in (1, 2)) == ["pending", "sent"]
    assert _row(db_engine, "alert:3:post:1").state == "sent"  # not held for the minute
    assert _posted(fake, "Alert") == 3
