"""The weekly report: content from the 12-week history, Markdown and CSV
exports (also through `python -m bot report`), and the scheduled jobs that
snapshot health daily and post the report on Friday afternoon once."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from click.testing import CliRunner
from sqlmodel import Session, select

from bot.__main__ import cli
from bot.domain.report import build_weekly_report, report_reply, to_csv, to_markdown
from bot.jobs.report_jobs import report_due, snapshot_all, weekly_reports
from bot.models import HealthSnapshot, OutboxMessage, Project
from tests.support.helpers import Runner
from tests.support.judgement_history import EXPECTED_HEALTH, NOW, TEAM, TODAY, build_history

DECISION = "Forecast cost $115,000 overruns the budget by $15,000: approve more budget or cut scope?"


def _weekly(db_engine):
    with Session(db_engine, expire_on_commit=False) as s:
        project = build_history(s)
        s.commit()
        return build_weekly_report(session=s, project=project, today=TODAY)


def test_weekly_report_says_how_the_week_went_and_what_to_decide(db_engine):
    weekly = _weekly(db_engine)
    assert weekly.trend == "Green → Amber"
    assert [t.number for t in weekly.done_tasks] == [18, 12]  # Mon 23 (M3) and Wed 25 Nov (M2)
    assert [t.number for t in weekly.next_tasks] == [14, 13]  # due Wed 2 and Fri 4 Dec
    assert weekly.decisions == [DECISION]
    text = report_reply(weekly).plain()
    for expected in (EXPECTED_HEALTH, "Trend: Green → Amber", "2 done this week",
                     "$82,800 of $100,000 spent (83%), 72% earned, CPI 0.87; forecast cost $115,000 "
                     "(over by $15,000).",
                     "Forecast: 85% likely done by Wed 6 Jan 2027 (due Fri 19 Feb 2027)",
                     "• R2 Risk 2: high (16)", "*Standups (7 days)*\nno standups this week",
                     "50% by Fri 25 Dec, 85% by Wed 6 Jan 2027, 95% by Wed 13 Jan 2027"):
        assert expected in text, expected


def test_markdown_export_has_every_section_and_the_evm_table(db_engine):
    md = to_markdown(_weekly(db_engine))
    assert md.startswith("# Shop relaunch: weekly report\n")
    for heading in ("## Progress", "## Budget", "## Forecast", "## Done this week",
                    "## Plan for next week", "## Top risks", "## Decisions needed", "## Standups"):
        assert f"\n{heading}\n" in md
    assert "| CPI | 0.87 |" in md and "| EAC | $115,000 |" in md and "| TCPI | 1.63 |" in md
    assert f"- {DECISION}" in md


def test_csv_export_is_machine_readable(db_engine):
    rows = list(csv.reader(io.StringIO(to_csv(_weekly(db_engine)))))
    assert rows[0] == ["section", "item", "value"]
    values = {(r[0], r[1]): r[2] for r in rows[1:]}
    assert values[("health", "rag")] == "amber"
    assert values[("budget", "eac")] == "115000.00" and values[("budget", "cpi")] == "0.8696"
    assert values[("forecast", "p85")] == "2027-01-06"
    assert ["decision", "", DECISION] in rows


def test_cli_exports_the_report(db_engine, monkeypatch):
    with Session(db_engine) as s:
        build_history(s)
        s.commit()
    monkeypatch.setenv("DATABASE_URL", db_engine.url.render_as_string(hide_password=False))
    runner = CliRunner()
    md = runner.invoke(cli, ["report", "shop", "--format", "md", "--team", TEAM])
    assert md.exit_code == 0, md.output
    assert md.output.startswith("# Shop relaunch: weekly report")
    as_csv = runner.invoke(cli, ["report", "shop", "--format", "csv"])
    assert as_csv.exit_code == 0 and as_csv.output.startswith("section,item,value\n")
    missing = runner.invoke(cli, ["report", "nope"])
    assert missing.exit_code == 1 and "No project with key `nope`" in missing.output
    assert runner.invoke(cli, ["report", "shop", "--format", "pdf"]).exit_code == 2


def test_report_command_shows_and_posts_once(db_engine):
    with Session(db_engine) as s:
        build_history(s, team_id="T0TEST")
        s.commit()
    run = Runner(db_engine, NOW)
    shown = run("report shop", user="U0ALICE")
    assert not shown.error and "Decisions needed" in shown.plain()
    posted = run("report shop post", user="U0ALICE")
    assert "Posting the weekly report of *Shop relaunch* to <#C0SHOP>" in posted.plain()
    assert "already posted" in run("report shop post", user="U0ALICE").plain()
    with Session(db_engine) as s:
        rows = s.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [r.kind for r in rows] == ["post", "post", "upload"]
    assert rows[1].payload["thread_key"] == rows[0].idempotency_key == rows[2].payload["thread_key"]
    assert rows[2].payload["file_path"].endswith(".png")


def test_snapshot_job_records_each_active_project_once_per_day(db_engine):
    with Session(db_engine) as s:
        build_history(s, snapshots=False)
        build_history(s, key="shop2", channel=None, snapshots=False)
        s.commit()
    assert snapshot_all(engine=db_engine, now=NOW) == 2
    assert snapshot_all(engine=db_engine, now=NOW + timedelta(hours=1)) == 2
    with Session(db_engine) as s:
        rows = s.exec(select(HealthSnapshot)).all()
    assert len(rows) == 2 and {r.rag for r in rows} == {"amber"}
    assert rows[0].reasons == ["CPI 0.87 (under 0.90)", "2 high risks open"]
    assert rows[0].metrics["evm"]["cpi"] == 0.8696


def test_weekly_report_is_posted_friday_afternoon_project_time_once(db_engine):
    with Session(db_engine) as s:
        p = build_history(s)
        p.timezone = "Europe/Berlin"
        s.add(p)
        s.commit()
        project = s.get(Project, p.id)
    friday_1530_berlin = datetime(2026, 11, 27, 14, 30, tzinfo=UTC)
    assert not report_due(project, friday_1530_berlin)
    assert weekly_reports(engine=db_engine, now=friday_1530_berlin) == []
    at_four = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
    assert report_due(project, at_four)
    assert weekly_reports(engine=db_engine, now=at_four) == [f"weekly:{TEAM}:{project.id}:2026-W48"]
    assert weekly_reports(engine=db_engine, now=at_four + timedelta(minutes=15)) == []
    assert not report_due(project, datetime(2026, 11, 28, 15, 0, tzinfo=UTC))  # not on Saturday
    with Session(db_engine) as s:
        rows = s.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [(r.kind, r.channel_id) for r in rows] == [("post", "C0SHOP"), ("post", "C0SHOP"),
                                                      ("upload", "C0SHOP")]
    assert "weekly report" in rows[0].payload["reply"]["title"]


def test_report_time_is_a_project_setting(db_engine):
    project = Project(team_id="T", key="k", name="K", timezone="UTC",
                      settings={"report": {"weekday": "mon", "time": "09:00"}})
    assert report_due(project, datetime(2026, 11, 30, 9, 5, tzinfo=UTC))
    assert not report_due(project, datetime(2026, 11, 27, 16, 5, tzinfo=UTC))


def test_report_schedule_command_sets_shows_and_turns_off_the_weekly_report(db_engine):
    run = Runner(db_engine, NOW)
    run('new "Web" key web tz Europe/Berlin', channel="C0WEB")
    assert "posted Fridays at 16:00 (Europe/Berlin) in <#C0WEB>" in run("report schedule", channel="C0WEB").plain()
    assert "Saved. " in run("report schedule mon 09:00", channel="C0WEB").plain()
    assert "Mondays at 17:30" in run("report schedule web 17:30", channel="C0WEB").plain()  # the day stays
    refused = run("report schedule fri", user="U0ANNA", channel="C0WEB")
    assert refused.error and "owner or a manager" in refused.plain()
    for bad, says in (("report schedule funday", "Expected a day like fri"),
                      ("report schedule fri 25:00", "Expected a time like 09:30")):
        reply = run(bad, channel="C0WEB")
        assert reply.error and says in reply.plain() and "Usage: `/project report schedule" in reply.plain()

    def project() -> Project:
        with Session(db_engine) as s:
            return s.exec(select(Project).where(Project.key == "web")).one()

    monday_1730_berlin = datetime(2026, 11, 30, 16, 30, tzinfo=UTC)
    assert project().settings["report"] == {"weekday": "mon", "time": "17:30"}
    assert report_due(project(), monday_1730_berlin)
    assert "is off" in run("report schedule off", channel="C0WEB").plain()
    assert not report_due(project(), monday_1730_berlin)
    assert weekly_reports(engine=db_engine, now=monday_1730_berlin) == []
    assert "Fridays at 16:00" in run("report schedule fri", channel="C0WEB").plain()  # on again, default time


def test_jobs_are_registered_with_stable_ids_and_picklable_arguments():
    import pkgutil

    import bot.jobs
    from bot.config import Settings
    from bot.jobs.report_jobs import register_jobs

    class Recorder:
        def __init__(self):
            self.jobs = {}

        def add_job(self, func, trigger=None, **kwargs):
            self.jobs[kwargs["id"]] = (func, kwargs)

    settings = Settings(database_url="sqlite:///data/x.sqlite3")
    recorder = Recorder()
    assert "report_jobs" in {m.name for m in pkgutil.iter_modules(bot.jobs.__path__)}  # found by register_all
    register_jobs(recorder, settings)
    for job_id, func in (("health-snapshots", snapshot_all), ("weekly-reports", weekly_reports)):
        registered, kwargs = recorder.jobs[job_id]
        assert registered is func
        assert "args" not in kwargs and kwargs["replace_existing"]  # the job uses the scheduler's engine
        assert kwargs["coalesce"] and kwargs["max_instances"] == 1
