"""`/project member add|remove|role|rate|capacity|list`."""

from __future__ import annotations

from sqlmodel import Session, select

from bot.models import AuditEntry, Member
from tests.support.factories import MANAGER, MEMBER, OWNER, fresh, make_project
from tests.support.helpers import Runner, ok, refused


def member(engine, user_id: str) -> Member | None:
    with Session(engine) as s:
        return s.exec(select(Member).where(Member.user_id == user_id)).first()


def test_add_members_with_and_without_a_role(db_engine, now):
    make_project(db_engine, people={})
    run = Runner(db_engine, now)
    assert "<@U0BOB>, <@U0CAROL> joined *Website relaunch* as member" in ok(
        run("member add <@U0BOB|bob> <@U0CAROL|carol>"))
    assert "joined *Website relaunch* as stakeholder" in ok(run("member add <@U0ERIN> role stakeholder"))
    assert member(db_engine, "U0ERIN").role == "stakeholder"
    listed = ok(run("member list"))
    assert "people (4)" in listed and "<@U0ERIN> · stakeholder" in listed


def test_adding_the_same_member_twice_is_a_no_op(db_engine, now):
    make_project(db_engine, people={})
    run = Runner(db_engine, now)
    ok(run("member add <@U0BOB>"))
    assert "<@U0BOB> already on the project" in ok(run("member add <@U0BOB> role manager"))
    assert member(db_engine, "U0BOB").role == "member"
    with Session(db_engine) as s:
        assert len(s.exec(select(Member).where(Member.user_id == "U0BOB")).all()) == 1
        assert len(s.exec(select(AuditEntry).where(AuditEntry.action == "member.add")).all()) == 1


def test_remove_keeps_history_and_they_can_come_back(db_engine, now):
    make_project(db_engine)
    run = Runner(db_engine, now)
    assert "is no longer on *Website relaunch*" in ok(run(f"member remove <@{MEMBER}>"))
    assert member(db_engine, MEMBER).active is False
    assert "already off" in ok(run(f"member remove <@{MEMBER}>"))  # a repeat changes nothing
    ok(run(f"member add <@{MEMBER}> as manager"))
    assert (member(db_engine, MEMBER).active, member(db_engine, MEMBER).role) == (True, "manager")


def test_the_owner_cannot_be_removed_or_demoted(db_engine, now):
    make_project(db_engine)
    run = Runner(db_engine, now)
    assert "owner cannot be removed" in refused(run(f"member remove <@{OWNER}>"))
    assert "owner's role cannot change" in refused(run(f"member role <@{OWNER}> member"))
    assert "add them as a manager instead" in refused(run("member add <@U0NEW> role owner"))


def test_role_rate_and_capacity(db_engine, now):
    make_project(db_engine)
    run = Runner(db_engine, now)
    assert f"<@{MEMBER}> is now manager of *Website relaunch*" in ok(run(f"member role <@{MEMBER}> manager"))
    assert "rate on *Website relaunch* is $85/h" in ok(run(f"member rate <@{MEMBER}> 85"))
    assert "has 20h a week" in ok(run(f"member capacity <@{MEMBER}> 20h"))
    assert "has 32h a week" in ok(run(f"member capacity <@{MEMBER}> 32"))
    assert "has 7.5h a week" in ok(run(f"member capacity <@{MEMBER}> 7.5"))
    ok(run(f"member capacity <@{MEMBER}> 32"))
    m = member(db_engine, MEMBER)
    assert (m.role, m.hourly_rate_cents, m.weekly_capacity_hours) == ("manager", 8500, 32.0)


def test_handing_over_ownership(db_engine, now):
    project = make_project(db_engine)
    run = Runner(db_engine, now)
    ok(run(f"member role <@{MANAGER}> owner"))
    assert fresh(db_engine, project).owner_user_id == MANAGER
    assert member(db_engine, OWNER).role == "manager"


def test_member_bad_input(db_engine, now):
    make_project(db_engine)
    run = Runner(db_engine, now)
    text = refused(run("member add bob"))
    assert "Expected a person, like @alice" in text and "Usage: `/project member add" in text
    assert "A role is one of owner, manager, member, stakeholder, client, sponsor (got `boss`)" in refused(
        run("member add <@U0NEW> role boss"))
    assert "Expected a role" in refused(run(f"member role <@{MEMBER}>"))
    assert "amount like 25000" in refused(run(f"member rate <@{MEMBER}> cheap"))
    assert "from 0 to 168" in refused(run(f"member capacity <@{MEMBER}> 200"))
    assert "from 0 to 168 (got 200)" in refused(run(f"member capacity <@{MEMBER}> 200h"))
    assert "not a member" in refused(run("member rate <@U0NOBODY> 50"))
