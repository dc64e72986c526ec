"""One workspace can never read or change another workspace's project:
not by key, not by task number, not through a channel link."""

from __future__ import annotations

import pytest

from tests.support.factories import OWNER, add_milestone, fresh, make_project, task
from tests.support.helpers import OTHER_TEAM, TEAM, Runner, ok, refused


@pytest.fixture
def theirs(db_engine):
    """Workspace T0TEST's project, linked to channel C0SHARED, with task #1 and M1."""
    p = make_project(db_engine, team_id=TEAM, key="payroll", name="Payroll system", channel_id="C0SHARED",
                     task_titles=("Secret task",), budget_cents=2_500_000)
    add_milestone(db_engine, p, "Secret milestone")
    return p


@pytest.fixture
def intruder(db_engine, now):
    """Someone in another workspace who happens to have the same user id as the owner."""
    return Runner(db_engine, now, team_id=OTHER_TEAM)


@pytest.mark.parametrize("command", [
    "status payroll", "task list payroll", "milestone list payroll", "member list payroll",
    "task list payroll all"])
def test_reading_by_key_finds_nothing(db_engine, theirs, intruder, command):
    text = refused(intruder(command, user=OWNER, channel="C0ELSEWHERE"))
    assert "Secret" not in text and "Payroll system" not in text


def test_listing_shows_only_your_own_projects(db_engine, theirs, intruder):
    assert "Payroll system" not in ok(intruder("list all", user=OWNER))


@pytest.mark.parametrize("command", [
    "task done payroll 1", "task assign payroll 1 me", 'task block payroll 1 "x"',
    "task due payroll 1 friday", "edit payroll budget 1", "milestone done payroll M1",
    "member add payroll <@U0SPY>", "delete payroll confirm", "link payroll <#C0MINE|mine>",
])
def test_changing_by_key_or_task_number_fails_and_changes_nothing(db_engine, theirs, intruder, command):
    before = fresh(db_engine, theirs).model_dump(), task(db_engine, theirs, 1).model_dump()
    refused(intruder(command, user=OWNER, channel="C0ELSEWHERE"))
    assert (fresh(db_engine, theirs).model_dump(), task(db_engine, theirs, 1).model_dump()) == before


def test_a_channel_linked_in_one_workspace_means_nothing_in_another(db_engine, theirs, intruder):
    # Slack Connect: the same channel id can appear in two workspaces
    for command in ["status", "task done 1", 'task add "Injected"', "edit budget 1"]:
        text = refused(intruder(command, user=OWNER, channel="C0SHARED"))
        assert "no projects yet" in text
    assert task(db_engine, theirs, 1).status == "todo"


def test_same_key_in_two_workspaces_are_two_projects(db_engine, now, theirs, intruder):
    ok(intruder('new "Our payroll" key payroll', user="U0THEM", channel="C0SHARED"))
    ok(intruder('task add "Our task"', user="U0THEM", channel="C0SHARED"))
    assert "Our task" in ok(intruder("task list payroll", user="U0THEM"))
    ours = ok(Runner(db_engine, now)("task list", channel="C0SHARED"))
    assert "Secret task" in ours and "Our task" not in ours
    # linking in their workspace did not unlink ours
    assert fresh(db_engine, theirs).channel_id == "C0SHARED"
