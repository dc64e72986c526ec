"""The timeline chart (`chart timeline`): a Gantt-style PNG of the schedule.

One bar per open task from its planned start to its finish, the critical
path in red, late tasks (planned after their due date) hatched with a
warning mark, milestones as diamonds at their planned finish, today and the
project's due date as lines. Up to `TASK_ROWS` tasks get a row each; a
larger plan gets one row per milestone (its span, red when the critical path
runs through it) so 200 tasks stay readable. Data and drawing are apart, so
tests check the rows as well as the file.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from bot.domain.charts import DEFAULT_DIR, DPI, prune
from bot.domain.format import truncate
from bot.domain.schedule import Schedule

TASK_ROWS = 40
CRITICAL, NORMAL, LATE_EDGE, MILESTONE = "#d62728", "#1f77b4", "#ff7f0e", "#2f2f2f"


@dataclass(frozen=True)
class Row:
    label: str
    start: date
    finish: date  # inclusive
    critical: bool
    late: bool
    milestone: date | None = None  # a diamond here


def timeline_rows(s: Schedule) -> tuple[list[Row], bool]:
    """The rows to draw, and whether they are milestone groups."""
    if len(s.tasks) <= TASK_ROWS:
        rows = [Row(f"#{t.number} {truncate(t.title, 32)}", t.start, t.finish, t.critical, t.late_days > 0)
                for t in sorted(s.tasks, key=lambda t: (t.start, t.finish, t.number))]
        rows += [Row(f"◆ M{m.number} {truncate(m.name, 28)}", m.finish, m.finish, False,
                     bool(m.due and m.finish > m.due), milestone=m.finish) for m in s.milestones]
        return rows, False
    groups: dict[int | None, list] = {}
    for t in s.tasks:
        groups.setdefault(t.milestone_id, []).append(t)
    by_id = {m.id: m for m in s.milestones}
    rows = []
    for m_id, tasks in groups.items():
        m = by_id.get(m_id) if m_id is not None else None
        late = sum(1 for t in tasks if t.late_days)
        name = f"M{m.number} {truncate(m.name, 22)}" if m else "No milestone"
        label = f"{name} ({len(tasks)}{f', {late} late' if late else ''})"
        rows.append(Row(label, min(t.start for t in tasks), max(t.finish for t in tasks),
                        any(t.critical for t in tasks), late > 0,
                        milestone=max(t.finish for t in tasks) if m else None))
    return sorted(rows, key=lambda r: (r.start, r.finish, r.label)), True


def draw_timeline(s: Schedule, *, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    rows, grouped = timeline_rows(s)
    height = max(4.5, 2.0 + 0.3 * len(rows))
    fig = Figure(figsize=(10, height), dpi=DPI)
    ax = fig.add_subplot()
    what = "by milestone" if grouped else "critical path in red"
    ax.set_title(f"{s.project.name}: timeline ({what})", fontsize=14, loc="left")
    for y, r in enumerate(rows):
        left = mdates.date2num(r.start)
        width = (r.finish - r.start).days + 1
        if r.milestone is not None and r.start == r.finish and not grouped:
            ax.scatter([mdates.date2num(r.milestone) + 0.5], [y], marker="D", s=70,
                       color=LATE_EDGE if r.late else MILESTONE, zorder=3)
            continue
        ax.barh(y, width, left=left, height=0.6, color=CRITICAL if r.critical else NORMAL, alpha=0.85,
                edgecolor=LATE_EDGE if r.late else "none", linewidth=2 if r.late else 0,
                hatch="//" if r.late else None)
        if r.late:
            ax.text(left + width + 0.3, y, "late", va="center", fontsize=9, color=LATE_EDGE)
        if grouped and r.milestone is not None:
            ax.scatter([mdates.date2num(r.milestone) + 1], [y], marker="D", s=60, color=MILESTONE, zorder=3)
    ax.set_yticks(range(len(rows)), [r.label for r in rows], fontsize=9 if len(rows) > 20 else 11)
    ax.invert_yaxis()
    ax.axvline(mdates.date2num(s.today), color="#555555", linestyle=":", linewidth=1.5)
    first = min([r.start for r in rows] + [s.today]) - timedelta(days=1)
    last = max(r.finish for r in rows)
    end = last + timedelta(days=max(3, (last - first).days // 12))
    due, due_line = s.project.due_date, False
    if due and due <= end + timedelta(days=(end - first).days // 3):
        end, due_line = max(end, due + timedelta(days=2)), True  # near enough: drawn as a line
        ax.axvline(mdates.date2num(due) + 1, color=CRITICAL, linestyle="--", linewidth=1.2)
    elif due:  # far after the finish: said at the edge, so the bars keep their width
        ax.annotate(f"due {due:%d %b %Y} →", xy=(1, 1.01), xycoords="axes fraction", ha="right",
                    fontsize=10, color=CRITICAL)
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=3, maxticks=8))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))
    ax.tick_params(axis="x", labelsize=11)
    ax.grid(True, axis="x", alpha=0.3)
    ax.set_xlim(mdates.date2num(first), mdates.date2num(end))
    handles = [Patch(color=CRITICAL, label="Critical path"), Patch(color=NORMAL, label="Has slack"),
               Patch(facecolor="white", edgecolor=LATE_EDGE, hatch="//", label="Late"),
               matplotlib.lines.Line2D([], [], color="#555555", linestyle=":", label=f"Today {s.today:%d %b}")]
    if due_line:
        handles.append(matplotlib.lines.Line2D([], [], color=CRITICAL, linestyle="--",
                                               label=f"Due {s.project.due_date:%d %b}"))
    if s.milestones:
        handles.append(matplotlib.lines.Line2D([], [], color=MILESTONE, marker="D", linestyle="none",
                                               label="Milestone"))
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.06), ncol=len(handles), fontsize=9,
              frameon=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=DPI)
    return path


def render_timeline(s: Schedule, *, directory: Path | None = None) -> Path:
    """Draw the timeline into the charts directory (files older than two days go first)."""
    directory = directory or DEFAULT_DIR
    prune(directory)
    if not s.tasks:
        from bot.domain.errors import Invalid

        raise Invalid(f"*{s.project.name}* has no open tasks: nothing to draw on a timeline.")
    return draw_timeline(s, path=directory / f"{s.project.key}-timeline-{s.today:%Y%m%d}-{uuid.uuid4().hex[:8]}.png")
