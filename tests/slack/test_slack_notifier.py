"""The outbox's Slack notifier against the fake Web API: every kind, and every way Slack fails."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from bot.domain.outbox import Kind, PermanentFailure, TemporaryFailure, enqueue
from bot.domain.replies import Reply
from bot.jobs.outbox_sender import deliver_pending
from bot.models import OutboxMessage
from bot.slack.notifier import SlackNotifier, make_client
from tests.support.factories import make_project

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def notifier(fake, retries: int = 0) -> SlackNotifier:
    return SlackNotifier(base_url=fake.api_url, token_for=lambda team: "xoxb-team-token",
                         clock=lambda: NOW, retries=retries, backoff=0.01)


def queue(engine, key: str, kind: Kind, **kwargs) -> None:
    with Session(engine) as s:
        enqueue(session=s, team_id="T0TEST", key=key, kind=kind, now=NOW, **kwargs)
        s.commit()


def row(engine, key: str) -> OutboxMessage:
    with Session(engine) as s:
        return s.exec(select(OutboxMessage).where(OutboxMessage.idempotency_key == key)).one()


def send_one(engine, fake, key: str, retries: int = 0) -> OutboxMessage:
    with Session(engine) as s:
        message = s.exec(select(OutboxMessage).where(OutboxMessage.idempotency_key == key)).one()
        return notifier(fake, retries).send(message, session=s)


def test_posts_dms_threads_updates_homes_and_uploads(fake, db_engine, tmp_path):
    make_project(db_engine)
    queue(db_engine, "post", Kind.POST, channel_id="C0PROJ", reply=Reply.text("Status is *green*"))
    queue(db_engine, "thread", Kind.POST, channel_id="C0PROJ", reply=Reply.text("in thread"),
          extra={"thread_key": "post"})
    queue(db_engine, "edit", Kind.UPDATE, reply=Reply.text("Status is *amber*"), extra={"update_key": "post"})
    queue(db_engine, "dm", Kind.DM, user_id="U0BOB", reply=Reply.text("Your standup"))
    queue(db_engine, "home", Kind.PUBLISH_HOME, user_id="U0OWNER")
    chart = tmp_path / "burnup.png"
    chart.write_bytes(b"\x89PNG fake")
    queue(db_engine, "chart", Kind.UPLOAD, channel_id="C0PROJ", extra={"file_path": str(chart), "title": "Burn-up"})
    assert deliver_pending(db_engine, notifier(fake)) == 6
    post = fake.messages("C0PROJ")[0]
    assert post.token == "xoxb-team-token" and "Status is *green*" in post.params["text"]
    assert post.params["metadata"]["event_payload"]["outbox_key"] == "post"
    assert fake.messages("C0PROJ")[1].params["thread_ts"] == row(db_engine, "post").result["ts"]
    assert fake.last("chat.update").params["ts"] == row(db_engine, "post").result["ts"]
    dm = fake.messages(row(db_engine, "dm").result["channel"])
    assert dm and dm[0].posted_to == "U0BOB"  # posted to the person's id: no conversations.open first
    assert fake.calls_to("conversations.open") == []
    assert "Your projects and tasks" in fake.last("views.publish").text()
    assert list(fake.uploads.values()) == [b"\x89PNG fake"]
    assert fake.last("files.completeUploadExternal").params["channel_id"] == "C0PROJ"


@pytest.mark.parametrize("error", ["channel_not_found", "not_in_channel", "is_archived", "invalid_auth"])
def test_errors_that_will_never_succeed_are_permanent(error, fake, db_engine):
    queue(db_engine, "p", Kind.POST, channel_id="C0GONE", reply=Reply.text("hi"))
    fake.fail_next("chat.postMessage", error=error)
    with pytest.raises(PermanentFailure, match=error):
        send_one(db_engine, fake, "p")


def test_rate_limits_are_retried_after_retry_after_then_handed_back_to_the_outbox(fake, db_engine):
    queue(db_engine, "p", Kind.POST, channel_id="C0PROJ", reply=Reply.text("hi"))
    fake.fail_next("chat.postMessage", status=429, retry_after=1)
    started = time.monotonic()
    send_one(db_engine, fake, "p", retries=1)  # the client waits Retry-After and succeeds
    assert time.monotonic() - started >= 0.9
    assert [c.status for c in fake.calls if c.method == "chat.postMessage"] == [429, 200]
    fake.fail_next("chat.postMessage", status=429, retry_after=7, times=2)
    with pytest.raises(TemporaryFailure) as raised:
        send_one(db_engine, fake, "p", retries=0)
    assert raised.value.retry_after == 7


def test_server_errors_are_retried_a_bounded_number_of_times(fake, db_engine):
    queue(db_engine, "p", Kind.POST, channel_id="C0PROJ", reply=Reply.text("hi"))
    fake.fail_next("chat.postMessage", status=500)
    assert send_one(db_engine, fake, "p", retries=2)["ts"]
    fake.fail_next("chat.postMessage", status=503, times=3)
    with pytest.raises(TemporaryFailure):
        send_one(db_engine, fake, "p", retries=2)
    assert len([c for c in fake.calls if c.method == "chat.postMessage" and c.status == 503]) == 3


def test_a_dropped_connection_is_not_resent_blindly_but_handed_back_as_maybe_sent(fake, db_engine):
    """Slack may have posted before the connection dropped: the outbox looks
    for the message before it sends again, so the client must not re-send."""
    queue(db_engine, "p", Kind.POST, channel_id="C0PROJ", reply=Reply.text("hi"))
    fake.fail_next("chat.postMessage", drop=True)
    with pytest.raises(TemporaryFailure) as failure:
        send_one(db_engine, fake, "p", retries=2)
    assert failure.value.maybe_sent
    assert len([c for c in fake.calls if c.method == "chat.postMessage"]) == 1


def test_a_post_whose_answer_was_lost_is_found_again_instead_of_sent_twice(fake, db_engine):
    queue(db_engine, "p", Kind.POST, channel_id="C0PROJ", reply=Reply.text("only once"))
    client = make_client(fake.api_url, "xoxb-team-token", retries=0)
    sent = client.chat_postMessage(channel="C0PROJ", text="only once",
                                   metadata={"event_type": "pm_outbox_message",
                                             "event_payload": {"outbox_key": "p"}})
    with Session(db_engine) as s:
        message = s.exec(select(OutboxMessage)).one()
        found = notifier(fake).find_sent(message, session=s)
    assert found == {"channel": "C0PROJ", "ts": sent["ts"]}
    with Session(db_engine) as s:
        message = s.exec(select(OutboxMessage)).one()
        message.idempotency_key = "never-sent"
        assert notifier(fake).find_sent(message, session=s) is None


def test_the_fake_enforces_per_channel_and_workspace_rate_limits(fake):
    fake.rate_limit(per_channel_per_second=1, per_minute=3)
    client = make_client(fake.api_url, "xoxb-t", retries=0)
    client.chat_postMessage(channel="C1", text="1")
    with pytest.raises(Exception, match="ratelimited"):
        client.chat_postMessage(channel="C1", text="2")  # same channel within a second
    client.chat_postMessage(channel="C2", text="3")
    client.chat_postMessage(channel="C3", text="4")
    with pytest.raises(Exception, match="ratelimited"):
        client.chat_postMessage(channel="C4", text="5")  # fourth in a minute
    limited = [c for c in fake.calls if c.status == 429]
    assert len(limited) == 2 and len(fake.messages()) == 3


def test_an_upload_whose_file_is_gone_fails_for_good(fake, db_engine, tmp_path):
    queue(db_engine, "chart", Kind.UPLOAD, channel_id="C0PROJ", extra={"file_path": str(tmp_path / "pruned.png")})
    with pytest.raises(PermanentFailure, match="gone"):
        send_one(db_engine, fake, "chart")
    assert fake.calls_to("files.getUploadURLExternal") == []


def test_the_fake_refuses_block_kit_over_the_limits_like_slack(fake):
    client = make_client(fake.api_url, "xoxb-t", retries=0)
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "x"}}
    with pytest.raises(Exception, match="invalid_blocks"):
        client.chat_postMessage(channel="C1", text="t", blocks=[section] * 51)
    with pytest.raises(Exception, match="invalid_arguments"):
        client.views_publish(user_id="U1", view={"type": "home", "blocks": [section] * 101})
    client.chat_postMessage(channel="C1", text="t", blocks=[section] * 50)
    assert len(fake.messages("C1")) == 1


def test_a_dm_goes_to_the_persons_id_until_slack_names_the_channel_and_again_after_a_permanent_failure(
        fake, db_engine):
    slack = notifier(fake)
    for key, user in [("a1", "U0ANNA"), ("b1", "U0BOB"), ("a2", "U0ANNA")]:
        queue(db_engine, key, Kind.DM, user_id=user, reply=Reply.text(key))
    assert deliver_pending(db_engine, slack) == 3
    anna = row(db_engine, "a1").result["channel"]
    assert anna.startswith("D") and row(db_engine, "a2").result["channel"] == anna
    assert row(db_engine, "b1").result["channel"] != anna
    sent = [(c.params["text"], c.posted_to) for c in fake.messages()]
    assert sent == [("a1", "U0ANNA"), ("b1", "U0BOB"), ("a2", "")]  # the second to the channel Slack named
    assert fake.calls_to("conversations.open") == []

    queue(db_engine, "a3", Kind.DM, user_id="U0ANNA", reply=Reply.text("a3"))
    fake.fail_next("chat.postMessage", error="channel_not_found")
    assert deliver_pending(db_engine, slack) == 0  # failed for good, and the cached DM forgotten
    queue(db_engine, "a4", Kind.DM, user_id="U0ANNA", reply=Reply.text("a4"))
    assert deliver_pending(db_engine, slack) == 1
    assert fake.messages()[-1].posted_to == "U0ANNA"
