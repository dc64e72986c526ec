"""One DM a moment: someone in several projects' standups at the same local
time gets one DM with a part per project; each project's summary still gets
only its own answers; away is per person, once; one reminder for the rest."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from sqlmodel import Session, select

from benchmarks.querycount import count_statements
from bot.jobs.standup_jobs import open_standups
from bot.models import OutboxMessage, StandupAnswer, StandupParticipant
from tests.support import standup_world
from tests.support.factories import make_project
from tests.support.helpers import Runner
from tests.support.standup_world import ANNA, BEN, CLOSE, DORA, OWNER, PEOPLE, PROMPT, STAKEHOLDER
from tests.support.standup_world import World as TeamWorld

AHEAD = PROMPT - timedelta(seconds=60)  # the cron job opens runs a minute ahead
REMIND = PROMPT + timedelta(minutes=96)  # 80% of the two-hour window


class World(TeamWorld):
    """A team whose commands are typed in its own project's channel."""

    def cmd(self, text: str, *, user: str | None = None, ok: bool = True):
        reply = Runner(self.engine, self.now)(text, user=user or self.people[0], channel=self.project.channel_id)
        assert not ok or not reply.error, reply.plain()
        return reply


def teams(engine, monkeypatch, keys: list[str]) -> list[World]:
    """Projects with the same six people (and stakeholder), standups at 09:30 Berlin."""
    out = []
    for key in keys:
        monkeypatch.setattr(standup_world, "make_project",
                            partial(make_project, key=key, name=key.capitalize(), channel_id=f"C0{key.upper()}"))
        world = World(engine, PROMPT)
        world.cmd("standup set 09:30")
        out.append(world)
    return out


def _open(worlds: list[World], now=AHEAD) -> None:
    open_standups(worlds[0].engine, due=[(w.config().id, None, PROMPT) for w in worlds], now=now)


def _deliver(worlds: list[World], when) -> None:
    """One worker: its deliveries recorded in the first world's notifier."""
    worlds[0].at(when).deliver()


def test_three_standups_at_the_same_time_make_one_dm_each(db_engine, monkeypatch):
    worlds = teams(db_engine, monkeypatch, ["website", "network", "crm"])
    _open(worlds)
    _deliver(worlds, PROMPT)
    sent = worlds[0].notifier.dms()
    assert sorted(s.to for s in sent) == sorted([OWNER, *PEOPLE])  # one each; no stakeholder
    dm = worlds[0].notifier.dms(ANNA)[0]
    assert dm.reply.title == "Standups: 3 projects, Tue 1 Dec"
    assert dm.text.count("answer by 11:30 (Europe/Berlin)") == 3
    assert all(f"*{name}*: answer by" in dm.text for name in ("Website", "Network", "Crm"))
    assert "Each asks:" in dm.text and dm.text.count("What did you finish") == 1
    [button] = dm.reply.buttons
    runs = [w.runs()[0].id for w in worlds]
    assert (button.label, button.value) == ("Answer standups", ",".join(map(str, runs)))
    with Session(db_engine) as s:
        keys = {p.prompt_key for p in s.exec(select(StandupParticipant).where(StandupParticipant.user_id == ANNA))}
    assert keys == {None, f"standup:{runs[0]}:prompt:{ANNA}"}  # the first run's own DM, named by the others


def test_standups_opened_one_after_the_other_still_share_the_dm_until_it_is_sent(db_engine, monkeypatch):
    first, second, late = teams(db_engine, monkeypatch, ["website", "network", "crm"])
    _open([first])
    _open([second], now=AHEAD + timedelta(seconds=20))  # another job, its own transaction
    _deliver([first], PROMPT)
    assert [s.reply.title for s in first.notifier.dms(ANNA)] == ["Standups: 2 projects, Tue 1 Dec"]
    _open([late], now=PROMPT + timedelta(minutes=1))  # after the DM went out: a DM of its own
    _deliver([first], PROMPT + timedelta(minutes=1))
    assert [s.reply.title for s in first.notifier.dms(ANNA)] == ["Standups: 2 projects, Tue 1 Dec",
                                                                 "Standup: Crm, Tue 1 Dec"]


def test_someone_in_one_of_them_gets_the_plain_prompt(db_engine, monkeypatch):
    worlds = teams(db_engine, monkeypatch, ["website", "network"])
    worlds[0].cmd("member add <@U0FRED>")
    _open(worlds)
    _deliver(worlds, PROMPT)
    [fred] = worlds[0].notifier.dms("U0FRED")
    assert fred.reply.title == "Standup: Website, Tue 1 Dec" and fred.reply.sections[0].buttons[0].label == \
        "Answer standup"


def test_answers_edit_the_one_dm_and_each_summary_gets_only_its_own(db_engine, monkeypatch):
    website, network = teams(db_engine, monkeypatch, ["website", "network"])
    _open([website, network])
    _deliver([website], PROMPT)
    website.at(PROMPT + timedelta(minutes=5)).cmd(
        'standup answer website finished "Templates" next "Pages" blockers none', user=ANNA)
    network.at(PROMPT + timedelta(minutes=6)).cmd(
        'standup answer network finished "Cabling plan" next "Switches" blockers "no rack yet"', user=BEN)
    _deliver([website], PROMPT + timedelta(minutes=6))
    [edit] = website.notifier.dm_edits(ANNA)
    assert edit.update_key == f"standup:{website.runs()[0].id}:prompt:{ANNA}"
    assert "*Website*: answered at 09:35 (Europe/Berlin); you can edit it until 11:30" in edit.text
    assert "*Network*: answer by 11:30" in edit.text and edit.reply.buttons[0].label == "Answer standups"
    website.at(CLOSE + timedelta(minutes=1)).tick()
    posts = {p.to: [] for p in website.notifier.posts()}
    for p in website.notifier.posts():
        posts[p.to].append(p.text)
    site, net = "\n".join(posts["C0WEBSITE"]), "\n".join(posts["C0NETWORK"])
    assert "Templates" in site and "Cabling plan" not in site and "no rack yet" not in site
    assert "Cabling plan" in net and "no rack yet" in net and "Templates" not in net
    assert "1 of 6 answered, 0 blockers" in site and "1 of 6 answered, 1 blocker" in net


def test_answering_before_the_dm_goes_out_takes_that_project_out_of_it(db_engine, monkeypatch):
    worlds = teams(db_engine, monkeypatch, ["website", "network", "crm"])
    _open(worlds)
    worlds[0].at(AHEAD + timedelta(seconds=30)).cmd(
        'standup answer website finished "Early" next "More" blockers none', user=ANNA)
    for w in worlds:
        w.at(AHEAD + timedelta(seconds=40)).cmd(
            f'standup answer {w.project.key} finished "Early" next "More" blockers none', user=BEN)
    _deliver(worlds, PROMPT)
    [dm] = worlds[0].notifier.dms(ANNA)
    assert dm.reply.title == "Standups: 2 projects, Tue 1 Dec" and "Website" not in dm.text
    assert worlds[0].notifier.dms(BEN) == []  # nothing left to ask him
    with Session(db_engine) as s:
        ben = s.exec(select(OutboxMessage.state).where(OutboxMessage.user_id == BEN)).all()
    assert ben == ["cancelled"]


def test_one_reminder_covers_what_is_still_unanswered_and_comes_once(db_engine, monkeypatch):
    worlds = teams(db_engine, monkeypatch, ["website", "network", "crm"])
    _open(worlds)
    _deliver(worlds, PROMPT)
    worlds[0].at(PROMPT + timedelta(minutes=10)).cmd(
        'standup answer website finished "A" next "B" blockers none', user=ANNA)
    for when in (REMIND, REMIND + timedelta(minutes=1), REMIND + timedelta(minutes=10)):
        worlds[0].at(when).tick()
    reminders = [s for s in worlds[0].notifier.dms(ANNA) if s.reply.title.startswith("Reminder")]
    assert [r.reply.title for r in reminders] == ["Reminder: 2 standups"]
    assert "*Network*: closes at 11:30" in reminders[0].text and "Website" not in reminders[0].text
    assert [r.reply.title for r in worlds[0].notifier.dms(BEN) if r.reply.title.startswith("Reminder")] == [
        "Reminder: 3 standups"]


def test_away_once_is_away_in_every_project(db_engine, monkeypatch):
    worlds = teams(db_engine, monkeypatch, ["website", "network"])
    worlds[1].cmd(f"ooo <@{DORA}> 2026-12-01")  # said once, in one project's channel
    _open(worlds)
    _deliver(worlds, PROMPT)
    assert worlds[0].notifier.dms(DORA) == [] and worlds[0].notifier.dms(STAKEHOLDER) == []
    worlds[0].at(CLOSE + timedelta(minutes=1)).tick()
    summaries = [p.text for p in worlds[0].notifier.posts() if p.reply.title.startswith("Standup,")]
    assert len(summaries) == 2 and all(f"*Away:* <@{DORA}>" in text for text in summaries)


def test_merging_into_waiting_dms_costs_the_same_statements_for_1_standup_as_for_12(db_engine, monkeypatch):
    worlds = teams(db_engine, monkeypatch, [f"p{n}" for n in range(14)])
    _open(worlds[:1])
    counts = []
    for batch in (worlds[1:2], worlds[2:]):
        due = [(w.config().id, None, PROMPT) for w in batch]
        with count_statements(db_engine) as counter:
            open_standups(db_engine, due=due, now=AHEAD)
        counts.append(counter.count)
    assert counts[0] == counts[1]
    with Session(db_engine) as s:
        rows = s.exec(select(OutboxMessage).where(OutboxMessage.user_id == ANNA)).all()
    assert len(rows) == 1 and len(rows[0].payload["runs"]) == 14


def test_the_answers_stored_are_per_project(db_engine, monkeypatch):
    website, network = teams(db_engine, monkeypatch, ["website", "network"])
    _open([website, network])
    _deliver([website], PROMPT)
    for w in (website, network):
        w.at(PROMPT + timedelta(minutes=3)).cmd(
            f'standup answer {w.project.key} finished "{w.project.key} work" next "x" blockers none', user=ANNA)
    with Session(db_engine) as s:
        rows = s.exec(select(StandupAnswer.project_id, StandupAnswer.answers).where(StandupAnswer.user_id == ANNA))
        got = {pid: a["finished"] for pid, a in rows}
    assert got == {website.project.id: "website work", network.project.id: "network work"}
    _deliver([website], PROMPT + timedelta(minutes=3))
    last = website.notifier.dm_edits(ANNA)[-1]
    assert "All answered." in last.reply.footer and last.reply.buttons[0].label == "Edit answers"
