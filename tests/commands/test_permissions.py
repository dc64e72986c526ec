"""Who may do what: owner/manager manage, members work on tasks, stakeholders read.
A refused action says who may do it and changes nothing."""

from __future__ import annotations

import pytest

from tests.support.factories import (
    MANAGER,
    MEMBER,
    OUTSIDER,
    OWNER,
    STAKEHOLDER,
    add_milestone,
    fresh,
    make_project,
    task,
)
from tests.support.helpers import Runner, ok, refused

MANAGE_ONLY = [  # (command, what the refusal names), in an order that works when allowed
    ("edit budget 30k", "change budget"),
    ("edit due 2027-04-15", "change due date"),
    ('edit goal "Other goal"', "change goal"),
    ("member add <@U0NEW>", "add members"),
    (f"member role <@{MEMBER}> manager", "change roles"),
    (f"member rate <@{MEMBER}> 50", "change rates"),
    (f"member capacity <@{MEMBER}> 10h", "change capacity"),
    (f"member remove <@{MEMBER}>", "remove members"),
    ('milestone add "Beta"', "add milestones"),
    ("milestone done M1", "complete milestones"),
    ("link <#C0NEW|new>", "link a channel"),
    ("delete website confirm", "delete the project"),
]
WORK = [
    ('task add "Write copy"', "add tasks"),
    ("task start 1", "update tasks"),
    ('task block 1 "vendor"', "update tasks"),
    ("task assign 1 me", "assign tasks"),
    ("task due 1 friday", "date tasks"),
    ("task done 1", "update tasks"),
]
READ = ["status", "list", "task list", "milestone list", "member list", "help"]


@pytest.fixture
def project(db_engine):
    """Website relaunch with task #1, milestone M1 and one person in each role."""
    p = make_project(db_engine, task_titles=("Choose hosting",))
    add_milestone(db_engine, p, "Design")
    return p


@pytest.mark.parametrize("role_user", [OWNER, MANAGER])
def test_owner_and_manager_may_manage(db_engine, now, project, role_user):
    run = Runner(db_engine, now)
    for command, _ in MANAGE_ONLY:
        ok(run(command, user=role_user))
    assert fresh(db_engine, project).state == "cancelled"


@pytest.mark.parametrize("role_user", [MEMBER, STAKEHOLDER, OUTSIDER])
def test_others_may_not_manage_and_are_told_who_may(db_engine, now, project, role_user):
    run = Runner(db_engine, now)
    before = fresh(db_engine, project).model_dump()
    for command, what in MANAGE_ONLY:
        text = refused(run(command, user=role_user))
        assert f"Only the project's owner or a manager can {what} on *Website relaunch*" in text
        assert f"(owner: <@{OWNER}>)" in text
        assert "Usage:" not in text  # a refusal is not a typo
    assert fresh(db_engine, project).model_dump() == before


@pytest.mark.parametrize("role_user", [OWNER, MANAGER, MEMBER])
def test_members_may_add_and_update_tasks(db_engine, now, project, role_user):
    run = Runner(db_engine, now)
    for command, _ in WORK:
        ok(run(command, user=role_user))
    assert task(db_engine, project, 1).status == "done"


@pytest.mark.parametrize("role_user", [STAKEHOLDER, OUTSIDER])
def test_stakeholders_may_not_touch_tasks(db_engine, now, project, role_user):
    run = Runner(db_engine, now)
    before = task(db_engine, project, 1).model_dump()
    for command, what in WORK:
        text = refused(run(command, user=role_user))
        assert f"Only project members can {what} on *Website relaunch*" in text
    assert task(db_engine, project, 1).model_dump() == before


@pytest.mark.parametrize("role_user", [STAKEHOLDER, OUTSIDER])
def test_stakeholders_and_everyone_else_read(db_engine, now, project, role_user):
    run = Runner(db_engine, now)
    for command in READ:
        ok(run(command, user=role_user))


def test_a_removed_member_loses_their_rights(db_engine, now, project):
    run = Runner(db_engine, now)
    ok(run(f"member remove <@{MEMBER}>"))
    assert "Only project members can add tasks" in refused(run('task add "X"', user=MEMBER))


def test_only_the_owner_hands_the_project_over(db_engine, now, project):
    run = Runner(db_engine, now)
    text = refused(run(f"member role <@{MANAGER}> owner", user=MANAGER))
    assert f"Only the owner (<@{OWNER}>) can hand *Website relaunch* over" in text
    assert fresh(db_engine, project).owner_user_id == OWNER


def test_moving_a_channel_away_needs_rights_on_the_project_that_has_it(db_engine, now):
    make_project(db_engine, key="website", channel_id="C0WEB")
    make_project(db_engine, key="crm", name="New CRM", owner="U0CRMBOSS", people={}, channel_id=None)
    text = refused(Runner(db_engine, now)("link crm <#C0WEB|web>", user="U0CRMBOSS"))
    assert "can move its channel to another project on *Website relaunch*" in text
