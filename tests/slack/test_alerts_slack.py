"""Alerts end to end: detectors post to the fake Slack, buttons arrive as signed
HTTP requests, and the channel message is edited in place, snoozed, re-posted
and resolved."""

from __future__ import annotations

import json
import time
from datetime import date, timedelta

from sqlmodel import Session, select

from bot.domain import alerts
from bot.domain.replies import Intent
from bot.jobs.outbox_sender import deliver_pending
from bot.models import Alert, OutboxMessage, Project, Risk, Task
from bot.slack.notifier import SlackNotifier
from tests.conftest import FROZEN_NOW
from tests.support.factories import MANAGER, MEMBER, OWNER, make_project
from tests.support.fakeslack import FakeSlack
from tests.support.helpers import TEAM
from tests.support.slackhttp import BOT_TOKEN


class Watch:
    """The hourly detector run and the worker's dispatcher, driven by hand."""

    def __init__(self, engine, fake: FakeSlack):
        self.engine = engine
        self.notifier = SlackNotifier(base_url=fake.api_url, token_for=lambda team: BOT_TOKEN, retries=0)
        self.project = make_project(engine)
        with Session(engine) as s:
            s.add(Task(team_id=TEAM, project_id=self.project.id, number=1, title="Pick a host",
                       assignee_user_id=MEMBER, due_date=date(2026, 11, 25)))
            s.commit()

    def tick(self, hours: float = 0) -> None:
        at = FROZEN_NOW + timedelta(hours=hours)
        with Session(self.engine, expire_on_commit=False) as s:
            alerts.check_project(session=s, project=s.get(Project, self.project.id), now=at)
            s.commit()
        while deliver_pending(self.engine, self.notifier):
            pass

    def settle(self, timeout: float = 20.0) -> None:
        """Until nothing is left to send (the app's own pump may be sending too)."""
        deadline = time.monotonic() + timeout
        while True:
            deliver_pending(self.engine, self.notifier)
            with Session(self.engine) as s:
                left = s.exec(select(OutboxMessage.id).where(
                    OutboxMessage.state.in_(["pending", "sending"]))).first()
            if left is None:
                return
            assert time.monotonic() < deadline, "the outbox did not drain"
            time.sleep(0.02)

    def alert(self) -> Alert:
        with Session(self.engine) as s:
            return s.exec(select(Alert)).one()


def _text(call) -> str:
    return json.dumps(call.params, ensure_ascii=False)


def _buttons(call) -> dict[str, str]:
    return {e["text"]["text"]: e["value"] for b in call.params.get("blocks", []) if b["type"] == "actions"
            for e in b["elements"]}


def test_an_alert_is_posted_once_edited_acknowledged_snoozed_reposted_and_resolved(slack, fake, db_engine):
    watch = Watch(db_engine, fake)
    watch.tick()
    [post] = fake.messages("C0PROJ")
    assert "has 1 task past due (#1), 2 days late" in _text(post)
    buttons = _buttons(post)
    assert list(buttons) == ["Acknowledge", "Snooze 1 day", "Snooze 1 week", "Assign owner", "Make it a risk"]
    alert_id = watch.alert().id
    assert set(buttons.values()) == {str(alert_id)}
    watch.tick(hours=1)  # nothing changed: nothing sent
    assert len(fake.messages()) == 1 and fake.calls_to("chat.update") == []
    watch.tick(hours=24)  # a day later: same alert, new numbers, edited in place
    [edit] = fake.calls_to("chat.update")
    post_ts = watch.alert().message_ts
    assert post_ts and edit.params["ts"] == post_ts and "3 days late" in _text(edit)
    assert len(fake.messages()) == 1

    # Acknowledge, twice (a double click)
    assert slack.click(Intent.ALERT_ACK, str(alert_id), user=MEMBER, message_ts=post_ts,
                       ephemeral=False).status == 200
    assert "acknowledged" in slack.wait_reply()["text"]
    fake.wait_for("chat.update", 2)
    assert f"acknowledged by <@{MEMBER}>" in _text(fake.calls_to("chat.update")[-1])
    assert "Acknowledge" not in _buttons(fake.calls_to("chat.update")[-1])
    slack.click(Intent.ALERT_ACK, str(alert_id), user=MEMBER, message_ts=post_ts, ephemeral=False)
    assert "already acknowledged" in slack.wait_reply(2)["text"]

    # Snooze a day: quiet while snoozed, posted again when the snooze ends
    slack.click(Intent.ALERT_SNOOZE_DAY, str(alert_id), user=MEMBER, message_ts=post_ts, ephemeral=False)
    assert "snoozed until Sat 28 Nov 10:00 (UTC)" in slack.wait_reply(3)["text"]
    fake.wait_for("chat.update", 3)
    assert "snoozed until" in _text(fake.calls_to("chat.update")[-1])
    watch.tick(hours=20)
    assert len(fake.messages()) == 1 and watch.alert().state == "snoozed"
    watch.tick(hours=24.5)  # the app's own outbox pump may be the one that sends it
    fake.wait_for("chat.postMessage", 2)
    assert len(fake.messages()) == 2 and watch.alert().state == "open"

    # Make it a risk, twice
    slack.click(Intent.ALERT_TO_RISK, str(alert_id), user=MEMBER, ephemeral=False)
    assert "Added risk R1" in slack.wait_reply(4)["text"]
    slack.click(Intent.ALERT_TO_RISK, str(alert_id), user=MEMBER, ephemeral=False)
    assert "Already tracked as risk R1" in slack.wait_reply(5)["text"]
    with Session(db_engine) as s:
        [risk] = s.exec(select(Risk))
    assert risk.source == "alert:past_due" and risk.owner_user_id == MEMBER

    # The task is done: the alert is resolved in place, without buttons
    watch.settle()
    with Session(db_engine) as s:
        task = s.exec(select(Task)).one()
        task.status, task.done_at = "done", FROZEN_NOW
        s.add(task)
        s.commit()
    updates_before = len(fake.calls_to("chat.update"))
    watch.tick(hours=48)
    watch.settle()
    assert watch.alert().state == "resolved"
    resolved = fake.calls_to("chat.update")[updates_before:]
    assert resolved and "✅" in _text(resolved[-1]) and _buttons(resolved[-1]) == {}
    assert len(fake.messages()) == 2


def test_assign_owner_opens_a_people_picker_and_dms_the_new_owner(slack, fake, db_engine):
    watch = Watch(db_engine, fake)
    watch.tick()
    alert_id = watch.alert().id
    slack.click(Intent.ALERT_ASSIGN, str(alert_id), user=OWNER, ephemeral=False)
    view = fake.wait_for("views.open")[0].params["view"]
    assert view["callback_id"] == "alert_assign"
    response = slack.submit(view, {"alert_assignee": {"selected_user": MANAGER}}, view_id="V0ASSIGN")
    assert response.status == 200 and response.body in (b"", b"{}")
    slack.submit(view, {"alert_assignee": {"selected_user": MANAGER}}, view_id="V0ASSIGN")  # twice
    assert watch.alert().details["assignee"] == MANAGER
    fake.wait_for("chat.update")
    assert f"owner <@{MANAGER}>" in _text(fake.calls_to("chat.update")[-1])
    fake.wait_for("chat.postMessage", 2)  # the alert, then the DM
    dm = [c for c in fake.messages() if c.params["channel"].startswith("D")]
    assert len(dm) == 1 and "asked you to follow up an alert" in _text(dm[0])


def test_add_risk_modal_from_the_command_files_the_risk_and_a_gap_alert(slack, fake, db_engine):
    make_project(db_engine)
    slack.slash("risk add")
    view = fake.wait_for("views.open")[0].params["view"]
    assert view["callback_id"] == "add_risk"
    values = {"risk_title": {"value": "Hosting vendor may slip"},
              "risk_likelihood": {"selected_option": {"value": "4"}},
              "risk_impact": {"selected_option": {"value": "5"}},
              "risk_response": {"selected_option": {"value": "mitigate"}}}
    assert slack.submit(view, {**values, "risk_title": {"value": " "}}, view_id="V0RISK").json()[
        "response_action"] == "errors"
    assert slack.submit(view, values, view_id="V0RISK").body in (b"", b"{}")
    assert slack.submit(view, values, view_id="V0RISK").body in (b"", b"{}")
    with Session(db_engine) as s:
        [risk] = s.exec(select(Risk))
        [alert] = s.exec(select(Alert))
    assert (risk.title, risk.likelihood, risk.impact) == ("Hosting vendor may slip", 4, 5)
    assert alert.fingerprint == "risk:1:gaps" and alert.severity == "critical"
    posted = fake.wait_for("chat.postMessage", 3)  # confirmation, alert, and the owner's DM
    texts = [_text(c) for c in posted]
    assert any("added risk R1" in t for t in texts)
    assert any("scores 20 (critical) but has no owner and no mitigation" in t for t in texts)


def test_make_it_a_risk_on_a_standup_blocker_files_it_once(slack, fake, db_engine):
    from bot.models import StandupAnswer, StandupConfig, StandupRun

    project = make_project(db_engine)
    with Session(db_engine) as s:
        config = StandupConfig(team_id=TEAM, project_id=project.id)
        s.add(config)
        s.flush()
        run = StandupRun(team_id=TEAM, standup_id=config.id, project_id=project.id, run_date=date(2026, 11, 27),
                         scheduled_at=FROZEN_NOW, closes_at=FROZEN_NOW + timedelta(hours=2))
        s.add(run)
        s.flush()
        s.add(StandupAnswer(team_id=TEAM, run_id=run.id, project_id=project.id, user_id=MEMBER,
                            blocker="No access to the DNS registrar", answers={}))
        s.commit()
        value = f"{run.id}:{MEMBER}"
    slack.click(Intent.BLOCKER_TO_RISK, value, user=OWNER, ephemeral=False)
    assert "Added risk R1 *Blocker: No access to the DNS registrar* (owner <@U0MEMB>)" in slack.wait_reply()["text"]
    slack.click(Intent.BLOCKER_TO_RISK, value, user=OWNER, ephemeral=False)
    assert "Already tracked as risk R1" in slack.wait_reply(2)["text"]
    slack.click(Intent.BLOCKER_TO_RISK, "999:U0NOBODY", user=OWNER, ephemeral=False)
    assert "gone or has no blocker" in slack.wait_reply(3)["text"]
    with Session(db_engine) as s:
        [risk] = s.exec(select(Risk))
    assert (risk.owner_user_id, risk.source, risk.likelihood * risk.impact) == (MEMBER, f"standup:{value}", 9)
