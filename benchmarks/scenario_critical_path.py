"""Scenario 7: the critical path of 5,000 tasks with 10,000 links, in memory.

A random plan without cycles (every link points from a lower to a higher
task, like a plan written top-down), durations from half a day to five days,
one in ten links with a lag. Timed: the CPM pass alone (order, forward and
backward pass, slack), the whole schedule from rows (durations from
estimates and paces, the pass, dates on the working calendar), and the
forecast's Monte Carlo along the same network. Target: the critical path in
under 100 ms (median of `ROUNDS`).

    python -m benchmarks.scenario_critical_path     # this scenario alone
"""

from __future__ import annotations

import gc
import random
import statistics
import time
from datetime import date

from benchmarks.common import Result
from bot.domain.calendar import WorkCalendar
from bot.domain.network import critical_path, simulate_finish, trials_for
from bot.domain.schedule import build_schedule
from bot.models import Project, Task

TASKS, LINKS = 5_000, 10_000
ROUNDS = 15
TARGET_MS = 100.0
PER_DATABASE = False  # pure computation: no database


def plan(seed: int = 7) -> tuple[list[float], list[tuple[int, int, float]]]:
    rnd = random.Random(seed)
    durations = [rnd.uniform(0.5, 5.0) for _ in range(TASKS)]
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < LINKS:
        a = rnd.randrange(TASKS - 1)
        b = rnd.randrange(a + 1, min(a + 200, TASKS))
        pairs.add((a, b))
    edges = [(a, b, float(rnd.choice([0, 0, 0, 0, 0, 0, 0, 0, 0, 2]))) for a, b in sorted(pairs)]
    return durations, edges


def _timed(fn, rounds: int = ROUNDS) -> list[float]:
    out = []
    for _ in range(rounds):
        gc.collect()  # each round starts without the last one's garbage
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def run() -> list[Result]:
    durations, edges = plan()
    cpm = _timed(lambda: critical_path(durations, edges))
    result = critical_path(durations, edges)
    project = Project(id=1, team_id="T0BENCH", key="big", name="Big plan")
    tasks = [Task(id=i + 1, team_id="T0BENCH", project_id=1, number=i + 1, title=f"Task {i + 1}",
                  estimate_hours=round(d * 8, 2)) for i, d in enumerate(durations)]
    rows = [(a + 1, b + 1, int(lag)) for a, b, lag in edges]
    numbers = {t.id: t.number for t in tasks}

    def schedule():
        return build_schedule(project=project, today=date(2027, 1, 4), tasks=tasks, links=rows, numbers=numbers,
                              average=None, rates={}, milestones=[], calendar=WorkCalendar())

    whole = _timed(schedule, rounds=5)
    trials = trials_for(TASKS, 10_000)
    monte = _timed(lambda: simulate_finish(durations, edges, trials=trials, seed=1), rounds=3)
    median_cpm = statistics.median(cpm)
    crit = len(result.critical_nodes())
    return [
        Result("7 critical path", f"CPM pass, {TASKS:,} tasks / {LINKS:,} links (median)", median_cpm, "ms",
               f"< {TARGET_MS:.0f} ms", median_cpm < TARGET_MS,
               f"max {max(cpm):.1f} ms over {ROUNDS} rounds; {crit} tasks on the critical path, "
               f"finish after {result.finish:.1f} working days"),
        Result("7 critical path", "schedule from rows (CPM + dates, median)", statistics.median(whole), "ms"),
        Result("7 critical path", f"Monte Carlo along the network ({trials} trials)",
               statistics.median(monte), "ms"),
    ]


if __name__ == "__main__":
    for r in run():
        met = {True: "yes", False: "NO", None: "-"}[r.met]
        print(f"{r.scenario:<18} {r.metric:<52} {r.value:>9.2f} {r.unit:<3} {r.target:<10} {met}")
        if r.note:
            print(f"{'':<18}   {r.note}")
