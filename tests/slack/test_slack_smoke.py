"""The infrastructure itself: the app served locally answers signed requests against the fake."""

from __future__ import annotations

from tests.factories import make_project


def test_status_slash_command_answers_ephemerally_with_post_to_channel(slack, fake, db_engine):
    make_project(db_engine, task_titles=("Choose hosting",))
    response = slack.slash("status website")
    assert response.status == 200
    reply = slack.wait_reply()
    assert reply["response_type"] == "ephemeral"
    assert "Website relaunch: status" in reply["text"]
    buttons = [e["text"]["text"] for b in reply["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert "Post to channel" in buttons
