"""Corrections in Slack, over signed HTTP against the fake Web API: the Edit
button and its modal, the Reassign… / Unassign buttons when someone with open
work is removed, and no Done button for a stakeholder."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlmodel import Session, select

from bot.domain import tasks as task_service
from bot.domain.replies import Intent
from bot.models import AuditEntry, Member
from tests.support.factories import (
    MANAGER,
    MEMBER,
    OWNER,
    STAKEHOLDER,
    add_milestone,
    make_project,
    task,
)
from tests.support.slackhttp import press


def _labels(message: dict) -> list[str]:
    return [e["text"]["text"] for b in message.get("blocks", []) if b["type"] == "actions" for e in b["elements"]]


def _assign(engine, project, number: int, user: str) -> None:
    with Session(engine, expire_on_commit=False) as s:
        t = task_service.get_task(session=s, project=project, number=number)
        task_service.assign(session=s, project=project, actor=OWNER, task=t, assignee=user, now=datetime.now(UTC))
        s.commit()


def test_the_edit_button_opens_the_task_as_it_is_and_saving_changes_it_once(slack, fake, db_engine):
    project = make_project(db_engine, task_titles=("Choose hosting",))
    add_milestone(db_engine, project, "Design")
    slack.slash("task list website", user=MEMBER)
    listing = slack.wait_reply()
    assert _labels(listing) == ["Done #1", "Edit #1"]
    slack.click(Intent.TASK_EDIT, user=MEMBER, **press(listing, "Edit #1"))
    view = fake.wait_for("views.open")[0].params["view"]
    assert view["callback_id"] == "edit_task"
    title = next(b for b in view["blocks"] if b["block_id"] == "title")
    assert title["element"]["initial_value"] == "Choose hosting"
    values = {"title": {"value": "Choose a host"}, "assignee": {"selected_user": MEMBER},
              "due": {"selected_date": "2026-12-04"}, "estimate": {"value": "5h"},
              "milestone": {"selected_option": {"value": "1"}}}
    assert slack.submit(view, values, user=MEMBER, view_id="V0EDIT").body in (b"", b"{}")
    assert slack.submit(view, values, user=MEMBER, view_id="V0EDIT").body in (b"", b"{}")  # double submit
    t = task(db_engine, project, 1)
    assert (t.title, t.assignee_user_id, str(t.due_date), t.estimate_hours, t.milestone_id) == (
        "Choose a host", MEMBER, "2026-12-04", 5.0, 1)
    posted = fake.wait_for("chat.postMessage")[0].text()
    assert "#1 *Choose a host* edited:" in posted and "estimate: _not set_ → 5h" in posted
    assert "milestone: no milestone → M1 Design" in posted
    with Session(db_engine) as s:
        assert len(s.exec(select(AuditEntry).where(AuditEntry.action == "task.edit")).all()) == 1


def test_the_edit_modal_shows_refusals_under_their_field(slack, fake, db_engine):
    make_project(db_engine, task_titles=("Choose hosting",))
    slack.click(Intent.TASK_EDIT, "website:1", user=MEMBER)
    view = fake.wait_for("views.open")[0].params["view"]
    answer = slack.submit(view, {"title": {"value": "Choose hosting"}, "assignee": {"selected_user": "U0NEW"},
                                 "milestone": {"selected_option": {"value": "none"}}},
                          user=MEMBER, view_id="V0BADEDIT").json()
    assert answer["response_action"] == "errors"
    assert "is not on *Website relaunch*" in answer["errors"]["assignee"]
    answer = slack.submit(view, {"title": {"value": "x"}, "estimate": {"value": "soon"},
                                 "milestone": {"selected_option": {"value": "none"}}},
                          user=MEMBER, view_id="V0BADEDIT").json()
    assert list(answer["errors"]) == ["estimate"]


def test_removing_someone_with_open_tasks_offers_reassign_and_unassign(slack, fake, db_engine):
    project = make_project(db_engine, task_titles=("Order switches", "Label ports"))
    _assign(db_engine, project, 1, MEMBER)
    _assign(db_engine, project, 2, MEMBER)
    slack.slash(f"member remove website <@{MEMBER}>", user=MANAGER)
    ask = slack.wait_reply()
    text = json.dumps(ask, ensure_ascii=False)
    assert "still has 2 open tasks" in text and "#1 Order switches" in text and "nothing was changed yet" in text
    assert _labels(ask) == ["Reassign…", "Unassign"]
    with Session(db_engine) as s:
        assert s.exec(select(Member).where(Member.user_id == MEMBER)).one().active  # not yet
    slack.click(Intent.MEMBER_UNASSIGN, user=MANAGER, **press(ask, "Unassign"))
    done = slack.wait_reply(2)
    assert "is no longer on *Website relaunch*. Their 2 open tasks (#1, #2) went to nobody" in done["text"]
    assert task(db_engine, project, 1).assignee_user_id is None
    slack.click(Intent.MEMBER_UNASSIGN, user=MANAGER, **press(ask, "Unassign"))  # clicked twice
    assert "was already off" in slack.wait_reply(3)["text"]


def test_the_reassign_button_asks_who_takes_the_tasks(slack, fake, db_engine):
    project = make_project(db_engine, task_titles=("Order switches",))
    _assign(db_engine, project, 1, MEMBER)
    slack.slash(f"member remove website <@{MEMBER}>")
    ask = slack.wait_reply()
    slack.click(Intent.MEMBER_REASSIGN, **press(ask, "Reassign…"))
    view = fake.wait_for("views.open")[0].params["view"]
    assert view["callback_id"] == "reassign" and "#1 Order switches" in json.dumps(view)
    slack.submit(view, {"assignee": {"selected_user": MANAGER}}, view_id="V0REASSIGN")
    slack.submit(view, {"assignee": {"selected_user": MANAGER}}, view_id="V0REASSIGN")
    assert task(db_engine, project, 1).assignee_user_id == MANAGER
    posted = fake.wait_for("chat.postMessage")[0].text()
    assert f"Their open tasks (#1) went to <@{MANAGER}>" in posted
    with Session(db_engine) as s:
        assert len(s.exec(select(AuditEntry).where(AuditEntry.action == "member.remove")).all()) == 1


def test_a_stakeholder_gets_no_done_button_anywhere(slack, fake, db_engine):
    project = make_project(db_engine, task_titles=("Write product descriptions",))
    _assign(db_engine, project, 1, STAKEHOLDER)
    slack.slash("task list website", user=STAKEHOLDER)
    assert _labels(slack.wait_reply()) == []
    slack.event({"type": "app_home_opened", "user": STAKEHOLDER, "tab": "home", "event_ts": "5.0"})
    home = fake.wait_for("views.publish")[0].params["view"]
    text = json.dumps(home, ensure_ascii=False)
    assert "Write product descriptions" in text  # their task is listed...
    assert "Done: website #1" not in text  # ...without a button they could not use
    slack.slash("task list website", user=MEMBER)
    assert "Done #1" in _labels(slack.wait_reply(2))


def test_history_reads_in_slack_with_the_zone_named(slack, fake, db_engine):
    make_project(db_engine, task_titles=("Choose hosting",))
    slack.slash("task edit website 1 estimate 5h", user=MEMBER)
    slack.wait_reply()
    slack.slash("history website task 1")
    text = json.dumps(slack.wait_reply(2), ensure_ascii=False)
    assert "history of #1 Choose hosting" in text
    assert "edited *#1 Choose hosting*: estimate _not set_ → 5h" in text
    assert "Times in UTC." in text


def test_the_new_project_modal_refuses_a_name_an_open_project_has(slack, fake, db_engine):
    make_project(db_engine)
    slack.slash("new", channel="C0NEW")
    view = fake.wait_for("views.open")[0].params["view"]
    answer = slack.submit(view, {"name": {"value": "website RELAUNCH"}}, view_id="V0SAMENAME").json()
    assert answer["response_action"] == "errors"
    assert "There is already an open project called *Website relaunch* (key `website`)" in answer["errors"]["name"]
