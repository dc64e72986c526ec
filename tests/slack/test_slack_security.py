"""Requests not signed by Slack get 401, change nothing, and leave no body in the logs."""

from __future__ import annotations

import logging
import time

import pytest
from sqlmodel import Session, func, select

from bot.models import Project
from tests.support.slackhttp import BOT_TOKEN, SIGNING_SECRET, get, sign


def _projects(engine) -> int:
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(Project)).one()


FORGED = {"forged": {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=" + "0" * 64}}


@pytest.mark.parametrize("how", ["forged", "wrong secret", "stale", "missing headers", "missing signature"])
def test_an_unsigned_or_badly_signed_request_is_refused_and_changes_nothing(how, slack, fake, db_engine, caplog):
    caplog.set_level(logging.DEBUG)
    fake.reset()  # forget the start-up auth.test
    kwargs: dict = {}
    if how == "forged":
        kwargs = {"signed": False, "headers": FORGED["forged"]}
    elif how == "wrong secret":
        slack.secret = "not-the-secret"
    elif how == "stale":
        kwargs = {"timestamp": int(time.time()) - 6 * 60}
    elif how == "missing headers":
        kwargs = {"signed": False}
    else:
        kwargs = {"signed": False, "headers": {"X-Slack-Request-Timestamp": str(int(time.time()))}}
    response = slack.slash('new "Sneaky project"', **kwargs)
    assert response.status == 401
    time.sleep(0.1)  # anything run in the background would have started by now
    assert _projects(db_engine) == 0
    assert fake.calls == [] and fake.responses == []
    logged = caplog.text
    assert "Sneaky" not in logged and slack.last_response_url not in logged
    assert "refused a request" in logged


def test_a_request_signed_four_minutes_ago_is_still_accepted(slack, fake, db_engine):
    assert slack.slash('new "Timely project"', timestamp=int(time.time()) - 4 * 60).status == 200
    slack.wait_reply()
    assert _projects(db_engine) == 1


def test_a_tampered_body_with_a_valid_signature_for_another_body_is_refused(slack, fake, db_engine):
    headers = sign(b"text=status", secret=SIGNING_SECRET)
    response = slack.slash('new "Tampered"', signed=False, headers=headers)
    assert response.status == 401
    assert _projects(db_engine) == 0


def test_tokens_and_request_bodies_stay_out_of_the_logs_even_at_debug(slack, fake, db_engine, caplog):
    caplog.set_level(logging.DEBUG)
    slack.slash('new "Logged project"')
    slack.wait_reply()
    slack.event({"type": "app_home_opened", "user": "U0OWNER", "tab": "home", "event_ts": "1.0"})
    fake.wait_for("views.publish")
    assert BOT_TOKEN not in caplog.text
    assert SIGNING_SECRET not in caplog.text
    assert slack.last_response_url not in caplog.text
    assert "Logged project" not in caplog.text


def test_healthz_checks_the_database(slack, db_engine):
    response = get(slack.url + "/healthz")
    assert response.status == 200
    assert response.json() == {"ok": True, "database": "ok"}


def test_healthz_reports_an_unreachable_database(fake):
    from bot.db import make_engine
    from tests.support.slackhttp import SlackApp, settings_for

    broken = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    with SlackApp.start(settings_for(fake), broken, fake) as app:
        response = get(app.url + "/healthz")
    assert response.status == 503
    assert response.json() == {"ok": False, "database": "unreachable"}


def test_slacks_certificate_check_gets_200_and_reaches_nothing(slack, fake, db_engine):
    fake.reset()
    response = slack.send_form({"ssl_check": "1", "token": "legacy"}, signed=False)
    assert response.status == 200
    assert fake.calls == [] and _projects(db_engine) == 0


def test_an_oversized_body_is_refused(slack, db_engine):
    response = slack.slash("x" * (2 * 1024 * 1024))
    assert response.status == 413
    assert _projects(db_engine) == 0


def test_the_events_url_answers_slacks_signed_url_verification_challenge(slack):
    import json

    body = json.dumps({"token": "legacy", "challenge": "3eZbrw1aBm2rZgRNFdxV", "type": "url_verification"})
    response = slack.send(body.encode(), "application/json")
    assert response.status == 200
    assert response.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV"}
    assert slack.send(body.encode(), "application/json", signed=False).status == 401
