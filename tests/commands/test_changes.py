"""Baselines and change requests through the commands: the CRM story (a
baseline, a client's change request, the owner's approval, a rejection with
its reason), who may decide, idempotent decisions, direct edits, refusals."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from bot.domain import baselines, changes
from bot.models import AuditEntry, Baseline, ChangeRequest, OutboxMessage, Project
from tests.support.helpers import Runner, ok, refused

OWNER, MANAGER, MEMBER, CLIENT, SPONSOR = "U0OWNER", "U0MGR", "U0MEMB", "U0CLIENT", "U0SPONS"


def crm(engine, now) -> Runner:
    run = Runner(engine, now, currency="EUR")
    ok(run('new "New CRM" key crm due 26 Feb 2027 budget €40k scope "Contacts, pipeline, reports"', channel="C0CRM"))
    ok(run("member add crm <@U0MGR> role manager"))
    ok(run("member add crm <@U0MEMB>"))
    ok(run("member add crm <@U0CLIENT> role client"))
    ok(run("member add crm <@U0SPONS> role sponsor"))
    return run


def project(engine) -> Project:
    with Session(engine) as s:
        return s.exec(select(Project).where(Project.key == "crm")).one()


def test_the_crm_story_baseline_a_clients_change_approved_and_one_rejected(db_engine, now):
    run = crm(db_engine, now)
    text = ok(run('milestone add crm "Go-live" due 19 Feb 2027 budget 30k'))
    assert "Baseline 1 taken (budget €40,000, due Fri 26 Feb 2027, 1 milestone)" in text
    text = ok(run('change add crm "Marketing automation" budget +6k due +2w scope "Email campaigns" '
                  'reason "The client wants campaigns at launch"', user=CLIENT))
    assert "CR-1 *Marketing automation* is raised on *New CRM*: budget +€6,000, due +2w, scope: adds" in text
    assert "<@U0OWNER>, <@U0SPONS>" in text
    assert "Baseline" not in text  # it had one already
    with Session(db_engine) as s:
        keys = {r.idempotency_key: r for r in s.exec(select(OutboxMessage))}
    with Session(db_engine) as s:
        cr_id = changes.get_change(s, project(db_engine), 1).id
    assert {f"change:{cr_id}:post", f"change:{cr_id}:dm:{OWNER}", f"change:{cr_id}:dm:{SPONSOR}"} <= set(keys)
    assert keys[f"change:{cr_id}:post"].channel_id == "C0CRM"
    # nothing applied yet
    assert project(db_engine).budget_cents == 4_000_000
    assert "CR-1" in refused(run("change approve crm CR-1", user=MANAGER))
    text = ok(run("change approve crm CR-1"))
    assert "• budget: €40,000 → €46,000" in text and "• due date: Fri 26 Feb 2027 → Fri 12 Mar 2027" in text
    assert "Baseline 2 taken" in text
    p = project(db_engine)
    assert (p.budget_cents, p.due_date) == (4_600_000, date(2027, 3, 12))
    assert p.scope == "Contacts, pipeline, reports\n+ Email campaigns"
    # twice: one decision, and who made it
    again = ok(run("change approve crm CR-1", user=SPONSOR))
    assert "already approved by <@U0OWNER> on Fri 27 Nov 10:00 (UTC); nothing changed" in again
    with Session(db_engine) as s:
        assert len(s.exec(select(Baseline).where(Baseline.project_id == p.id)).all()) == 2
    # plan vs now reads Baseline 1
    with Session(db_engine) as s:
        diffs = [d.text for d in baselines.differences(s, p)]
    assert "Budget €46,000 (baseline €40,000, +€6,000 from CR-1)" in diffs
    assert "Due Fri 12 Mar 2027 (baseline Fri 26 Feb 2027, +2w from CR-1)" in diffs
    # a second request, rejected with its reason
    ok(run('change add crm "Mobile app" budget +15k', user=MEMBER))
    assert "needs a reason" in refused(run("change reject crm CR-2", user=SPONSOR))
    text = ok(run('change reject crm CR-2 reason "Not in this phase"', user=SPONSOR))
    assert "CR-2 *Mobile app* rejected: Not in this phase" in text
    listed = ok(run("change list crm all"))
    assert "CR-2* Mobile app · budget +€15,000 · rejected by <@U0SPONS>" in listed
    assert "Changes: 1 approved, 1 rejected" in listed
    with Session(db_engine) as s:
        actions = list(s.exec(select(AuditEntry.action).where(AuditEntry.action.like("change.%"))))
    assert actions.count("change.approve") == 1 and actions.count("change.reject") == 1
    history = ok(run("history crm"))
    assert "<@U0SPONS> rejected CR-2: reason “Not in this phase”" in history
    assert "<@U0OWNER> approved CR-1: budget €40,000 → €46,000; due Fri 26 Feb 2027 → Fri 12 Mar 2027" in history
    assert "<@U0OWNER> took Baseline 2: reason “CR-1 approved: Marketing automation”" in history


def test_who_may_decide_and_what_is_refused(db_engine, now):
    run = crm(db_engine, now)
    ok(run("baseline crm"))
    assert "needs a reason" in refused(run("baseline crm"))
    assert "Baseline 2" in ok(run('baseline crm reason "Phase 2 agreed"'))
    assert "Only people on" in refused(run('change add crm "X" budget +1k', user="U0NOBODY"))
    assert "Say what the change is" in refused(run('change add crm "Nothing"'))
    assert "cannot be negative" in refused(run('change add crm "Cut" budget -50k'))
    assert "before the start Fri 27 Nov 2026" in refused(run('change add crm "Early" due -20w', user=MEMBER))
    ok(run('change add crm "Training" budget +2k', user=SPONSOR))
    assert "someone else decides it" in refused(run("change approve crm CR-1", user=SPONSOR))
    assert "Only the owner" in refused(run("change approve crm CR-1", user=CLIENT))
    assert "has no CR-9" in refused(run("change approve crm CR-9"))
    assert "Expected a change request, like CR-1" in refused(run("change approve crm X-1"))
    assert "approved" in ok(run("change approve crm cr1"))
    with Session(db_engine) as s:
        assert s.exec(select(ChangeRequest)).one().state == "approved"


def test_edits_of_a_baselined_project_become_change_requests_except_the_owners(db_engine, now):
    run = crm(db_engine, now)
    ok(run("edit crm state active"))  # says Baseline 1
    text = ok(run("edit crm budget 45k name \"CRM rollout\"", user=MANAGER))
    assert "your edit became CR-1 (budget €45,000)" in text and "Changed now: name" in text
    p = project(db_engine)
    assert p.budget_cents == 4_000_000 and p.name == "CRM rollout"
    text = ok(run("edit crm due 5 Mar 2027"))
    assert "Recorded as CR-2, approved (direct edit)" in text
    with Session(db_engine) as s:
        cr = changes.get_change(s, project(db_engine), 2)
        assert (cr.state, cr.reason, cr.decided_by) == ("approved", "direct edit", OWNER)
        assert baselines.current(s, project(db_engine)).number == 2
    assert "Changes: 1 approved, 1 open" in ok(run("change list crm"))


def test_a_milestone_move_and_absolute_parts(db_engine, now):
    run = crm(db_engine, now)
    ok(run('milestone add crm "Pilot" due 15 Jan 2027 budget 10k'))
    text = ok(run('change add crm "Later pilot" milestone M1 due 29 Jan 2027 budget 42k reason "Supplier late"',
                  user=MEMBER))
    assert "budget €42,000, M1 due Fri 29 Jan 2027" in text
    ok(run("change approve crm CR-1"))
    with Session(db_engine) as s:
        diffs = [d.text for d in baselines.differences(s, project(db_engine))]
    assert "M1 Pilot due Fri 29 Jan 2027 (baseline Fri 15 Jan 2027, +2w from CR-1)" in diffs


def test_status_shows_plan_vs_now_and_evm_against_both_baselines(db_engine, now):
    run = crm(db_engine, now)
    ok(run('milestone add crm "Go-live" due 19 Feb 2027 budget 30k'))
    assert "Plan vs baseline" not in ok(run("status crm"))  # nothing differs, nothing asked yet
    ok(run('change add crm "Marketing automation" budget +6k due +2w', user=CLIENT))
    ok(run('change add crm "Mobile app" budget +15k', user=MEMBER))
    ok(run("change approve crm CR-1"))
    text = ok(run("status crm"))
    assert "*Plan vs baseline 1*" in text
    assert "• Budget €46,000 (baseline €40,000, +€6,000 from CR-1)" in text
    assert "• Due Fri 12 Mar 2027 (baseline Fri 26 Feb 2027, +2w from CR-1)" in text
    assert "• Changes: 1 approved, 1 open" in text
    assert "EVM since baseline 1:" in text and "current (baseline 2):" in text
    assert "of €46,000" in text  # BAC: the current approved baseline


def test_the_report_home_chart_and_client_page_show_plan_vs_now(db_engine, now, tmp_path):
    from bot.domain import charts
    from bot.domain.client_view import client_page
    from bot.domain.report import build_weekly_report, details_reply, summary_reply
    from bot.domain.status import build_status
    from bot.slack.home import home_reply

    run = crm(db_engine, now)
    ok(run('milestone add crm "Go-live" due 19 Feb 2027 budget 30k'))
    ok(run('change add crm "Marketing automation" budget +6k due +2w', user=CLIENT))
    ok(run('change add crm "Mobile app" budget +15k', user=MEMBER))
    ok(run("change approve crm CR-1"))
    with Session(db_engine, expire_on_commit=False) as s:
        p = project(db_engine)
        weekly = build_weekly_report(session=s, project=p, today=now.date())
        summary = summary_reply(weekly).plain()
        assert "Plan vs baseline 1: Budget €46,000 (baseline €40,000, +€6,000 from CR-1)" in summary
        details = details_reply(weekly).plain()
        assert "*Changes decided this week*\n✅ *CR-1* Marketing automation · budget +€6,000 · due +2w · approved by" \
            in details
        page = client_page(weekly, show_costs=False, now=now)
        assert "Change request CR-2 “Mobile app” awaits a decision by the owner or a sponsor." in page.decisions
        data = charts.budget_data(session=s, report=build_status(session=s, project=p, today=now.date()))
        assert data.baseline_bac == 4_000_000 and data.baseline.values[-1] == 4_000_000
        assert data.bac == 4_600_000
        charts.draw_budget(data, title="CRM", path=tmp_path / "b.png")
        assert (tmp_path / "b.png").stat().st_size > 1000
        home = home_reply(session=s, team_id="T0TEST", user_id=OWNER, now=now).plain()
    assert "Budget €46,000 (baseline €40,000, +€6,000 from CR-1) · Changes: 1 approved, 1 open" in home
    assert "⚖️ CR-2 awaits your decision" in home


def test_plan_vs_now_costs_status_and_home_no_statement(db_engine, now):
    """Status and Home read plan vs now from the project row: a baselined,
    re-baselined project with open requests runs as many statements as before."""
    from benchmarks.querycount import count_statements
    from bot.commands import Context, dispatch
    from bot.domain import status_cache
    from bot.slack.home import home_reply

    def counts() -> tuple[int, int]:
        status_cache.clear()
        with Session(db_engine, expire_on_commit=False) as s, count_statements(db_engine) as c:
            reply = dispatch("status crm", Context(session=s, team_id="T0TEST", user_id=OWNER, now=now),
                             raise_unexpected=True)
        assert not reply.error
        status_cache.clear()
        with Session(db_engine, expire_on_commit=False) as s, count_statements(db_engine) as h:
            home_reply(session=s, team_id="T0TEST", user_id=OWNER, now=now)
        return c.count, h.count

    run = crm(db_engine, now)
    before = counts()
    ok(run('milestone add crm "Go-live" due 19 Feb 2027 budget 30k'))
    ok(run('change add crm "Marketing automation" budget +6k due +2w', user=CLIENT))
    ok(run('change add crm "Mobile app" budget +15k', user=MEMBER))
    ok(run("change approve crm CR-1"))
    assert counts() == before


def test_the_markdown_export_has_plan_vs_now(db_engine, now):
    from bot.domain.report import build_weekly_report, to_markdown

    run = crm(db_engine, now)
    ok(run('milestone add crm "Go-live" due 19 Feb 2027 budget 30k'))
    ok(run('change add crm "Marketing automation" budget +6k', user=CLIENT))
    ok(run("change approve crm CR-1"))
    with Session(db_engine, expire_on_commit=False) as s:
        text = to_markdown(build_weekly_report(session=s, project=project(db_engine), today=now.date()))
    assert "## Plan vs baseline 1\n\n- Budget €46,000 (baseline €40,000, +€6,000 from CR-1)\n" in text


def test_two_deciders_approving_at_the_same_moment_make_one_decision(db_engine, now):
    import threading

    run = crm(db_engine, now)
    ok(run('change add crm "Marketing automation" budget +6k', user=MEMBER))
    gate = threading.Barrier(2)
    replies: dict[str, str] = {}

    def approve(user: str) -> None:
        gate.wait()
        replies[user] = run("change approve crm CR-1", user=user).plain()

    threads = [threading.Thread(target=approve, args=(u,)) for u in (OWNER, SPONSOR)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted("already approved" in r for r in replies.values()) == [False, True], replies
    with Session(db_engine) as s:
        p = s.exec(select(Project).where(Project.key == "crm")).one()
        assert p.budget_cents == 4_600_000
        assert len(s.exec(select(Baseline).where(Baseline.project_id == p.id)).all()) == 2
        assert len(s.exec(select(AuditEntry).where(AuditEntry.action == "change.approve")).all()) == 1
