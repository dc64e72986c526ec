"""Charts: the series behind them are right, and the PNGs are real images of
Slack-preview size; the shell prints where the file is."""

from __future__ import annotations

import struct
from datetime import date

from sqlmodel import Session

from bot.domain import charts
from bot.domain.status import build_status
from bot.shell.render import render_text
from tests.support.helpers import Runner
from tests.support.judgement_history import NOW, TODAY, build_history

PNG = b"\x89PNG\r\n\x1a\n"


def _size(path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG
    return struct.unpack(">II", data[16:24])


def _status(db_engine):
    s = Session(db_engine, expire_on_commit=False)
    project = build_history(s)
    s.commit()
    return s, build_status(session=s, project=project, today=TODAY)


def test_burnup_series_show_scope_done_and_forecast(db_engine):
    s, report = _status(db_engine)
    with s:
        data = charts.burnup_data(session=s, report=report)
    assert data.unit == "hours"
    assert data.scope.days[0] == date(2026, 9, 4) and data.scope.days[-1] == TODAY
    assert data.scope.values[-1] == 200 and data.done.values[-1] == 144
    assert data.done.values[data.done.days.index(date(2026, 10, 1))] == 40  # M1 done
    assert data.forecast == (date(2026, 12, 25), date(2027, 1, 6), date(2027, 1, 13))


def test_budget_series_plan_against_actual_cost(db_engine):
    s, report = _status(db_engine)
    with s:
        data = charts.budget_data(session=s, report=report)
    planned = dict(zip(data.planned.days, data.planned.values, strict=True))
    assert planned[TODAY] == 7_500_000  # PV today, as in the EVM numbers
    assert planned[date(2027, 2, 19)] == 10_000_000  # the whole budget by the due date
    assert data.actual.days[-1] == TODAY and round(data.actual.values[-1]) == 8_280_000
    assert data.eac == 11_500_000 and data.bac == 10_000_000


def test_both_charts_are_pngs_at_slack_preview_size(db_engine, tmp_path):
    s, report = _status(db_engine)
    with s:
        for kind in charts.KINDS:
            path = charts.render_chart(session=s, report=report, kind=kind, directory=tmp_path)
            assert path.parent == tmp_path and path.name.startswith(f"shop-{kind}-20261127-")
            assert _size(path) == (800, 450)
            assert path.stat().st_size > 10_000  # drawn, not blank


def test_chart_of_an_empty_project_still_draws(db_engine, tmp_path, now):
    run = Runner(db_engine, now)
    run('new "Empty" key empty')
    with Session(db_engine) as s:
        from bot.domain.projects import get_project

        project = get_project(session=s, team_id="T0TEST", key="empty")
        report = build_status(session=s, project=project, today=now.date())
        for kind in charts.KINDS:
            assert _size(charts.render_chart(session=s, report=report, kind=kind, directory=tmp_path))


def test_chart_command_returns_the_image_and_the_shell_prints_its_path(db_engine):
    with Session(db_engine) as s:
        build_history(s, team_id="T0TEST")
        s.commit()
    run = Runner(db_engine, NOW)
    reply = run("chart shop budget", user="U0ALICE")
    assert not reply.error and reply.image_path.endswith(".png")
    assert render_text(reply).endswith(f"Chart written to {reply.image_path}")
    burnup = run("chart shop", user="U0ALICE")
    assert "85% likely done by Wed 6 Jan 2027" in burnup.plain()
    assert "Expected which chart: one of burnup, budget" in run("chart shop pie").plain()


def test_old_chart_files_are_pruned(tmp_path):
    import os
    import time

    old, fresh = tmp_path / "old.png", tmp_path / "fresh.png"
    old.write_bytes(PNG)
    fresh.write_bytes(PNG)
    os.utime(old, (time.time() - 3 * 24 * 3600,) * 2)
    assert charts.prune(tmp_path) == 1
    assert not old.exists() and fresh.exists()
