"""Money and time corrected by correcting entries, never erased: `spend undo|void
C12`, `log undo|void L7`, refunds as negative spends with a reason; lists show
the ids; entries before the project's start warn; rates only for the owner and
managers."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot.models import AuditEntry, CostEntry, TimeEntry
from tests.support.helpers import Runner, ok, refused

OWNER, BOB, CAROL, ERIN, OUT = "U0OWNER", "U0BOB", "U0CAROL", "U0ERIN", "U0OUT"


@pytest.fixture
def run(db_engine, now):
    r = Runner(db_engine, now, currency="EUR")
    ok(r('new "Office network move" key netmove due 2027-01-29 budget €8000 start 2026-11-02'))
    for who, role in ((BOB, "manager"), (CAROL, "member"), (ERIN, "stakeholder")):
        ok(r(f"member add <@{who}> role {role}"))
    ok(r(f"member rate <@{CAROL}> 60"))
    return r


def _costs(engine) -> list[CostEntry]:
    with Session(engine) as s:
        return list(s.exec(select(CostEntry).order_by(CostEntry.id)))


def test_spend_undo_adds_a_correcting_entry_and_keeps_both(run, db_engine, now):
    ok(run('spend 2400 hardware "Switches"'))
    assert "as C2" in ok(run('spend 12000 hardware "Patch panels"'))  # meant 1200
    text = ok(run('spend undo C2 "Typed 12000 instead of 1200"'))
    assert "Voided C2 (€12,000 on hardware, Fri 27 Nov 2026) with the correcting entry C3" in text
    assert "Spent so far: €2,400 of €8,000." in text
    rows = _costs(db_engine)
    assert [(r.id, r.amount_cents, r.reverses_id) for r in rows] == [
        (1, 240_000, None), (2, 1_200_000, None), (3, -1_200_000, 2)]
    assert rows[2].spent_on == rows[1].spent_on and rows[2].created_at == now
    assert "€2,400 of €8,000 (30%)" in ok(run("status"))
    listed = ok(run("spend list"))
    assert "~C2 · Fri 27 Nov · €12,000 hardware “Patch panels” · <@U0OWNER>~ voided by C3" in listed
    assert "C3 · Fri 27 Nov · -€12,000 hardware “Typed 12000 instead of 1200”" in listed
    assert "(correction of C2)" in listed and "Net €2,400" in listed
    assert 'spend undo netmove C1 "reason"` voids an entry' in listed  # the one entry still live, not C12


def test_a_repeated_undo_changes_nothing_more_and_says_so(run, db_engine):
    ok(run('spend 500 cables'))
    ok(run("spend void C1"))
    assert ok(run("spend undo C1")) == "C1 (€500 on cables, Fri 27 Nov 2026) was already voided by C2."
    assert len(_costs(db_engine)) == 2
    with Session(db_engine) as s:
        assert len(s.exec(select(AuditEntry).where(AuditEntry.action == "cost.void")).all()) == 1


@pytest.mark.parametrize("text, message", [
    ("spend undo C9", "has no spending C9"),
    ("spend undo", "Expected the id of the spending entry, like C12"),
    ("spend undo X1", "Expected the id of the spending entry, like C12 (got `X1`)"),
    ("log undo L9", "has no logged time L9"),
])
def test_bad_references_say_what_was_expected(run, text, message):
    assert message in refused(run(text))


def test_a_correction_cannot_itself_be_voided_and_members_cannot_void_spending(run):
    ok(run("spend 500 cables"))
    ok(run("spend undo C1"))
    assert "C2 is itself the correction of C1" in refused(run("spend undo C2"))
    assert "Only the project's owner or a manager can correct spending" in refused(
        run("spend undo C1", user=CAROL))


def test_a_refund_is_a_negative_spend_that_needs_a_reason(run, db_engine):
    ok(run('spend 2400 hardware "Switches"'))
    assert "A refund needs a reason" in refused(run("spend -300 hardware"))
    text = ok(run('spend -300 hardware "Returned one switch"'))
    assert "Recorded a refund of €300 on *hardware* (Returned one switch)" in text
    assert "Spent so far: €2,100 of €8,000" in text
    assert "cannot be more than what was spent: €2,100" in refused(run('spend -5000 hardware "Too much"'))
    assert _costs(db_engine)[-1].amount_cents == -30_000
    assert "(refund)" in ok(run("spend list"))


def test_log_undo_voids_time_at_the_same_rate(run, db_engine):
    ok(run("log 3h", user=CAROL))
    ok(run("log 2h", user=CAROL))
    text = ok(run("log undo L2 \"Logged twice\"", user=CAROL))
    assert "Voided L2 (2h by <@U0CAROL>, Fri 27 Nov 2026) with the correcting entry L3" in text
    with Session(db_engine) as s:
        rows = s.exec(select(TimeEntry).order_by(TimeEntry.id)).all()
    assert [(r.minutes, r.rate_cents, r.reverses_id) for r in rows] == [(180, 6000, None), (120, 6000, None),
                                                                        (-120, 6000, 2)]
    assert "€180 of €8,000" in ok(run("status"))  # 3h x €60
    assert "already voided by L3" in ok(run("log void L2", user=CAROL))
    assert "Only the project's owner or a manager can correct someone else's logged time" in refused(
        run("log undo L1", user=ERIN))


def test_time_and_money_before_the_projects_start_warn(run):
    assert "⚠️ This spending is dated Fri 30 Oct 2026, before the project's start Mon 2 Nov 2026." in ok(
        run("spend 100 cables 2026-10-30"))
    assert "⚠️ This time is dated Sun 1 Nov 2026, before the project's start" in ok(
        run("log 1h 2026-11-01", user=CAROL))
    assert "⚠️" not in ok(run("log 1h", user=CAROL))


def test_rates_are_shown_to_the_owner_and_managers_only(run):
    ok(run("log 3h", user=CAROL))
    assert "€60/h" in ok(run("member list", user=BOB))
    for viewer in (CAROL, ERIN, OUT):
        members = ok(run("member list", user=viewer))
        assert "€60" not in members and "no rate" not in members, viewer
        assert "Hourly rates are shown to the owner and managers." in members
    assert "At €60/h" not in ok(run("log 1h", user=CAROL))  # the logger, a member, sees no rate
    assert "At €60/h that is €120" in ok(run(f"log 2h <@{CAROL}>", user=BOB))
    assert "<@U0CAROL>: €360 · 6h" in ok(run("costs by member", user=BOB))
    assert "<@U0CAROL>: 6h" in ok(run("costs by member", user=CAROL))
    stakeholder = ok(run("costs by member", user=ERIN))
    assert "<@U0CAROL>" not in stakeholder and "People's hours are shown to the project's team" in stakeholder
    assert "· <@U0CAROL> · €180" in ok(run("log list", user=BOB))
    assert "€" not in ok(run("log list", user=CAROL)).split("Net")[0]
    assert "Only project members can see people's logged hours" in refused(run("log list", user=ERIN))
    assert "€60/h" in ok(run("history", user=BOB))
    for viewer in (CAROL, ERIN):
        assert "€60" not in ok(run("history", user=viewer)), viewer


def test_every_new_command_has_help_with_examples(run):
    for name in ("spend list", "spend undo", "spend void", "log list", "log undo", "log void", "history"):
        assert "• `/project" in ok(run(f"help {name}")), name
