"""`/project` through the real HTTP endpoint, signed like Slack, against the fake Web API."""

from __future__ import annotations

import json
import threading

from sqlmodel import Session, select

from bot.models import Project, Task
from tests.support.factories import MEMBER, OWNER, make_project


def _buttons(message: dict) -> list[str]:
    return [e["text"]["text"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]


def test_status_answers_only_the_asker_with_a_post_to_channel_button(slack, fake, db_engine):
    make_project(db_engine, task_titles=("Choose hosting", "Write copy"))
    response = slack.slash("status website")
    assert response.status == 200
    reply = slack.wait_reply()
    assert reply["response_type"] == "ephemeral"
    assert "Website relaunch: status" in reply["text"]
    assert "0% of tasks · 0 of 2 done" in json.dumps(reply["blocks"], ensure_ascii=False)
    assert {"Refresh", "Post to channel"} <= set(_buttons(reply))
    assert fake.calls_to("chat.postMessage") == []  # nothing public until asked


def test_new_project_with_arguments_is_created_announced_and_refreshes_the_owners_home(slack, fake, db_engine):
    slack.slash('new "Office network move" due 2026-12-31 budget 12k', channel="C0NET")
    reply = slack.wait_reply()
    assert reply["response_type"] == "in_channel"
    assert "Project Office network move started" in reply["text"]
    with Session(db_engine) as s:
        project = s.exec(select(Project)).one()
    assert (project.key, project.channel_id, project.budget_cents) == ("office-network-move", "C0NET", 1_200_000)
    home = fake.wait_for("views.publish")[0]
    assert home.params["user_id"] == OWNER
    assert "office-network-move" in home.text()


def test_new_without_arguments_opens_the_new_project_modal(slack, fake, db_engine):
    slack.slash("new")
    opened = fake.wait_for("views.open")[0]
    assert opened.params["trigger_id"] == slack.last_trigger_id
    assert opened.params["view"]["callback_id"] == "new_project"
    assert opened.params["view"]["title"]["text"] == "New project"
    assert fake.responses == []


def test_errors_are_ephemeral_and_say_what_was_expected(slack, fake, db_engine):
    slack.slash("frobnicate")
    reply = slack.wait_reply()
    assert reply["response_type"] == "ephemeral"
    assert "There is no `/project frobnicate`" in reply["text"]
    slack.slash("task add", user=OWNER)
    second = slack.wait_reply(2)
    assert second["response_type"] == "ephemeral"
    assert "Usage" in second["text"] or "project" in second["text"].lower()


def test_task_add_stores_the_task_and_offers_done_and_assign_buttons(slack, fake, db_engine):
    make_project(db_engine)
    slack.slash('task add "Choose hosting" due 2026-12-04', user=MEMBER)
    reply = slack.wait_reply()
    assert "Added #1 *Choose hosting*" in reply["text"]
    assert _buttons(reply) == ["Mark done", "Edit", "Assign to me"]
    with Session(db_engine) as s:
        task = s.exec(select(Task)).one()
    assert (task.title, task.created_by, str(task.due_date)) == ("Choose hosting", MEMBER, "2026-12-04")


def test_user_text_with_markup_characters_is_escaped_not_interpreted(slack, fake, db_engine):
    make_project(db_engine)
    slack.slash('task add "Fix <script> & <!channel> in CSS > HTML"')
    reply = slack.wait_reply()
    text = json.dumps(reply["blocks"])
    assert "&lt;script&gt; &amp;" in text
    assert "CSS &gt; HTML" in text
    assert "&lt;!channel&gt;" in text  # shown, never a ping


def test_a_chart_reply_is_uploaded_to_the_channel_through_the_outbox(slack, fake, db_engine):
    make_project(db_engine, task_titles=("Choose hosting", "Write copy"))
    slack.slash("chart website burnup")
    reply = slack.wait_reply()
    assert reply["response_type"] == "in_channel" and "Burn-up chart" in reply["text"]
    completed = fake.wait_for("files.completeUploadExternal", timeout=15)[0]
    assert completed.params["channel_id"] == "C0PROJ"
    assert list(fake.uploads.values())[0].startswith(b"\x89PNG")


def test_when_the_modal_cannot_open_the_user_gets_the_typed_alternative(slack, fake, db_engine):
    fake.fail_next("views.open", error="trigger_expired")
    slack.slash("new")
    reply = slack.wait_reply()
    assert reply["response_type"] == "ephemeral" and '/project new \\"Website relaunch\\"' in json.dumps(reply)


def test_a_quick_reply_comes_back_in_the_acknowledgement_itself(slack, fake, db_engine):
    make_project(db_engine, task_titles=("Choose hosting",))
    response = slack.slash("status website")
    body = response.json()
    assert response.status == 200 and "Website relaunch: status" in body["text"]
    assert not any(r.path.startswith("/response/") for r in fake.responses)  # no second round trip


def test_a_slow_command_is_acknowledged_in_time_and_answered_on_the_response_url(
        slack, fake, db_engine, monkeypatch):
    import bot.slack.listeners.commands as listener

    make_project(db_engine, task_titles=("Choose hosting",))
    monkeypatch.setattr(listener, "ACK_BUDGET_SECONDS", 0.0)  # every command counts as slow
    response = slack.slash("status website")
    assert response.status == 200 and response.body.strip() in (b"", b"{}")  # an empty ack
    reply = fake.wait_for("response")[0]
    assert reply.path.startswith("/response/")
    assert "Website relaunch: status" in reply.body["text"]


def test_a_slash_command_body_delivered_again_acts_once_and_gets_the_first_answer(slack, fake, db_engine):
    make_project(db_engine)
    slack.slash('task add website "Write copy"', user=MEMBER)
    first = slack.wait_reply()
    assert "#1" in first["text"]
    for retry in (1, 2):  # Slack's retry headers on the very same body
        assert slack.redeliver_slash(retry_num=retry).status == 200
    again = slack.wait_reply(3)
    assert again["text"] == first["text"]  # the first answer, not "#2" or an error
    slack.slash('task add website "Write copy"', user=MEMBER)  # typed again: a new request, a new task
    assert "#2" in slack.wait_reply(4)["text"]
    with Session(db_engine) as s:
        assert sorted(t.number for t in s.exec(select(Task))) == [1, 2]


def test_the_same_slash_command_body_delivered_twice_at_once_acts_once(slack, fake, db_engine):
    make_project(db_engine)
    slack.slash('task add website "Order cables"', user=MEMBER)
    slack.wait_reply()
    with Session(db_engine) as s:
        s.exec(select(Task)).one()
    body = slack.slash_body('task add website "Label the ports"', user=MEMBER)
    barrier = threading.Barrier(4)

    def deliver(retry: int | None) -> None:  # the first delivery and three retries, all at once
        barrier.wait()
        slack.send_slash(body, retry_num=retry)

    threads = [threading.Thread(target=deliver, args=(n,)) for n in (None, 1, 2, 3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    answers = [r.body["text"] for r in fake.wait_for("response", 5)[1:]]
    assert len(set(answers)) == 1 and "#2" in answers[0], answers
    with Session(db_engine) as s:
        assert sorted(t.title for t in s.exec(select(Task))) == ["Label the ports", "Order cables"]
