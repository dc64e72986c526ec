"""One meaning per number: status, the weekly report, the list, Home and the
alerts quote the same progress (saying what it measures) and the same
forecast; thresholds are compared unrounded and never read "0.90 (under
0.90)"; a finished project shows what it took; counts read naturally."""

from __future__ import annotations

import ast
import re
from datetime import date, timedelta
from pathlib import Path

from sqlmodel import Session, select

import bot
from bot.domain.detectors import budget_burn, limits_for, load_snapshot, past_due, schedule_slip
from bot.domain.format import day, percent, plural, ratio
from bot.domain.health import Signals, assess
from bot.domain.status import build_status
from bot.models import Project
from bot.slack.home import home_reply
from tests.support.factories import make_project
from tests.support.helpers import Runner, ok
from tests.support.judgement_history import NOW, OWNER, TEAM, TODAY, build_history


def test_every_screen_quotes_one_progress_and_one_forecast(db_engine):
    with Session(db_engine, expire_on_commit=False) as s:
        project = build_history(s, snapshots=False)
        project.due_date = date(2026, 12, 18)  # before the forecast: the slip alert fires
        s.add(project)
        s.commit()
    run = Runner(db_engine, NOW, team_id=TEAM)
    screens = {"status": ok(run("status shop", user=OWNER)), "report": ok(run("report shop", user=OWNER)),
               "list": ok(run("list", user=OWNER))}
    with Session(db_engine) as s:
        project = s.get(Project, project.id)
        screens["home"] = home_reply(session=s, team_id=TEAM, user_id=OWNER, now=NOW).plain()
        status = build_status(session=s, project=project, today=TODAY)
        snapshot = load_snapshot(session=s, project=project, now=NOW)
        [slip] = schedule_slip(snapshot, limits_for(project))
        [burn] = budget_burn(snapshot, limits_for(project))
    progress = status.progress_phrase()
    assert progress == "72% of estimated hours · 16 of 21 tasks done"
    p85, p50 = day(status.forecast.p85, today=TODAY), day(status.forecast.p50, today=TODAY)
    for name, text in screens.items():
        assert progress in text, name
        assert p85 in text, name
    assert f"85% likely done by {p85}" in slip.reason and f"50% likely by {p50}" in slip.reason
    assert slip.numbers["forecast"] == status.forecast.p85.isoformat()
    spent, earned = percent(status.evm.percent_spent), percent(status.evm.ev / status.evm.bac)
    assert burn.reason.startswith(f"{spent} of the budget is spent ($82,800 of $100,000) for work that has "
                                  f"earned {earned} of it")
    assert f"CPI {ratio(status.evm.cpi)}" in burn.reason and f"CPI {ratio(status.evm.cpi)}" in screens["status"]
    assert f"({spent}) · {earned} earned" in screens["status"]


def test_a_threshold_is_compared_unrounded_and_never_reads_equal_to_its_limit():
    health = assess(Signals(today=TODAY, cpi=0.8996, spi=1.0))
    assert health.reasons == ["CPI 0.8996 (under 0.90)"]
    assert assess(Signals(today=TODAY, cpi=0.9)).rag == "green"  # 0.90 is not under 0.90
    assert (ratio(0.8996, 0.9), ratio(0.87, 0.9), ratio(0.9, 0.9), ratio(0.87)) == ("0.8996", "0.87", "0.90", "0.87")
    assert (percent(0.996), percent(0.004), percent(0.235)) == ("99%", "under 1%", "24%")


def test_a_finished_project_shows_its_dates_final_cost_and_cpi(db_engine, now):
    make_project(db_engine, key="move", name="Office move", budget_cents=800_000,
                 due_date=now.date() + timedelta(days=10), task_titles=("Cables", "Switches"), now=now)
    run = Runner(db_engine, now)
    ok(run("task done move 1"))
    ok(run("task done move 2"))
    ok(run("spend move 9000 hardware"))
    status = ok(run("status move"))
    assert "Finished Fri 27 Nov 2026, 10 days before the due date Mon 7 Dec 2026; started Thu 1 Oct 2026" in status
    assert "Final cost: $9,000 of $8,000 (113%) · CPI 0.89" in status
    assert "Green" not in status and "forecast" not in status.lower() and "EAC" not in status
    ok(run("edit move state done"))
    listing = ok(run("list all"))
    assert "Finished Fri 27 Nov 2026, 10 days before the due date" in listing
    assert "Final cost $9,000 of $8,000 (113%) · CPI 0.89" in listing and "1 finished" in listing


def test_counts_read_naturally():
    assert [plural(n, "task") for n in (0, 1, 2)] == ["0 tasks", "1 task", "2 tasks"]
    assert (plural(1, "entry"), plural(3, "entry"), plural(1.5, "day")) == ("1 entry", "3 entries", "1.5 days")


def test_an_unassigned_task_past_due_is_not_nobodys(db_engine, now):
    make_project(db_engine, task_titles=("Order cables",), now=now - timedelta(days=5))
    ok(Runner(db_engine, now - timedelta(days=5))("task due 1 " + (now - timedelta(days=3)).date().isoformat()))
    with Session(db_engine) as s:
        project = s.exec(select(Project)).one()
        [finding] = past_due(load_snapshot(session=s, project=project, now=now), limits_for(project))
    assert finding.reason.startswith("1 unassigned task is past due (#1), 3 days late")
    assert "Nobody" not in finding.reason


# --- every reply template ------------------------------------------------------------

PLURAL_AFTER_VALUE = re.compile(r"^ ([a-z]+s)\b")
VERBS = {"is", "was", "has", "its", "as", "this", "stays", "scores", "closes", "overruns", "answers",
         "refuses"}
# (file, word) -> why a bare count before it is never 1
NEVER_ONE = {
    ("dates.py", "days"): "a month's length", ("format.py", "days"): "days_phrase's branch for more than 1",
    ("grammar.py", "characters"): "a length over the limit", ("costs.py", "characters"): "a limit",
    ("projects.py", "characters"): "a limit", ("risks.py", "characters"): "a limit",
    ("answers.py", "characters"): "a limit", ("tasks.py", "characters"): "a limit",
    ("outbox_sender.py", "attempts"): "given up only after several", ("history.py", "pages"): "guarded: 1 page",
    ("detectors.py", "tasks"): "a pace (a rate, 1.0 tasks)", ("delivery.py", "minutes"): "a constant (5)",
    ("local.py", "letters"): "a constant (32)", ("slack_checks.py", "scopes"): "the manifest asks for many",
    ("local.py", "characters"): "a secret's length against 32", ("report.py", "checks"): "guarded: the one check",
    ("report_emails.py", "addresses"): "a constant (20)", ("sharing.py", "days"): "a constant (366)",
}
VERBS |= {"offers"}  # "mail server {host} offers no STARTTLS"
VERBS |= {"moves"}  # "{Launch (M3)} moves from 1 Feb to 6 Feb"


def test_no_reply_template_puts_a_plural_noun_after_a_bare_count():
    """`f"{n} tasks"` says "1 tasks" one day: counts go through `format.plural`
    (the exceptions, where the count is never 1, are listed with why)."""
    found = []
    for path in sorted(Path(bot.__file__).parent.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.JoinedStr):
                continue
            for a, b in zip(node.values, node.values[1:], strict=False):
                if isinstance(a, ast.FormattedValue) and isinstance(b, ast.Constant) and \
                        isinstance(b.value, str) and (m := PLURAL_AFTER_VALUE.match(b.value)):
                    word = m.group(1)
                    if word in VERBS or (path.name, word) in NEVER_ONE:
                        continue
                    found.append(f"{path.name}:{node.lineno} {{{ast.unparse(a.value)}}} {word}")
    assert not found, "use plural(n, word):\n" + "\n".join(found)
