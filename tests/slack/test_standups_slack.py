"""The standup modal in Slack: errors on the form, double submits, closed runs,
and the cached Slack timezones behind per-member times."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, func, select

from bot.domain.replies import Intent
from bot.models import StandupAnswer, StandupConfig, User
from bot.slack.notifier import make_client
from bot.slack.users import refresh_user_zones
from tests.slack.test_standups_week import ANNA, BEN, DORA, OWNER, Week, dm, running_week
from tests.support.slackhttp import wait_for_outbox

TUE = datetime(2027, 3, 30, 7, 30, tzinfo=UTC)  # 09:30 in Berlin


@pytest.fixture
def week(db_engine):
    with running_week(db_engine) as w:
        yield w


def _answers(engine) -> int:
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(StandupAnswer)).one()


def _started(week: Week):
    week.say("standup set 09:30 mon-fri")
    week.at(TUE).fire()
    return week.run(TUE.date())


def test_an_empty_answer_is_refused_on_the_form_and_a_double_submit_stores_one(week, db_engine):
    run = _started(week)
    view = week.open_modal(ANNA, run.id)
    empty = week.slack.submit(view, {"finished": {"value": ""}}, user=ANNA, view_id="V0EMPTY")
    assert empty.json()["response_action"] == "errors"
    assert "The answer is empty" in empty.json()["errors"]["finished"]
    assert _answers(db_engine) == 0
    values = {"finished": {"value": "Login"}, "next": {"value": "Signup"}}
    first = week.slack.submit(view, values, user=ANNA, view_id="V0TWICE")
    second = week.slack.submit(view, values, user=ANNA, view_id="V0TWICE")
    assert (first.body, second.body) in {(b"", b""), (b"{}", b"{}"), (b"", b"{}"), (b"{}", b"")}
    assert _answers(db_engine) == 1


def test_the_button_of_a_closed_run_already_answered_says_so_privately(week):
    run = _started(week)
    week.say('standup answer finished "Login" next "Signup" blockers none', user=ANNA)
    week.at(TUE + timedelta(hours=2)).tick()
    before = len(week.fake.calls_to("views.open"))
    week.slack.click(Intent.ANSWER_STANDUP, str(run.id), user=ANNA, channel=dm(ANNA))
    reply = week.slack.wait_reply(week.replies + 1)
    week.replies += 1
    assert "has closed" in json.dumps(reply) and len(week.fake.calls_to("views.open")) == before


def test_a_stakeholder_or_stranger_cannot_answer(week, db_engine):
    run = _started(week)
    view = week.open_modal(OWNER, run.id)
    refused = week.slack.submit(view, {"finished": {"value": "x"}}, user="U0STRANGER", view_id="V0STR")
    assert "Only members" in json.dumps(refused.json()) and _answers(db_engine) == 0


def test_slack_timezones_are_cached_and_refreshed_at_most_daily(week, db_engine):
    week.fake.add_user(BEN, name="ben", tz="America/New_York")
    week.fake.add_user(DORA, name="dora", tz="Asia/Tokyo")
    week.say("standup set 09:30 member-time")
    client = make_client(week.fake.api_url, "xoxb-test-token")
    now = datetime(2027, 3, 30, 6, tzinfo=UTC)
    with Session(db_engine) as s:
        assert refresh_user_zones(session=s, client=client, team_id="T0TEST", now=now) == 6
        s.commit()
        assert refresh_user_zones(session=s, client=client, team_id="T0TEST", now=now + timedelta(hours=5)) == 0
        assert refresh_user_zones(session=s, client=client, team_id="T0TEST", now=now + timedelta(days=1)) == 6
        zones = dict(s.exec(select(User.user_id, User.timezone)).all())
    assert zones[BEN] == "America/New_York" and zones[DORA] == "Asia/Tokyo"
    assert len(week.fake.calls_to("users.info")) == 12


def test_the_worker_job_refreshes_zones_for_member_time_standups(week, db_engine):
    from bot.jobs.scheduler import build_scheduler
    from bot.slack.users import refresh_zones_job
    from tests.support.slackhttp import settings_for

    week.fake.add_user(BEN, name="ben", tz="America/New_York")
    build_scheduler(settings_for(week.fake), db_engine)  # what the worker sets up for its jobs
    refresh_zones_job(now=TUE)  # no member-time standup yet: nothing to ask Slack
    assert week.fake.calls_to("users.info") == []
    week.say("standup set 09:30 member-time")
    refresh_zones_job(now=TUE)
    with Session(db_engine) as s:
        assert s.exec(select(User.timezone).where(User.user_id == BEN)).one() == "America/New_York"


def test_standup_in_slack_opens_the_settings_form_and_saving_it_reschedules(week, db_engine):
    before = len(week.fake.calls_to("views.open"))
    week.slack.slash("standup", user=OWNER)
    view = week.fake.wait_for("views.open", before + 1)[before].params["view"]
    assert view["callback_id"] == "standup_settings"
    shown = json.dumps(view)
    assert '"09:30"' in shown and '"mon-fri"' in shown and '"Europe/Berlin"' in shown and '"11:30"' in shown
    good = {"time": {"value": "10:00"}, "days": {"value": "mon,wed,fri"}, "timezone": {"value": "Europe/Berlin"},
            "channel": {"selected_conversation": "C0TEAM"}, "holidays": {"value": "DE-BY"},
            "close": {"value": "11:00"}, "remind": {"value": "50"},
            "zones": {"selected_option": {"value": "project"}},
            "answers": {"selected_option": {"value": "inline"}}}
    bad = {**good, "time": {"value": "25:00"}, "holidays": {"value": "XX"}, "remind": {"value": "lots"}}
    refused = week.slack.submit(view, bad, user=OWNER, view_id="V0SET").json()
    assert refused["response_action"] == "errors" and set(refused["errors"]) == {"time", "holidays", "remind"}
    assert week.slack.submit(view, good, user=OWNER, view_id="V0SET").body in (b"", b"{}")
    with Session(db_engine) as s:
        config = s.exec(select(StandupConfig)).one()
    assert (config.time_local, config.days, config.channel_id, config.holidays_subdiv) == (
        "10:00", "mon,wed,fri", "C0TEAM", "BY")
    assert (config.close_after_minutes, config.reminder_at_pct, config.answers_in_thread) == (60, 50, False)
    week.at(week.now).deliver()
    wait_for_outbox(db_engine)  # the web process's own sender may hold the confirmation a moment
    assert any("standup scheduled" in json.dumps(m) for m in week.fake.history.get("C0PROJ", []))
    not_allowed = week.slack.submit(view, good, user=ANNA, view_id="V0ANNA").json()
    assert "Only the project's owner or a manager" in json.dumps(not_allowed)
