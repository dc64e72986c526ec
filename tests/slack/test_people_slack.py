"""People across projects, end to end over signed HTTP against the fake Slack:
the morning of someone in two projects' standups is one DM and one modal,
each project's summary gets only its own answers; the overload alert's
"Workload across projects" button shows `people @dan` to the clicker alone."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from bot.domain.replies import Intent
from bot.jobs.outbox_sender import deliver_pending
from bot.jobs.standup_jobs import open_standups, sweep
from bot.models import OutboxMessage, Role, StandupAnswer, StandupConfig, StandupRun
from bot.slack.notifier import SlackNotifier
from tests.support.factories import make_project
from tests.support.fakeslack import FakeSlack
from tests.support.slackhttp import BOT_TOKEN, SlackApp, press, settings_for, wait_for_outbox

OWNER, ANNA, BEN = "U0OLGA", "U0ANNA", "U0BEN"
PROMPT = datetime(2027, 3, 30, 7, 30, tzinfo=UTC)  # Tue 30 Mar 2027, 09:30 in Berlin
AHEAD = PROMPT - timedelta(seconds=60)
CLOSE = PROMPT + timedelta(hours=2)


def dm(user: str) -> str:
    return "D" + user.lstrip("U")[:10]  # the fake's DM channel with `user`


class Morning:
    """Two projects (website in #C0WEB, crm in #C0CRM) with the same three people."""

    def __init__(self, engine, fake: FakeSlack, slack: SlackApp, clock: dict):
        self.engine, self.fake, self.slack, self.clock = engine, fake, slack, clock
        self.notifier = SlackNotifier(base_url=fake.api_url, token_for=lambda team: BOT_TOKEN,
                                      clock=lambda: clock["now"])
        self.replies = 0

    def at(self, when: datetime) -> Morning:
        self.clock["now"] = when
        return self

    def say(self, text: str, *, user: str = OWNER, channel: str = "C0WEB") -> str:
        self.slack.slash(text, user=user, channel=channel)
        self.replies += 1
        return json.dumps(self.slack.wait_reply(self.replies), ensure_ascii=False)

    def deliver(self) -> None:
        deadline = time.monotonic() + 5
        while True:
            while deliver_pending(self.engine, self.notifier, now=self.clock["now"]):
                pass
            with Session(self.engine) as s:
                busy = s.exec(select(OutboxMessage.id).where(OutboxMessage.state.in_(["sending"]))).first()
            if busy is None or time.monotonic() > deadline:
                return
            time.sleep(0.02)

    def open_standups(self) -> None:
        with Session(self.engine) as s:
            configs = s.exec(select(StandupConfig.id).order_by(StandupConfig.id)).all()
        open_standups(self.engine, due=[(c, None, PROMPT) for c in configs], now=AHEAD)
        self.at(PROMPT).deliver()

    def runs(self) -> list[StandupRun]:
        with Session(self.engine) as s:
            return list(s.exec(select(StandupRun).order_by(StandupRun.project_id)))

    def open_modal(self, user: str) -> dict:
        [prompt] = [m for m in self.fake.history[dm(user)] if "Standups: 2 projects" in json.dumps(m)]
        before = len(self.fake.calls_to("views.open"))
        self.slack.click(Intent.ANSWER_STANDUPS, user=user, channel=dm(user), ephemeral=False,
                         message_ts=prompt["ts"], **press(prompt, "Answer standups"))
        return self.fake.wait_for("views.open", before + 1)[before].params["view"]


@contextmanager
def morning(engine) -> Iterator[Morning]:
    clock = {"now": datetime(2027, 3, 29, 9, 0, tzinfo=UTC)}
    with FakeSlack() as fake, SlackApp.start(settings_for(fake), engine, fake,
                                             clock=lambda: clock["now"]) as slack:
        for key, channel in (("website", "C0WEB"), ("crm", "C0CRM")):
            make_project(engine, key=key, name=key.capitalize(), channel_id=channel, owner=OWNER,
                         people={ANNA: Role.MEMBER, BEN: Role.MEMBER}, timezone="Europe/Berlin",
                         now=clock["now"])
        yield Morning(engine, fake, slack, clock)


@pytest.fixture
def day(db_engine):
    with morning(db_engine) as m:
        yield m


def _values(run_id: int, finished: str, next_: str, blockers: str = "none") -> dict:
    return {f"r{run_id}.finished": {"value": finished}, f"r{run_id}.next": {"value": next_},
            f"r{run_id}.blockers": {"value": blockers}}


def test_two_standups_at_the_same_time_are_one_dm_one_modal_and_two_separate_summaries(day, db_engine):
    for channel in ("C0WEB", "C0CRM"):
        assert "standup scheduled" in day.say("standup set 09:30 mon-fri", channel=channel)
    day.open_standups()
    for user in (OWNER, ANNA, BEN):  # one DM each, not two
        posts = [c for c in day.fake.messages(dm(user))]
        assert len(posts) == 1 and "Standups: 2 projects, Tue 30 Mar" in posts[0].text()
    website, crm = day.runs()

    view = day.open_modal(ANNA)
    assert view["callback_id"] == "standup_answers"
    blocks = {b.get("block_id") for b in view["blocks"]}
    assert {f"r{website.id}.finished", f"r{crm.id}.finished", f"r{crm.id}.confidence"} <= blocks
    shown = json.dumps(view, ensure_ascii=False)
    assert "*Website* · standup of Tue 30 Mar" in shown and "*Crm* · standup of Tue 30 Mar" in shown

    day.at(PROMPT + timedelta(minutes=4))
    empty = day.slack.submit(view, {}, user=ANNA, view_id="V0EMPTY").json()
    assert empty["response_action"] == "errors" and "at least one project" in empty["errors"][f"r{website.id}.finished"]
    too_long = {**_values(website.id, "Templates", "Pages"), **_values(crm.id, "x" * 3001, "y")}
    refused = day.slack.submit(view, too_long, user=ANNA, view_id="V0LONG").json()
    assert "at most 3000 characters" in refused["errors"][f"r{crm.id}.finished"]
    with Session(db_engine) as s:
        assert s.exec(select(StandupAnswer)).all() == []  # nothing half-stored

    good = {**_values(website.id, "Templates", "Pages"), **_values(crm.id, "Field mapping", "Import", "no API key")}
    for _ in range(2):  # Slack may deliver a submission twice
        answer = day.slack.submit(view, good, user=ANNA, view_id="V0GOOD")
        assert answer.status == 200 and answer.body in (b"", b"{}")
    with Session(db_engine) as s:
        stored = {(a.project_id, a.answers["finished"], a.blocker) for a in s.exec(select(StandupAnswer))}
    assert stored == {(website.project_id, "Templates", ""), (crm.project_id, "Field mapping", "no API key")}

    day.deliver()
    [edit] = day.fake.calls_to("chat.update")[-1:]
    assert edit.params["channel"] == dm(ANNA) and "answered at 09:34 (Europe/Berlin)" in json.dumps(edit.params)
    assert "Edit answers" in json.dumps(edit.params)

    day.at(CLOSE + timedelta(minutes=1))
    sweep(db_engine, now=day.clock["now"], grace=timedelta(hours=1))
    day.deliver()
    site, crm_channel = (json.dumps(day.fake.history.get(c, []), ensure_ascii=False) for c in ("C0WEB", "C0CRM"))
    assert "1 of 3 answered, 0 blockers" in site and "Templates" in site
    assert "Field mapping" not in site and "no API key" not in site
    assert "1 of 3 answered, 1 blocker" in crm_channel and "Field mapping" in crm_channel
    assert "Templates" not in crm_channel


def test_the_overload_alert_opens_people_for_the_clicker_alone(day, db_engine):
    day.at(datetime(2027, 3, 29, 8, 0, tzinfo=UTC))  # Monday 10:00 in Berlin
    day.say(f"member capacity website <@{BEN}> 25h")
    refused = day.say(f"member capacity crm <@{BEN}> 25h", channel="C0CRM")
    assert "would make 50h, 10h more than their capacity" in refused and "Website 25h" in refused
    day.say(f"task add website \"Templates\" <@{BEN}> due 2027-04-07 estimate 30h")
    day.say(f"task add crm \"Import\" <@{BEN}> due 2027-04-08 estimate 20h", channel="C0CRM")
    day.say("alerts check", channel="C0CRM")
    wait_for_outbox(db_engine)  # the web process sends what its own requests queued
    posts = [m for m in day.fake.history.get("C0CRM", []) if "Overload" in json.dumps(m)]
    reason = (f"<@{BEN}> has 50h of work due in the week of Mon 5 Apr against 40h "
              "(Website 30h, Crm 20h).")
    assert posts and reason in json.dumps(posts[-1], ensure_ascii=False)
    day.slack.click(Intent.SHOW_PEOPLE, user=OWNER, channel="C0CRM", ephemeral=False,
                    message_ts=posts[-1]["ts"], **press(posts[-1], "Workload across projects"))
    day.replies += 1
    shown = day.slack.wait_reply(day.replies)
    text = json.dumps(shown, ensure_ascii=False)
    assert shown["response_type"] == "ephemeral" and not shown.get("replace_original")  # the alert stays
    assert f"<@{BEN}>" in text and "*5 Apr 50h/40h* ⚠️" in text and "Website* `website`: 25h a week allocated" in text
    day.slack.click(Intent.SHOW_PEOPLE, user=ANNA, channel="C0CRM", ephemeral=False,
                    message_ts=posts[-1]["ts"], **press(posts[-1], "Workload across projects"))
    day.replies += 1
    assert "Only project owners and managers see other people's workload" in json.dumps(
        day.slack.wait_reply(day.replies))
