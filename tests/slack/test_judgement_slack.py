"""The PM's judgement end to end through Slack: signed HTTP requests into the
production app, Web API calls into the fake (chart uploads included)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlmodel import Session, select

from bot.domain.replies import Intent
from bot.jobs.outbox_sender import deliver_pending
from bot.jobs.report_jobs import weekly_reports
from bot.models import CostEntry, OutboxMessage
from bot.slack.notifier import SlackNotifier
from tests.conftest import FROZEN_NOW
from tests.support.fakeslack import FakeSlack
from tests.support.judgement_history import BOB, CHANNEL, build_history
from tests.support.slackhttp import BOT_TOKEN, SlackApp, settings_for, wait_for_outbox

TEAM = "T0TEST"
ALICE = "U0ALICE"
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def slack(fake, db_engine) -> Iterator[SlackApp]:
    with Session(db_engine) as s:
        build_history(s, team_id=TEAM)
        s.commit()
    with SlackApp.start(settings_for(fake), db_engine, fake, clock=lambda: FROZEN_NOW) as app:
        yield app


def _blocks(message: dict) -> str:
    return json.dumps(message.get("blocks", []), ensure_ascii=False)


def _buttons(message: dict) -> list[str]:
    return [e["text"]["text"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]


def _upload(fake: FakeSlack, n: int = 1) -> dict:
    """The n-th completed files_upload_v2, after checking its bytes are a PNG."""
    fake.wait_for("files.getUploadURLExternal", n)
    done = fake.wait_for("files.completeUploadExternal", n)[n - 1]
    assert any(data.startswith(PNG) for data in fake.uploads.values())
    return done.params


def test_status_shows_colour_reasons_numbers_and_five_buttons(slack, fake):
    assert slack.slash("status shop", user=ALICE, channel=CHANNEL).status == 200
    reply = slack.wait_reply()
    blocks = _blocks(reply)
    assert "Amber: CPI 0.87 (under 0.90); 2 high risks open" in blocks
    assert "SPI 0.96 · 85% likely done by Wed 6 Jan 2027 (due Fri 19 Feb 2027)" in blocks
    assert "$82,800 of $100,000 (83%) · 72% earned · CPI 0.87 · EAC $115,000 · VAC -$15,000" in blocks
    assert _buttons(reply) == ["Refresh", "Post to channel", "Add task", "Add risk", "Chart"]


def test_chart_button_on_a_posted_status_uploads_into_its_thread(slack, fake, db_engine):
    slack.click(Intent.CHART, "shop", user=ALICE, channel=CHANNEL, message_ts="1700000000.000100",
                ephemeral=False, index=4)
    note = slack.wait_reply()
    assert "Uploading the burn-up chart in this thread." in note["text"]
    params = _upload(fake)
    assert params["channel_id"] == CHANNEL and params["thread_ts"] == "1700000000.000100"
    assert "burn-up" in json.dumps(params)
    # A double click does not upload twice.
    slack.click(Intent.CHART, "shop", user=ALICE, channel=CHANNEL, message_ts="1700000000.000100",
                ephemeral=False, index=4)
    assert "already on its way" in slack.wait_reply(2)["text"]
    wait_for_outbox(db_engine)
    assert len(fake.calls_to("files.completeUploadExternal")) == 1


def test_chart_command_answers_in_channel_and_uploads_the_png(slack, fake, db_engine):
    slack.slash("chart shop budget", user=ALICE, channel=CHANNEL)
    reply = slack.wait_reply()
    assert reply["response_type"] == "in_channel" and "Budget burn chart of *Shop relaunch*" in _blocks(reply)
    params = _upload(fake)
    assert params["channel_id"] == CHANNEL
    assert wait_for_outbox(db_engine)[-1].state == "sent"


def test_report_post_puts_details_and_chart_in_the_summary_thread(slack, fake, db_engine):
    slack.slash("report shop post", user=ALICE, channel=CHANNEL)
    assert "Posting the weekly report" in slack.wait_reply()["text"]
    # The worker's dispatcher delivers what the command queued (the web process
    # only pumps the outbox right away after home refreshes and uploads).
    deliver_pending(db_engine, SlackNotifier(base_url=fake.api_url, token_for=lambda t: BOT_TOKEN,
                                             retries=0))
    posts = fake.wait_for("chat.postMessage", 2)
    summary, details = posts[0], posts[1]
    assert "weekly report" in summary.text() and "Trend: Green → Amber" in summary.text()
    assert "Decisions needed" in details.text()
    ts = [m["ts"] for m in fake.history[CHANNEL] if "weekly report" in json.dumps(m)][0]
    assert details.params["thread_ts"] == ts
    assert _upload(fake)["thread_ts"] == ts
    assert {r.state for r in wait_for_outbox(db_engine)} == {"sent"}


def test_spend_log_and_costs_through_slack(slack, fake, db_engine):
    slack.slash('spend 1200 licenses "Design tool seats"', user=ALICE, channel=CHANNEL)
    assert "Spent so far: $84,000 of $100,000 (84%)." in slack.wait_reply()["text"]
    slack.slash(f"log 2h <@{BOB}|bob>", user=ALICE, channel=CHANNEL)
    assert "At $100/h that is $200." in slack.wait_reply(2)["text"]
    slack.slash("costs by category", user=ALICE, channel=CHANNEL)
    costs = _blocks(slack.wait_reply(3))
    assert "hardware: $18,000" in costs and "licenses: $13,200" in costs and "labour: $53,000" in costs
    with Session(db_engine) as s:
        assert len(s.exec(select(CostEntry)).all()) == 3


def test_scheduled_weekly_report_reaches_slack_with_its_chart(fake, db_engine):
    with Session(db_engine) as s:
        build_history(s, team_id=TEAM)
        s.commit()
    friday_four = FROZEN_NOW.replace(hour=16)
    assert len(weekly_reports(engine=db_engine, now=friday_four)) == 1
    notifier = SlackNotifier(base_url=fake.api_url, token_for=lambda team: BOT_TOKEN, retries=0)
    assert deliver_pending(db_engine, notifier) == 3
    summary, details = fake.wait_for("chat.postMessage", 2)
    assert details.params["thread_ts"] == fake.history[CHANNEL][0]["ts"]
    assert _upload(fake)["thread_ts"] == fake.history[CHANNEL][0]["ts"]
    assert weekly_reports(engine=db_engine, now=friday_four) == []  # once a week
    with Session(db_engine) as s:
        assert {r.state for r in s.exec(select(OutboxMessage))} == {"sent"}
