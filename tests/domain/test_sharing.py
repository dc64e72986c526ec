"""Share links: long random tokens stored hashed, numbered per project,
expiring, revocable; what the page finds for a token, on both databases."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.domain import sharing
from bot.domain.errors import NotFound, PermissionDenied
from bot.domain.projects import find_project
from bot.models import AuditEntry, ShareLink
from tests.support.helpers import TEAM, Runner, ok

OWNER, BOB = "U0OWNER", "U0BOB"


@pytest.fixture
def project(db_engine, now):
    r = Runner(db_engine, now)
    ok(r('new "Website relaunch" key web due 2027-03-31'))
    ok(r('new "CRM" key crm due 2027-03-31', channel="C0CRM"))
    ok(r(f"member add web <@{BOB}> role member"))
    with Session(db_engine, expire_on_commit=False) as s:
        return find_project(session=s, team_id=TEAM, key="web")


def make(session, project, now, **kw):
    link, token = sharing.create_link(session=session, project=project, actor=OWNER, now=now, **kw)
    session.commit()
    return link, token


def test_a_token_is_a_long_secret_and_only_its_hash_is_stored(db_engine, project, now):
    with Session(db_engine, expire_on_commit=False) as s:
        link, token = make(s, project, now, label="Acme board")
        assert len(token) >= 43 and token.isascii()
        assert link.token_hash == sharing.token_hash(token) != token
        stored = json.dumps([r.model_dump(mode="json") for r in s.exec(select(ShareLink))]
                            + [r.model_dump(mode="json") for r in s.exec(select(AuditEntry))])
        assert token not in stored  # neither the link row nor the audit entry holds it
        other = make(s, project, now)[1]
        assert other != token


def test_links_are_numbered_per_project(db_engine, project, now):
    with Session(db_engine, expire_on_commit=False) as s:
        crm = find_project(session=s, team_id=TEAM, key="crm")
        assert [make(s, project, now)[0].number for _ in range(3)] == [1, 2, 3]
        assert make(s, crm, now)[0].number == 1


def test_a_link_opens_until_it_expires(db_engine, project, now):
    with Session(db_engine, expire_on_commit=False) as s:
        link, token = make(s, project, now, days=30)
        assert link.expires_at == now + timedelta(days=30)
        opened = sharing.open_link(session=s, token=token, now=now + timedelta(days=29, hours=23))
        assert opened is not None and opened[1].key == "web"
        assert sharing.open_link(session=s, token=token, now=now + timedelta(days=30)) is None
        assert sharing.state_of(link, now + timedelta(days=31)) == "expired"


def test_a_revoked_link_opens_nothing_and_revoking_twice_changes_nothing(db_engine, project, now):
    with Session(db_engine, expire_on_commit=False) as s:
        link, token = make(s, project, now)
        _, revoked = sharing.revoke(session=s, project=project, actor=OWNER, number=link.number, now=now)
        s.commit()
        assert revoked and sharing.open_link(session=s, token=token, now=now) is None
        _, again = sharing.revoke(session=s, project=project, actor=OWNER, number=link.number, now=now)
        assert not again
        assert len(s.exec(select(AuditEntry).where(AuditEntry.action == "share.revoke")).all()) == 1
        with pytest.raises(NotFound, match="no link S9"):
            sharing.revoke(session=s, project=project, actor=OWNER, number=9, now=now)


@pytest.mark.parametrize("token", ["", "nope", "x" * 43, "a" * 500, "../../etc/passwd"])
def test_unknown_or_garbled_tokens_open_nothing(db_engine, project, now, token):
    with Session(db_engine, expire_on_commit=False) as s:
        make(s, project, now)
        assert sharing.open_link(session=s, token=token, now=now) is None


def test_a_deleted_project_shows_nothing_and_only_owner_or_manager_share(db_engine, project, now):
    r = Runner(db_engine, now)
    with Session(db_engine, expire_on_commit=False) as s:
        _, token = make(s, project, now)
        with pytest.raises(PermissionDenied, match="Only the project's owner or a manager can share"):
            sharing.create_link(session=s, project=project, actor=BOB, now=now)
    ok(r("delete web confirm"))
    with Session(db_engine) as s:
        assert sharing.open_link(session=s, token=token, now=now) is None
