"""A standup run: asked on time, reminded once, closed once, never nagging
anyone away or on a holiday, and never twice however often the jobs fire."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session, select

from bot.domain import standups
from bot.models import StandupParticipant
from tests.support.standup_world import (
    ANNA,
    BEN,
    CARL,
    CLOSE,
    DORA,
    EMIL,
    OWNER,
    PROMPT,
    STAKEHOLDER,
    answer,
)


def test_prompts_go_to_members_at_their_time_not_to_stakeholders_or_people_away(world):
    world.cmd(f"ooo <@{DORA}> 2026-11-30..2026-12-04")
    world.at(PROMPT).fire()
    prompted = sorted(s.to for s in world.notifier.dms())
    assert prompted == sorted([OWNER, ANNA, BEN, CARL, EMIL])  # not Dora (away), not the stakeholder
    assert STAKEHOLDER not in prompted
    prompt = world.notifier.dms(ANNA)[0]
    assert prompt.reply.title == "Standup: Website relaunch, Tue 1 Dec"
    assert "Answer by 11:30 (Europe/Berlin)" in prompt.text
    assert prompt.reply.sections[0].buttons[0].label == "Answer standup"


def test_someone_added_while_the_standup_is_open_is_asked_from_then_and_counted(world):
    world.at(PROMPT).fire()
    world.at(PROMPT + timedelta(minutes=20))
    reply = world.cmd("member add <@U0FRED> <@U0GRETA>").plain()
    assert "will get its questions now (answers until 11:30 (Europe/Berlin))" in reply
    world.cmd("ooo <@U0HUGO> 2026-12-01")
    world.cmd("member add <@U0HUGO>")  # away today: counted as away, not asked
    world.cmd("member add <@U0IDA> role stakeholder")  # a stakeholder is not asked at all
    world.deliver()
    assert [s.to for s in world.notifier.dms() if s.to in ("U0FRED", "U0GRETA", "U0HUGO", "U0IDA")] == [
        "U0FRED", "U0GRETA"]
    answer(world, "U0FRED")
    world.at(CLOSE + timedelta(minutes=1)).tick()
    (run,) = world.runs()
    with Session(world.engine) as s:
        parts = {p.user_id: p.status for p in s.exec(select(StandupParticipant).where(
            StandupParticipant.run_id == run.id))}
    assert parts["U0FRED"] == parts["U0GRETA"] == "asked" and parts["U0HUGO"] == "away"
    assert "U0IDA" not in parts
    world.at(CLOSE + timedelta(hours=1))
    assert "joined" in world.cmd("member add <@U0JAN>").plain()  # the run has closed: nothing to ask
    world.deliver()
    assert not world.notifier.dms("U0JAN")


def test_firing_twice_and_sweeping_often_never_prompts_anyone_twice(world):
    world.at(PROMPT).fire()
    world.fire()
    for minute in range(0, 130, 7):
        world.at(PROMPT + timedelta(minutes=minute)).tick()
    world.fire()
    assert len(world.runs()) == 1
    prompts = [s.to for s in world.notifier.dms() if s.key.endswith(f"prompt:{s.to}")]
    assert sorted(prompts) == sorted(world.people)
    assert len([p for p in world.notifier.posts() if p.thread_key is None]) == 1  # one summary


def test_a_restart_in_the_middle_of_prompting_prompts_the_rest_exactly_once(world):
    """The worker dies after sending two prompts; the next worker sends the other four."""

    class Crash(BaseException):  # like SIGKILL: nothing gets to handle it
        pass

    class DiesAfterTwo:
        def __init__(self, inner):
            self.inner, self.n = inner, 0

        def send(self, message, *, session):
            if self.n == 2:
                raise Crash("killed")
            self.n += 1
            return self.inner.send(message, session=session)

    from bot.jobs.outbox_sender import CLAIM_SECONDS, deliver_pending
    from bot.jobs.standup_jobs import open_standup

    world.at(PROMPT)
    open_standup(world.engine, config_id=world.config().id, now=world.now)
    with pytest.raises(Crash):
        deliver_pending(world.engine, DiesAfterTwo(world.notifier), now=world.now)
    assert len(world.notifier.dms()) == 2
    world.at(PROMPT + timedelta(minutes=1)).fire()  # restarted worker: cron catch-up and sweep
    world.tick()
    world.at(PROMPT + timedelta(seconds=CLAIM_SECONDS + 60)).tick()  # the claimed rows' lease has run out
    assert sorted(s.to for s in world.notifier.dms()) == sorted(world.people)


def test_reminder_at_80_percent_only_to_those_who_have_not_answered(world):
    world.cmd(f"ooo <@{DORA}> 2026-12-01")
    world.at(PROMPT).fire()
    world.at(PROMPT + timedelta(minutes=10))
    for who in (OWNER, ANNA, BEN):
        answer(world, who)
    world.at(PROMPT + timedelta(minutes=95)).tick()
    assert not [s for s in world.notifier.dms() if "Reminder" in s.reply.title]
    world.at(PROMPT + timedelta(minutes=96)).tick()
    world.at(PROMPT + timedelta(minutes=100)).tick()
    reminded = sorted(s.to for s in world.notifier.dms() if "Reminder" in s.reply.title)
    assert reminded == sorted([CARL, EMIL])
    assert "closes at 11:30 (Europe/Berlin)" in world.notifier.dms(CARL)[-1].text


def test_holidays_company_days_off_weekends_and_pause_skip_the_run(world):
    world.cmd("standup set holidays DE-BY")
    world.cmd("standup skip 2026-12-24")
    for day, why in [(date(2026, 12, 24), "company day off"), (date(2026, 12, 25), "Christmas Day"),
                     (date(2026, 12, 27), "weekend"), (date(2027, 1, 6), "Epiphany")]:
        moment = datetime.combine(day, PROMPT.timetz())
        with Session(world.engine) as s:
            result = standups.start_run(session=s, config=world.config(), now=moment)
        assert result.run is None and result.reason == why
    world.cmd("standup pause")
    world.at(PROMPT + timedelta(days=1)).fire()
    world.tick()
    assert world.runs() == [] and world.notifier.sent == []
    world.cmd("standup resume")
    world.at(PROMPT + timedelta(days=2)).fire()
    assert [r.run_date for r in world.runs()] == [date(2026, 12, 3)]


def test_now_runs_immediately_and_close_posts_the_summary(world):
    out = world.cmd("standup now").plain()
    assert "Standup started: 6 asked, closes at 10:00 (Europe/Berlin)" in out
    assert "already open" in world.cmd("standup now").plain()
    world.deliver()
    assert len(world.notifier.dms()) == 6
    assert "Standup, Tue 1 Dec: 0 of 6 answered" in world.cmd("standup close").plain()
    world.deliver()
    assert world.notifier.posts()[0].reply.title.startswith("Standup, Tue 1 Dec: 0 of 6")
    assert "already ran" in world.cmd("standup now").plain()


def test_per_member_time_prompts_each_at_their_own_morning(world):
    world.remember_zone(ANNA, "America/New_York")
    world.cmd("standup set member-time")
    world.at(PROMPT).fire()
    assert ANNA not in [s.to for s in world.notifier.dms()]
    with Session(world.engine) as s:
        anna = s.exec(select(StandupParticipant).where(StandupParticipant.user_id == ANNA)).one()
        assert anna.prompt_at == datetime(2026, 12, 1, 14, 30, tzinfo=UTC)  # 09:30 in New York
    (run,) = world.runs()
    assert run.closes_at == datetime(2026, 12, 1, 16, 30, tzinfo=UTC)
    world.at(datetime(2026, 12, 1, 14, 30, tzinfo=UTC)).fire(zone="America/New_York")
    (prompt,) = world.notifier.dms(ANNA)
    assert "Answer by 11:30 (America/New_York)" in prompt.text  # her own clock


def test_the_sweep_opens_a_run_whose_job_never_committed_but_not_beyond_the_grace(world):
    world.at(PROMPT + timedelta(minutes=1)).tick()  # the cron job's minute: the sweep leaves it alone
    assert world.runs() == []
    world.at(PROMPT + timedelta(minutes=2)).tick()  # the cron job died before committing
    assert [r.run_date for r in world.runs()] == [date(2026, 12, 1)]
    assert len(world.notifier.dms()) == 6
    world.at(PROMPT + timedelta(days=1, hours=1, minutes=1)).tick()  # Wednesday: missed by over an hour
    assert [r.run_date for r in world.runs()] == [date(2026, 12, 1)]
    world.at(datetime(2026, 12, 5, 8, 31, tzinfo=UTC)).tick()  # Saturday: no standup day
    assert len(world.runs()) == 1
