"""Standups: configured in one line, asked on time, answered in a minute,
summarised once, never nagging anyone away or on a holiday."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session, select

from bot.config import Settings
from bot.domain import standups
from bot.domain.errors import Invalid
from bot.models import StandupAnswer, StandupParticipant
from bot.shell.console import Shell
from tests.test_standups_world import OWNER, PEOPLE, STAKEHOLDER, World

ANNA, BEN, CARL, DORA, EMIL = PEOPLE
TUE = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)  # Tue 1 Dec 2026, 08:00 in Berlin
PROMPT = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)  # 09:30 Berlin
CLOSE = datetime(2026, 12, 1, 10, 30, tzinfo=UTC)  # 11:30 Berlin


@pytest.fixture
def world(db_engine) -> World:
    w = World(db_engine, TUE)
    w.cmd("standup set 09:30")
    return w


def answer(world: World, user: str, text: str = 'finished "API" next "UI" blockers none confidence 4',
           ok: bool = True):
    return world.cmd(f"standup answer {text}", user=user, ok=ok)


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

    from bot.jobs.dispatcher import CLAIM_SECONDS, deliver_pending
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


def test_someone_with_holidays_of_their_own_is_away_on_them_in_every_project(world):
    from bot.domain.calendar import user_days_away
    from bot.jobs.standup_jobs import open_standups

    def statuses(run_date: date) -> dict[str, str]:
        run = next(r for r in world.runs() if r.run_date == run_date)
        with Session(world.engine) as s:
            return {p.user_id: p.status for p in s.exec(select(StandupParticipant).where(
                StandupParticipant.run_id == run.id))}

    assert "public holidays of US-NY" in world.cmd("holidays US-NY", user=ANNA).plain()
    assert "public holidays of GB-SCT" in world.cmd(f"holidays <@{BEN}> gb-sct").plain()  # the owner sets Ben's
    refused = world.cmd("holidays <@U0OWNER> off", user=ANNA, ok=False)
    assert refused.error and "owner or a manager" in refused.plain()
    thanksgiving = datetime(2026, 11, 26, 8, 30, tzinfo=UTC)  # 09:30 in Berlin, a working day there
    open_standups(world.engine, due=[(world.config().id, None, None)], now=thanksgiving)  # the batch path
    world.at(thanksgiving).deliver()
    assert ANNA not in {s.to for s in world.notifier.dms()}
    assert statuses(date(2026, 11, 26))[ANNA] == "away" and statuses(date(2026, 11, 26))[BEN] == "asked"
    st_andrews = datetime(2026, 11, 30, 8, 30, tzinfo=UTC)  # observed on Monday in Scotland
    world.at(st_andrews).fire()  # one standup on its own
    assert statuses(date(2026, 11, 30))[BEN] == "away" and statuses(date(2026, 11, 30))[ANNA] == "asked"
    with Session(world.engine) as s:
        assert user_days_away(session=s, team_id=world.project.team_id, user_id=ANNA, start=date(2026, 11, 23),
                              end=date(2026, 11, 29)) == {date(2026, 11, 26)}  # forecasts and alerts too
    assert "follows each standup's" in world.cmd("holidays off", user=ANNA).plain()


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


def test_ooo_for_yourself_for_others_and_back_again(world):
    assert "is away Mon 21 Dec 2026 – Sun 3 Jan 2027 (10 working days)" in world.cmd(
        "ooo 2026-12-21..2027-01-03", user=ANNA).plain()
    assert "already set" in world.cmd("ooo 2026-12-21..2027-01-03", user=ANNA).plain()
    refused = world.cmd(f"ooo <@{BEN}> 2026-12-21", user=ANNA, ok=False)
    assert "Only the project's owner or a manager can mark someone else away" in refused.plain()
    world.cmd("standup set holidays DE-BY")  # working days now skip Christmas and New Year
    assert "(5 working days)" in world.cmd(f"ooo <@{BEN}> 24 Dec..2 Jan").plain()
    listing = world.cmd("ooo").plain()
    assert f"<@{ANNA}>: Mon 21 Dec 2026 – Sun 3 Jan 2027" in listing and f"<@{BEN}>" in listing
    assert "1 absence ended" in world.cmd("ooo off", user=ANNA).plain()
    assert f"<@{ANNA}>" not in world.cmd("ooo").plain()
    assert world.cmd("ooo 2027-01-03..2026-12-21", user=ANNA, ok=False).error


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


def test_in_the_shell_now_prompts_print_then_answers_then_the_summary(sqlite_engine):
    world = World(sqlite_engine, PROMPT, people=["U0BOB"])
    world.cmd("standup set 09:30")
    clock = {"now": PROMPT}
    shell = Shell(sqlite_engine, Settings(), team_id=world.project.team_id, user="owner",
                  channel="proj", clock=lambda: clock["now"])
    shell.user_id, shell.channel_id = OWNER, "C0PROJ"
    out = shell.handle("/project standup now")
    assert "Standup started: 2 asked" in out
    assert "── DM to @U0BOB ──" in out and "Standup: Website relaunch, Tue 1 Dec" in out
    shell.user_id = "U0BOB"
    out = shell.handle('/project standup answer finished "the header" next "the footer" blockers none')
    assert "Saved your answer" in out
    assert "── DM to @U0BOB (updated) ──" in out and "Answered at 09:30 (Europe/Berlin)" in out
    clock["now"] = PROMPT + timedelta(hours=2)
    out = shell.handle("/project standup history")
    assert "── #proj ──" in out and "Standup, Tue 1 Dec: 1 of 2 answered, 0 blockers" in out
    assert "── #proj (thread) ──" in out and "the footer" in out


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
