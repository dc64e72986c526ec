"""What a client's page and email hold: the truth `/project status` tells
(the same colour, progress and forecast), and nothing internal."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session

from bot.domain.client_view import COST_REASON, client_page, plain
from bot.domain.health import Health
from bot.domain.projects import find_project
from bot.domain.report import build_weekly_report
from tests.support.client_story import COSTS, INTERNAL_RISK, SECRETS, SHARED_RISK, client_project
from tests.support.helpers import TEAM


@pytest.fixture
def weekly(db_engine, now):
    client_project(db_engine, now)
    with Session(db_engine, expire_on_commit=False) as s:
        project = find_project(session=s, team_id=TEAM, key="web")
        return build_weekly_report(session=s, project=project, today=now.date())


def test_the_page_tells_what_status_tells(weekly, now):
    page = client_page(weekly, show_costs=False, now=now)
    s = weekly.status
    assert (page.rag, page.progress) == (s.health.rag, s.progress_phrase())
    assert page.reasons == ["1 critical risk open", "1 high risk open"]
    assert page.forecast == s.forecast.phrase(due=s.project.due_date, today=s.today)
    assert [(m.name, m.state) for m in page.milestones] == [
        ("Design approved", "reached"), ("Build", "open"), ("Launch", "open")]
    assert page.done == ["#6 Page templates", "#8 Migrate blog posts"]
    assert page.next_steps == ["#13 Approve the home page copy, due Wed 2 Dec"]
    assert page.risks == [f"R1 {SHARED_RISK}: high"] and page.internal_risks == 1
    assert page.as_of == "Fri 27 Nov 2026, 11:00 (Europe/Berlin)"


def test_nothing_internal_and_no_money_without_show_costs(weekly, now):
    text = json.dumps(client_page(weekly, show_costs=False, now=now).as_dict())
    leaked = [word for word in SECRETS + COSTS + ("CPI", "EAC") if word in text]
    assert leaked == []
    with_costs = json.dumps(client_page(weekly, show_costs=True, now=now).as_dict())
    assert all(word in with_costs for word in ("$2,220 of $25,000", "Forecast cost"))
    assert [word for word in SECRETS if word in with_costs] == []


def test_decisions_about_an_internal_risk_or_money_stay_inside(weekly, now):
    assert any(INTERNAL_RISK in d for d in weekly.decisions)  # the team is asked
    assert client_page(weekly, show_costs=True, now=now).decisions == []


def test_a_cost_reason_is_said_without_its_figures(weekly, now):
    weekly.status.health = Health("amber", ["CPI 0.87 (under 0.90)", "1 high risk open"], ("cpi", "risks"))
    assert client_page(weekly, show_costs=False, now=now).reasons == [COST_REASON.capitalize(), "1 high risk open"]
    assert client_page(weekly, show_costs=True, now=now).reasons[0] == "CPI 0.87 (under 0.90)"
    weekly.status.health = Health("green", ["on track (SPI 1.02, CPI 1.10)"], ("ok",))
    assert "CPI" not in client_page(weekly, show_costs=False, now=now).reasons[0]


def test_slack_markup_is_taken_out_of_plain_text():
    assert plain("Milestone *Launch* is 3 days late") == "Milestone Launch is 3 days late"
    assert plain("Critical risk R2 _Vendor_: fund it?") == "Critical risk R2 Vendor: fund it?"
    assert plain("snake_case_name and 2*3*4") == "snake_case_name and 2*3*4"
