"""The netmove story of issue 14, end to end over simulated weeks: an office
network move with a €8,000 budget whose milestones add up to €8,500, one
milestone after the due date, junk tasks entered then cancelled, spending
and hours over five weeks, the work finished. Each problem is refused or
warned at the moment it is entered, and the final status and report are
truthful: the forecast cost is what was spent, and nobody is asked to approve
more budget for a finished project."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tests.support.helpers import ok, refused
from tests.support.simulation import simulate

BERLIN = ZoneInfo("Europe/Berlin")
START = datetime(2026, 11, 2, 9, 0, tzinfo=BERLIN)  # a Monday


def test_the_netmove_story(db_engine):
    sim = simulate(db_engine, start=START, zone="Europe/Berlin", detect_every=timedelta(hours=6))

    def run(text: str, who: str = "alice") -> str:
        """The reply as its reader sees it (names, not ids); it must not be an error."""
        ok(sim.run(text, as_=who, in_="netmove"))
        return next(e.text for e in reversed(sim.log) if e.kind == "reply")

    # --- week 0: the plan, and what is wrong with it, said at once -------------------
    run('new "Office network move" key netmove due 2026-12-18 budget €8000 tz Europe/Berlin')
    run("member add @bob @carol")
    run("member add @dan role manager")
    run("member add @erin role stakeholder")
    run("member rate @bob 60")
    run("member rate @carol 50")
    run('milestone add "Survey" due 2026-11-13 budget 1500')
    run('milestone add "Cabling" due 2026-12-04 budget 4000')
    no = refused(sim.run('milestone add "Switch-over" due 2026-12-22 budget 3000', as_="alice", in_="netmove"))
    assert "milestone budgets would add up to €8,500, more than the project's budget of €8,000 (by €500)" in no
    forced = run('milestone add "Switch-over" due 2026-12-22 budget 3000 force')
    assert "⚠️ Accepted with `force`" in forced
    assert "⚠️ M3 is due Tue 22 Dec 2026, after the project's due date Fri 18 Dec 2026." in forced
    for line in ('task add "Walk the new office" @bob estimate 6h milestone M1 due 2026-11-06',
                 'task add "Floor plan with ports" @carol estimate 4h milestone M1 due 2026-11-11',
                 'task add "Pull cables" @bob estimate 24h milestone M2 due 2026-12-01',
                 'task add "Patch panels" @carol estimate 8h milestone M2 due 2026-12-03',
                 'task add "Configure switches" @bob estimate 12h milestone M3 due 2026-12-15',
                 'task add "Cut over on the weekend" @dan estimate 8h milestone M3 due 2026-12-17',
                 'task add "asdf"',
                 'task add "Pull cables" @bob estimate 24h milestone M2',
                 'task add "Update the network diagram" @carol estimate 3h'):  # in no milestone
        run(line)
    late = run('task add "Decommission the old rack" @frank estimate 4h due 2026-12-21')
    assert "@frank was not on Office network move, so they were added as a member." in late
    assert "⚠️ #10 is due Mon 21 Dec 2026, after the project's due date Fri 18 Dec 2026." in late
    assert "`task delete` cancels: #7 asdf is cancelled" in run("task delete 7")
    assert "#8 Pull cables is cancelled (Entered twice)" in run('task cancel 8 "Entered twice"')
    assert "⚠️" not in run("task edit 10 due 2026-12-16")
    early = run('spend 300 hardware "Survey tools" 2026-10-30')
    assert "⚠️ This spending is dated Fri 30 Oct 2026, before the project's start Mon 2 Nov 2026." in early
    status = run("status")
    assert "0 of 8 tasks done" in status  # the two junk tasks are not work
    assert "Milestone budgets add up to €8,500, more than the project's budget of €8,000 (by €500)." in status
    assert "Milestone M3 Switch-over is due Tue 22 Dec, after the project's due date Fri 18 Dec." in status

    # --- weeks 1-3: work, money, and a typo put right ---------------------------------
    sim.advance(days=4)
    run("log 6h task 1", "bob")
    run("task done 1", "bob")
    sim.advance(days=5)
    run("log 4h task 2", "carol")
    run("task done 2", "carol")
    run("milestone done M1")
    run("milestone edit M3 due 2026-12-17")
    run('spend 2400 hardware "Switches"')
    assert "Spent so far: €15,260 of €8,000" in run('spend 12000 hardware "Patch cables"')
    undone = run('spend undo C3 "Typed 12000 for 1200"')
    assert "Voided C3 (€12,000 on hardware, Wed 11 Nov 2026) with the correcting entry C4" in undone
    assert "Spent so far: €3,260 of €8,000." in undone
    run('spend 1200 hardware "Patch cables"')
    sim.advance(weeks=1)
    run("log 8h task 3", "bob")
    run("log 10h task 3", "bob")
    run('spend 2500 contractors "Electrician for the riser"')
    midway = run("report")
    assert "approve more budget or cut scope?" in midway  # an unfinished overrun is a decision
    sim.advance(weeks=1)
    for who, line in (("bob", "task done 3"), ("carol", "log 8h task 4"), ("carol", "task done 4"),
                      ("alice", "milestone done M2"), ("carol", "log 3h task 9"), ("carol", "task done 9")):
        run(line, who)
    sim.advance(weeks=1)

    # --- week 5: the work is finished ----------------------------------------------------
    run("log 12h task 5", "bob")
    run("task done 5", "bob")
    run('spend 1500 contractors "Weekend cut-over"')
    run("task done 6", "dan")
    run("log 4h task 10 @frank")
    run("task done 10")
    run("milestone done M3")
    final = run("status")
    assert "100% of estimated hours · 8 of 8 tasks done" in final
    assert "Finished Wed 2 Dec 2026, 16 days before the due date Fri 18 Dec 2026; started Mon 2 Nov 2026" in final
    assert "Final cost         €10,810 of €8,000 (135%) · CPI 0.74" in final  # what it cost, not a forecast
    sent = sim.to(datetime(2026, 12, 4, 17, 0, tzinfo=BERLIN))  # Friday's weekly report
    report = next(m.text for m in sent if "weekly report" in m.text)
    assert "final cost €10,810 of €8,000 (135%) · CPI 0.74" in report and "Finished Wed 2 Dec" in report
    details = "\n".join(m.text for m in sent)
    assert "approve more budget" not in details and "decision" not in report
    assert "No open alerts" in run("alerts")  # the budget burn alert resolved when the work was done
    assert "None this week." in run("report")
    history = run("history budget")
    assert "voided C3 (€12,000): correction C4; reason “Typed 12000 for 1200”" in history
    run("edit state done")
    assert "`netmove` (closed)" in run("list all")  # state done reads as closed
    closed = run("report netmove")  # a closed project is named: the channel has no open one
    assert "approve more budget" not in closed and "final cost €10,810" in closed
