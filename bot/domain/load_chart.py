"""`chart load`: a heatmap PNG of people x weeks, hours due against each
week's capacity (less days away), from the same `Workload` that
`/project people` and the overload alert read. A cell is coloured by how full
the week is (green under 80%, amber to 100%, red above), says `61/40h`, and an
over-allocated week is outlined and marked "over"; someone without a capacity
gets grey cells with their hours.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bot.domain.charts import DEFAULT_DIR, DPI, prune
from bot.domain.workload import Load

MAX_WEEKS = 26


@dataclass(frozen=True)
class Cell:
    hours: float
    capacity: float | None

    @property
    def over(self) -> bool:
        return self.capacity is not None and self.hours > self.capacity + 1e-9

    def text(self) -> str:
        due = f"{round(self.hours, 1):g}"
        return f"{due}h" if self.capacity is None else f"{due}/{round(self.capacity, 1):g}h"


@dataclass
class LoadChart:
    """The grid: one row per person (label), one column per week (its Monday)."""

    title: str
    weeks: list[date]
    labels: list[str]
    cells: list[list[Cell]]
    user_ids: list[str]

    def over(self, *, ids: bool = False) -> list[tuple[str, date, Cell]]:
        """(person's label, or user id with `ids`; week; cell) of every
        over-allocated cell, row by row."""
        who = self.user_ids if ids else self.labels
        return [(who[r], self.weeks[c], cell) for r, row in enumerate(self.cells)
                for c, cell in enumerate(row) if cell.over]


def load_chart(*, title: str, loads: list[Load], names: dict[str, str]) -> LoadChart:
    """The grid of `loads` (each built with as many weeks as the chart shows)."""
    weeks = [w.start for w in loads[0].weeks] if loads else []
    return LoadChart(title=title, weeks=weeks,
                     labels=[names.get(ld.user_id) or ld.name or ld.user_id for ld in loads],
                     cells=[[Cell(w.total, w.capacity) for w in ld.weeks] for ld in loads],
                     user_ids=[ld.user_id for ld in loads])


def _colour(cell: Cell) -> str:
    if cell.capacity is None:
        return "#d9d9d9"
    if cell.capacity <= 0:
        return "#d62728" if cell.hours > 0 else "#f0f0f0"
    share = cell.hours / cell.capacity
    return "#f7fcf5" if share == 0 else "#a1d99b" if share < 0.8 else "#fdd49e" if share <= 1 + 1e-9 else "#fc8d59"


def draw_load(chart: LoadChart, *, path: Path) -> Path:
    """The heatmap as a PNG at `path`: 800 px wide, 0.45 in a person."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    rows, cols = max(len(chart.labels), 1), max(len(chart.weeks), 1)
    fig = Figure(figsize=(8, min(1.6 + 0.45 * rows, 40)), dpi=DPI)
    ax = fig.add_subplot()
    ax.set_title(chart.title, fontsize=14, loc="left")
    for r, row in enumerate(chart.cells):
        for c, cell in enumerate(row):
            ax.add_patch(Rectangle((c, r), 1, 1, facecolor=_colour(cell), edgecolor="white", linewidth=1.5))
            if cell.over:
                ax.add_patch(Rectangle((c + 0.04, r + 0.06), 0.92, 0.88, fill=False, edgecolor="#b30000",
                                       linewidth=2.5, hatch="//"))
            ax.text(c + 0.5, r + 0.5, cell.text() + ("\nover" if cell.over else ""), ha="center",
                    va="center", fontsize=9 if cols > 10 else 10, fontweight="bold" if cell.over else "normal")
    ax.set_xlim(0, cols)
    ax.set_ylim(rows, 0)
    ax.set_xticks([c + 0.5 for c in range(len(chart.weeks))])
    ax.set_xticklabels([f"{w.day} {w:%b}" for w in chart.weeks], fontsize=10)
    ax.xaxis.tick_top()
    ax.set_yticks([r + 0.5 for r in range(len(chart.labels))])
    ax.set_yticklabels(chart.labels, fontsize=11)
    ax.tick_params(length=0)
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    ax.set_xlabel("Week from Monday: hours due / capacity (less days away)", fontsize=11)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=DPI)
    return path


def render_load_chart(chart: LoadChart, *, slug: str, today: date, directory: Path | None = None) -> Path:
    """Draw the chart into the charts directory (old files pruned first)."""
    directory = directory or DEFAULT_DIR
    prune(directory)
    return draw_load(chart, path=directory / f"{slug}-load-{today:%Y%m%d}-{uuid.uuid4().hex[:8]}.png")
