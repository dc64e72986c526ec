"""Buttons on replies act and update the message in place; double clicks change nothing more."""

from __future__ import annotations

import json

from sqlmodel import Session, select

from bot.domain.replies import Intent
from bot.models import AuditEntry, Task
from tests.support.factories import MEMBER, make_project, task
from tests.support.slackhttp import press, wait_for_outbox


def test_mark_done_button_finishes_the_task_and_replaces_the_message(slack, fake, db_engine):
    project = make_project(db_engine, task_titles=("Choose hosting",))
    slack.click(Intent.TASK_DONE, "website:1", user=MEMBER)
    reply = slack.wait_reply()
    assert reply["replace_original"] is True
    assert "#1 *Choose hosting* is done" in reply["text"]
    assert task(db_engine, project, 1).status == "done"


def test_a_double_clicked_done_button_keeps_one_done_state(slack, fake, db_engine):
    project = make_project(db_engine, task_titles=("Choose hosting",))
    slack.click(Intent.TASK_DONE, "website:1", message_ts="1700000000.000777")
    slack.wait_reply()
    done_at = task(db_engine, project, 1).done_at
    slack.click(Intent.TASK_DONE, "website:1", message_ts="1700000000.000777")
    second = slack.wait_reply(2)
    assert "already" in second["text"]
    assert task(db_engine, project, 1).done_at == done_at
    with Session(db_engine) as s:
        assert len(s.exec(select(AuditEntry).where(AuditEntry.action == "task.done")).all()) == 1


def test_assign_to_me_gives_the_clicker_the_task(slack, fake, db_engine):
    project = make_project(db_engine, task_titles=("Write copy",))
    slack.click(Intent.TASK_ASSIGN_ME, "website:1", user=MEMBER)
    reply = slack.wait_reply()
    assert f"<@{MEMBER}>" in reply["text"]
    assert task(db_engine, project, 1).assignee_user_id == MEMBER
    assert MEMBER in {c.params["user_id"] for c in fake.wait_for("views.publish")}


def test_refresh_replaces_the_status_with_a_fresh_one(slack, fake, db_engine):
    make_project(db_engine, task_titles=("Choose hosting",))
    slack.slash("status website")
    assert "0% of tasks · 0 of 1 done" in json.dumps(slack.wait_reply(), ensure_ascii=False)
    slack.slash("task done website 1")
    slack.wait_reply(2)
    slack.click(Intent.REFRESH_STATUS, "website")
    refreshed = slack.wait_reply(3)
    assert refreshed["replace_original"] is True
    assert "100% of tasks · 1 of 1 done" in json.dumps(refreshed, ensure_ascii=False)


def test_post_to_channel_posts_the_status_once_through_the_outbox(slack, fake, db_engine):
    make_project(db_engine, channel_id="C0SITE", task_titles=("Choose hosting",))
    slack.click(Intent.POST_STATUS, "website", channel="C0DM", message_ts="1700000000.000100")
    slack.click(Intent.POST_STATUS, "website", channel="C0DM", message_ts="1700000000.000100")  # double click
    posted = fake.wait_for("chat.postMessage")[0]
    assert posted.params["channel"] == "C0SITE"
    assert "Website relaunch: status" in posted.text()
    assert "Post to channel" not in posted.text()  # the public copy has no second "post" button
    note = slack.wait_reply()
    assert "Posted the status" in note["text"] and note["replace_original"] is False
    slack.wait_reply(2)
    rows = [r for r in wait_for_outbox(db_engine) if r.kind == "post"]
    assert len(rows) == 1 and rows[0].state == "sent"
    assert len(fake.messages("C0SITE")) == 1
    assert rows[0].result["ts"] == posted.params.get("ts", rows[0].result["ts"])
    assert posted.params["metadata"]["event_payload"]["outbox_key"] == rows[0].idempotency_key


def test_show_more_pages_through_a_long_task_list(slack, fake, db_engine):
    make_project(db_engine, task_titles=tuple(f"Task {n}" for n in range(1, 31)))
    slack.slash("task list website")
    first = slack.wait_reply()
    assert "and 5 more" in json.dumps(first)
    more = [e for b in first["blocks"] if b["type"] == "actions" for e in b["elements"]
            if e["text"]["text"] == "Show more"][0]
    slack.click(Intent.SHOW_MORE, more["value"], action=more["action_id"])
    second = slack.wait_reply(2)
    assert second["replace_original"] is True
    assert "#26 Task 26" in json.dumps(second) and "#1 Task 1 " not in json.dumps(second)


def test_a_button_from_someone_not_on_the_project_is_refused_politely(slack, fake, db_engine):
    project = make_project(db_engine, task_titles=("Choose hosting",))
    slack.click(Intent.TASK_DONE, "website:1", user="U0STRANGER")
    reply = slack.wait_reply()
    assert "Only project members" in reply["text"]
    assert reply["replace_original"] is False and reply["response_type"] == "ephemeral"
    assert task(db_engine, project, 1).status == "todo"
    with Session(db_engine) as s:
        assert s.exec(select(Task)).one().done_at is None


def test_done_on_my_task_list_updates_that_list_in_place(slack, fake, db_engine):
    project = make_project(db_engine, task_titles=("Choose hosting", "Write copy", "Test forms"))
    slack.slash("task list website")
    listing = slack.wait_reply()
    slack.click(Intent.TASK_DONE, **press(listing, "Done #1"))
    updated = slack.wait_reply(2)
    assert updated["replace_original"] is True
    text = json.dumps(updated, ensure_ascii=False)
    assert "#1 *Choose hosting* is done" in text  # the confirmation on top
    assert "open tasks (2)" in text and "Write copy" in text  # the list as it is now
    assert task(db_engine, project, 1).status == "done"
    slack.click(Intent.TASK_DONE, **press(updated, "Done #2"))  # the refreshed list still works
    again = json.dumps(slack.wait_reply(3), ensure_ascii=False)
    assert "open tasks (1)" in again and "Test forms" in again
