"""Answers: given in a minute, edited until close, late into the thread,
early for the next run, validated, and pre-filled from the last one."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import Session, select

from bot.domain import standups
from bot.domain.errors import Invalid
from bot.models import StandupAnswer
from tests.support.standup_world import ANNA, BEN, CLOSE, PROMPT, STAKEHOLDER, answer


def test_edit_until_close_then_late_answers_go_to_the_thread_and_update_the_count(world):
    world.at(PROMPT).fire()
    world.at(PROMPT + timedelta(minutes=3))
    assert "Saved your answer for Tue 1 Dec" in answer(world, ANNA, 'finished "a" next "b" blockers none').plain()
    world.at(PROMPT + timedelta(minutes=30))
    edited = answer(world, ANNA, 'finished "a, and c" next "b" blockers "VPN broken"').plain()
    assert "Updated your answer" in edited and "Blocker noted: VPN broken" in edited
    world.deliver()
    first, second = world.notifier.dm_edits(ANNA)  # the prompt DM now says it is answered
    assert first.update_key == f"standup:{world.runs()[0].id}:prompt:{ANNA}"
    assert "Answered at 10:00 (Europe/Berlin). You can edit it until 11:30 (Europe/Berlin)." in second.text
    assert second.reply.sections[0].buttons[0].label == "Edit answer"
    world.at(CLOSE).tick()
    world.at(CLOSE + timedelta(minutes=20))
    again = answer(world, ANNA, 'finished "x"').plain()
    assert "Tue 1 Dec closed at 11:30 (Europe/Berlin), so this answer counts early for Wed 2 Dec" in again
    late = answer(world, BEN, 'finished "report" next "tests" blockers none')
    assert "late answer for Tue 1 Dec was added to the summary thread" in late.plain()
    world.deliver()
    summary = world.notifier.posts()[0]
    late_post, update = world.notifier.posts()[-2:]
    assert late_post.thread_key == summary.key and f"<@{BEN}>" in late_post.text and "(late)" in late_post.text
    assert update.update_key == summary.key
    assert update.reply.title == "Standup, Tue 1 Dec: 2 of 6 answered (1 late), 1 blocker"
    with Session(world.engine) as s:
        tuesday, wednesday = s.exec(select(StandupAnswer).where(StandupAnswer.user_id == ANNA)
                                    .order_by(StandupAnswer.run_id)).all()
        assert (tuesday.answers["finished"], tuesday.blocker, tuesday.late) == ("a, and c", "VPN broken",
                                                                               False)
        assert wednesday.answers == {"finished": "x"}
        ben = s.exec(select(StandupAnswer).where(StandupAnswer.user_id == BEN)).one()
        assert ben.late
    with Session(world.engine) as s, pytest.raises(Invalid, match="closed at 11:30"):
        standups.submit_answer(session=s, project=world.project, user_id=BEN, answers={"finished": "2"},
                               confidence=None, now=world.now, run_id=ben.run_id)  # the modal's run
    world.deliver()
    assert len(world.notifier.posts()) == 4  # summary, Anna in thread, Ben late, count update


def test_early_answer_counts_for_the_next_run_and_spares_the_prompt(world):
    world.at(PROMPT).fire()
    world.at(CLOSE).tick()
    world.at(CLOSE + timedelta(hours=6))  # Tue evening: no open run, nothing missed by Anna
    answer(world, ANNA)  # Anna did not answer Tuesday's: this one is late for Tuesday
    out = answer(world, ANNA, 'finished "planning" next "coding" blockers none').plain()
    assert "counts early for Wed 2 Dec" in out
    world.at(PROMPT + timedelta(days=1)).fire()
    wednesday = [s.to for s in world.notifier.dms() if "Wed 2 Dec" in s.reply.title]
    assert ANNA not in wednesday and len(wednesday) == 5
    world.at(CLOSE + timedelta(days=1)).tick()
    summaries = [p for p in world.notifier.posts() if p.thread_key is None]
    assert summaries[-1].reply.title == "Standup, Wed 2 Dec: 1 of 6 answered, 0 blockers"


def test_an_answer_in_the_minute_before_the_prompt_withdraws_that_prompt(world):
    from bot.jobs.standup_jobs import open_standups

    world.at(PROMPT - timedelta(seconds=60))
    open_standups(world.engine, due=[(world.config().id, None, PROMPT)], now=world.now)  # opened ahead
    world.at(PROMPT - timedelta(seconds=30))
    answer(world, ANNA)
    world.deliver()
    assert world.notifier.dms() == []  # nothing before its time
    world.at(PROMPT).deliver()
    prompted = [s.to for s in world.notifier.dms()]
    assert ANNA not in prompted and sorted(prompted) == sorted(p for p in world.people if p != ANNA)
    world.at(CLOSE).tick()
    summary = [p for p in world.notifier.posts() if p.thread_key is None][-1]
    assert summary.reply.title.startswith("Standup, Tue 1 Dec: 1 of 6 answered")


def test_answers_are_validated_and_only_members_answer(world):
    world.at(PROMPT).fire()
    assert "from 1 (worried) to 5 (sure)" in answer(world, ANNA, 'finished "x" confidence 9', ok=False).plain()
    assert "Only members" in answer(world, STAKEHOLDER, 'finished "x"', ok=False).plain()
    listing = world.cmd("standup answer", user=ANNA).plain()
    assert "`finished` What did you finish since last standup?" in listing
    world.cmd('standup questions "What did you ship?" "What is next?" "What is in your way?" '
              '"Anything to celebrate?" no-confidence')
    assert [q["id"] for q in standups.questions_of(world.config())] == ["finished", "next", "blockers", "q4"]
    answer(world, BEN, 'finished "x" q4 "the launch"')
    assert "confidence" not in {q["id"] for q in standups.questions_of(world.config())}
    world.cmd("standup questions reset")
    assert len(standups.questions_of(world.config())) == 4


def test_answer_form_prefills_finished_from_the_previous_next(world):
    world.at(PROMPT).fire()
    answer(world, ANNA, 'finished "login" next "the signup page" blockers none')
    world.at(CLOSE).tick()
    world.at(PROMPT + timedelta(days=1)).fire()
    with Session(world.engine) as s:
        form = standups.answer_form(session=s, project=world.project, user_id=ANNA, now=world.now)
        assert form.values == {"finished": "the signup page"} and not form.editing
        assert form.run.run_date == date(2026, 12, 2)
