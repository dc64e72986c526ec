"""The CRM story of issue 17 in the shell, over simulated weeks: the plan is
baselined, a client asks for marketing automation (+€6k, +2 weeks), the card
reaches the channel and the deciders, the owner approves it, a member's edit
of the budget becomes a request the sponsor rejects with a reason, and
status and the weekly report show plan vs now."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from tests.support.helpers import ok, refused
from tests.support.simulation import simulate

BERLIN = ZoneInfo("Europe/Berlin")
START = datetime(2026, 11, 2, 9, 0, tzinfo=BERLIN)  # a Monday


def test_the_crm_story_in_the_shell(db_engine):
    sim = simulate(db_engine, start=START, zone="Europe/Berlin")

    def run(text: str, who: str = "alice") -> str:
        ok(sim.run(text, as_=who, in_="crm"))
        return next(e.text for e in reversed(sim.log) if e.kind == "reply")

    run('new "New CRM" key crm due 26 Feb 2027 budget €40k tz Europe/Berlin scope "Contacts, pipeline, reports"')
    run("member add @dana role client")
    run("member add @erin role sponsor")
    run("member add @bob")
    assert "📌 Baseline 1 taken (budget €40,000, due Fri 26 Feb 2027, 1 milestone)" in run(
        'milestone add "Go-live" due 19 Feb 2027 budget 30k')
    run('task add "Import contacts" @bob estimate 16h milestone M1')
    sim.advance(days=3)
    mark = len(sim.log)
    run('change add crm "Marketing automation" budget +6k due +2w scope "Email campaigns" '
        'reason "We want campaigns at launch"', who="dana")
    sent = sim.delivered(mark)
    card = next(e for e in sent if e.where == "#crm")
    assert "📝 CR-1 Marketing automation · New CRM" in card.text and "[Approve]" in card.text
    assert "↳ /project change approve crm CR-1" in card.text
    assert {e.where for e in sent if e.where.startswith("DM")} == {"DM to @alice", "DM to @erin"}

    assert "Only the owner (<@U0ALICE>) or a sponsor can approve CR-1" in refused(
        sim.run("change approve crm CR-1", as_="dana", in_="crm"))
    mark = len(sim.log)
    assert "Baseline 2 taken" in run("change approve crm CR-1")
    assert any(e.where == "DM to @dana" and "was approved by @alice on Thu 5 Nov 09:00 (Europe/Berlin)" in e.text
               for e in sim.delivered(mark))
    assert "already approved by @alice on Thu 5 Nov 09:00 (Europe/Berlin); nothing changed" in run(
        "change approve crm CR-1", who="erin")

    assert "your edit became CR-2 (budget €50,000)" in run("edit crm budget 50k", who="bob")
    assert "CR-2 Edit of the budget rejected: No more budget this year" in run(
        'change reject crm CR-2 reason "No more budget this year"', who="erin")

    status = run("status crm")
    assert "Budget €46,000 (baseline €40,000, +€6,000 from CR-1)" in status
    assert "Due Fri 12 Mar 2027 (baseline Fri 26 Feb 2027, +2w from CR-1)" in status
    assert "Changes: 1 approved, 1 rejected" in status
    report = run("report crm")
    assert "Plan vs baseline 1: Budget €46,000 (baseline €40,000, +€6,000 from CR-1)" in report
    assert "Changes decided this week" in report and "❌ CR-2 Edit of the budget" in report
