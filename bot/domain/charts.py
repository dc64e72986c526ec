"""Charts as PNG files: burn-up (scope, done, forecast range) and budget burn
(planned vs actual cost). Drawn with matplotlib's non-interactive Agg backend,
sized and lettered to stay readable in Slack's preview (800x450 px, 11pt+),
with labelled axes and dates. Data comes from grouped queries; drawing is
separate so tests can check the series as well as the file.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, select

from bot.domain import baselines
from bot.domain.evm import PlannedMilestone, planned_value
from bot.domain.format import money
from bot.domain.status import StatusReport
from bot.models import CostEntry, Task, TaskStatus, TimeEntry

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

KINDS = ("burnup", "budget")
SIZE = (8, 4.5)
DPI = 100
DEFAULT_DIR = Path(tempfile.gettempdir()) / "pm-bot-charts"
KEEP_SECONDS = 2 * 24 * 3600  # the outbox retries an upload for well under this


@dataclass
class Series:
    """Dated cumulative values for one line."""

    days: list[date] = field(default_factory=list)
    values: list[float] = field(default_factory=list)


@dataclass
class BurnUp:
    scope: Series
    done: Series
    unit: str
    today: date
    due: date | None
    forecast: tuple[date | None, date | None, date | None] = (None, None, None)


@dataclass
class BudgetBurn:
    planned: Series
    actual: Series
    bac: int
    eac: int | None
    currency: str
    today: date
    due: date | None
    baseline: Series | None = None  # Baseline 1's planned value, drawn dashed
    baseline_bac: int | None = None


def _cumulative(deltas: dict[date, float], start: date, end: date) -> Series:
    s, total, d = Series(), 0.0, start
    for when in [k for k in deltas if k < start]:
        total += deltas[when]
    while d <= end:
        total += deltas.get(d, 0.0)
        s.days.append(d)
        s.values.append(total)
        d += timedelta(days=1)
    return s


def burnup_data(*, session: Session, report: StatusReport) -> BurnUp:
    """Scope (work added over time) and done (work finished), cumulative per day."""
    p, today = report.project, report.today
    tz = ZoneInfo(p.timezone or "UTC")
    rows = session.exec(select(Task.created_at, Task.done_at, Task.status, Task.estimate_hours,
                               Task.cancelled_at).where(Task.project_id == p.id)).all()
    hours = report.work_unit == "hours"
    counted = [r for r in rows if r[2] != TaskStatus.CANCELLED]
    avg = report.estimate_total / max(1, sum(1 for r in counted if r[3] is not None)) if hours else 1.0
    scope: dict[date, float] = defaultdict(float)
    done: dict[date, float] = defaultdict(float)
    for created, done_at, status, est, cancelled_at in rows:
        w = (est if est is not None else avg) if hours else 1.0
        scope[created.astimezone(tz).date()] += w
        if status == TaskStatus.CANCELLED and cancelled_at:  # out of scope from the day it was cancelled
            scope[cancelled_at.astimezone(tz).date()] -= w
        if status == TaskStatus.DONE and done_at:
            done[done_at.astimezone(tz).date()] += w
    start = p.start_date or (min(scope) if scope else today)
    start = min([start, *scope.keys()]) if scope else start
    f = report.forecast
    scope_line, done_line = _cumulative(scope, start, today), _cumulative(done, start, today)
    # Work finished before it was recorded (tasks added after the fact) still counts as scope.
    scope_line.values = [max(a, b) for a, b in zip(scope_line.values, done_line.values, strict=True)]
    return BurnUp(scope=scope_line, done=done_line,
                  unit=report.work_unit, today=today, due=p.due_date,
                  forecast=(f.p50, f.p85, f.p95) if f and f.ok else (None, None, None))


def budget_data(*, session: Session, report: StatusReport) -> BudgetBurn:
    """Planned value by day (the plan) and actual cost by day (entries + labour)."""
    p, today = report.project, report.today
    spent: dict[date, float] = defaultdict(float)
    for d, cents in session.exec(select(CostEntry.spent_on, func.sum(CostEntry.amount_cents))
                                 .where(CostEntry.project_id == p.id).group_by(CostEntry.spent_on)):
        spent[d] += cents
    for d, minute_cents in session.exec(
        select(TimeEntry.worked_on, func.sum(TimeEntry.minutes * func.coalesce(TimeEntry.rate_cents, 0)))
        .where(TimeEntry.project_id == p.id).group_by(TimeEntry.worked_on)
    ):
        spent[d] += (minute_cents or 0) / 60
    bac = p.budget_cents or 0
    start = p.start_date or today
    end = max([d for d in (p.due_date, today) if d] + [m.due_date for m in report.milestones if m.due_date])
    planned = Series()
    ms = [PlannedMilestone(m.planned_budget_cents, m.due_date, 0.0, 0.0) for m in report.milestones]
    d = start
    while d <= end and bac:
        planned.days.append(d)
        planned.values.append(planned_value(bac=bac, start=start, due=p.due_date, today=d, milestones=ms))
        d += timedelta(days=1)
    first = min([start, *spent.keys()])
    data = BudgetBurn(planned=planned, actual=_cumulative(spent, first, today), bac=bac,
                      eac=report.evm.eac if report.evm else None, currency=p.currency, today=today,
                      due=p.due_date)
    brief = (p.plan or {}).get("first")
    if brief and brief.get("budget"):
        b_start, b_due = baselines.plan_dates(brief)
        b_ms = [PlannedMilestone(b, _day(due), 0.0, 0.0) for _, due, b in brief.get("milestones", [])]
        data.baseline, data.baseline_bac = Series(), brief["budget"]
        d = b_start or start
        while d <= max(end, b_due or end):
            data.baseline.days.append(d)
            data.baseline.values.append(planned_value(bac=brief["budget"], start=b_start or start, due=b_due,
                                                      today=d, milestones=b_ms))
            d += timedelta(days=1)
    return data


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _figure(title: str) -> tuple[Figure, Axes]:
    # matplotlib (some 40 MB) is imported on the first chart, not with the bot
    import matplotlib

    matplotlib.use("Agg")  # before pyplot: no display, safe in threads and servers
    import matplotlib.dates as mdates
    from matplotlib.figure import Figure

    fig = Figure(figsize=SIZE, dpi=DPI)
    ax = fig.add_subplot()
    ax.set_title(title, fontsize=14, loc="left")
    ax.grid(True, alpha=0.3)
    ax.tick_params(labelsize=11)
    locator = mdates.AutoDateLocator(minticks=3, maxticks=7)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))
    return fig, ax


def _mark(ax: Axes, when: date | None, label: str, colour: str) -> None:
    if when:
        ax.axvline(when, color=colour, linestyle=":", linewidth=1.5, label=label)


def draw_burnup(data: BurnUp, *, title: str, path: Path | BinaryIO) -> Path | BinaryIO:
    fig, ax = _figure(title)
    ax.plot(data.scope.days, data.scope.values, color="#7f7f7f", linewidth=2.5, label="Scope")
    ax.plot(data.done.days, data.done.values, color="#2ca02c", linewidth=2.5, label="Done")
    p50, p85, p95 = data.forecast
    if p50 and p95 and data.done.values:
        now, scope = data.done.values[-1], data.scope.values[-1]
        ax.fill_betweenx([now, scope], [data.today, p50], [data.today, p95], color="#1f77b4",
                         alpha=0.18, label="Forecast P50–P95")
        ax.plot([data.today, p85], [now, scope], color="#1f77b4", linestyle="--", linewidth=2,
                label=f"85% by {p85:%d %b}" if p85 else "P85")
    _mark(ax, data.due, f"Due {data.due:%d %b}" if data.due else "", "#d62728")
    _mark(ax, data.today, "Today", "#555555")
    ax.set_xlabel("Date", fontsize=12)
    ax.set_ylabel("Hours of work" if data.unit == "hours" else "Tasks", fontsize=12)
    ax.set_ylim(bottom=0)
    ax.legend(loc="lower right", fontsize=10, framealpha=0.9)
    return _save(fig, path)


def draw_budget(data: BudgetBurn, *, title: str, path: Path) -> Path:
    fig, ax = _figure(title)
    scale = 100.0
    if data.planned.days:
        ax.plot(data.planned.days, [v / scale for v in data.planned.values], color="#1f77b4",
                linewidth=2.5, label="Planned (PV)")
    if data.baseline is not None and data.baseline.days:
        ax.plot(data.baseline.days, [v / scale for v in data.baseline.values], color="#1f77b4",
                linestyle="--", linewidth=1.8, alpha=0.8,
                label=f"Baseline 1 plan ({money(data.baseline_bac, data.currency)})")
    ax.plot(data.actual.days, [v / scale for v in data.actual.values], color="#ff7f0e", linewidth=2.5,
            label="Actual cost (AC)")
    if data.bac:
        ax.axhline(data.bac / scale, color="#7f7f7f", linestyle="--", linewidth=1.5,
                   label=f"Budget {money(data.bac, data.currency)}")
    if data.eac and data.bac and data.eac != data.bac:
        ax.axhline(data.eac / scale, color="#9467bd", linestyle="-.", linewidth=1.5,
                   label=f"Forecast cost (EAC) {money(data.eac, data.currency)}")
    _mark(ax, data.due, f"Due {data.due:%d %b}" if data.due else "", "#d62728")
    _mark(ax, data.today, "Today", "#555555")
    ax.set_xlabel("Date", fontsize=12)
    ax.set_ylabel(f"Cumulative cost ({data.currency})", fontsize=12)
    from matplotlib.ticker import FuncFormatter

    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_ylim(bottom=0)
    ax.legend(loc="lower right", fontsize=10, framealpha=0.9)
    return _save(fig, path)


def _save(fig: Figure, path: Path | BinaryIO) -> Path | BinaryIO:
    if isinstance(path, Path):
        path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=DPI)
    return path


def burnup_png(*, session: Session, report: StatusReport) -> bytes:
    """The burn-up chart as PNG bytes (the status page serves it; no file)."""
    out = io.BytesIO()
    draw_burnup(burnup_data(session=session, report=report), title=f"{report.project.name}: burn-up",
                path=out)
    return out.getvalue()


def prune(directory: Path, *, max_age_seconds: float = KEEP_SECONDS) -> int:
    """Delete chart files older than `max_age_seconds` (uploads are long done)."""
    if not directory.exists():
        return 0
    cutoff, removed = time.time() - max_age_seconds, 0
    for old in directory.glob("*.png"):
        with contextlib.suppress(FileNotFoundError):
            if old.stat().st_mtime < cutoff:
                old.unlink()
                removed += 1
    return removed


def render_chart(*, session: Session, report: StatusReport, kind: str,
                 directory: Path | None = None) -> Path:
    """Draw `kind` (burnup | budget) for the report's project; returns the PNG path.
    Files older than two days in the directory are removed first."""
    p = report.project
    directory = directory or DEFAULT_DIR
    prune(directory)
    name = f"{p.key}-{kind}-{report.today:%Y%m%d}-{uuid.uuid4().hex[:8]}.png"
    path = directory / name
    if kind == "burnup":
        return draw_burnup(burnup_data(session=session, report=report),
                           title=f"{p.name}: burn-up", path=path)
    if kind == "budget":
        return draw_budget(budget_data(session=session, report=report),
                           title=f"{p.name}: budget burn", path=path)
    raise ValueError(f"unknown chart {kind!r}")
