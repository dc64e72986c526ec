"""The status page over HTTP: what it shows, the headers that keep it safe,
and the one 404 for every link that does not work (both databases)."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest

from bot.web.pages import SECURITY_HEADERS, STYLESHEET_URL, redact_path
from bot.web.standalone import page_app
from tests.support.client_story import COSTS, INTERNAL_RISK, SECRETS, SHARED_RISK, client_project
from tests.support.helpers import ok

LINK = re.compile(r"https://pm\.example\.com(/p/[A-Za-z0-9_-]{43})")


@pytest.fixture
def story(db_engine, now):
    run = client_project(db_engine, now)
    clock = {"now": now}
    client = page_app(db_engine, clock=lambda: clock["now"]).test_client()
    return run, client, clock


def share(run, text="share") -> str:
    return LINK.search(ok(run(text))).group(1)


def visible_text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_page_shows_the_project_as_a_client_needs_it(story):
    run, client, _ = story
    page = client.get(share(run))
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    text = visible_text(html)
    for expected in ("Website relaunch", "A faster website that brings in more enquiries", "Red",
                     "1 critical risk open", "56% of estimated hours · 7 of 13 tasks done",
                     "Due Wed 31 Mar 2027", "Design approved", "reached Fri 20 Nov", "Approve the home page copy",
                     SHARED_RISK, "1 more risk is being handled by the team", "Decisions needed"):
        assert expected in text, expected
    assert [word for word in SECRETS + COSTS if word in html] == []
    assert "<script" not in html and ' style="' not in html
    assert re.search(r'<img src="/p/[^"]+/burnup.png" alt="Burn-up chart of Website relaunch: [^"]+"', html)
    assert '<html lang="en">' in html and '<meta name="viewport"' in html and "<h1>Website relaunch</h1>" in html


def test_costs_only_on_a_link_made_with_show_costs(story):
    run, client, _ = story
    html = client.get(share(run, "share show costs")).get_data(as_text=True)
    assert "$2,220 of $25,000 spent (9%)" in html and INTERNAL_RISK not in html


def test_every_answer_carries_the_security_headers(story):
    run, client, _ = story
    path = share(run)
    for url, mimetype in ((path, "text/html"), (f"{path}/burnup.png", "image/png"), (STYLESHEET_URL, "text/css"),
                          ("/p/nope", "text/html")):
        response = client.get(url)
        assert response.mimetype == mimetype, url
        for name, value in SECURITY_HEADERS.items():
            assert response.headers[name] == value, (url, name)
    assert client.get(f"{path}/burnup.png").data.startswith(b"\x89PNG")
    assert "default-src 'none'" in SECURITY_HEADERS["Content-Security-Policy"]


def test_revoked_expired_and_unknown_links_get_the_same_plain_404(story):
    run, client, clock = story
    revoked, expired = share(run), share(run, "share for 1d")
    ok(run("share revoke S1"))
    gone = client.get("/p/" + "x" * 43)
    clock["now"] += timedelta(days=1)
    answers = [client.get(revoked), client.get(expired), gone, client.get(f"{revoked}/burnup.png")]
    assert [a.status_code for a in answers] == [404, 404, 404, 404]
    bodies = {a.get_data(as_text=True) for a in answers}
    assert len(bodies) == 1
    body = bodies.pop()
    assert "This link does not work" in body and "Website relaunch" not in body and "<img" not in body


def test_the_production_http_app_serves_the_page_too(db_engine, now, fake):
    from tests.support.slackhttp import SlackApp, get, settings_for

    run = client_project(db_engine, now)
    path = share(run)
    with SlackApp.start(settings_for(fake), db_engine, fake, clock=lambda: now) as app:
        page = get(app.url + path)
        assert page.status == 200 and b"Website relaunch" in page.body
        assert page.headers["Referrer-Policy"] == "no-referrer"
        assert get(app.url + "/p/nope").status == 404


def test_tokens_never_reach_the_access_log(caplog):
    assert redact_path("/p/abcDEF123_-/burnup.png") == "/p/[token]/burnup.png"
    assert redact_path("/p/abcDEF123") == "/p/[token]" and redact_path(STYLESHEET_URL) == STYLESHEET_URL
    from gunicorn.config import Config

    from bot.slack.server import _redacting_logger

    logger = _redacting_logger()(Config())
    atoms = logger.atoms(type("R", (), {"status": "200 OK", "headers": [], "sent": 10, "response_length": 10})(),
                         type("Q", (), {"headers": [], "method": "GET", "uri": "/p/SECRET",
                                        "path": "/p/SECRET", "query": "", "version": (1, 1)})(),
                         {"REMOTE_ADDR": "1.2.3.4", "PATH_INFO": "/p/SECRET", "REQUEST_METHOD": "GET", "QUERY_STRING": "", "SERVER_PROTOCOL": "HTTP/1.1", "RAW_URI": "/p/SECRET"}, timedelta(seconds=0.01))
    assert atoms["U"] == "/p/[token]" and "SECRET" not in atoms["r"]
    logging.getLogger("x").info("%s", atoms["U"])
    assert "SECRET" not in caplog.text
