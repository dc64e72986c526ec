"""Closing a project as its owner types it: the check, its clean-ups, closing,
what a closed project looks like (status, list, jobs), and reopening."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from bot.domain import alerts as alert_service
from bot.domain.standups.runs import start_run
from bot.jobs.report_jobs import weekly_reports
from bot.jobs.risk_jobs import detect_all
from bot.models import Alert, AuditEntry, Project, Risk, StandupConfig, Task
from tests.closing.world import ANNA, BEN, CLIENT, STAKE, Office
from tests.support.helpers import refused


def test_the_check_lists_what_is_open_with_buttons_and_changes_nothing(db_engine, now):
    w = Office(db_engine, now)
    reply = w.reply("close")
    text = reply.plain()
    assert "*2 open tasks*" in text and "#2 Pull cables" in text and "#3 Move the firewall" in text
    assert "*1 open risk*" in text and "R1 ISP needs notice" in text
    assert "*1 open alert*" in text  # the risk without an owner
    assert "*No hours logged since Mon 23 Nov 2026*: <@U0OWNER>" in text  # Anna and Ben logged this week
    assert "*2 milestones not reached*" in text and "M1 Cabling done, due Fri 4 Dec 2026" in text
    labels = [b.label for s in reply.sections for b in s.buttons] + [b.label for b in reply.buttons]
    assert labels == ["Cancel the remaining tasks", "R1 happened", "R1 did not happen", "None of them happened",
                      "Close anyway"]
    assert w.project().state == "active" and w.closure() is None


def test_only_the_owner_closes(db_engine, now):
    w = Office(db_engine, now)
    w("member add <@U0MGR> role manager")
    for who in ("U0MGR", ANNA, "U0NOBODY"):
        assert "Only the project's owner can close *Office network move*" in refused(
            w.reply("close netmove confirm", user=who))
    assert w.project().state == "active"


def test_remaining_tasks_are_cancelled_or_moved_to_another_project(db_engine, now):
    w = Office(db_engine, now)
    w('new "CRM" key crm', channel="C0CRM")
    check = w.reply("close netmove")
    assert "Move them to CRM" in check.plain()
    text = w("close netmove tasks move crm")
    assert "Moved 2 tasks to *CRM* (#2 → #1, #3 → #2)" in text and "open task" not in text
    with Session(db_engine) as s:
        moved = s.exec(select(Task).join(Project).where(Project.key == "crm").order_by(Task.number)).all()
        old = s.exec(select(Task).join(Project).where(Project.key == "netmove", Task.number == 2)).one()
    assert [(t.title, t.assignee_user_id, t.estimate_hours) for t in moved] == [
        ("Pull cables", BEN, 16.0), ("Move the firewall", ANNA, 8.0)]
    assert old.status == "cancelled" and old.cancel_reason == "moved to CRM as #1"
    assert "No open tasks were left to move." in w("close netmove tasks move crm")  # twice: nothing more


def test_cancel_the_remaining_tasks_then_settle_the_risks(db_engine, now):
    w = Office(db_engine, now)
    assert "Cancelled 2 open tasks" in w("close tasks cancel")
    assert "No open tasks were left to cancel." in w("close tasks cancel")
    text = w("close risk R1 happened cost 1.2k")
    assert "Closed R1: happened (cost $1,200)." in text and "open risk" not in text
    assert "Nothing changed: R1 was already recorded so." in w("close risk 1 happened cost 1.2k")
    with Session(db_engine) as s:
        risk = s.exec(select(Risk)).one()
    assert (risk.state, risk.outcome, risk.outcome_cost_cents) == ("closed", "happened", 120000)
    assert "A cost goes with one risk" in refused(w.reply("close risks happened cost 5"))
    assert "Expected `happened` or `did-not-happen`" in refused(w.reply("close risk 1 maybe"))


def test_closing_posts_the_final_report_asks_for_a_retro_and_stops_the_jobs(db_engine, now):
    w = Office(db_engine, now)
    text = w("close netmove confirm retro anonymous days 7")
    assert "Final cost $1,580 of $8,000." in text  # $500 spent + 6h x $80 + 10h x $60
    assert "4 members get a retrospective DM (anonymous)" in text and "Fri 4 Dec 2026" in text
    project, closure = w.project(), w.closure()
    assert project.state == "done" and closure.retro_mode == "anonymous"
    assert closure.retro_until == now + timedelta(days=7)
    assert closure.final["actual_cents"] == 158000 and closure.final["budget_cents"] == 800000
    post, md, pdf = w.outbox("final:")
    assert post.channel_id == "C0NET" and "final report" in post.payload["reply"]["title"]
    assert md.payload["thread_key"] == pdf.payload["thread_key"] == post.idempotency_key
    assert md.payload["file_path"].endswith(".md") and pdf.payload["file_path"].endswith(".pdf")
    with open(pdf.payload["file_path"], "rb") as f:
        assert f.read(5) == b"%PDF-"
    asked = sorted(m.user_id for m in w.outbox("retro:"))
    assert asked == sorted(["U0OWNER", ANNA, BEN, STAKE]) and CLIENT not in asked
    with Session(db_engine) as s:
        assert s.exec(select(Alert.state)).all() == [alert_service.RESOLVED]
        assert s.exec(select(AuditEntry).where(AuditEntry.action == "project.close")).one()
    # twice (Slack may deliver twice, or the owner clicks again): nothing more
    assert "is already closed (since Fri 27 Nov 2026)" in w("close netmove confirm")
    assert len(w.outbox("final:")) == 3 and len(w.outbox("retro:")) == 4
    # no detector, report or alert runs for it any more
    detect_all(engine=db_engine, now=now + timedelta(days=3))
    assert weekly_reports(engine=db_engine, now=now + timedelta(days=7), public_url="") == []
    with Session(db_engine) as s:
        assert s.exec(select(Alert.state)).all() == [alert_service.RESOLVED]


def test_a_closed_project_reads_its_final_figures_in_status_and_list(db_engine, now):
    w = Office(db_engine, now)
    w('new "CRM" key crm', channel="C0CRM")
    w("close netmove risk 1 happened cost 1.2k")
    w("close netmove confirm")
    w('lessons add netmove "The ISP needs three weeks\' notice" tag vendor')
    status = w("status")  # in its channel: the closed project, not "which project?"
    assert "*Closed*\nClosed Fri 27 Nov 2026 by <@U0OWNER>: final cost $1,580 of $8,000 (20%)" in status
    assert "Retrospective: 0 answers, open until Wed 2 Dec 2026 · 1 lesson kept." in status
    listed = w("list all", channel="C0CRM")
    assert "*Office network move* `netmove` _(closed)_" in listed and "Final cost $1,580 of $8,000 (20%)" in listed
    assert "Office network move" not in w("list", channel="C0CRM")


def test_reopen_reverses_closing_and_the_jobs_run_again(db_engine, now):
    w = Office(db_engine, now)
    w("close netmove confirm")
    assert "Only the project's owner can reopen" in refused(w.reply("reopen netmove", user=ANNA))
    assert "is open again" in w("reopen netmove")
    assert w.project().state == "active" and w.closure().reopened_at == now
    assert "is not closed (active); nothing to reopen." in w("reopen netmove")
    assert "*Closed*" not in w("status netmove")
    detect_all(engine=db_engine, now=now + timedelta(hours=1))
    with Session(db_engine) as s:
        assert alert_service.OPEN in s.exec(select(Alert.state)).all()  # the detectors watch it again
    assert "Office network move is closed" in w("close netmove confirm")  # and it closes again
    assert len(w.outbox("final:")) == 6


def test_bad_input_gets_a_short_answer(db_engine, now):
    w = Office(db_engine, now)
    assert "`retro` is `named` or `anonymous`" in refused(w.reply("close confirm retro secret"))
    assert "Answers are collected for 1 to 30 days." in refused(w.reply("close confirm days 90"))
    assert "Did not understand `please`" in refused(w.reply("close netmove please"))
    assert "Move the tasks to another project" in refused(w.reply("close tasks move netmove"))
    assert w.project().state == "active"


def test_no_standup_runs_for_a_closed_project(db_engine, now):
    w = Office(db_engine, now)
    w("standup set 09:30 mon-fri")
    w("close confirm")
    with Session(db_engine) as s:
        config = s.exec(select(StandupConfig)).one()
        result = start_run(session=s, config=config, now=now + timedelta(days=3))
    assert result.run is None and result.reason == "the project is closed"
