"""`/project task add|list|done|start|assign|block|unblock|due`."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session, select

from bot.domain import tasks as svc_tasks
from bot.models import AuditEntry, TaskStatus
from tests.support.factories import MEMBER, OWNER, add_milestone, make_project, task
from tests.support.helpers import Runner, ok, refused


def test_add_a_task_with_assignee_due_date_estimate_and_milestone(db_engine, now):
    project = make_project(db_engine)
    add_milestone(db_engine, project, "Shop live", date(2027, 1, 15))
    text = ok(Runner(db_engine, now)(
        'task add "Choose hosting" <@U0BOB|bob> due next friday estimate 4h milestone M1'))
    assert "Added #1 *Choose hosting* to Website relaunch" in text
    assert "<@U0BOB>" in text and "due Fri 4 Dec" in text and "4h" in text and "in Shop live" in text
    t = task(db_engine, project, 1)
    assert (t.title, t.assignee_user_id, t.due_date, t.estimate_hours, t.status, t.created_by) == (
        "Choose hosting", "U0BOB", date(2026, 12, 4), 4.0, TaskStatus.TODO, OWNER)


def test_tasks_are_numbered_per_project(db_engine, now):
    make_project(db_engine, key="website", channel_id="C1")
    make_project(db_engine, key="crm", name="New CRM", channel_id="C2")
    run = Runner(db_engine, now)
    assert "Added #1" in ok(run('task add "A"', channel="C1"))
    assert "Added #2" in ok(run('task add "B"', channel="C1"))
    assert "Added #1" in ok(run('task add "C"', channel="C2"))


def test_unquoted_title_with_options_after_it(db_engine, now):
    project = make_project(db_engine)
    ok(Runner(db_engine, now)("task add Choose hosting provider due 31 Mar estimate 3h"))
    t = task(db_engine, project, 1)
    assert (t.title, t.due_date, t.estimate_hours) == ("Choose hosting provider", date(2027, 3, 31), 3.0)


def test_unquoted_title_that_contains_an_option_word(db_engine, now):
    project = make_project(db_engine)
    run = Runner(db_engine, now)
    text = ok(run("task add Update due diligence docs due friday"))
    assert "`due` was read as part of the text" in text
    t = task(db_engine, project, 1)
    assert (t.title, t.due_date) == ("Update due diligence docs", date(2026, 12, 4))
    ok(run("task add Fix the due date bug"))
    t = task(db_engine, project, 2)
    assert (t.title, t.due_date) == ("Fix the due date bug", None)


def test_quoted_title_with_a_bad_option_value_is_refused(db_engine, now):
    make_project(db_engine)
    text = refused(Runner(db_engine, now)('task add "Call the vendor" due tomorow'))
    assert "got `tomorow`" in text and "Usage: `/project task add" in text


def test_task_add_bad_input(db_engine, now):
    make_project(db_engine)
    run = Runner(db_engine, now)
    assert "Expected a task title" in refused(run("task add"))
    assert "A task needs a title" in refused(run('task add ""'))
    assert "at most 500 characters" in refused(run('task add "' + "t" * 501 + '"'))
    assert "duration like 3h" in refused(run('task add "X" estimate lots'))
    assert "no milestone `M9`" in refused(run('task add "X" milestone M9'))


def test_task_add_naming_another_project_first(db_engine, now):
    make_project(db_engine, key="website", channel_id="C1")
    crm = make_project(db_engine, key="crm", name="New CRM", channel_id="C2")
    ok(Runner(db_engine, now)('task add crm "Import contacts"', channel="C1"))
    assert task(db_engine, crm, 1).title == "Import contacts"


def test_task_list_filters(db_engine, now):
    make_project(db_engine)
    ok(Runner(db_engine, now - timedelta(days=10))('task add "Bobs" <@U0BOB> due 2026-11-20'))
    run = Runner(db_engine, now)
    ok(run('task add "Mine" <@U0OWNER>'))
    ok(run('task add "Stuck"'))
    ok(run('task add "Finished"'))
    ok(run('task block 3 "waiting for the vendor"'))
    ok(run("task done 4"))
    open_ = ok(run("task list"))
    assert "open tasks (3)" in open_ and "Finished" not in open_
    assert "overdue" in open_  # Bobs was due 20 Nov
    assert "Mine" in ok(run("task list mine")) and "Bobs" not in ok(run("task list mine"))
    assert "Bobs" in ok(run("task list <@U0BOB|bob>"))
    blocked = ok(run("task list blocked"))
    assert "Stuck" in blocked and "waiting for the vendor" in blocked
    assert "Finished" in ok(run("task list done"))
    assert "all tasks (4)" in ok(run("task list all"))
    ok(run("task unblock 3"))
    assert "No blocked tasks in *Website relaunch*" in ok(run("task list website blocked"))


def test_task_list_pages(db_engine, now):
    make_project(db_engine, task_titles=tuple(f"Task {i}" for i in range(1, 31)))
    run = Runner(db_engine, now)
    first = ok(run("task list"))
    assert "and 5 more: `/project task list website page 2`" in first
    second = ok(run("task list page 2"))
    assert "#26 Task 26" in second and "#1 Task 1 " not in second
    assert "Pages start at 1" in refused(run("task list page 0"))


def test_done_start_block_unblock_stamp_times(db_engine, now):
    project = make_project(db_engine, task_titles=("Choose hosting",))
    run = Runner(db_engine, now)
    assert "is in progress" in ok(run("task start 1"))
    assert task(db_engine, project, 1).started_at is not None
    assert "is blocked" in ok(run('task block 1 "waiting for the quote"'))
    t = task(db_engine, project, 1)
    assert (t.status, t.blocked_reason) == (TaskStatus.BLOCKED, "waiting for the quote")
    assert t.blocked_at is not None
    assert "is unblocked and in progress" in ok(run("task unblock 1"))
    t = task(db_engine, project, 1)
    assert (t.status, t.blocked_reason, t.blocked_at) == (TaskStatus.DOING, "", None)
    assert "is done" in ok(run("task done #1"))
    t = task(db_engine, project, 1)
    assert t.status == TaskStatus.DONE and t.done_at is not None


def test_marking_done_twice_is_a_no_op(db_engine, now):
    project = make_project(db_engine, task_titles=("Choose hosting",))
    run = Runner(db_engine, now)
    ok(run("task done 1"))
    first_done_at = task(db_engine, project, 1).done_at
    assert "was already done" in ok(run("task done 1"))
    assert task(db_engine, project, 1).done_at == first_done_at
    with Session(db_engine) as s:
        assert len(s.exec(select(AuditEntry).where(AuditEntry.action == "task.done")).all()) == 1


def test_unblocking_a_task_that_is_not_blocked_changes_nothing(db_engine, now):
    project = make_project(db_engine, task_titles=("A",))
    assert "is not blocked (it is todo)" in ok(Runner(db_engine, now)("task unblock 1"))
    assert task(db_engine, project, 1).status == TaskStatus.TODO


def test_block_needs_a_reason_and_a_done_task_is_not_blocked(db_engine, now):
    make_project(db_engine, task_titles=("A",))
    run = Runner(db_engine, now)
    text = refused(run("task block 1"))
    assert "what blocks it" in text and 'Usage: `/project task block [PROJECT] N "reason"`' in text
    ok(run("task done 1"))
    assert "reopens it first" in refused(run('task block 1 "vendor"'))


def test_assign_to_someone_me_and_nobody(db_engine, now):
    project = make_project(db_engine, task_titles=("A",))
    run = Runner(db_engine, now)
    assert "is now <@U0BOB>'s" in ok(run("task assign 1 <@U0BOB|bob>"))
    assert task(db_engine, project, 1).assignee_user_id == "U0BOB"
    ok(run("task assign 1 me", user=MEMBER))
    assert task(db_engine, project, 1).assignee_user_id == MEMBER
    assert "is unassigned" in ok(run("task assign 1 nobody"))
    assert task(db_engine, project, 1).assignee_user_id is None
    assert "one of me, nobody" in refused(run("task assign 1 somebody"))


def test_due_sets_and_clears_in_the_projects_zone(db_engine, now):
    project = make_project(db_engine, task_titles=("A",), timezone="Pacific/Auckland")
    run = Runner(db_engine, now.replace(hour=23))  # already 28 Nov in Auckland
    assert "due Sun 29 Nov" in ok(run("task due 1 tomorrow"))
    assert task(db_engine, project, 1).due_date == date(2026, 11, 29)
    assert "has no due date" in ok(run("task due 1 none"))
    assert task(db_engine, project, 1).due_date is None
    assert "Expected the due date" in refused(run("task due 1"))


def test_task_number_errors(db_engine, now):
    make_project(db_engine, task_titles=("A",))
    run = Runner(db_engine, now)
    assert "has no task #9" in refused(run("task done 9"))
    assert "Expected a task number" in refused(run("task done"))
    assert "a task number as a number" in refused(run("task done first"))
    assert "must be at least 1" in refused(run("task done 0"))
    assert "Did not understand `2`" in refused(run("task done 1 2"))


def test_task_changes_are_audited_with_who_old_and_new(db_engine, now):
    project = make_project(db_engine, task_titles=("A",))
    run = Runner(db_engine, now)
    ok(run("task due 1 2026-12-24", user=MEMBER))
    ok(run("task due 1 2026-12-24", user=MEMBER))  # the same again: nothing to record
    ok(run("task assign 1 <@U0BOB>"))
    with Session(db_engine) as s:
        entries = s.exec(select(AuditEntry).where(AuditEntry.entity == "task",
                                                  AuditEntry.action != "task.add")
                         .order_by(AuditEntry.id)).all()
    assert [(e.action, e.user_id, e.before, e.after) for e in entries] == [
        ("task.due", MEMBER, {"due_date": None}, {"due_date": "2026-12-24"}),
        ("task.assign", OWNER, {"assignee_user_id": None}, {"assignee_user_id": "U0BOB"}),
    ]
    assert all(e.project_id == project.id and e.created_at is not None for e in entries)


def test_two_people_adding_a_task_at_the_same_moment_both_get_one(db_engine, now, monkeypatch):
    """The second add first picks the number the first one just took; it is retried."""
    project = make_project(db_engine, task_titles=("Taken as #1",))
    real_next_number = svc_tasks.next_number
    calls = []

    def racing_next_number(**kwargs):
        calls.append(1)
        return 1 if len(calls) == 1 else real_next_number(**kwargs)

    monkeypatch.setattr(svc_tasks, "next_number", racing_next_number)
    assert "Added #2 *Write copy*" in ok(Runner(db_engine, now)('task add "Write copy"'))
    assert len(calls) == 2
    assert [task(db_engine, project, n).title for n in (1, 2)] == ["Taken as #1", "Write copy"]


def test_an_unclosed_quote_still_shows_the_commands_usage(db_engine, now):
    make_project(db_engine)
    text = refused(Runner(db_engine, now)('task add "Choose hosting due friday'))
    assert "A quote is not closed" in text and "Usage: `/project task add" in text
