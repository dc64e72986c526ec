"""The scheduler's busy minute: many standups due at once open together in one
transaction, exactly as each would open alone, and never twice."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from functools import partial

from sqlalchemy import event
from sqlmodel import Session, select

from bot.jobs.standup_jobs import Opener, open_standups
from bot.models import OutboxMessage, StandupParticipant, StandupRun
from tests.support import standup_world
from tests.support.factories import make_project
from tests.support.helpers import Runner
from tests.support.standup_world import OWNER, PEOPLE
from tests.support.standup_world import World as TeamWorld

PROMPT = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)  # Tuesday 09:30 in Berlin
DORA = PEOPLE[3]


class World(TeamWorld):
    """A standup team whose commands are typed in its own project's channel."""

    def cmd(self, text: str, *, user: str | None = None, ok: bool = True):
        reply = Runner(self.engine, self.now)(text, user=user or self.people[0], channel=self.project.channel_id)
        assert not ok or not reply.error, reply.plain()
        return reply


def second_world(engine, monkeypatch, key: str, *, same_people: bool = False) -> World:
    """Another project's team: people of its own (ids ending in the key), unless
    `same_people` (then the same people are asked by both: one DM a moment)."""
    monkeypatch.setattr(standup_world, "make_project",
                        partial(make_project, key=key, name=f"Project {key}", channel_id=f"C0{key.upper()}"))
    if same_people:
        return World(engine, PROMPT)
    suffix = key.upper()
    return World(engine, PROMPT, owner=f"{OWNER}{suffix}", people=[f"{p}{suffix}" for p in PEOPLE])


def snapshot(world: World) -> dict:
    """What opening a run decided, without ids (people as in the first team)."""
    (run,) = world.runs()
    suffix = world.people[0][len(OWNER):]

    def norm(user: str) -> str:
        return user[: -len(suffix)] if suffix and user.endswith(suffix) else user

    with Session(world.engine) as s:
        parts = s.exec(select(StandupParticipant).where(StandupParticipant.run_id == run.id)
                       .order_by(StandupParticipant.user_id)).all()
        messages = s.exec(select(OutboxMessage).where(OutboxMessage.project_id == world.project.id)
                          .order_by(OutboxMessage.user_id)).all()
        return {
            "run": (run.state, run.run_date, run.scheduled_at, run.closes_at),
            "people": [(norm(p.user_id), p.status, p.prompt_at, p.prompted_at) for p in parts],
            "prompts": [(m.kind, norm(m.user_id), norm(m.idempotency_key.replace(f":{run.id}:", ":RUN:")),
                         m.payload["reply"].get("title", ""),
                         m.next_attempt_at) for m in messages],
        }


def test_a_batch_opens_each_standup_exactly_as_opening_it_alone_would(db_engine, monkeypatch):
    alone, together = World(db_engine, PROMPT), second_world(db_engine, monkeypatch, "mobile")
    for world in (alone, together):
        world.cmd("standup set 09:30")
        world.cmd(f"ooo <@{world.people[4]}> 2026-12-01")
    alone.fire()
    results = open_standups(db_engine, due=[(together.config().id, None, None)], now=PROMPT)
    result = results[together.config().id]
    assert result.created and sorted(result.prompted) == sorted(together.people[:4] + together.people[5:])

    batch, single = snapshot(together), snapshot(alone)
    assert batch["run"] == single["run"] == ("open", date(2026, 12, 1), PROMPT, PROMPT + timedelta(hours=2))
    assert batch["people"] == single["people"] and ("U0DORA", "away", PROMPT, None) in batch["people"]
    assert [p[:3] for p in batch["prompts"]] == [p[:3] for p in single["prompts"]]
    assert len(batch["prompts"]) == 5  # the owner and four members; not Dora (away) nor the stakeholder


def test_a_batch_opened_a_minute_ahead_is_the_run_opened_on_time_with_its_prompts_held_till_then(
        db_engine, monkeypatch):
    on_time, ahead = World(db_engine, PROMPT), second_world(db_engine, monkeypatch, "mobile")
    member_time = second_world(db_engine, monkeypatch, "shop")  # each person at their own 09:30
    for world in (on_time, ahead, member_time):
        world.cmd(f"ooo <@{world.people[4]}> 2026-12-01")
    on_time.cmd("standup set 09:30")
    ahead.cmd("standup set 09:30")
    member_time.cmd("standup set 09:30 member-time")
    early = PROMPT - timedelta(seconds=60)
    open_standups(db_engine, due=[(on_time.config().id, None, None)], now=PROMPT)
    results = open_standups(db_engine, due=[(ahead.config().id, None, PROMPT),
                                            (member_time.config().id, "Europe/Berlin", PROMPT)], now=early)
    assert results[ahead.config().id].created and len(results[ahead.config().id].prompted) == 5
    opened, expected = snapshot(ahead), snapshot(on_time)
    assert opened["run"] == expected["run"] and opened["people"] == expected["people"]  # prompted at 09:30
    assert [p[:3] + p[4:] for p in opened["prompts"]] == [p[:3] + p[4:] for p in expected["prompts"]]
    held = snapshot(member_time)["prompts"]
    assert len(held) == 5 and {p[-1] for p in held} == {PROMPT}
    with Session(db_engine) as s:
        due_early = s.exec(select(OutboxMessage).where(OutboxMessage.project_id != on_time.project.id,
                                                       OutboxMessage.next_attempt_at <= early)).all()
    assert due_early == []


def test_a_batch_skips_paused_standups_days_off_and_holidays_with_the_same_reasons(db_engine, monkeypatch):
    paused, day_off = World(db_engine, PROMPT), second_world(db_engine, monkeypatch, "mobile")
    holiday = second_world(db_engine, monkeypatch, "shop")
    paused.cmd("standup set 09:30 daily")
    paused.cmd("standup pause")
    day_off.cmd("standup set 09:30 daily")
    day_off.cmd("standup skip 2026-12-24")
    holiday.cmd("standup set 09:30 daily holidays DE-BY")
    christmas_eve = datetime(2026, 12, 24, 8, 30, tzinfo=UTC)
    christmas = christmas_eve + timedelta(days=1)
    due = [(w.config().id, None, None) for w in (paused, day_off)]
    reasons = {c: r.reason for c, r in open_standups(db_engine, due=due, now=christmas_eve).items()}
    holiday_reason = open_standups(db_engine, due=[(holiday.config().id, None, None)], now=christmas)
    assert reasons == {paused.config().id: "paused", day_off.config().id: "company day off"}
    assert holiday_reason[holiday.config().id].reason == "Christmas Day"
    with Session(db_engine) as s:
        assert s.exec(select(StandupRun)).all() == [] and s.exec(select(OutboxMessage)).all() == []


def test_standups_fired_from_many_threads_at_once_open_once_and_prompt_each_person_once(db_engine, monkeypatch):
    worlds = [World(db_engine, PROMPT), second_world(db_engine, monkeypatch, "mobile"),
              second_world(db_engine, monkeypatch, "shop")]
    for world in worlds:
        world.cmd("standup set 09:30 daily")
    opener = Opener()
    monkeypatch.setattr("bot.jobs.standup_jobs.utcnow", lambda: PROMPT + timedelta(seconds=2))
    fired = [partial(opener.open, db_engine, w.config().id, None) for w in worlds for _ in range(3)]
    threads = [threading.Thread(target=f) for f in fired]  # each cron job twice more, as a double fire would
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for world in worlds:
        (run,) = world.runs()
        assert run.state == "open"
        with Session(db_engine) as s:
            keys = s.exec(select(OutboxMessage.idempotency_key).where(
                OutboxMessage.project_id == world.project.id)).all()
        assert sorted(keys) == sorted(f"standup:{run.id}:prompt:{u}" for u in world.people)
    again = open_standups(db_engine, due=[(w.config().id, None, None) for w in worlds],
                          now=PROMPT + timedelta(minutes=1))
    assert {r.created for r in again.values()} == {False} and all(r.prompted == [] for r in again.values())


def test_opening_a_batch_takes_the_same_statements_for_2_standups_as_for_20(db_engine, monkeypatch):
    """The busy minute's cost does not grow a query per standup."""
    worlds = [World(db_engine, PROMPT)] + [second_world(db_engine, monkeypatch, f"p{n}") for n in range(21)]
    for world in worlds:
        world.cmd("standup set 09:30 daily")
    counts = []
    statements: list[str] = []
    for batch in (worlds[:2], worlds[2:]):
        due = [(w.config().id, None, None) for w in batch]
        statements.clear()
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db_engine, "before_cursor_execute", listener)
        try:
            results = open_standups(db_engine, due=due, now=PROMPT)
        finally:
            event.remove(db_engine, "before_cursor_execute", listener)
        assert len(results) == len(batch) and all(r.created and len(r.prompted) == 6 for r in results.values())
        counts.append(len(statements))
    assert counts[0] == counts[1] <= 25


def test_the_minute_sweep_visits_only_runs_with_something_due(db_engine, monkeypatch):
    from bot.domain.standups import due_run_ids

    quiet, late = World(db_engine, PROMPT), second_world(db_engine, monkeypatch, "mobile")
    quiet.cmd("standup set 09:30")
    late.cmd("standup set 10:00")
    open_standups(db_engine, due=[(quiet.config().id, None, None)], now=PROMPT)
    open_standups(db_engine, due=[(late.config().id, None, None)], now=PROMPT + timedelta(minutes=30))
    (first,), (second,) = quiet.runs(), late.runs()
    with Session(db_engine) as s:
        assert due_run_ids(session=s, now=PROMPT + timedelta(minutes=31)) == []  # all prompted, none late
        assert due_run_ids(session=s, now=PROMPT + timedelta(minutes=96)) == [first.id]  # 80%: reminders
        assert due_run_ids(session=s, now=PROMPT + timedelta(minutes=126)) == [first.id, second.id]
        assert due_run_ids(session=s, now=PROMPT + timedelta(hours=3)) == [first.id, second.id]  # closing
    quiet.at(PROMPT + timedelta(minutes=96)).tick()
    with Session(db_engine) as s:
        assert due_run_ids(session=s, now=PROMPT + timedelta(minutes=97)) == []  # reminded: nothing until close


def test_the_running_standups_and_their_zones_cost_the_same_statements_for_2_as_for_12(db_engine, monkeypatch):
    """The job list and the minute's catch-up read every standup: member-time
    ones (with their people's zones) must not cost a query each."""
    from benchmarks.querycount import count_statements
    from bot.domain.standups import running_standups

    worlds = [World(db_engine, PROMPT), second_world(db_engine, monkeypatch, "z1")]
    worlds[0].remember_zone(PEOPLE[0], "America/New_York")
    counts = []
    for more in (0, 10):
        worlds += [second_world(db_engine, monkeypatch, f"y{len(worlds) + n}") for n in range(more)]
        for world in worlds:
            world.cmd("standup set 09:30 member-time")
        with Session(db_engine) as s, count_statements(db_engine) as counter:
            running = running_standups(session=s)
        counts.append(counter.count)
        assert sorted(r.config_id for r in running) == sorted(w.config().id for w in worlds)
    first = next(r for r in running if r.config_id == worlds[0].config().id)
    assert first.zone == "Europe/Berlin" and first.zones == ("America/New_York", "Europe/Berlin")
    assert counts[0] == counts[1] <= 5
