"""Standup settings: one line sets a standup up, with defaults from the project;
bad input is refused with what was expected."""

from __future__ import annotations

from tests.support.standup_world import ANNA


def test_defaults_project_zone_mon_fri_project_channel_two_hour_window(world):
    config = world.config()
    assert (config.time_local, config.days, config.close_after_minutes, config.reminder_at_pct) == (
        "09:30", "mon-fri", 120, 80)
    shown = world.cmd("standup").plain()
    assert "09:30 mon-fri (Europe/Berlin)" in shown
    assert "*Closes:* 11:30" in shown and "<#C0PROJ>" in shown
    assert "What did you finish since last standup?" in shown and "(1-5)" in shown


def test_set_reads_every_option_and_refuses_bad_input_clearly(world):
    out = world.cmd("standup set 10:00 mon,wed,fri tz America/New_York in <#C0TEAM|team> holidays US-NY "
                    "close 11:00 remind 50% member-time inline").plain()
    assert "10:00 mon,wed,fri (America/New_York, each member at that time in their own zone)" in out
    config = world.config()
    assert (config.channel_id, config.holidays_country, config.holidays_subdiv) == ("C0TEAM", "US", "NY")
    assert (config.close_after_minutes, config.reminder_at_pct) == (60, 50)
    assert config.per_member_timezone and not config.answers_in_thread
    for bad, says in [("standup set 25:00", "Expected a time like 09:30"),
                      ("standup set 09:30 close 09:00", "not after"),
                      ("standup set 09:30 holidays XX", "country code"),
                      ("standup set 09:30 tz Mars/Base", "not a time zone"),
                      ("standup set 09:30 remind 120%", "from 10 to 95")]:
        reply = world.cmd(bad, ok=False)
        assert reply.error and says in reply.plain(), (bad, reply.plain())
    assert world.config().time_local == "10:00"  # nothing half-written
    refused = world.cmd("standup set 08:00", user=ANNA, ok=False)
    assert "Only the project's owner or a manager can set up the standup" in refused.plain()
