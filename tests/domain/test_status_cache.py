"""`/project status` comes from a cache, and is never stale: every kind of write
that changes what status shows gives the project a new version, so the next
status is rebuilt and shows it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import insert
from sqlmodel import Session, select

from benchmarks.querycount import count_statements
from bot.domain import status_cache
from bot.domain.replies import Section
from bot.domain.status import build_status
from bot.models import CostEntry, Project, StandupParticipant, StandupRun, Task
from tests.support.helpers import Runner, ok

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
TODAY = NOW.date()
OWNER, ANNA = "U0OWNER", "U0ANNA"


@pytest.fixture
def run(db_engine):
    status_cache.clear()
    runner = Runner(db_engine, NOW)
    ok(runner('new "Website" key web due 31 Jan 2027 budget 10k', channel="C0WEB"))
    for title in ("Design", "Build", "Launch"):
        ok(runner(f'task add web "{title}"', channel="C0WEB"))
    return runner


def status(run) -> str:
    return ok(run("status web"))


def version(db_engine) -> int:
    with Session(db_engine) as s:
        return s.exec(select(Project.version).where(Project.key == "web")).one()


def test_a_repeated_status_is_served_from_the_cache_in_one_statement(run, db_engine):
    first = status(run)
    with Session(db_engine, expire_on_commit=False) as s:
        project = s.exec(select(Project).where(Project.key == "web")).one()
        with count_statements(db_engine) as counter:
            report = build_status(session=s, project=project, today=TODAY)
    assert counter.count == 1  # the version check
    assert status(run) == first and report.total == 3 and report.project is project
    assert status_cache.stats["hits"] >= 2


def test_status_of_an_unchanged_project_is_its_earlier_reply_after_one_small_query(run, db_engine):
    first = run("status web", channel="C0WEB")
    for text, channel in (("status web", "C0OTHER"), ("status WEB", ""), ("status", "C0WEB")):
        with count_statements(db_engine) as counter:
            again = run(text, channel=channel)
        assert again.plain() == first.plain() and again.sections == first.sections, text
        assert counter.count == 1 and "version" in counter.statements[0], counter.statements
        assert again is not first and again.cache_key == first.cache_key is not None
    for text in ("status nope", "status web now"):  # not one project word: the long way, and its error
        assert run(text, channel="C0WEB").error
    ok(run('task add web "Docs"', channel="C0WEB"))
    with count_statements(db_engine) as counter:
        changed = run("status", channel="C0WEB")
    assert "· 0 of 4 done" in changed.plain() and counter.count > 1
    assert changed.cache_key != first.cache_key
    tomorrow = Runner(db_engine, NOW + timedelta(days=1))
    assert tomorrow("status web").cache_key != changed.cache_key  # a new day is a new picture


def test_a_button_changing_its_copy_of_a_status_leaves_the_kept_reply_alone(run):
    first = run("status web")
    first.sections.insert(0, Section(text="#1 *Design* is done"))  # as a button's confirmation does
    first.buttons.clear()
    again = run("status web")
    assert "is done" not in again.plain() and again.buttons and again.cache_key is not None


@pytest.mark.parametrize(("command", "before", "after"), [
    ("task done web 1", "· 0 of 3 done", "· 1 of 3 done"),
    ('task add web "Test"', "· 0 of 3 done", "· 0 of 4 done"),
    ("task start web 2", "3 todo, 0 doing", "2 todo, 1 doing"),
    ('task block web 2 "waiting for the host"', "0 blocked", "1 blocked"),
    ("spend web 250 hosting", "$0 of $10,000", "$250 of $10,000"),
    ("log web 2h", "$0 of $10,000", "$200 of $10,000"),
    ('risk add web "Host may be late" likelihood 4 impact 4', "Top risks", "R1 Host may be late: high (16)"),
    ('milestone add web "Beta" due 15 Dec', "Milestones", "*Beta* Tue 15 Dec"),
    ("edit web budget 20k", "of $10,000", "of $20,000"),
    ('edit web goal "More online orders"', "More online orders", "_More online orders_"),
])
def test_status_after_a_write_shows_the_write(run, db_engine, command, before, after):
    if command.startswith("log"):
        ok(run("member rate web <@U0OWNER> 100"))
    old = status(run)
    assert after not in old
    assert before in old or before in ("Top risks", "Milestones", "More online orders")
    token = version(db_engine)
    ok(run(command, user=OWNER))
    assert version(db_engine) != token
    assert after in status(run)


def test_milestone_done_leaves_the_upcoming_list(run):
    ok(run('milestone add web "Beta" due 15 Dec'))
    assert "*Beta* Tue 15 Dec" in status(run)
    ok(run("milestone done web M1"))
    assert "*Beta*" not in status(run)


def test_a_standup_answer_changes_participation(run, db_engine):
    ok(run("member add web <@U0ANNA>"))
    ok(run("standup set web 09:30"))
    ok(run("standup now web"))
    assert "0% answered (0 of 2)" in status(run)
    ok(run('standup answer web finished "design" next "build" blockers "none"', user=ANNA))
    assert "50% answered (1 of 2)" in status(run)


def test_core_inserts_through_a_session_change_the_version(run, db_engine):
    """Bulk and INSERT ... ON CONFLICT writes bypass the ORM's unit of work."""
    assert "· 0 of 3 done" in status(run)
    with Session(db_engine) as s:
        pid = s.exec(select(Project.id).where(Project.key == "web")).one()
        s.execute(insert(Task), [dict(team_id="T0TEST", project_id=pid, number=n, title=f"bulk {n}", blocked_reason="", created_at=NOW,
                                      status="done", done_at=NOW) for n in (10, 11)])
        s.commit()
    assert "· 2 of 5 done" in status(run)
    with Session(db_engine) as s:
        s.execute(insert(CostEntry.__table__).values(team_id="T0TEST", project_id=pid, amount_cents=50_000,
                                                     spent_on=TODAY, category="other", description="",
                                                     user_id="", created_at=NOW))
        s.commit()
    assert "$500 of $10,000" in status(run)


def test_a_multi_row_insert_changes_only_its_own_projects_version(run, db_engine):
    ok(run('new "Other" key other', channel="C0OTHER"))
    with Session(db_engine) as s:
        web, other = (s.exec(select(Project).where(Project.key == k)).one() for k in ("web", "other"))
        web_before, other_before = web.version, other.version
        s.execute(insert(Task.__table__).values([
            dict(team_id="T0TEST", project_id=web.id, number=n, title=f"multi {n}", blocked_reason="",
                 status="todo", created_at=NOW, created_by="") for n in (20, 21)]))
        s.commit()
    with Session(db_engine) as s:
        after = dict(s.exec(select(Project.key, Project.version)).all())
    assert after["web"] != web_before
    assert after["other"] == other_before  # not every project: only the one the rows belong to
    assert "· 0 of 5 done" in status(run)


def test_a_participant_row_changes_its_runs_project(run, db_engine):
    ok(run("standup set web 09:30"))
    ok(run("standup now web"))
    assert "(0 of 1)" in status(run)
    with Session(db_engine) as s:
        run_id = s.exec(select(StandupRun.id)).one()
        s.execute(insert(StandupParticipant.__table__).values(team_id="T0TEST", run_id=run_id, user_id="U0NEW"))
        s.commit()
    assert "(0 of 2)" in status(run)


def test_a_project_object_loaded_before_a_change_does_not_get_the_old_status(run, db_engine):
    with Session(db_engine, expire_on_commit=False) as s:
        stale = s.exec(select(Project).where(Project.key == "web")).one()
    with Session(db_engine) as s:
        before = build_status(session=s, project=stale, today=TODAY)
    ok(run("task done web 1"))
    with Session(db_engine) as s:
        after = build_status(session=s, project=stale, today=TODAY)
    assert (before.done, after.done) == (0, 1)


def test_uncommitted_changes_are_seen_by_their_own_session_and_never_cached(run, db_engine):
    status(run)
    with Session(db_engine) as s:
        project = s.exec(select(Project).where(Project.key == "web")).one()
        task = s.exec(select(Task).where(Task.project_id == project.id, Task.number == 1)).one()
        task.status, task.done_at = "done", NOW
        s.add(task)
        assert build_status(session=s, project=project, today=TODAY).done == 1
        s.rollback()
    assert "· 0 of 3 done" in status(run)


def test_a_rolled_back_write_keeps_the_version(run, db_engine):
    token = version(db_engine)
    with Session(db_engine) as s:
        pid = s.exec(select(Project.id).where(Project.key == "web")).one()
        s.add(CostEntry(team_id="T0TEST", project_id=pid, amount_cents=1, spent_on=TODAY))
        s.flush()
        s.rollback()
    assert version(db_engine) == token


def test_a_new_day_rebuilds_the_status(db_engine):
    status_cache.clear()
    runner = Runner(db_engine, NOW)
    ok(runner('new "Website" key web due 30 Nov 2026'))
    assert "(3 days left)" in ok(runner("status web"))
    later = Runner(db_engine, NOW + timedelta(days=1))
    assert "(2 days left)" in ok(later("status web"))
    assert date(2026, 11, 30) > TODAY


def test_an_hourly_snapshot_at_the_same_version_spares_the_simulation(run, db_engine, monkeypatch):
    """After a restart (empty cache) status takes the forecast dates from today's
    snapshot when nothing changed since; after a change it simulates again."""
    from bot.domain import forecast as fc
    from bot.jobs.report_jobs import snapshot_all

    ok(run("edit web start 2026-10-01"))
    with Session(db_engine) as s:
        pid = s.exec(select(Project.id).where(Project.key == "web")).one()
        for n in range(1, 31):  # six weeks of steady work: one task a working day
            done = NOW - timedelta(days=n)
            s.add(Task(team_id="T0TEST", project_id=pid, number=100 + n, title=f"old {n}", status="done",
                       created_at=done, done_at=done))
        s.commit()
    assert snapshot_all(engine=db_engine, now=NOW) == 1
    simulated = status(run)
    assert "85% likely done by" in simulated
    status_cache.clear()
    calls = []
    real = fc.simulate_days
    monkeypatch.setattr(fc, "simulate_days", lambda *a, **k: calls.append(1) or real(*a, **k))
    assert status(run) == simulated and calls == []
    ok(run('task add web "One more"'))
    status(run)
    assert calls == [1]


def test_a_write_on_the_raw_connection_must_touch_the_project(run, db_engine):
    """`session.connection().execute(...)` bypasses the session's events; `touch` says what changed."""
    from bot.domain import versions

    assert "$0 of $10,000" in status(run)
    with Session(db_engine) as s:
        pid = s.exec(select(Project.id).where(Project.key == "web")).one()
        s.connection().execute(insert(CostEntry.__table__).values(
            team_id="T0TEST", project_id=pid, amount_cents=70_000, spent_on=TODAY, category="other",
            description="", user_id="", created_at=NOW))
        versions.touch(s, pid)
        s.commit()
    assert "$700 of $10,000" in status(run)


def test_unrelated_unsaved_rows_do_not_keep_status_from_the_cache(run, db_engine):
    from bot.models import AuditEntry

    status(run)
    with Session(db_engine) as s:
        project = s.exec(select(Project).where(Project.key == "web")).one()
        s.add(AuditEntry(team_id="T0TEST", action="viewed", entity="project"))
        hits = status_cache.stats["hits"]
        build_status(session=s, project=project, today=TODAY)
        assert status_cache.stats["hits"] == hits + 1
