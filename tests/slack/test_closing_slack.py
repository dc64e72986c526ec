"""Closing over signed HTTP against the fake Slack, on both databases: the
check's buttons, closing (the final report and its files in the channel, a
retrospective DM per member), and the retrospective modal from the DM."""

from __future__ import annotations

import json

from sqlmodel import Session, select

from bot.domain.replies import Intent
from bot.models import Project, RetroAnswer, Task
from tests.conftest import FROZEN_NOW
from tests.support.factories import MEMBER, make_project
from tests.support.slackhttp import press, wait_for_outbox


def dm(user: str) -> str:
    return "D" + user.lstrip("U")[:10]  # the fake's DM channel with `user`


def test_close_check_buttons_close_the_project_and_the_retro_modal_answers(slack, fake, db_engine):
    make_project(db_engine, task_titles=("Buy domain", "Launch"), budget_cents=500_000, now=FROZEN_NOW)
    slack.slash("close website")
    check = slack.wait_reply(1)
    assert "2 open tasks" in json.dumps(check) and "Close anyway" in json.dumps(check)

    slack.click(Intent.CLOSE_CANCEL_TASKS, **press(check, "Cancel the remaining tasks"))
    cleaned = slack.wait_reply(2)
    assert "Cancelled 2 open tasks" in json.dumps(cleaned) and "open task" not in json.dumps(cleaned).replace(
        "Cancelled 2 open tasks", "")
    with Session(db_engine) as s:
        assert set(s.exec(select(Task.status)).all()) == {"cancelled"}

    slack.click(Intent.CLOSE_CONFIRM, **press(cleaned, "Close anyway"))
    closed = json.dumps(slack.wait_reply(3))
    assert "Website relaunch is closed" in closed and "4 members get a retrospective DM" in closed
    with Session(db_engine) as s:
        assert s.exec(select(Project.state)).one() == "done"

    wait_for_outbox(db_engine)
    [report] = [m for m in fake.history["C0PROJ"] if "final report" in json.dumps(m)]
    assert "Planned vs actual" in json.dumps(report)
    uploads = fake.calls_to("files.completeUploadExternal")
    assert len(uploads) == 2 and all(u.params.get("thread_ts") == report["ts"] for u in uploads)

    [prompt] = fake.history[dm(MEMBER)]
    slack.click(Intent.RETRO_ANSWER, user=MEMBER, channel=dm(MEMBER), ephemeral=False, message_ts=prompt["ts"],
                **press(prompt, "Answer the retrospective"))
    view = fake.wait_for("views.open")[0].params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["callback_id"] == "retro" and len(view["blocks"]) == 5
    values = {"retro_well": {"value": "Launch went smoothly"}, "retro_badly": {"value": "Scope crept"},
              "retro_differently": {"value": "Freeze scope two weeks before launch"},
              "retro_score": {"selected_option": {"value": "4"}}}
    first = slack.submit(view, values, user=MEMBER, view_id="V0RETRO")
    again = slack.submit(view, values, user=MEMBER, view_id="V0RETRO")  # a double submit
    assert (first.status, again.status) == (200, 200) and again.body in (b"", b"{}")
    with Session(db_engine) as s:
        [answer] = s.exec(select(RetroAnswer)).all()
    assert (answer.user_id, answer.went_well, answer.satisfaction) == (MEMBER, "Launch went smoothly", 4)
    wait_for_outbox(db_engine)
    assert any("your retrospective of *Website relaunch* is saved" in json.dumps(m)
               for m in fake.history[dm(MEMBER)])


def test_the_retro_button_on_an_open_project_says_why_not(slack, fake, db_engine):
    make_project(db_engine, now=FROZEN_NOW)
    slack.click(Intent.RETRO_ANSWER, value="website", user=MEMBER, channel=dm(MEMBER), ephemeral=False)
    told = slack.wait_reply(1)  # answered under the clicked message, through its response_url
    assert "is not closed, so there is no retrospective" in json.dumps(told)
    assert not fake.calls_to("views.open")


def test_the_new_project_modal_suggests_lessons_of_similar_projects(slack, fake, db_engine):
    make_project(db_engine, now=FROZEN_NOW)  # "Website relaunch"
    slack.slash('lessons add website "Freeze the content two weeks before launch" tag content')
    slack.wait_reply(1)
    slack.slash("new", channel="C0NEW")
    view = fake.wait_for("views.open")[0].params["view"]
    slack.submit(view, {"name": {"value": "Shop website"}}, view_id="V0SHOP")
    posted = json.dumps(fake.wait_for("chat.postMessage")[0].params, ensure_ascii=False)
    assert "💡 Last time (Website relaunch): Freeze the content two weeks before launch" in posted
