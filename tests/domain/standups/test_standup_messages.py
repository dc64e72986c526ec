"""What a standup posts: one summary at close that counts, lists the missing
and the away, and threads (or inlines) the answers."""

from __future__ import annotations

from datetime import timedelta

from tests.support.standup_world import ANNA, BEN, CARL, CLOSE, DORA, EMIL, OWNER, PROMPT, answer


def test_summary_at_close_counts_lists_missing_and_away_and_threads_the_answers(world):
    world.cmd(f"ooo <@{DORA}> 2026-12-01")
    world.at(PROMPT).fire()
    world.at(PROMPT + timedelta(minutes=5))
    answer(world, OWNER, 'finished "budget" next "vendor call" blockers none confidence 5')
    answer(world, ANNA, 'finished "login" next "signup" blockers "waiting for the SMTP password" '
                        "confidence 2")
    answer(world, BEN, 'finished "catalogue" next "search" blockers "staging is down" confidence 3')
    answer(world, CARL, 'finished "copy" next "photos" blockers no')
    world.at(CLOSE - timedelta(seconds=1)).tick()
    assert not world.notifier.posts()
    world.at(CLOSE).tick()
    summary, *thread = world.notifier.posts()
    assert summary.to == "C0PROJ" and summary.thread_key is None
    assert summary.reply.title == "Standup, Tue 1 Dec: 4 of 5 answered, 2 blockers"
    text = summary.text
    assert f"<@{ANNA}>: waiting for the SMTP password" in text and f"<@{BEN}>: staging is down" in text
    assert f"*Missing:* <@{EMIL}>" in text and f"*Away:* <@{DORA}>" in text
    assert "*Confidence:* 3.3/5 on average" in text
    assert [t.thread_key for t in thread] == [summary.key] * 4
    assert ":warning: *Blocker:* waiting for the SMTP password" in thread[1].text


def test_inline_answers_option_puts_answers_in_the_summary(world):
    world.cmd("standup set inline")
    world.at(PROMPT).fire()
    answer(world, ANNA, 'finished "login" next "signup" blockers none')
    world.at(CLOSE).tick()
    (summary,) = world.notifier.posts()
    assert "signup" in summary.text and "1 of 6 answered, 0 blockers" in summary.reply.title
