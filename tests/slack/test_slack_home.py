"""The App Home: published on app_home_opened (once per event, retries included)
and after changes that concern the user."""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime

from sqlmodel import Session, select

from bot.domain import tasks as task_service
from bot.domain.replies import Intent
from bot.models import ProcessedRequest
from tests.support.factories import MEMBER, OWNER, make_project
from tests.support.slackhttp import press, wait_for_outbox


def _assign(engine, project, number: int, user: str, due: date | None = None) -> None:
    with Session(engine, expire_on_commit=False) as s:
        t = task_service.get_task(session=s, project=project, number=number)
        task_service.assign(session=s, project=project, actor=OWNER, task=t, assignee=user, now=datetime.now(UTC))
        task_service.set_due(session=s, project=project, actor=OWNER, task=t, due_date=due, now=datetime.now(UTC))
        s.commit()


def test_opening_the_home_tab_publishes_my_tasks_overdue_first(slack, fake, db_engine):
    project = make_project(db_engine, task_titles=("Later task", "Overdue task", "Undated task"))
    _assign(db_engine, project, 1, MEMBER, date(2026, 12, 20))
    _assign(db_engine, project, 2, MEMBER, date(2026, 11, 20))  # before FROZEN_NOW
    _assign(db_engine, project, 3, MEMBER)
    assert slack.event({"type": "app_home_opened", "user": MEMBER, "tab": "home",
                        "channel": "D0HOME", "event_ts": "1.0"}).status == 200
    view = fake.wait_for("views.publish")[0].params
    assert view["user_id"] == MEMBER and view["view"]["type"] == "home"
    text = json.dumps(view["view"], ensure_ascii=False)
    assert text.index("Overdue task") < text.index("Later task") < text.index("Undated task")
    assert "overdue" in text
    assert "Website relaunch" in text  # my projects, with their health
    assert any(icon in text for icon in (":large_green_circle:", ":large_yellow_circle:", ":red_circle:"))
    assert "New project" in text  # quick actions


def test_a_retried_event_delivery_publishes_once(slack, fake, db_engine):
    event = {"type": "app_home_opened", "user": OWNER, "tab": "home", "event_ts": "2.0"}
    slack.event(event, event_id="Ev0SAME")
    fake.wait_for("views.publish")
    assert slack.event(event, event_id="Ev0SAME", retry_num=1).status == 200
    assert slack.event(event, event_id="Ev0SAME", retry_num=2).status == 200
    time.sleep(0.3)  # give the retries every chance to (wrongly) publish again
    rows = wait_for_outbox(db_engine)
    assert len(fake.calls_to("views.publish")) == 1
    assert [r.kind for r in rows] == ["publish_home"]
    with Session(db_engine) as s:
        assert [p.key for p in s.exec(select(ProcessedRequest))] == ["event:Ev0SAME"]


def test_the_messages_tab_does_not_publish(slack, fake, db_engine):
    slack.event({"type": "app_home_opened", "user": OWNER, "tab": "messages", "event_ts": "3.0"})
    time.sleep(0.3)  # give it every chance to (wrongly) publish
    assert wait_for_outbox(db_engine) == []
    assert fake.calls_to("views.publish") == []


def test_home_buttons_refresh_and_mark_done(slack, fake, db_engine):
    project = make_project(db_engine, task_titles=("Choose hosting",))
    _assign(db_engine, project, 1, MEMBER)
    slack.click(Intent.REFRESH_HOME, "", user=MEMBER, view={"type": "home"})
    first = fake.wait_for("views.publish")[0]
    assert "Choose hosting" in first.text()
    slack.click(Intent.TASK_DONE, "website:1", user=MEMBER, view={"type": "home"})
    second = fake.wait_for("views.publish", 2)[1]
    assert second.params["user_id"] == MEMBER
    assert "Nothing assigned to you" in second.text()


def test_an_empty_home_says_so(slack, fake, db_engine):
    slack.event({"type": "app_home_opened", "user": "U0NEW", "tab": "home", "event_ts": "4.0"})
    home = fake.wait_for("views.publish")[0].text()
    assert "Nothing assigned to you" in home and "not on a project yet" in home


def test_owners_can_open_edit_project_from_their_home(slack, fake, db_engine):
    make_project(db_engine)
    slack.event({"type": "app_home_opened", "user": OWNER, "tab": "home", "event_ts": "5.0"})
    home = fake.wait_for("views.publish")[0].params["view"]
    edit = press(home, "Edit: Website relaunch")
    slack.click(Intent.EDIT_PROJECT, user=OWNER, view={"type": "home"}, **edit)
    opened = fake.wait_for("views.open")[0].params["view"]
    assert opened["callback_id"] == "edit_project"
    assert "Edit: Website relaunch" not in json.dumps(_home_of(slack, fake, db_engine, MEMBER))


def _home_of(slack, fake, db_engine, user: str) -> dict:
    before = len(fake.calls_to("views.publish"))
    slack.event({"type": "app_home_opened", "user": user, "tab": "home", "event_ts": f"6.{user}"})
    return fake.wait_for("views.publish", before + 1)[-1].params["view"]
