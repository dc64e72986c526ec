"""Availability, for every project: out of office, and someone's own public
holidays (someone abroad), with who may change whose."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session, select

from bot.models import StandupParticipant
from tests.support.standup_world import ANNA, BEN, TUE, World


@pytest.fixture
def world(db_engine) -> World:
    w = World(db_engine, TUE)
    w.cmd("standup set 09:30")
    return w


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
