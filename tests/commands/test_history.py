"""`/project history`: the audit log in words (who, when in the project's zone,
old → new), narrowed to a task, a milestone, the budget or a person, paged."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.support.helpers import Runner, ok, refused

OWNER, BOB, ERIN = "U0OWNER", "U0BOB", "U0ERIN"


@pytest.fixture
def run(db_engine, now):
    r = Runner(db_engine, now, currency="EUR", timezone="Europe/Berlin")
    ok(r('new "Office network move" key netmove due 2026-12-18 budget €8000 start 2026-11-02'))
    ok(r(f"member add <@{BOB}>"))
    ok(r(f"member add <@{ERIN}> role stakeholder"))
    return r


def test_history_says_who_changed_what_when_and_old_to_new(run):
    run.now += timedelta(hours=1)
    ok(run('task add "Order switches" estimate 4h'))
    run.now += timedelta(minutes=5)
    ok(run("task edit 1 estimate 6h due 2026-12-04", user=BOB))
    ok(run("edit budget 9000"))
    text = ok(run("history"))
    lines = text.splitlines()
    assert lines[0] == "Office network move: history"
    # newest first, in the project's zone (FROZEN_NOW is 10:00 UTC = 11:00 in Berlin)
    assert lines[1] == "Fri 27 Nov 2026 12:05 · <@U0OWNER> edited the project: budget €8,000 → €9,000"
    assert lines[2] == ("Fri 27 Nov 2026 12:05 · <@U0BOB> edited *#1 Order switches*: estimate 4h → 6h; "
                        "due _not set_ → Fri 4 Dec 2026")
    assert lines[3] == "Fri 27 Nov 2026 12:00 · <@U0OWNER> added *#1 Order switches*"
    assert "Times in Europe/Berlin. Page 1 of 1 (6 changes)." in text


def test_history_narrows_to_a_task_a_milestone_the_budget_or_a_person(run):
    ok(run('milestone add "Cabling" due 2026-12-04 budget 3000'))
    ok(run('task add "Order switches" milestone M1'))
    ok(run("task done 1", user=BOB))
    ok(run("spend 1200 hardware"))
    ok(run("milestone edit M1 budget 2500"))
    task = ok(run("history task 1"))
    assert task.startswith("Office network move: history of #1 Order switches")
    assert "finished *#1 Order switches*" in task and "added *#1 Order switches*" in task
    assert "Cabling" not in task.split("\n", 1)[1].replace("M1 Cabling", "")
    milestone = ok(run("history M1"))
    assert "edited *M1 Cabling*: budget €3,000 → €2,500" in milestone and "spending" not in milestone
    budget = ok(run("history budget"))
    assert "recorded spending of €1,200 on hardware" in budget
    assert "edited *M1 Cabling*: budget €3,000 → €2,500" in budget
    assert "added *M1 Cabling*: due Fri 4 Dec 2026; budget €3,000" in budget
    assert "Order switches" not in budget
    person = ok(run(f"history <@{BOB}>"))
    assert "history of <@U0BOB>" in person and "finished" in person and "spending" not in person


def test_history_pages_twenty_at_a_time(run):
    for n in range(25):
        ok(run(f'task add "Task {n}"'))
    first = ok(run("history"))
    assert "Page 1 of 2 (28 changes)." in first
    assert "`/project history netmove page 2` for older ones." in first
    assert first.count(" · <@") == 20
    second = ok(run("history page 2"))
    assert second.count(" · <@") == 8 and "created the project" in second
    assert "Page 3 is past the end: there are 2 pages." in ok(run("history page 3"))
    assert "`/project history netmove task 1 page 2`" not in ok(run("history task 1"))


def test_history_hides_rates_from_all_but_the_owner_and_managers(run):
    ok(run(f"member rate <@{BOB}> 85"))
    ok(run("log 2h", user=BOB))
    assert "rate _not set_ → €85/h" in ok(run("history"))
    as_member = ok(run("history", user=BOB))
    assert "€85" not in as_member and "changed <@U0BOB>" not in as_member  # a rate change alone: left out
    assert "logged 2h for <@U0BOB>" in as_member
    as_stakeholder = ok(run("history", user=ERIN))
    assert "logged" not in as_stakeholder  # people's hours are for the team


def test_history_bad_input(run):
    assert "has no task #5" in refused(run("history task 5"))
    assert "Expected a task number after `task`" in refused(run("history task"))
    assert "Pages start at 1." in refused(run("history page 0"))
    assert "Did not understand" in refused(run("history everything"))


def test_values_never_set_are_not_listed(run):
    ok(run('milestone add "Kick-off"'))  # no date, no budget
    ok(run('new "Side project"', user=BOB))
    text = ok(run("history"))
    assert "added *M1 Kick-off*\n" in text + "\n"
    assert "_not set_" not in text
