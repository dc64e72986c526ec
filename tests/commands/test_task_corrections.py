"""Correcting tasks: `task edit`, `task cancel`, `task reopen`, and `task delete|remove`
read as cancel. Each is audited (who, when, old → new), changes nothing more
when repeated, and is refused with a reason when not allowed."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot.domain.status import build_status
from bot.models import AuditEntry, Member, Task, TaskStatus
from tests.support.factories import (
    MANAGER,
    MEMBER,
    OUTSIDER,
    STAKEHOLDER,
    fresh,
    make_project,
    task,
)
from tests.support.helpers import Runner, ok, refused


@pytest.fixture
def run(db_engine, now):
    make_project(db_engine, budget_cents=1_000_000, now=now)
    r = Runner(db_engine, now)
    ok(r('milestone add "Design" due 2026-12-11'))
    ok(r('task add "Choose hosting" estimate 4h'))
    ok(r(f'task add "Write copy" <@{MEMBER}> estimate 6h'))
    return r


def _audit(engine, action: str) -> list[AuditEntry]:
    with Session(engine) as s:
        return list(s.exec(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def test_edit_changes_several_fields_at_once_and_says_old_and_new(run, db_engine, now):
    text = ok(run(f'task edit 1 title "Choose a host" estimate 5h milestone M1 due 2026-12-04 '
                  f'assignee <@{MEMBER}>', user=MEMBER))
    assert "#1 *Choose a host* edited:" in text
    assert "title: “Choose hosting” → “Choose a host”" in text
    assert "estimate: 4h → 5h" in text
    assert "milestone: no milestone → M1 Design" in text
    assert "due: _not set_ → Fri 4 Dec 2026" in text
    assert f"assignee: nobody → <@{MEMBER}>" in text
    t = task(db_engine, fresh(db_engine, _project(db_engine)), 1)
    assert (t.title, t.estimate_hours, str(t.due_date), t.assignee_user_id) == (
        "Choose a host", 5.0, "2026-12-04", MEMBER)
    [entry] = _audit(db_engine, "task.edit")
    assert entry.user_id == MEMBER and entry.created_at == now
    assert entry.before == {"title": "Choose hosting", "estimate_hours": 4.0, "milestone_id": None,
                            "due_date": None, "assignee_user_id": None}
    assert entry.after["title"] == "Choose a host" and entry.after["due_date"] == "2026-12-04"


def _project(engine):
    from bot.domain.projects import find_project
    from tests.support.helpers import TEAM

    with Session(engine, expire_on_commit=False) as s:
        return find_project(session=s, team_id=TEAM, key="website")


def test_a_repeated_edit_changes_nothing_and_says_so(run, db_engine):
    ok(run("task edit 1 estimate 5h due 2026-12-04"))
    again = ok(run("task edit 1 estimate 5h due 2026-12-04"))
    assert "nothing to change, it is already so" in again
    assert "estimate: 5h (unchanged)" in again
    assert len(_audit(db_engine, "task.edit")) == 1


def test_edit_clears_fields_with_none_and_nobody(run, db_engine):
    ok(run("task edit 2 due 2026-12-04 milestone M1"))
    text = ok(run("task edit 2 due none estimate none milestone none assignee nobody"))
    assert "due: Fri 4 Dec 2026 → _not set_" in text and "assignee: <@U0MEMB> → nobody" in text
    t = task(db_engine, _project(db_engine), 2)
    assert (t.due_date, t.estimate_hours, t.milestone_id, t.assignee_user_id) == (None, None, None, None)


@pytest.mark.parametrize("text, message", [
    ("task edit 1", "Say what to change"),
    ("task edit 9 title x", "has no task #9"),
    ("task edit 1 estimate soon", "duration"),
    ("task edit 1 milestone M7", "no milestone `M7`"),
    ('task edit 1 title ""', "needs a title"),
])
def test_bad_edits_say_what_was_expected_and_change_nothing(run, db_engine, text, message):
    assert message in refused(run(text))
    assert _audit(db_engine, "task.edit") == []


def test_a_due_date_after_the_projects_warns_in_the_same_reply(run, db_engine):
    ok(run("edit due 2026-12-18"))
    text = ok(run("task edit 1 due 2026-12-22"))
    assert "⚠️ #1 is due Tue 22 Dec 2026, after the project's due date Fri 18 Dec 2026." in text
    assert "⚠️" in ok(run('task add "Late one" due 2026-12-23'))
    assert "⚠️ #1 Choose hosting is due Tue 22 Dec" in ok(run("status"))  # listed in status


def test_stakeholders_and_outsiders_may_not_edit(run):
    assert "Only project members can edit tasks" in refused(run("task edit 1 estimate 2h", user=STAKEHOLDER))
    assert "Only project members can cancel tasks" in refused(run("task cancel 1", user=OUTSIDER))


def test_cancel_takes_a_task_out_of_progress_and_keeps_it(run, db_engine):
    project = _project(db_engine)
    ok(run("task done 2"))
    with Session(db_engine) as s:
        before = build_status(session=s, project=fresh(db_engine, project), today=run.now.date())
    assert (before.done, before.total) == (1, 2)
    text = ok(run('task cancel 1 "Hosting comes with the agency"'))
    assert "#1 *Choose hosting* is cancelled (Hosting comes with the agency)" in text
    assert "`/project task reopen website 1` brings it back" in text
    with Session(db_engine) as s:
        report = build_status(session=s, project=fresh(db_engine, project), today=run.now.date())
    assert (report.done, report.total, report.fraction_done) == (1, 1, 1.0)  # only #2 counts now
    listed = ok(run("task list cancelled"))
    assert "✕ #1 Choose hosting" in listed and "cancelled: Hosting comes with the agency" in listed
    assert "#1" not in ok(run("task list"))
    assert "✕ #1" in ok(run("task list all"))
    [entry] = _audit(db_engine, "task.cancel")
    assert entry.before == {"status": "todo"}
    assert entry.after == {"status": "cancelled", "reason": "Hosting comes with the agency"}


def test_cancel_twice_changes_nothing_more(run, db_engine):
    ok(run("task cancel 1"))
    assert "was already cancelled" in ok(run("task cancel 1"))
    assert len(_audit(db_engine, "task.cancel")) == 1


@pytest.mark.parametrize("verb", ["delete", "remove"])
def test_delete_and_remove_are_read_as_cancel_and_say_so(run, db_engine, verb):
    text = ok(run(f'task {verb} 2 "Entered twice"'))
    assert f"Tasks are never erased, so `task {verb}` cancels: #2 *Write copy* is cancelled" in text
    assert task(db_engine, _project(db_engine), 2).status == TaskStatus.CANCELLED


@pytest.mark.parametrize("typed", ["task rm 2", "task erase 2", "task del 2", "task destroy 2", "task drop 2"])
def test_a_suggestion_for_a_destructive_word_is_never_task_done(run, typed):
    text = refused(run(typed))
    assert "task done" not in text
    assert "Did you mean `/project task cancel`?" in text


def test_a_cancelled_task_cannot_be_done_or_started_until_reopened(run, db_engine):
    ok(run("task cancel 1"))
    assert "is cancelled; `/project task reopen website 1`" in refused(run("task done 1"))
    assert "is cancelled" in refused(run("task start 1"))
    text = ok(run("task reopen 1"))
    assert text == "#1 *Choose hosting* is open again (to do; it was cancelled)."
    assert "is open already" in ok(run("task reopen 1"))
    assert len(_audit(db_engine, "task.reopen")) == 1
    ok(run("task done 1"))
    assert "it was done" in ok(run("task reopen 1"))
    t = task(db_engine, _project(db_engine), 1)
    assert (t.status, t.done_at, t.cancelled_at, t.cancel_reason) == (TaskStatus.TODO, None, None, "")


def test_assigning_someone_not_on_the_project(run, db_engine):
    """The choice: the owner or a manager adds them as a member in the same reply;
    a member is refused with the command that adds them."""
    text = ok(run(f"task assign 1 <@{OUTSIDER}>", user=MANAGER))
    assert f"<@{OUTSIDER}> was not on *Website relaunch*, so they were added as a member." in text
    with Session(db_engine) as s:
        added = s.exec(select(Member).where(Member.user_id == OUTSIDER)).one()
    assert (added.role, added.active) == ("member", True)
    text = refused(run("task assign 2 <@U0NEW>", user=MEMBER))
    assert "<@U0NEW> is not on *Website relaunch*" in text
    assert "`/project member add website <@U0NEW>`" in text
    assert task(db_engine, _project(db_engine), 2).assignee_user_id == MEMBER  # unchanged
    assert "is not on" in refused(run('task add "x" <@U0NEW>', user=MEMBER))
    assert "is not on" in refused(run("task edit 2 assignee <@U0NEW>", user=MEMBER))


def test_a_stakeholder_sees_tasks_without_done_or_edit_buttons(run):
    ok(run(f"task assign 1 <@{STAKEHOLDER}>"))  # content the client supplies, say
    as_stakeholder = run("task list", user=STAKEHOLDER)
    assert [b.label for b in as_stakeholder.buttons] == []
    as_member = run("task list", user=MEMBER)
    assert [b.label for b in as_member.buttons] == ["Done #1", "Edit #1", "Done #2", "Edit #2"]
    assert "Only project members can update tasks" in refused(run("task done 1", user=STAKEHOLDER))


def test_every_new_task_command_has_help_with_examples(run):
    for name in ("task edit", "task cancel", "task reopen", "task delete", "task remove"):
        text = ok(run(f"help {name}"))
        assert f"/project {name}" in text and "• `/project" in text, name


def test_the_tasks_table_keeps_every_cancelled_row(run, db_engine):
    ok(run("task delete 1"))
    ok(run("task remove 2"))
    with Session(db_engine) as s:
        assert [t.status for t in s.exec(select(Task).order_by(Task.number))] == ["cancelled", "cancelled"]
