"""When will it be done? A Monte Carlo forecast over past daily throughput.

History is the work finished on each working day (weekends, public holidays
and company days off skipped, per `bot.domain.calendar.WorkCalendar`) over the
last few weeks: completed tasks, or their estimate hours when the project
estimates its tasks. Each of 10,000 trials replays the future by drawing a past working day at random for every coming
working day until the remaining work is done. The 50th, 85th and 95th
percentile of the trials' finishing days are the P50/P85/P95 dates.

The random generator is seeded, so the same history gives the same dates.
With fewer than `MIN_HISTORY_DAYS` working days of history or fewer than
`MIN_ACTIVE_DAYS` days on which anything was finished, there is no forecast and
the reason says so: no invented precision.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from bot.domain.calendar import WorkCalendar
from bot.domain.errors import Invalid
from bot.domain.format import day, plural

if TYPE_CHECKING:
    import numpy as np

TRIALS = 10_000
SEED = 20_240_229
HISTORY_WEEKS = 6
MIN_HISTORY_DAYS = 10
MIN_ACTIVE_DAYS = 3
MAX_WORKING_DAYS = 1_300  # five years: slower than this is "not at this pace"
BLOCK = 16  # working days per drawn block
POOL = 4_096  # blocks drawn from history, from which trials draw
EPSILON = 1e-6
PERCENTILES = (50, 85, 95)
_TOO_SLOW = "At the recent pace this would take more than five years; no forecast."


def daily_throughput(*, finished: Iterable[tuple[date, float]], calendar: WorkCalendar,
                     today: date, start: date | None, weeks: int = HISTORY_WEEKS) -> list[float]:
    """Work finished per working day over the last `weeks` before `today`
    (not before the project's start). Work finished on a day off counts for
    the working day before it."""
    first = today - timedelta(weeks=weeks)
    if start and start > first:
        first = start
    days = calendar.working_days(first, today - timedelta(days=1))
    index = {d: i for i, d in enumerate(days)}
    totals = [0.0] * len(days)
    for when, amount in finished:
        d = when
        while d >= first and d not in index:
            d -= timedelta(days=1)
        if d in index:
            totals[index[d]] += amount
    return totals


@dataclass(frozen=True)
class Forecast:
    """P50/P85/P95 finishing dates, or the reason there are none."""

    unit: str  # "tasks" or "hours"
    remaining: float
    history_days: int
    p50: date | None = None
    p85: date | None = None
    p95: date | None = None
    reason: str = ""
    trials: int = 0
    method: str = "throughput"  # or "network": durations drawn along the dependency network

    @property
    def ok(self) -> bool:
        return self.p85 is not None

    @property
    def finished(self) -> bool:
        return self.remaining <= 0

    def phrase(self, *, due: date | None, today: date | None = None) -> str:
        """`85% likely done by 14 Mar (due 1 Mar)`, or why there is no forecast."""
        if not self.ok:
            return self.reason
        due_text = f" (due {day(due, today=today)})" if due else ""
        return f"85% likely done by {day(self.p85, today=today)}{due_text}"

    def range_phrase(self, today: date | None = None) -> str:
        if not self.ok:
            return self.reason
        along = ", along the task links" if self.method == "network" else ""
        return (f"50% by {day(self.p50, today=today)}, 85% by {day(self.p85, today=today)}, "
                f"95% by {day(self.p95, today=today)}{along}")

    def slip_days(self, due: date | None) -> int | None:
        """Calendar days P85 lies after `due` (negative: before)."""
        if not self.ok or due is None:
            return None
        return (self.p85 - due).days  # type: ignore[operator]

    def as_dict(self) -> dict:
        return {"unit": self.unit, "remaining": round(self.remaining, 2),
                "history_days": self.history_days, "reason": self.reason, "method": self.method,
                **{f"p{p}": (getattr(self, f"p{p}").isoformat() if getattr(self, f"p{p}") else None)
                   for p in PERCENTILES}}


def simulate_days(history: Sequence[float], remaining: float, *, trials: int = TRIALS,
                  seed: int = SEED) -> np.ndarray:
    """Working days each trial needs to finish `remaining`; MAX_WORKING_DAYS + 1
    marks a trial that did not finish within MAX_WORKING_DAYS.

    Each trial is a run of days drawn at random from `history`. To keep 10,000
    trials fast at any horizon, days are drawn in blocks: first a pool of
    `POOL` blocks of `BLOCK` days each drawn from history, then every trial
    strings together blocks drawn from the pool until it has done the work,
    and the day inside the last block where it got there is its finish.

    Arrays are held day-major (one row per day of a block, one column per
    block or trial), so running totals add whole contiguous rows; the sums
    and the random draws are the same as trial-major, so are the results."""
    import numpy as np

    rng = np.random.default_rng(seed)
    hist = np.asarray(history, dtype=np.float64)
    pool_cum = np.cumsum(hist[rng.integers(0, hist.size, size=(POOL, BLOCK)).T], axis=0)  # (BLOCK, POOL)
    block_sum = pool_cum[-1]
    days = np.full(trials, MAX_WORKING_DAYS + 1, dtype=np.int64)
    left = np.full(trials, float(remaining)) - EPSILON
    open_ = np.arange(trials)
    blocks_done, max_blocks = 0, MAX_WORKING_DAYS // BLOCK + 1
    expected = remaining / max(float(hist.mean()), 1e-9) / BLOCK
    width = int(min(max(expected * 1.5 + 2, 4), max_blocks))
    while open_.size and blocks_done < max_blocks:
        width = min(width, max_blocks - blocks_done)
        picks = rng.integers(0, POOL, size=(open_.size, width)).T  # (width, open)
        cum = np.cumsum(block_sum[picks], axis=0)
        need = left[open_]
        fin = cum[-1] >= need
        if fin.any():
            every = bool(fin.all())
            rows = slice(None) if every else np.flatnonzero(fin)
            c, n, pk = (cum, need, picks) if every else (cum[:, rows], need[rows], picks[:, rows])
            last = (c < n).sum(axis=0)  # the block where it finishes
            cols = np.arange(last.size)
            before = np.where(last > 0, c[np.maximum(last - 1, 0), cols], 0.0)
            inside = pool_cum[:, pk[last, cols]]
            day = (inside < n - before).sum(axis=0) + 1
            days[open_[rows]] = (blocks_done + last) * BLOCK + day
        left[open_] = need - cum[-1]
        open_ = open_[~fin]
        blocks_done += width
        width = 8
    return days


def forecast(*, history: Sequence[float], remaining: float, today: date, calendar: WorkCalendar,
             unit: str = "tasks", trials: int = TRIALS, seed: int = SEED,
             known: tuple[date, date, date | None] | None = None) -> Forecast:
    """Monte Carlo finishing dates for `remaining` work given daily `history`.
    `known`: the P50/P85/P95 dates these very inputs gave before (a snapshot
    taken at the same project version and day), used instead of simulating."""
    base = {"unit": unit, "remaining": remaining, "history_days": len(history)}
    if remaining <= 0:
        return Forecast(**base, reason="All planned work is done.")
    active = sum(1 for x in history if x > 0)
    if len(history) < MIN_HISTORY_DAYS or active < MIN_ACTIVE_DAYS:
        days = len(history)
        seen = ("no working day has passed since the start yet" if days == 0 else
                f"work was finished on {active} of the {plural(days, 'working day')} so far"
                if days < MIN_HISTORY_DAYS else
                f"work was finished on {active} of the last {plural(days, 'working day')}")
        return Forecast(**base, reason=(
            f"Not enough history to forecast yet: {seen} (a forecast needs work finished on at least "
            f"{MIN_ACTIVE_DAYS} of {MIN_HISTORY_DAYS} working days)."))
    mean = sum(history) / len(history)
    if remaining / mean > MAX_WORKING_DAYS:
        return Forecast(**base, reason=_TOO_SLOW)
    if known is not None:
        return Forecast(**base, p50=known[0], p85=known[1], p95=known[2], trials=trials)
    import numpy as np  # here, not at import: the web process needs it only for a forecast

    days = simulate_days(history, remaining, trials=trials, seed=seed)
    p50, p85, p95 = (int(x) for x in np.percentile(days, PERCENTILES, method="inverted_cdf"))
    if p85 > MAX_WORKING_DAYS:
        return Forecast(**base, reason=_TOO_SLOW)
    dates = _after_working_days(calendar, today, [p50, p85] + ([p95] if p95 <= MAX_WORKING_DAYS else []))
    return Forecast(**base, p50=dates[p50], p85=dates[p85], p95=dates.get(p95), trials=trials)


def network_forecast(*, durations: Sequence[float], edges: Sequence[tuple[int, int, float]],
                     release: Sequence[float], date_after: Callable[[float], date], remaining: float,
                     history_days: int, unit: str = "tasks", trials: int = TRIALS, seed: int = SEED,
                     known: tuple[date, date, date | None] | None = None) -> Forecast:
    """P50/P85/P95 along the dependency network: every trial draws each open
    task's duration (`bot.domain.network.simulate_finish`) and finishes when its
    longest chain does, so what waits on what sets the date and a slip on a
    task with slack moves nothing until the slack is used up. `date_after`
    turns working days from now into a date (the schedule's calendar)."""
    from bot.domain.network import simulate_finish, trials_for

    base = {"unit": unit, "remaining": remaining, "history_days": history_days, "method": "network"}
    if not durations or remaining <= 0:
        return Forecast(**base, reason="All planned work is done.")
    n = trials_for(len(durations), trials)
    if known is not None:
        return Forecast(**base, p50=known[0], p85=known[1], p95=known[2], trials=n)
    import numpy as np

    days = simulate_finish(durations, edges, trials=n, seed=seed, release=release)
    p50, p85, p95 = (float(x) for x in np.percentile(days, PERCENTILES, method="inverted_cdf"))
    if p85 > MAX_WORKING_DAYS:
        return Forecast(**base, reason=_TOO_SLOW)
    return Forecast(**base, p50=date_after(p50), p85=date_after(p85),
                    p95=date_after(p95) if p95 <= MAX_WORKING_DAYS else None, trials=n)


def _after_working_days(calendar: WorkCalendar, start: date, counts: list[int]) -> dict[int, date]:
    """`calendar.add_working_days(start, n)` for every n in `counts`, in one walk."""
    wanted = sorted(set(counts))
    found: dict[int, date] = {}
    day, done = start, 0
    while True:
        while wanted and wanted[0] == done:
            found[wanted.pop(0)] = day
        if not wanted:
            return found
        if (day - start).days > wanted[-1] * 7 + 3700:  # the guard add_working_days has
            raise Invalid("No working days in the calendar: check the days and days off.")
        day += timedelta(days=1)
        if calendar.is_working_day(day):
            done += 1
