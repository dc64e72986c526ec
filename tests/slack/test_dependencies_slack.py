"""Dependencies in Slack, over signed HTTP against the fake Web API: a link
made by slash command, a cycle refused, "waiting on" in the list, the Done
button on a waiting task asking first and "Done anyway" finishing it once,
and the timeline chart uploaded to the channel."""

from __future__ import annotations

import json

from bot.domain.replies import Intent
from tests.support.factories import MEMBER, make_project, task
from tests.support.slackhttp import press


def _text(message: dict) -> str:
    return json.dumps(message, ensure_ascii=False)


def test_link_wait_and_done_anyway_through_slack(slack, fake, db_engine):
    project = make_project(db_engine, task_titles=("Choose hosting", "Write copy", "Go live"))
    slack.slash("task link website 3 after 1 2 +2d", user=MEMBER)
    assert "#3 *Go live* now waits on #1, #2 +2d." in _text(slack.wait_reply(1))
    slack.slash("task link website 1 after 3", user=MEMBER)
    refused = _text(slack.wait_reply(2))
    assert "That would make a cycle: #3 → #1 → #3." in refused and refused.count('"ephemeral"') == 1
    slack.slash("task list website", user=MEMBER)
    listing = slack.wait_reply(3)
    assert "waiting on #1, #2" in _text(listing)

    slack.click(Intent.TASK_DONE, user=MEMBER, **press(listing, "Done #3"))
    asked = slack.wait_reply(4)
    assert "#3 *Go live* waits on #1 Choose hosting, #2 Write copy, not done yet. Mark it done anyway?" \
        in _text(asked)
    assert task(db_engine, project, 3).status == "todo"
    for _ in range(2):  # a double click finishes it once
        slack.click(Intent.TASK_DONE, user=MEMBER, **press(asked, "Done anyway"))
    answers = [_text(slack.wait_reply(n)) for n in (5, 6)]
    assert task(db_engine, project, 3).status == "done"
    assert any("is done" in a for a in answers) and any("already done" in a for a in answers)


def test_timeline_chart_is_uploaded_to_the_channel(slack, fake, db_engine):
    make_project(db_engine, task_titles=("Choose hosting", "Write copy"))
    slack.slash("task link website 2 after 1")
    slack.wait_reply(1)
    slack.slash("chart timeline website")
    reply = slack.wait_reply(2)
    assert reply["response_type"] == "in_channel" and "Timeline of *Website relaunch*: 2 open tasks" in _text(reply)
    completed = fake.wait_for("files.completeUploadExternal", timeout=15)[0]
    assert completed.params["channel_id"] == "C0PROJ"
    assert list(fake.uploads.values())[0].startswith(b"\x89PNG")
