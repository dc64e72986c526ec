"""The scheduler: wall-clock times across DST, misfires after downtime,
jobs discovered from every module and kept in step with the settings."""

from __future__ import annotations

import pickle
import threading
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from bot.config import Settings
from bot.jobs import outbox_sender, standup_jobs
from bot.jobs.outbox_sender import deliver_pending
from bot.jobs.scheduler import (
    Ahead,
    JobStore,
    WallClockTrigger,
    build_scheduler,
    daily_trigger,
    register_all,
)
from bot.models import OutboxMessage, StandupParticipant, StandupRun
from tests.support.standup_world import World

FIRINGS: list[tuple[str, datetime]] = []
_lock = threading.Lock()


def record(label: str) -> None:
    """A test job: remembers that it ran."""
    with _lock:
        FIRINGS.append((label, datetime.now(UTC)))


def fire_times(trigger, start: datetime, count: int) -> list[datetime]:
    out, previous, now = [], None, start
    for _ in range(count):
        fire = trigger.get_next_fire_time(previous, now)
        out.append(fire)
        previous = now = fire
    return out


@pytest.mark.parametrize("zone, day, hhmm, expected_utc", [
    ("Europe/Berlin", date(2027, 3, 28), "02:30", "01:30"),  # clocks jump 02:00 -> 03:00
    ("America/New_York", date(2027, 3, 14), "02:30", "07:30"),  # clocks jump 02:00 -> 03:00
    ("Europe/Berlin", date(2026, 10, 25), "02:30", "00:30"),  # 02:00-03:00 happens twice
    ("America/New_York", date(2026, 11, 1), "01:30", "05:30"),  # 01:00-02:00 happens twice
])
def test_a_time_in_a_dst_gap_or_overlap_fires_exactly_once_that_day(zone, day, hhmm, expected_utc):
    trigger = daily_trigger(hhmm, "mon-sun", zone)
    start = datetime.combine(day - timedelta(days=1), datetime.min.time(), tzinfo=ZoneInfo(zone))
    fires = fire_times(trigger, start, 4)
    on_the_day = [f for f in fires if f.astimezone(ZoneInfo(zone)).date() == day]
    assert len(on_the_day) == 1
    assert on_the_day[0].astimezone(UTC).strftime("%H:%M") == expected_utc
    days = [f.astimezone(ZoneInfo(zone)).date() for f in fires]
    assert days == [day - timedelta(days=1) + timedelta(days=i) for i in range(4)]  # one a day


@pytest.mark.parametrize("zone, before, after", [
    ("Europe/Berlin", date(2027, 3, 26), date(2027, 3, 29)),
    ("America/New_York", date(2027, 3, 12), date(2027, 3, 15)),
])
def test_a_morning_standup_keeps_its_local_time_across_the_change(zone, before, after):
    trigger = daily_trigger("09:30", "mon-fri", zone)
    start = datetime.combine(before, datetime.min.time(), tzinfo=ZoneInfo(zone))
    friday, monday = fire_times(trigger, start, 2)
    assert (friday.date(), monday.date()) == (before, after)
    for fire in (friday, monday):
        assert fire.astimezone(ZoneInfo(zone)).strftime("%H:%M") == "09:30"
    assert friday.astimezone(UTC).hour - monday.astimezone(UTC).hour == 1  # an hour earlier in UTC


@pytest.mark.parametrize("zone, day", [("Europe/Berlin", date(2027, 3, 28)),
                                       ("America/New_York", date(2027, 3, 14))])
def test_a_standup_inside_the_spring_gap_opens_once_and_prompts_once(db_engine, zone, day):
    world = World(db_engine, datetime(2027, 3, 1, tzinfo=UTC), timezone=zone, people=["U0ANNA"])
    world.cmd("standup set 02:30 daily")
    trigger = daily_trigger("02:30", "daily", zone)
    start = datetime.combine(day - timedelta(days=1), datetime.min.time(), tzinfo=ZoneInfo(zone))
    for fire in fire_times(trigger, start, 3):
        world.at(fire.astimezone(UTC)).fire()
        world.at(fire.astimezone(UTC) + timedelta(minutes=1)).tick()  # the sweep too
    runs = world.runs()
    assert [r.run_date for r in runs] == [day - timedelta(days=1), day, day + timedelta(days=1)]
    gap_run = runs[1]
    local = gap_run.scheduled_at.astimezone(ZoneInfo(zone))
    assert local.strftime("%H:%M") == "03:30"  # 02:30 did not exist: the clock read 03:30
    with Session(db_engine) as s:
        parts = s.exec(select(StandupParticipant).where(StandupParticipant.run_id == gap_run.id)).all()
        assert {p.prompted_at is not None for p in parts} == {True}
    prompts = [m for m in world.notifier.dms() if m.key.startswith(f"standup:{gap_run.id}:prompt:")]
    assert len(prompts) == 2  # owner and Anna, once each


def test_triggers_copied_from_a_compiled_one_fire_as_one_built_for_their_zone():
    start = datetime(2026, 3, 20, tzinfo=UTC)
    for zone in ("Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"):
        copied = daily_trigger("02:30", "mon-fri", zone)
        built = WallClockTrigger(hour=2, minute=30, day_of_week="mon,tue,wed,thu,fri", timezone=zone)
        assert fire_times(copied, start, 12) == fire_times(built, start, 12), zone
        assert str(copied.timezone) == zone and pickle.loads(pickle.dumps(copied)).timezone == copied.timezone
    assert daily_trigger("02:30", "mon-fri", "UTC").fields is daily_trigger("02:30", "mon-fri", "Asia/Tokyo").fields


@pytest.mark.parametrize("zone, hhmm, start", [
    ("Europe/Berlin", "02:30", datetime(2026, 3, 27, tzinfo=UTC)),  # spring gap on 29 March
    ("Europe/Berlin", "02:30", datetime(2026, 10, 23, tzinfo=UTC)),  # autumn repeat on 25 October
    ("Asia/Kathmandu", "00:00", datetime(2026, 12, 30, tzinfo=UTC)),  # just after midnight, year end
])
def test_a_standup_job_fires_a_minute_before_each_standup_time_and_names_that_time(zone, hhmm, start):
    inner = daily_trigger(hhmm, "daily", zone)
    ahead = Ahead(daily_trigger(hhmm, "daily", zone), 60)
    on_time, early = fire_times(inner, start, 5), fire_times(ahead, start, 5)
    assert [e + timedelta(seconds=60) for e in early] == on_time
    half_a_minute_before = on_time[1] - timedelta(seconds=30)  # a job added then fires at once
    assert ahead.get_next_fire_time(None, half_a_minute_before) == half_a_minute_before
    assert standup_jobs.moment_for(hhmm, "daily", zone, fired_at=half_a_minute_before,
                                   grace=timedelta(hours=1)) == on_time[1].astimezone(UTC)
    after = ahead.get_next_fire_time(half_a_minute_before, half_a_minute_before)
    assert after == on_time[2] - timedelta(seconds=60)  # and then a minute ahead of the next one
    for fired, standup in zip(early, on_time, strict=True):  # on time, or late within the grace
        for late in (timedelta(0), timedelta(minutes=59)):
            assert standup_jobs.moment_for(hhmm, "daily", zone, fired_at=fired + late,
                                           grace=timedelta(hours=1)) == standup.astimezone(UTC)


@pytest.fixture
def scheduler_for(db_engine):
    started = []

    def make(grace: int = 3600):
        scheduler = build_scheduler(Settings(scheduler_misfire_grace_seconds=grace), db_engine)
        scheduler.start(paused=True)
        started.append(scheduler)
        return scheduler

    yield make
    for scheduler in started:
        if scheduler.running:
            scheduler.shutdown(wait=True)
    FIRINGS.clear()


def wait_until(condition, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_after_an_hour_down_a_missed_run_fires_once_and_one_missed_beyond_grace_is_skipped(scheduler_for):
    now = datetime.now(UTC)
    scheduler = scheduler_for(grace=3600)
    daily = daily_trigger("09:30", "mon-sun", "UTC")
    scheduler.add_job(record, daily, args=["missed 50 min ago"], id="t:recent", next_run_time=now - timedelta(minutes=50))
    scheduler.add_job(record, daily, args=["missed 2 h ago"], id="t:old", next_run_time=now - timedelta(hours=2))
    scheduler.add_job(record, "interval", minutes=1, args=["every minute"], id="t:minutely",
                      next_run_time=now - timedelta(minutes=30))  # 30 missed runs
    scheduler.shutdown(wait=False)  # the bot goes down with these stored
    restarted = scheduler_for(grace=3600)
    restarted.resume()
    assert wait_until(lambda: len(FIRINGS) >= 2)
    time.sleep(0.3)
    labels = sorted(label for label, _ in FIRINGS)
    assert labels == ["every minute", "missed 50 min ago"]  # coalesced once; the old one skipped
    old = restarted.get_job("t:old")
    assert old.next_run_time > now  # moved on to its next time


def test_every_jobs_module_registers_and_standup_jobs_follow_the_settings(db_engine, scheduler_for):
    world = World(db_engine, datetime(2026, 12, 1, 7, tzinfo=UTC), people=["U0ANNA", "U0BEN"])
    world.cmd("standup set 09:30 mon-fri")
    scheduler = scheduler_for()
    found = register_all(scheduler, Settings())
    assert {"standup_jobs", "risk_jobs", "report_jobs", "closing_jobs"} <= set(found)
    assert scheduler.get_job("retro-summaries") is not None
    config_id = world.config().id
    job = scheduler.get_job(f"standup:{config_id}")
    assert job is not None and str(job.trigger.trigger.timezone) == "Europe/Berlin"
    assert scheduler.get_job("standups:sweep") and scheduler.get_job("standups:sync")
    kept = job.next_run_time
    assert standup_jobs.sync_standup_jobs(scheduler, db_engine) == {"added": 0, "replaced": 0, "removed": 0}
    assert scheduler.get_job(f"standup:{config_id}").next_run_time == kept  # untouched when unchanged

    world.remember_zone("U0BEN", "America/New_York")
    world.cmd("standup set 10:00 member-time")
    standup_jobs.sync_job()  # what the worker runs every minute: the settings changed, so it syncs
    assert scheduler.get_job(f"standup:{config_id}").name.startswith(f"standup {config_id} 10:00")
    ny = scheduler.get_job(f"standup:{config_id}:America/New_York")
    assert ny.args[:3] == (config_id, "America/New_York", "10:00")  # and the days
    assert ny.trigger.trigger.fields[5].expressions  # hour set
    world.cmd("standup pause")
    assert standup_jobs.sync_standup_jobs(scheduler, db_engine)["removed"] == 2
    assert not [j for j in scheduler.get_jobs() if j.id.startswith("standup:")]


def test_the_scheduled_job_opens_the_run_through_the_job_store(db_engine, scheduler_for):
    """End to end through APScheduler: the stored cron job fires and the run opens."""
    now = datetime.now(UTC)
    world = World(db_engine, now, timezone="UTC", people=["U0ANNA"])
    world.cmd(f"standup set {(now - timedelta(minutes=1)):%H:%M} daily")
    scheduler = scheduler_for()
    register_all(scheduler, Settings())
    scheduler.modify_job(f"standup:{world.config().id}", next_run_time=now - timedelta(minutes=1))
    scheduler.resume()

    def opened() -> bool:
        with Session(db_engine) as s:
            return s.exec(select(StandupRun)).first() is not None

    assert wait_until(opened)
    (run,) = world.runs()
    assert run.state == "open" and run.run_date == now.date()


def test_the_scheduled_job_opens_the_run_ahead_and_its_prompts_wait_for_the_standup_time(
        db_engine, scheduler_for, monkeypatch):
    now = datetime.now(UTC).replace(microsecond=0)
    standup_at = (now + timedelta(minutes=3)).replace(second=0)  # its job fires at least a minute from now
    world = World(db_engine, now, timezone="UTC", people=["U0ANNA"])
    world.cmd(f"standup set {standup_at:%H:%M} daily")
    kicks: list[datetime] = []
    monkeypatch.setattr(standup_jobs, "kick_delivery_at", lambda moment: kicks.append(moment))
    scheduler = scheduler_for()
    register_all(scheduler, Settings())
    job_id = f"standup:{world.config().id}"
    assert scheduler.get_job(job_id).next_run_time == standup_at - standup_jobs.OPEN_AHEAD
    scheduler.modify_job(job_id, next_run_time=now)  # fire now, as it would a minute ahead
    scheduler.resume()
    assert wait_until(lambda: world.runs() and world.runs()[0].state == "open")
    (run,) = world.runs()
    assert run.run_date == standup_at.date() and run.scheduled_at == standup_at
    with Session(db_engine) as s:
        prompts = s.exec(select(OutboxMessage).where(OutboxMessage.idempotency_key.like("standup:%"))).all()
    assert {m.user_id for m in prompts} == {world.project.owner_user_id, "U0ANNA"}
    assert {m.next_attempt_at for m in prompts} == {standup_at} and kicks == [standup_at]
    assert deliver_pending(db_engine, world.notifier, now=standup_at - timedelta(seconds=1)) == 0
    assert deliver_pending(db_engine, world.notifier, now=standup_at) == 2


def test_a_timed_kick_wakes_the_dispatchers_at_its_moment(monkeypatch):
    kicked: list[datetime] = []
    monkeypatch.setattr(outbox_sender, "kick_delivery", lambda: kicked.append(datetime.now(UTC)))
    moment = datetime.now(UTC) + timedelta(seconds=0.3)
    outbox_sender.kick_delivery_at(moment)
    outbox_sender.kick_delivery_at(moment)  # the same moment twice: one timer
    assert wait_until(lambda: kicked, timeout=5)
    time.sleep(0.2)
    assert len(kicked) == 1 and kicked[0] >= moment
    outbox_sender.kick_delivery_at(moment - timedelta(seconds=1))  # a moment already past: at once
    assert len(kicked) == 2


def test_a_resync_with_one_standup_retimed_rewrites_only_that_job_without_unpickling_any(
        db_engine, scheduler_for, monkeypatch):
    world = World(db_engine, datetime(2026, 12, 1, 7, tzinfo=UTC), people=["U0ANNA"])
    world.cmd("standup set 09:30 mon-fri")
    scheduler = scheduler_for()
    assert standup_jobs.sync_standup_jobs(scheduler, db_engine) == {"added": 1, "replaced": 0, "removed": 0}
    config_id = world.config().id
    kept = scheduler.get_job(f"standup:{config_id}").next_run_time
    other = scheduler.add_job(record, daily_trigger("08:00", "mon-fri", "UTC"), id="standup:999999",
                              name="standup 999999 08:00 mon-fri UTC", args=["gone"])
    unpickled: list[str] = []
    original = JobStore._reconstitute_job
    monkeypatch.setattr(JobStore, "_reconstitute_job",
                        lambda self, state: unpickled.append("job") or original(self, state))

    assert standup_jobs.sync_standup_jobs(scheduler, db_engine) == {"added": 0, "replaced": 0, "removed": 1}
    world.cmd("standup set 10:15 mon-fri")
    assert standup_jobs.sync_standup_jobs(scheduler, db_engine) == {"added": 0, "replaced": 1, "removed": 0}
    assert unpickled == []  # compared against the stored rows, never unpickled
    assert scheduler.get_job(other.id) is None
    job = scheduler.get_job(f"standup:{config_id}")
    assert job.name == f"standup {config_id} 10:15 mon-fri Europe/Berlin {standup_jobs.AHEAD_NAME}"
    assert job.next_run_time != kept
    assert job.next_run_time.astimezone(ZoneInfo("Europe/Berlin")).strftime("%H:%M") == "10:14"  # a minute ahead


def test_jobs_added_in_a_batch_are_written_together_and_fire_like_any_other(db_engine, scheduler_for):
    scheduler = scheduler_for()
    store = scheduler._lookup_jobstore("default")
    trigger = daily_trigger("09:30", "mon-sun", "UTC")
    with store.batch():
        for n in range(3):
            scheduler.add_job(record, trigger, id=f"t:{n}", args=[f"job {n}"], replace_existing=True)
        scheduler.remove_job("t:2")
        assert store.count() == 0  # nothing written until the batch ends
    assert sorted(store.stored_states("t:")) == ["t:0", "t:1"]
    with store.batch():  # a second batch replaces a stored job in place
        scheduler.add_job(record, trigger, id="t:0", args=["soon"], replace_existing=True,
                          next_run_time=datetime.now(UTC) - timedelta(seconds=1))
    scheduler.resume()
    assert wait_until(lambda: FIRINGS)
    assert [label for label, _ in FIRINGS] == ["soon"] and store.count() == 2
