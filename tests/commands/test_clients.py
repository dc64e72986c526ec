"""Keeping clients informed through commands: `share`, `share list|revoke`,
`report schedule ... to`, `report send`, and the client role."""

from __future__ import annotations

import re

import pytest
from sqlmodel import Session, select

from bot.commands.dispatch import dispatch
from bot.commands.registry import Context
from bot.domain.outbox import Kind
from bot.models import AuditEntry, Member, OutboxMessage, ProcessedRequest, Task
from tests.support.client_story import (
    BOB,
    DANA,
    INTERNAL_RISK,
    PUBLIC_URL,
    SHARED_RISK,
    client_project,
)
from tests.support.helpers import TEAM, Runner, ok, refused

LINK = re.compile(re.escape(PUBLIC_URL) + r"/p/([A-Za-z0-9_-]{43})")


@pytest.fixture
def run(db_engine, now):
    return client_project(db_engine, now)


def test_share_shows_the_link_once_with_what_it_shows_and_until_when(run):
    text = ok(run('share for 2w show costs "Acme board"'))
    assert LINK.search(text)
    assert ("link *S1* for Acme board (costs shown), works until Fri 11 Dec 2026, 11:00 (Europe/Berlin)"
            in text)
    assert "shown only now" in text
    assert "costs hidden" in ok(run("share"))
    listed = ok(run("share list"))
    assert "*S2* · costs hidden" in listed and "*S1* · Acme board · costs shown" in listed
    assert not LINK.search(listed)


def test_share_without_public_url_says_how_to_set_it(db_engine, now):
    client_project(db_engine, now)
    text = refused(Runner(db_engine, now)("share web"))
    assert "Set `PUBLIC_URL` (like `PUBLIC_URL=https://pm.example.com`)" in text
    assert "Usage: `/project share" in text


@pytest.mark.parametrize("text, message", [
    ("share for 0d", "A link lasts from 1 to 366 days (got 0)"),
    ("share for 500d", "A link lasts from 1 to 366 days (got 500)"),
    ("share for ever", "`for` takes how long the link works, like `for 30d`"),
    ("share revoke S9", "has no link S9"),
    ("share revoke first", "Expected a link number like S1 (got `first`)"),
])
def test_share_bad_input(run, text, message):
    assert message in refused(run(text))


def test_only_the_owner_or_a_manager_shares(run):
    for who in (BOB, DANA):
        assert "Only the project's owner or a manager can share a status page" in refused(run("share", user=who))
    assert "see the status page links" in refused(run("share list", user=BOB))


def test_revoking_says_so_and_twice_changes_nothing(run):
    ok(run("share"))
    assert "Revoked link S1" in ok(run("share revoke s1"))
    assert "was already revoked" in ok(run("share revoke S1"))
    assert "no working status page links" in ok(run("share list"))
    assert "revoked Fri 27 Nov 2026, 11:00 (Europe/Berlin)" in ok(run("share list all"))


def test_a_repeated_delivery_never_stores_or_shows_the_token_again(db_engine, now, run):
    with Session(db_engine, expire_on_commit=False) as s:
        def deliver():
            ctx = Context(session=s, team_id=TEAM, user_id="U0OWNER", channel_id="C0PROJ", now=now,
                          public_url=PUBLIC_URL, request_key="command:trigger-1")
            return dispatch("share", ctx, raise_unexpected=True).plain()
        first, second = deliver(), deliver()
        token = LINK.search(first).group(1)
        assert "made by the first delivery of this command and shown then" in second and token not in second
        stored = [r.result for r in s.exec(select(ProcessedRequest))]
        assert stored and token not in str(stored)
        assert len(s.exec(select(AuditEntry).where(AuditEntry.action == "share.create")).all()) == 1


def test_report_recipients_are_added_listed_and_removed(run, db_engine):
    text = ok(run("report schedule to client@example.com, <mailto:CFO@Example.com|CFO@Example.com> show costs"))
    assert text == ("Saved. The weekly report of *Website relaunch* is posted Fridays at 16:00 (Europe/Berlin) "
                    "in <#C0PROJ>. It is also emailed to client@example.com (costs shown), cfo@example.com "
                    "(costs shown).")
    assert "already gets it that way" in ok(run("report schedule to client@example.com show costs"))
    assert "client@example.com (costs hidden)" in ok(run("report schedule to client@example.com"))
    assert "Took cfo@example.com off the emailed report" in ok(run("report schedule remove cfo@example.com"))
    assert "None of those addresses" in ok(run("report schedule remove nobody@example.com"))
    assert "not emailed to client@example.com (costs hidden) either" in ok(run("report schedule off"))
    assert "`nope` is not an email address" in refused(run("report schedule to nope"))
    assert "Only the project's owner or a manager can email the weekly report" in refused(
        run("report schedule to x@example.com", user=BOB))
    with Session(db_engine) as s:
        assert len(s.exec(select(AuditEntry).where(AuditEntry.action == "project.report_emails")).all()) == 3


def test_email_commands_without_smtp_say_how_to_configure_it(db_engine, now):
    client_project(db_engine, now, email=False)
    plain_runner = Runner(db_engine, now)
    for text in ("report send to a@example.com", "report schedule to a@example.com"):
        message = refused(plain_runner(text))
        assert "Set `SMTP_URL` (like `smtp://user:password@mail.example.com:587`" in message
        assert "`SMTP_FROM`" in message


def test_report_send_queues_one_email_per_address_with_its_own_link_once(run, db_engine):
    text = ok(run("report send to client@example.com, cfo@example.com"))
    assert text.startswith("Emailing this week's report of *Website relaunch* to client@example.com, "
                           "cfo@example.com with a link to the live status page")
    assert "already emailed" in ok(run("report send to client@example.com, cfo@example.com"))
    with Session(db_engine) as s:
        rows = s.exec(select(OutboxMessage).where(OutboxMessage.kind == Kind.EMAIL)).all()
        assert sorted(r.payload["to"] for r in rows) == ["cfo@example.com", "client@example.com"]
        assert all(LINK.fullmatch(r.payload["secret_link"]) for r in rows)
        assert rows[0].payload["secret_link"] != rows[1].payload["secret_link"]
        assert rows[0].payload["page"]["costs"] is None
    assert "S1 · client@example.com · costs hidden" in ok(run("share list")).replace("*", "")
    assert "Nobody gets *Website relaunch*'s report by email yet" in refused(run("report send"))


def test_a_client_reads_without_internal_risks_rates_or_hours(run):
    status = ok(run("status", user=DANA))
    assert SHARED_RISK in status and INTERNAL_RISK not in status
    assert INTERNAL_RISK in ok(run("status"))  # the team sees it, marked
    assert "🔒 internal" in ok(run("risk list"))
    assert INTERNAL_RISK not in ok(run("risk list", user=DANA))
    assert "has no risk R2" in refused(run("risk show 2", user=DANA))
    assert INTERNAL_RISK not in ok(run("report", user=DANA))
    assert "$85" not in ok(run("member list", user=DANA))
    assert "12h" not in run("log list", user=DANA).plain()
    ok(run("share"))
    assert INTERNAL_RISK in ok(run("history")) and INTERNAL_RISK not in ok(run("history", user=DANA))
    assert "link" not in ok(run("history", user=DANA)).lower()
    assert f"<@{DANA}> · client · no rate · no capacity (client)" in ok(run("member list"))


def test_an_internal_risks_alert_reaches_the_owner_not_the_channel_a_client_reads(run, db_engine):
    """The client is in the project, so the project's channel may have them in it: the alert about an
    internal risk goes to the owner by DM only, and the client's `alerts` leaves it out."""
    ok(run("alerts check"))
    assert INTERNAL_RISK in ok(run("alerts"))
    assert INTERNAL_RISK not in ok(run("alerts", user=DANA)) and SHARED_RISK in ok(run("alerts", user=DANA))
    with Session(db_engine) as s:
        rows = [r for r in s.exec(select(OutboxMessage)) if INTERNAL_RISK in str(r.payload)]
    assert rows and {(r.kind, r.user_id, r.channel_id) for r in rows} == {(Kind.DM, "U0OWNER", None)}


def test_a_client_moves_only_their_own_tasks(run, db_engine):
    assert "#13" in ok(run("task done 13", user=DANA))
    assert "Only project members can update tasks" in refused(run("task done 9", user=DANA))
    assert "Only project members can add tasks" in refused(run('task add "More pages"', user=DANA))
    assert "clients have no capacity" in refused(run(f"member capacity <@{DANA}> 10"))
    with Session(db_engine) as s:
        assert s.exec(select(Task).where(Task.number == 13)).one().status == "done"
        assert s.exec(select(Member).where(Member.user_id == DANA)).one().weekly_capacity_hours == 0


def test_a_client_is_never_asked_to_a_standup(run, db_engine):
    from bot.domain.projects import find_project
    from bot.domain.standups.queries import participants_for

    with Session(db_engine) as s:
        project = find_project(session=s, team_id=TEAM, key="web")
        assert DANA not in participants_for(session=s, project=project) and BOB in participants_for(
            session=s, project=project)
