"""The weekly report reaches a client's inbox: queued by the worker's job,
delivered through the outbox over SMTP with STARTTLS and a login, to a real
SMTP server the test starts (aiosmtpd), and asserted as received."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.domain.outbox import Kind
from bot.jobs.outbox_sender import deliver_pending
from bot.jobs.report_jobs import weekly_reports
from bot.mail.smtp import EmailNotifier, WithEmail
from bot.models import OutboxMessage
from bot.shell.notifier import ShellNotifier
from bot.web.standalone import page_app
from tests.support.client_story import PUBLIC_URL, SECRETS, client_project
from tests.support.helpers import ok
from tests.support.mailserver import PASSWORD, REFUSED, USER, mail_server

SENDER = "PM bot <pm@example.com>"


def notifier(port: int, tls, *, password: str = PASSWORD, scheme: str = "smtp") -> WithEmail:
    url = f"{scheme}://{USER}:{password.replace('@', '%40').replace(' ', '%20')}@127.0.0.1:{port}"
    return WithEmail(ShellNotifier(), EmailNotifier(smtp_url=url, sender=SENDER, ssl_context=tls, timeout=5))


def deliver(engine, notify, now) -> int:
    sent = 0
    while n := deliver_pending(engine, notify, now=now):
        sent += n
    return sent


def emails(engine) -> dict[str, OutboxMessage]:
    with Session(engine) as s:
        return {r.payload["to"]: r for r in s.exec(select(OutboxMessage).where(OutboxMessage.kind == Kind.EMAIL))}


def test_the_weekly_report_reaches_the_clients_inbox(db_engine, now, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    run = client_project(db_engine, now)
    ok(run("report schedule to client@example.com"))
    friday_evening = now + timedelta(hours=5, minutes=10)  # 16:10 in Berlin
    with mail_server(tmp_path) as (inbox, port, tls):
        queued = weekly_reports(engine=db_engine, now=friday_evening, public_url=PUBLIC_URL)
        assert len(queued) == 2  # the channel post and one email
        assert deliver(db_engine, notifier(port, tls), friday_evening) >= 2
        assert weekly_reports(engine=db_engine, now=friday_evening + timedelta(minutes=15),
                              public_url=PUBLIC_URL) == []  # once a week
        deliver(db_engine, notifier(port, tls), friday_evening)
    assert inbox.logins == [USER] and len(inbox.messages) == 1
    assert inbox.envelopes == [("pm@example.com", ["client@example.com"])]
    msg = inbox.messages[0]
    assert msg["Subject"] == "Website relaunch: weekly report, Sat 21 Nov – Fri 27 Nov 2026"
    assert (msg["From"], msg["To"], msg["Auto-Submitted"]) == (SENDER, "client@example.com", "auto-generated")
    assert re.fullmatch(r"<[0-9a-f]{32}@example\.com>", msg["Message-ID"]) and msg["Date"]
    assert msg.get_content_type() == "multipart/alternative"
    text_part, related = msg.get_payload()
    assert text_part.get_content_type() == "text/plain" and related.get_content_type() == "multipart/related"
    html_part, image = related.get_payload()
    text, html = text_part.get_content(), html_part.get_content()
    assert "HEALTH: Red" in text and "PROGRESS: 56% of estimated hours · 7 of 13 tasks done" in text
    assert "Website relaunch" in html and "56% of estimated hours · 7 of 13 tasks done" in html
    assert image.get_content_type() == "image/png" and image.get_content().startswith(b"\x89PNG")
    cid = image["Content-ID"].strip("<>")
    assert f'src="cid:{cid}"' in html and image.get_content_disposition() == "inline"
    link = re.search(re.escape(PUBLIC_URL) + r"(/p/[A-Za-z0-9_-]{43})", text).group(1)
    assert PUBLIC_URL + link in html
    assert [word for word in SECRETS if word in text or word in html] == []
    # the link in the email opens the page, and the outbox no longer holds it
    assert page_app(db_engine, clock=lambda: friday_evening).test_client().get(link).status_code == 200
    row = emails(db_engine)["client@example.com"]
    assert row.state == "sent" and "secret_link" not in row.payload and link not in str(row.payload)
    assert PASSWORD not in caplog.text and "p%40ss" not in caplog.text


def test_a_refused_address_fails_once_and_the_owner_is_told(db_engine, now, tmp_path):
    run = client_project(db_engine, now)
    with mail_server(tmp_path) as (inbox, port, tls):
        ok(run(f"report send to client@example.com, {REFUSED}"))
        deliver(db_engine, notifier(port, tls), now)
    assert [m["To"] for m in inbox.messages] == ["client@example.com"]
    failed = emails(db_engine)[REFUSED]
    assert failed.state == "failed" and "SMTP 550" in failed.last_error and "secret_link" not in failed.payload
    with Session(db_engine) as s:
        notice = s.exec(select(OutboxMessage).where(OutboxMessage.idempotency_key.startswith("outbox-failed:"))).one()
    text = notice.payload["reply"]["sections"][0]["text"]
    assert notice.user_id == "U0OWNER" and f"{REFUSED} (the weekly report by email)" in text
    assert "the mail server refused that address" in text


@pytest.mark.parametrize("case, expected", [
    ("wrong password", "SMTP 535"),
    ("no STARTTLS", "offers no STARTTLS, so the password in SMTP_URL is not sent"),
])
def test_a_mail_server_that_cannot_be_used_fails_saying_why(db_engine, now, tmp_path, case, expected):
    run = client_project(db_engine, now)
    ok(run("report send to client@example.com"))
    with mail_server(tmp_path, starttls=case != "no STARTTLS") as (inbox, port, tls):
        deliver(db_engine, notifier(port, tls, password="wrong" if case == "wrong password" else PASSWORD), now)
    row = emails(db_engine)["client@example.com"]
    assert inbox.messages == [] and row.state == "failed" and expected in row.last_error
    assert PASSWORD not in row.last_error


def test_an_unreachable_mail_server_is_retried_later(db_engine, now, tmp_path):
    run = client_project(db_engine, now)
    ok(run("report send to client@example.com"))
    with mail_server(tmp_path) as (_, port, tls):
        pass  # started and stopped: nothing listens on the port now
    deliver(db_engine, notifier(port, tls), now)
    row = emails(db_engine)["client@example.com"]
    assert row.state == "pending" and row.attempts == 1 and "secret_link" in row.payload
    assert row.next_attempt_at > now and "mail server 127.0.0.1" in row.last_error
    with mail_server(tmp_path) as (inbox, port2, tls2):
        deliver(db_engine, notifier(port2, tls2), row.next_attempt_at)
    assert len(inbox.messages) == 1 and emails(db_engine)["client@example.com"].state == "sent"
