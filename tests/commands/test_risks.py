"""The risk register through `/project risk ...`, as the team would use it."""

from __future__ import annotations

from sqlmodel import Session, select

from bot.domain.risks import Band, band
from bot.models import Alert, AuditEntry, Risk
from tests.support.factories import MEMBER, OWNER, STAKEHOLDER, make_project
from tests.support.helpers import Runner, ok, refused


def _risks(engine) -> dict[int, Risk]:
    with Session(engine) as s:
        return {r.number: r for r in s.exec(select(Risk))}


def test_bands_follow_the_score():
    assert [band(s) for s in (25, 20, 19, 12, 11, 6, 5, 1)] == [
        Band.CRITICAL, Band.CRITICAL, Band.HIGH, Band.HIGH, Band.MEDIUM, Band.MEDIUM, Band.LOW, Band.LOW]


def test_add_a_risk_with_every_option_then_list_show_and_matrix(db_engine, now):
    make_project(db_engine)
    run = Runner(db_engine, now)
    text = ok(run(f'risk add "Hosting vendor may slip" likelihood 4 impact 5 owner <@{MEMBER}> '
                  'mitigation "Second quote from another host" review 2027-01-15 response mitigate'))
    assert "Added risk R1 *Hosting vendor may slip*" in text
    assert "score 🟥 20 (critical: likelihood 4 x impact 5)" in text and f"owner <@{MEMBER}>" in text
    ok(run('risk add "Copywriter unavailable in December" likelihood 2 impact 3', user=MEMBER))
    ok(run('risk add "Budget approval late" likelihood 3 impact 4'))
    listing = ok(run("risk list"))
    order = [listing.index(f"*R{n}*") for n in (1, 3, 2)]
    assert order == sorted(order), listing  # by score: 20, 12, 6
    assert "· 12 high · nobody · ⚠️ no owner, no mitigation" in listing
    shown = ok(run("risk show R1"))
    assert "Review: Fri 15 Jan 2027" in shown and "Second quote from another host" in shown
    matrix = ok(run("risk matrix"))
    assert "risk matrix (3 open)" in matrix
    assert "\n".join([
        "L\\I   1   2   3   4   5",
        " 5    ·   ·   ·   ·   ·",
        " 4    ·   ·   ·   ·   1",
        " 3    ·   ·   ·   1   ·",
        " 2    ·   ·   1   ·   ·",
        " 1    ·   ·   ·   ·   ·"]) in matrix
    assert "🟥 1 critical, 🟧 1 high, 🟨 1 medium, 🟩 0 low" in matrix


def test_update_rescores_and_the_audit_keeps_old_and_new_score(db_engine, now):
    make_project(db_engine)
    run = Runner(db_engine, now)
    ok(run('risk add "Hosting vendor may slip" likelihood 4 impact 5'))
    text = ok(run(f'risk update 1 likelihood 2 owner <@{MEMBER}> mitigation "Fallback host"'))
    assert "Updated R1 *Hosting vendor may slip* (likelihood, mitigation, owner)." in text
    assert "Score 20 → 🟨 10 (medium: likelihood 2 x impact 5)." in text
    assert "nothing changed" in ok(run("risk update 1 likelihood 2"))
    ok(run('risk close 1 "New host signed"'))
    assert "already closed" in ok(run("risk close 1"))
    with Session(db_engine) as s:
        entries = list(s.exec(select(AuditEntry).where(AuditEntry.entity == "risk").order_by(AuditEntry.id)))
    assert [e.action for e in entries] == ["risk.add", "risk.update", "risk.close"]
    assert (entries[1].before["score"], entries[1].after["score"]) == (20, 10)
    assert entries[1].user_id == OWNER and entries[2].after["note"] == "New host signed"
    risk = _risks(db_engine)[1]
    assert risk.state == "closed" and risk.close_note == "New host signed" and risk.closed_at == now
    assert "R1" not in ok(run("risk list")) and "R1" in ok(run("risk list all"))


def test_bad_input_says_what_was_expected_and_stores_nothing(db_engine, now):
    make_project(db_engine)
    run = Runner(db_engine, now)
    assert "from 1 (rare/minor) to 5" in refused(run('risk add "X" likelihood 7 impact 2'))
    assert "`impact 4` is missing" in refused(run('risk add "X" likelihood 3'))
    assert "one of avoid, mitigate, transfer, accept" in refused(
        run('risk add "X" likelihood 3 impact 3 response ignore'))
    assert "has no risk R9" in refused(run("risk show 9"))
    assert "Only project members can add risks" in refused(
        run('risk add "X" likelihood 3 impact 3', user=STAKEHOLDER))
    assert _risks(db_engine) == {}
    ok(run('risk add "X" likelihood 3 impact 3'))
    assert "Say what to change" in refused(run("risk update 1"))
    ok(run("risk close 1"))
    assert "reopen it first" in refused(run("risk update 1 impact 5"))
    assert "Updated R1 *X* (state)." in ok(run("risk update 1 state open"))
    assert _risks(db_engine)[1].state == "open"


def test_a_high_risk_without_owner_alerts_at_once_and_resolves_when_owned(db_engine, now):
    make_project(db_engine)
    run = Runner(db_engine, now)
    ok(run('risk add "Hosting vendor may slip" likelihood 4 impact 4'))
    with Session(db_engine) as s:
        [alert] = s.exec(select(Alert))
    assert alert.fingerprint == "risk:1:gaps" and alert.state == "open"
    assert "shows them" not in alert.reason and "no owner and no mitigation" in alert.reason
    ok(run(f'risk update 1 owner <@{MEMBER}> mitigation "Ask a second host"'))
    with Session(db_engine) as s:
        [alert] = s.exec(select(Alert))
    assert alert.state == "resolved" and alert.resolved_at == now
