"""Simulated weeks: commands at a simulated time, and on the way what the
worker would do (standups, detectors, snapshots, weekly reports, delivery)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from bot.__main__ import cli
from bot.domain.outbox import DUE_AT_ONCE
from bot.shell.simulation import ScriptError, parse_advance, parse_moment
from tests.support.helpers import ok, refused
from tests.support.simulation import simulate, stored_timestamps

BERLIN = ZoneInfo("Europe/Berlin")
# Years away from the real date: a timestamp taken from the wall clock stands out.
START = datetime(2031, 3, 3, 8, 0, tzinfo=BERLIN)  # a Monday


def _office_move(sim) -> None:
    """A small project, run the way an owner would in its first days."""
    ok(sim.run('new "Office move" key move due 2031-04-30 budget €8,000 tz Europe/Berlin', as_="alice",
               in_="move"))
    ok(sim.run("member add @bob @carol", as_="alice", in_="move"))
    ok(sim.run("member add @erin role stakeholder", as_="alice", in_="move"))
    ok(sim.run("member rate @bob 80", as_="alice", in_="move"))
    ok(sim.run('milestone add "Network ready" due 2031-03-28 budget 3000 effort 30h', as_="alice", in_="move"))
    ok(sim.run('task add "Order switches" @bob due 2031-03-07 estimate 4h milestone M1', as_="alice", in_="move"))
    ok(sim.run('task add "Cable the new floor" @carol due 2031-03-20 estimate 16h', as_="alice", in_="move"))
    ok(sim.run('task add "Label ports" estimate 2h', as_="alice", in_="move"))
    ok(sim.run("standup set 09:30 mon-fri", as_="alice", in_="move"))
    ok(sim.run("report schedule fri 16:00", as_="alice", in_="move"))


def test_every_timestamp_written_over_simulated_weeks_comes_from_the_simulated_clock(db_engine):
    """The one-clock rule at run time: a fortnight in 2031 through most
    commands and every scheduled job stores no time from the real clock."""
    sim = simulate(db_engine, start=START, zone="Europe/Berlin", detect_every=timedelta(hours=3))
    _office_move(sim)
    ok(sim.run("task start 1", as_="bob", in_="move"))
    ok(sim.run('task block 2 "waiting for the landlord"', as_="carol", in_="move"))
    ok(sim.run("spend 1200 hardware \"Switches\"", as_="alice", in_="move"))
    ok(sim.run("log 3h task 1", as_="bob", in_="move"))
    ok(sim.run('risk add "Landlord delays access" likelihood 4 impact 4', as_="alice", in_="move"))
    ok(sim.run("risk update 1 owner @carol mitigation \"Call weekly\"", as_="alice", in_="move"))
    ok(sim.run("ooo @carol 2031-03-12..2031-03-13", as_="carol", in_="move"))
    ok(sim.run("holidays US-NY", as_="bob", in_="move"))
    ok(sim.run("standup skip 2031-03-14 reason \"Move day\"", as_="alice", in_="move"))
    ok(sim.run("health cpi_amber 0.85", as_="alice", in_="move"))
    ok(sim.run("alerts set burn_points 15", as_="alice", in_="move"))
    sim.advance(hours=2)
    ok(sim.run('standup answer finished "Quotes" next "Order" blockers none confidence 4', as_="bob",
               in_="move"))
    sim.advance(days=3)
    ok(sim.run("task done 1", as_="bob", in_="move"))
    ok(sim.run("milestone done M1", as_="alice", in_="move"))
    ok(sim.run("task unblock 2", as_="carol", in_="move"))
    ok(sim.run("task assign 3 me", as_="bob", in_="move"))
    ok(sim.run("edit goal \"Move without downtime\"", as_="alice", in_="move"))
    ok(sim.run("report post", as_="alice", in_="move"))
    alerts = ok(sim.run("alerts", as_="alice", in_="move"))
    if "A1" in alerts:
        sim.run("alerts ack A1", as_="alice", in_="move")
    ok(sim.run("risk close 1 \"Keys received\"", as_="alice", in_="move"))
    end = START + timedelta(days=14)
    sim.to(end)
    stamps = stored_timestamps(db_engine)
    assert {t for t, _, _ in stamps} >= {"projects", "tasks", "audit_log", "outbox", "standup_runs",
                                         "standup_answers", "alerts", "health_snapshots", "cost_entries",
                                         "time_entries", "risks", "members", "milestones", "days_off", "workspaces",
                                         "standup_configs", "standup_participants"}
    low, high = START.astimezone(UTC) - timedelta(days=1), end.astimezone(UTC) + timedelta(days=8)
    wrong = [(t, c, v) for t, c, v in stamps if not low <= v <= high and v != DUE_AT_ONCE]
    assert not wrong, f"written from another clock: {wrong[:5]}"


def test_a_fortnight_runs_standups_reports_and_alerts_at_their_own_times(sqlite_engine):
    sim = simulate(sqlite_engine, start=START, zone="Europe/Berlin", detect_every=timedelta(hours=2))
    _office_move(sim)
    sent = sim.advance(days=5)  # Mon 08:00 -> Sat 08:00
    prompts = [m for m in sent if m.where == "DM to @bob" and m.text.startswith("Standup: Office move")]
    assert [m.at.astimezone(BERLIN).strftime("%a %H:%M") for m in prompts] == [
        "Mon 09:30", "Tue 09:30", "Wed 09:30", "Thu 09:30", "Fri 09:30"]
    summaries = [m for m in sent if m.where == "#move" and m.text.startswith("Standup, ")]
    assert [m.at.astimezone(BERLIN).strftime("%a %H:%M") for m in summaries] == [
        "Mon 11:30", "Tue 11:30", "Wed 11:30", "Thu 11:30", "Fri 11:30"]
    reminders = [m for m in sent if m.where == "DM to @bob" and m.text.startswith("Reminder")]
    assert {m.at.astimezone(BERLIN).strftime("%H:%M") for m in reminders} == {"11:06"}
    [report] = [m for m in sent if m.where == "#move" and "weekly report" in m.text.splitlines()[0]]
    assert report.at.astimezone(BERLIN).strftime("%a %H:%M") == "Fri 16:00"
    [past_due] = [m for m in sent if "Past due" in m.text.splitlines()[0]]
    assert past_due.at.astimezone(BERLIN) >= datetime(2031, 3, 8, tzinfo=BERLIN)  # #1 was due Fri 7 Mar
    assert all(e.at <= sim.now for e in sim.log) and sim.log == sorted(sim.log, key=lambda e: e.at)
    sent = sim.advance(days=2)  # the weekend: no standup
    assert not [m for m in sent if m.text.startswith("Standup")]


def test_the_clock_only_moves_forward_and_commands_run_at_its_time(sqlite_engine):
    sim = simulate(sqlite_engine, start=START, zone="Europe/Berlin")
    with pytest.raises(ValueError, match="forward"):
        sim.to(START - timedelta(hours=1))
    sim.advance(days=1, hours=2)
    assert sim.now == (START + timedelta(days=1, hours=2)).astimezone(UTC)
    text = ok(sim.run('new "Clock check" key clock due 2031-06-30', as_="alice"))
    assert "Mon 30 Jun 2031" in text or "30 Jun 2031" in text
    assert "Tue 4 Mar 2031" in ok(sim.run("status clock", as_="alice"))
    refused(sim.run("task done clock 99", as_="alice"))


def test_advance_and_moments_read_the_script_forms():
    assert parse_advance("2 days") == {"days": 2}
    assert parse_advance("1w 2d") == {"weeks": 1, "days": 2}
    assert parse_advance("3h30m") == {"hours": 3, "minutes": 30}
    with pytest.raises(ScriptError, match="amount of time"):
        parse_advance("soon")
    with pytest.raises(ScriptError, match="not a unit"):
        parse_advance("3 fortnights")
    now = START  # Mon 3 Mar 2031 08:00
    assert parse_moment("fri 16:00", now=now, zone=BERLIN) == datetime(2031, 3, 7, 16, tzinfo=BERLIN)
    assert parse_moment("mon", now=now, zone=BERLIN) == datetime(2031, 3, 10, 9, tzinfo=BERLIN)
    assert parse_moment("14:30", now=now, zone=BERLIN) == datetime(2031, 3, 3, 14, 30, tzinfo=BERLIN)
    assert parse_moment("2031-04-01", now=now, zone=BERLIN) == datetime(2031, 4, 1, 9, tzinfo=BERLIN)
    with pytest.raises(ScriptError, match="not a date"):
        parse_moment("someday", now=now, zone=BERLIN)


SCRIPT = """\
# two days of the demo project
start 2031-03-03 08:00 Europe/Berlin
demo
as @alice
in #website
/project standup set 09:30 mon-fri
@bob /project task list mine
advance 1 day
to wed 12:00
"""


def test_the_simulate_command_prints_every_reply_and_message(tmp_path):
    script = tmp_path / "weeks.txt"
    script.write_text(SCRIPT)
    result = CliRunner().invoke(cli, ["simulate", str(script)], env={"DATABASE_URL": ""})
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Simulation starts Mon 3 Mar 2031 08:00 Europe/Berlin." in out
    assert "[Mon 3 Mar 08:00] @alice in #website> /project standup set 09:30 mon-fri" in out
    assert "Website relaunch: standup scheduled" in out
    assert "[Mon 3 Mar 08:00] @bob in #website> /project task list mine" in out
    assert "[Mon 3 Mar 09:30] ── DM to @bob ──" in out and "[Tue 4 Mar 11:30] ── #website ──" in out
    assert "Standup, Tue 4 Mar: 0 of 4 answered" in out
    assert "⏩ Wed 5 Mar 2031 12:00 Europe/Berlin" in out


def test_a_script_line_that_does_not_fit_names_its_line(tmp_path):
    script = tmp_path / "bad.txt"
    script.write_text("start 2031-03-03\n/project help\nadvance a while\n")
    result = CliRunner().invoke(cli, ["simulate", str(script)])
    assert result.exit_code == 2
    assert "Script error: line 3: expected an amount of time like `2 days`" in result.output
