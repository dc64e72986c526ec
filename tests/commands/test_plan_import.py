"""Importing a plan from CSV (issue: "Done when"): a 30-task plan with
dependencies shows its critical path, a timeline chart and a forecast that
moves when a critical task slips but not when one with slack does; bad rows
and cycles are refused by line and column with nothing written. On SQLite and
PostgreSQL, through the domain call and through `python -m bot import`."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from bot.commands.plan_import import PlanRefused, import_plan
from bot.domain.projects import get_project
from bot.domain.status import build_status
from bot.models import AuditEntry, Milestone, Task, TaskLink
from tests.shell.test_shell import clean_env
from tests.support.fakeslack import FakeSlack
from tests.support.helpers import TEAM, Runner, ok

ALICE, BOB = "U0ALICE", "U0BOB"
NOW = datetime(2026, 12, 14, 8, 0, tzinfo=UTC)  # Mon 14 Dec 2026
CHAIN = [1, 2, 5, 8, 11, 14, 17, 20, 23, 26, 29, 30]  # 3 days each: the critical path
PHASES = ["Discovery", "Design", "Build", "Content", "Test", "Launch"]


def thirty_task_plan() -> str:
    """A chain of 12 three-day tasks; 18 one-day tasks beside it, each after a
    chain task and before a later one (five working days of slack)."""
    lines = ["id,title,estimate,assignee,due,milestone,after"]
    side = [i for i in range(1, 31) if i not in CHAIN]
    for i in range(1, 31):
        if i in CHAIN:
            k = CHAIN.index(i)
            after = " ".join(str(x) for x in [CHAIN[k - 1]] if k) + "".join(
                f" {s}" for s in side if CHAIN.index(_side_of(s)) + 3 == k)
            est, who = "3d", BOB if k % 2 else ""
        else:
            after, est, who = str(_side_of(i)), "1d", ""
        phase = PHASES[min((i - 1) // 5, 5)]
        due = "2027-03-26" if i == 30 else ""
        lines.append(f"{i},Task {i},{est},{who},{due},{phase},{after.strip()}")
    return "\n".join(lines) + "\n"


def links_in(text: str) -> int:
    return sum(len(line.rsplit(",", 1)[1].split()) for line in text.splitlines()[1:])


def _side_of(i: int) -> int:
    """The chain task a side task follows: the last chain task numbered below it."""
    return max(c for c in CHAIN if c < i)


@pytest.fixture
def run(db_engine):
    runner = Runner(db_engine, NOW)
    ok(runner('new "Website" key web due 2027-03-26', user=ALICE, channel="C0WEB"))
    return runner


def _import(db_engine, text: str, **kw):
    with Session(db_engine, expire_on_commit=False) as s:
        project = get_project(session=s, team_id=TEAM, key="web")
        done = import_plan(session=s, project=project, actor=ALICE, text=text, now=NOW, **kw)
        s.commit()
        return done


def _p85(db_engine) -> date:
    with Session(db_engine) as s:
        f = build_status(session=s, project=get_project(session=s, team_id=TEAM, key="web"),
                         today=NOW.date()).forecast
    assert f is not None and f.method == "network" and f.ok, f
    return f.p85  # type: ignore[return-value]


def test_a_30_task_plan_shows_its_critical_path_timeline_and_a_forecast_that_knows_slack(run, db_engine):
    done = _import(db_engine, thirty_task_plan())
    assert len(done.tasks) == 30 and done.links == links_in(thirty_task_plan()) == 45
    assert done.milestones_added == PHASES
    text = ok(run("schedule", user=ALICE, channel="C0WEB"))
    crit = text.split("*Critical path*")[1].split("*With slack*")[0]
    assert [int(n) for n in re.findall(r"• #(\d+)", crit)] == CHAIN
    assert "12 on the critical path" in text and "30 open tasks" in text
    assert "#3 Task 3 · 1d · Tue 22 Dec · after #2 · slack 5d" in text
    chart = run("chart timeline", user=ALICE, channel="C0WEB")
    assert Path(chart.image_path).read_bytes()[:4] == b"\x89PNG" and "12 on the critical path" in ok(chart)

    first = _p85(db_engine)
    ok(run("task edit 3 estimate 3d", user=ALICE, channel="C0WEB"))  # a side task: 2 of its 5 days of slack
    assert _p85(db_engine) == first
    ok(run("task edit 8 estimate 6d", user=ALICE, channel="C0WEB"))  # on the critical path: 3 days more
    assert (_p85(db_engine) - first).days >= 3


def test_bad_rows_are_named_by_line_and_column_and_nothing_is_written(run, db_engine):
    bad = ("id,title,estimate,assignee,due,milestone,after\n"
           "1,Kick-off,2h,,,,\n"
           "2,,3x,bob,31/13,M9,1 9\n"
           "3,Design,1d,,,M7,\n"
           "3,Again,,,,,\n")
    with pytest.raises(PlanRefused) as caught:
        _import(db_engine, bad)
    said = str(caught.value)
    assert said.startswith("Nothing was imported: 8 problems in the file.")
    for expected in ("line 3, column title: a task needs a title",
                     "line 3, column estimate: Expected a duration like 3h",
                     "line 3, column assignee: expected a Slack user id like U0123ABCD or an e-mail (got `bob`)",
                     "line 3, column due:", "line 3, column after: no row has id 9",
                     "line 3, column milestone: *Website* has no milestone M9",
                     "line 4, column milestone: *Website* has no milestone M7; name a new one by its name instead",
                     "line 5, column id: id 3 is already used on line 4"):
        assert expected in said, said
    with pytest.raises(PlanRefused, match=r"line 3, column after: a cycle: 2 → 3 → 1 → 2 \(ids from the id column\)"):
        _import(db_engine, "id,title,after\n1,A,3\n2,B,1\n3,C,2\n")
    with pytest.raises(PlanRefused, match="line 1, column estimte: unknown column"):
        _import(db_engine, "id,title,estimte\n1,A,2h\n")
    with pytest.raises(PlanRefused, match="line 2, column milestone: .*has no milestone M7"):
        _import(db_engine, "id,title,milestone\n1,A,M7\n")
    with Session(db_engine) as s:
        assert s.exec(select(func.count()).select_from(Task)).one() == 0
        assert s.exec(select(func.count()).select_from(Milestone)).one() == 0
        assert s.exec(select(func.count()).select_from(TaskLink)).one() == 0


def test_numbers_follow_the_project_and_the_same_file_is_not_imported_twice(run, db_engine):
    ok(run('task add "Already here"', user=ALICE, channel="C0WEB"))
    ok(run('milestone add "Launch" due 2027-03-01', user=ALICE, channel="C0WEB"))
    text = "id;title;milestone;after\n10;Build;Launch;\n20;Ship;M1;10+2d\n"  # semicolons, as Excel saves
    done = _import(db_engine, text)
    assert done.tasks == {10: 2, 20: 3} and done.milestones_added == [] and done.links == 1
    assert "waiting on #2" in ok(run("task list", user=ALICE, channel="C0WEB"))
    with pytest.raises(Exception, match="This file was imported into \\*Website\\* already"):
        _import(db_engine, text)
    assert _import(db_engine, text, again=True).tasks == {10: 4, 20: 5}
    assert "imported a plan from CSV: 2 tasks, 1 link" in ok(run("history", user=ALICE, channel="C0WEB"))
    with Session(db_engine) as s:
        entries = list(s.exec(select(AuditEntry).where(AuditEntry.action == "plan.import")))
        assert len(entries) == 2 and entries[0].after["numbers"] == {"10": 2, "20": 3}


def _cli(db_engine, tmp_path, *args: str, **env: str) -> subprocess.CompletedProcess:
    url = db_engine.url.render_as_string(hide_password=False)
    return subprocess.run([sys.executable, "-m", "bot", "import", *args], capture_output=True, text=True,
                          cwd=tmp_path, env={**clean_env(tmp_path), "DATABASE_URL": url, **env}, timeout=120,
                          stdin=subprocess.DEVNULL)


def test_the_cli_imports_and_refuses_with_exit_codes(run, db_engine, tmp_path):
    plan = tmp_path / "plan.csv"
    plan.write_text(thirty_task_plan(), encoding="utf-8-sig")
    result = _cli(db_engine, tmp_path, "web", str(plan))
    assert result.returncode == 0, result.stderr
    assert "Imported 30 tasks into Website (#1–#30), 45 links; milestones added: Discovery, Design, Build, " \
           "Content, Test, Launch." in result.stdout
    again = _cli(db_engine, tmp_path, "web", str(plan))
    assert again.returncode == 1 and "already" in again.stderr and "Traceback" not in again.stderr
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"id,title\n1,Caf\xe9\n")
    result = _cli(db_engine, tmp_path, "web", str(bad))
    assert result.returncode == 1 and "line 2: not UTF-8 text" in result.stderr
    mail = tmp_path / "mail.csv"
    mail.write_text("id,title,assignee\n1,Call the vendor,bob@example.com\n2,Order,nobody@example.com\n")
    with FakeSlack(team_id=TEAM) as fake:
        fake.on("users.lookupByEmail", lambda p: {"user": {"id": "U0BOB"}} if p.get("email") == "bob@example.com"
                else {"ok": False, "error": "users_not_found"})
        env = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": fake.api_url}
        refused = _cli(db_engine, tmp_path, "web", str(mail), **env)
        assert refused.returncode == 1 and "line 3, column assignee: no one in this Slack workspace has the " \
               "e-mail `nobody@example.com`" in refused.stderr
        mail.write_text("id,title,assignee\n1,Call the vendor,bob@example.com\n")
        assert _cli(db_engine, tmp_path, "web", str(mail), **env).returncode == 0
    with Session(db_engine) as s:
        assert s.exec(select(Task.assignee_user_id).where(Task.title == "Call the vendor")).one() == BOB
