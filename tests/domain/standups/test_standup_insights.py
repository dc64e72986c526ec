"""What standups tell over time: blockers reported twice in a row, and
participation per member and for the project."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session

from bot.domain import standups
from tests.support.standup_world import ANNA, BEN, CARL, CLOSE, DORA, EMIL, OWNER, PROMPT, answer


def test_a_blocker_on_two_consecutive_runs_is_flagged(world):
    project = world.project
    for offset, blocker in [(0, "waiting for API keys"), (1, "still no API keys")]:
        world.at(PROMPT + timedelta(days=offset)).fire()
        answer(world, ANNA, f'finished "x" next "y" blockers "{blocker}"')
        answer(world, BEN, f'finished "x" next "y" blockers "{"VPN" if offset == 0 else "none"}"')
        world.at(CLOSE + timedelta(days=offset)).tick()
    with Session(world.engine) as s:
        flagged = standups.repeated_blockers(session=s, project=project, now=world.now)
        assert [f.user_id for f in flagged] == [ANNA]
        assert flagged[0].blockers == [(date(2026, 12, 2), "still no API keys"),
                                       (date(2026, 12, 1), "waiting for API keys")]
        assert standups.missed_in_a_row(session=s, project=project, now=world.now) == sorted(
            [OWNER, CARL, DORA, EMIL])
    summary = world.notifier.posts()[-3]
    assert summary.reply.title.startswith("Standup, Wed 2 Dec")
    assert "blocked 2 standups in a row" in summary.text


def test_history_shows_participation_per_member_and_project(world):
    world.cmd(f"ooo <@{EMIL}> 2026-12-02")
    for offset in (0, 1):
        world.at(PROMPT + timedelta(days=offset)).fire()
        answer(world, ANNA)
        if offset == 0:
            answer(world, BEN)
        world.at(CLOSE + timedelta(days=offset)).tick()
    world.at(CLOSE + timedelta(days=1, minutes=10))
    answer(world, BEN)  # late on Wednesday
    out = world.cmd("standup history").plain()
    assert "*Participation:* 36% (4 of 11 answered) over 2 standups" in out
    assert f"<@{BEN}> · 2/2 · 1 late" in out and f"<@{EMIL}> · 0/1 · 1 away" in out
    assert "Wed 2 Dec: 2 of 5 answered (1 late), 0 blockers" in out
    mine = world.cmd(f"standup history <@{ANNA}> 2026-12-01..2026-12-02").plain()
    assert "2/2" in mine and "Tue 1 Dec" in mine and "Confidence: 4/5" in mine
    with Session(world.engine) as s:
        stats = standups.participation_last_days(session=s, project=world.project, today=date(2026, 12, 2))
        assert (stats.answered, stats.asked, stats.runs) == (4, 11, 2)
