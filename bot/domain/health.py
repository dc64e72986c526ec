"""Red, amber or green, and why.

The colour is the worst any rule gives; every rule that fires adds a reason,
so "Amber: CPI 0.87 (under 0.90); 2 high risks open" says exactly what to look
at. The rules (thresholds are per project, in `Project.settings["health"]`,
defaults in `DEFAULTS`):

| signal | amber when | red when |
| --- | --- | --- |
| SPI (schedule) | under `spi_amber` (0.95) | under `spi_red` (0.85) |
| CPI (cost) | under `cpi_amber` (0.90) | under `cpi_red` (0.80) |
| forecast | P85 after the due date | P50 after the due date |
| milestones | any open milestone past its date | one more than `milestone_red_days` (7) late |
| risks | a high risk (score 12-19) open | a critical risk (20-25) open |
| blockers | a task blocked over `blocker_amber_days` (2) | over `blocker_red_days` (5) |

A project with no signal firing is green ("on track", or "nothing planned yet"
while it has no tasks and no milestones). SPI and CPI only count once they
exist (some planned value, some cost) and, for SPI, after `min_progress_days`
(5) days of the project, so day one is not judged on noise.

Health is recorded once a day per project (`record_snapshot`, an upsert on
project+day) so reports can show the trend.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.domain.format import day, plural, ratio
from bot.domain.projects import numeric_settings
from bot.models import HealthSnapshot, Project

GREEN, AMBER, RED = "green", "amber", "red"
ORDER = {GREEN: 0, AMBER: 1, RED: 2}
ICON = {GREEN: ":large_green_circle:", AMBER: ":large_yellow_circle:", RED: ":red_circle:"}

DEFAULTS: dict[str, float] = {
    "spi_amber": 0.95,
    "spi_red": 0.85,
    "cpi_amber": 0.90,
    "cpi_red": 0.80,
    "milestone_red_days": 7,
    "blocker_amber_days": 2,
    "blocker_red_days": 5,
    "min_progress_days": 5,
}


def thresholds(project: Project) -> dict[str, float]:
    """The defaults overlaid by the project's `settings["health"]` (numbers only)."""
    return numeric_settings(project, "health", DEFAULTS)


@dataclass(frozen=True)
class Signals:
    """What the rules look at, gathered by `bot.domain.status`."""

    today: date
    spi: float | None = None
    cpi: float | None = None
    due: date | None = None
    p50: date | None = None
    p85: date | None = None
    days_since_start: int = 0
    overdue_milestones: list[tuple[str, int]] = field(default_factory=list)  # (name, days late)
    risk_bands: dict[str, int] = field(default_factory=dict)  # open risks per band
    blocker_ages: list[tuple[int, int]] = field(default_factory=list)  # (task number, days)
    finished: bool = False
    planned: bool = True  # False while the project has no tasks and no milestones


@dataclass(frozen=True)
class Health:
    """A colour and the reasons for it (worst first)."""

    rag: str
    reasons: list[str]
    # the rule behind each reason (`spi`, `cpi`, `forecast`, `milestones`, `risks`,
    # `blockers`; `ok`, `finished`, `unplanned` when green), so a screen for
    # people outside the team can leave out what it must not show
    kinds: tuple[str, ...] = ()

    @property
    def icon(self) -> str:
        return ICON[self.rag]

    @property
    def summary(self) -> str:
        """`Amber: CPI 0.87 (under 0.90); 2 high risks open`."""
        return f"{self.rag.capitalize()}: " + "; ".join(self.reasons)

    def headline(self, limit: int = 4) -> str:
        """The summary with at most `limit` reasons (the worst ones)."""
        shown = "; ".join(self.reasons[:limit])
        more = len(self.reasons) - limit
        return f"{self.rag.capitalize()}: {shown}" + (f"; and {more} more" if more > 0 else "")


def assess(signals: Signals, limits: dict[str, float] | None = None) -> Health:
    """Apply the rules to `signals`; the colour is the worst rule's."""
    t = limits or DEFAULTS
    found: list[tuple[str, str, str]] = []  # (colour, reason, rule)
    s = signals
    if s.finished:
        return Health(GREEN, ["all work is done"], ("finished",))
    if s.spi is not None and s.days_since_start >= t["min_progress_days"]:
        if s.spi < t["spi_red"]:
            found.append((RED, f"SPI {ratio(s.spi, t['spi_red'])} (under {t['spi_red']:.2f})", "spi"))
        elif s.spi < t["spi_amber"]:
            found.append((AMBER, f"SPI {ratio(s.spi, t['spi_amber'])} (under {t['spi_amber']:.2f})", "spi"))
    if s.cpi is not None:
        if s.cpi < t["cpi_red"]:
            found.append((RED, f"CPI {ratio(s.cpi, t['cpi_red'])} (under {t['cpi_red']:.2f})", "cpi"))
        elif s.cpi < t["cpi_amber"]:
            found.append((AMBER, f"CPI {ratio(s.cpi, t['cpi_amber'])} (under {t['cpi_amber']:.2f})", "cpi"))
    if s.due and s.p50 and s.p50 > s.due:
        found.append((RED, f"even the 50% forecast ({day(s.p50, today=s.today)}) is after the "
                           f"due date ({day(s.due, today=s.today)})", "forecast"))
    elif s.due and s.p85 and s.p85 > s.due:
        found.append((AMBER, f"85% forecast {day(s.p85, today=s.today)} is after the due date "
                             f"{day(s.due, today=s.today)}", "forecast"))
    if s.overdue_milestones:
        worst_name, worst_days = max(s.overdue_milestones, key=lambda m: m[1])
        colour = RED if worst_days > t["milestone_red_days"] else AMBER
        more = len(s.overdue_milestones) - 1
        extra = f" (+{plural(more, 'more milestone')})" if more else ""
        found.append((colour, f"milestone {worst_name} {plural(worst_days, 'day')} overdue{extra}",
                      "milestones"))
    if s.risk_bands.get("critical"):
        found.append((RED, f"{plural(s.risk_bands['critical'], 'critical risk')} open", "risks"))
    if s.risk_bands.get("high"):
        found.append((AMBER, f"{plural(s.risk_bands['high'], 'high risk')} open", "risks"))
    red_blocked = [a for _, a in s.blocker_ages if a > t["blocker_red_days"]]
    amber_blocked = [a for _, a in s.blocker_ages if t["blocker_amber_days"] < a <= t["blocker_red_days"]]
    if red_blocked:
        found.append((RED, f"{plural(len(red_blocked), 'task')} blocked over "
                           f"{plural(t['blocker_red_days'], 'day')} (longest {plural(max(red_blocked), 'day')})", "blockers"))
    if amber_blocked:
        found.append((AMBER, f"{plural(len(amber_blocked), 'task')} blocked over "
                             f"{plural(t['blocker_amber_days'], 'day')}", "blockers"))
    if not found and not s.planned:
        return Health(GREEN, ["nothing planned yet to judge it by (add tasks or milestones)"], ("unplanned",))
    if not found:
        bits = []
        if s.spi is not None:
            bits.append(f"SPI {s.spi:.2f}")
        if s.cpi is not None:
            bits.append(f"CPI {s.cpi:.2f}")
        return Health(GREEN, ["on track" + (f" ({', '.join(bits)})" if bits else "")], ("ok",))
    rag = max((c for c, _, _ in found), key=ORDER.__getitem__)
    found.sort(key=lambda cr: -ORDER[cr[0]])
    return Health(rag, [r for _, r, _ in found], tuple(k for _, _, k in found))


def record_snapshot(*, session: Session, project: Project, today: date, health: Health,
                    metrics: dict, now: datetime) -> HealthSnapshot:
    """Store today's colour (one row per project and day; a later call updates it)."""
    row = session.exec(select(HealthSnapshot).where(HealthSnapshot.project_id == project.id,
                                                    HealthSnapshot.day == today)).first()
    if row is None:
        try:
            with session.begin_nested():
                row = HealthSnapshot(team_id=project.team_id, project_id=project.id, day=today,
                                     rag=health.rag, reasons=list(health.reasons), metrics=metrics,
                                     created_at=now)
                session.add(row)
            return row
        except IntegrityError:  # another worker recorded it first: update theirs
            row = session.exec(select(HealthSnapshot).where(
                HealthSnapshot.project_id == project.id, HealthSnapshot.day == today)).one()
    row.rag, row.reasons, row.metrics = health.rag, list(health.reasons), metrics
    session.add(row)
    session.flush()
    return row


def trend(*, session: Session, project: Project, since: date) -> list[HealthSnapshot]:
    """Snapshots from `since` on, oldest first."""
    return list(session.exec(select(HealthSnapshot).where(
        HealthSnapshot.project_id == project.id, HealthSnapshot.day >= since)
        .order_by(HealthSnapshot.day)))


def trend_phrase(snapshots: list[HealthSnapshot], now_rag: str) -> str:
    """`Green → Amber since Wed 3 Mar` or `Amber all week`."""
    if not snapshots:
        return "no history yet"
    first = snapshots[0].rag
    changes = [s for prev, s in zip(snapshots, snapshots[1:], strict=False) if s.rag != prev.rag]
    if not changes and first == now_rag:
        return f"{now_rag.capitalize()} since {day(snapshots[0].day)}"
    path = [first] + [c.rag for c in changes]
    if path[-1] != now_rag:
        path.append(now_rag)
    return " → ".join(p.capitalize() for p in path)
