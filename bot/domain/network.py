"""The dependency network as plain numbers: order, cycles, critical path, and
Monte Carlo durations along it. Nodes are 0..n-1, durations and lags are in
working days, an edge `(before, after, lag)` means `after` may start `lag`
working days after `before` finishes (finish-to-start).

- `critical_path` is the classic forward and backward pass (CPM): earliest
  and latest start/finish, total slack, and the critical nodes (no slack) in
  the order they run. Linear in nodes plus edges: 5,000 tasks with 10,000
  links take a few milliseconds (`benchmarks/scenario_critical_path.py`).
- `simulate_finish` draws every node's duration (its plan times a factor) for
  each trial and runs the forward pass on whole arrays of trials at once, so
  a trial's finish is the longest chain *in that trial*: a slip on a chain
  with slack changes nothing until the slack is used up.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

EPSILON = 1e-9
Edge = tuple[int, int, float]  # (before, after, lag in working days)


class CycleError(ValueError):
    """The edges contain a cycle; `path` lists it, first node repeated at the end."""

    def __init__(self, path: list[int]):
        super().__init__(" -> ".join(map(str, path)))
        self.path = path


def _adjacency(n: int, edges: Sequence[Edge]) -> tuple[list[list[tuple[int, float]]], list[int]]:
    succ: list[list[tuple[int, float]]] = [[] for _ in range(n)]
    indegree = [0] * n
    for before, after, lag in edges:
        succ[before].append((after, lag))
        indegree[after] += 1
    return succ, indegree


def path_between(n: int, edges: Sequence[Edge], start: int, goal: int) -> list[int] | None:
    """A chain of edges from `start` to `goal` (both included), or None."""
    succ, _ = _adjacency(n, edges)
    came: dict[int, int] = {start: start}
    queue = deque([start])
    while queue:
        u = queue.popleft()
        if u == goal:
            path = [u]
            while path[-1] != start:
                path.append(came[path[-1]])
            return path[::-1]
        for v, _ in succ[u]:
            if v not in came:
                came[v] = u
                queue.append(v)
    return None


def topological_order(n: int, edges: Sequence[Edge]) -> list[int]:
    """Nodes so that every edge points forward; `CycleError` names a cycle."""
    return _order(n, *_adjacency(n, edges))


def _order(n: int, succ: list[list[tuple[int, float]]], indegree: list[int]) -> list[int]:
    indegree = list(indegree)
    order = [i for i in range(n) if indegree[i] == 0]
    for u in order:  # grows while it is walked: Kahn's algorithm without a queue object
        for v, _ in succ[u]:
            indegree[v] -= 1
            if indegree[v] == 0:
                order.append(v)
    if len(order) < n:
        raise CycleError(_a_cycle(n, succ, {i for i in range(n) if indegree[i] > 0}))
    return order


def _a_cycle(n: int, succ: list[list[tuple[int, float]]], left: set[int]) -> list[int]:
    """Walk from a node that is left over (every one has a predecessor left) back
    until a node repeats: that loop, in edge order."""
    pred = {v: u for u in left for v, _ in succ[u] if v in left}
    node, seen = next(iter(sorted(left))), []
    while node not in seen:
        seen.append(node)
        node = pred[node]
    loop = seen[seen.index(node):][::-1]
    return [*loop, loop[0]]


@dataclass
class Pass:
    """The forward and backward pass: per node, in working days from now."""

    order: list[int]
    early_start: list[float]
    early_finish: list[float]
    late_start: list[float]
    late_finish: list[float]
    finish: float  # the latest early finish: when everything is done

    def slack(self, i: int) -> float:
        return max(self.late_start[i] - self.early_start[i], 0.0)

    def critical(self, i: int) -> bool:
        return self.late_start[i] - self.early_start[i] <= 1e-6

    def critical_nodes(self) -> list[int]:
        """Nodes without slack, in the order they run."""
        return sorted((i for i in self.order if self.critical(i)),
                      key=lambda i: (self.early_start[i], self.early_finish[i], i))


def critical_path(durations: Sequence[float], edges: Sequence[Edge],
                  release: Sequence[float] | None = None) -> Pass:
    """CPM over `durations` (working days) and `edges`; `release` is the earliest
    a node may start (default 0, now). Raises `CycleError` on a cycle."""
    n = len(durations)
    succ, indegree = _adjacency(n, edges)
    order = _order(n, succ, indegree)
    es = list(release) if release is not None else [0.0] * n
    ef = [0.0] * n
    for u in order:
        ef[u] = f = es[u] + durations[u]
        for v, lag in succ[u]:
            if f + lag > es[v]:
                es[v] = f + lag
    finish = max(ef, default=0.0)
    lf = [finish] * n
    ls = [0.0] * n
    for u in reversed(order):
        late = lf[u]
        for v, lag in succ[u]:
            if ls[v] - lag < late:
                late = ls[v] - lag
        lf[u] = late
        ls[u] = late - durations[u]
    return Pass(order=order, early_start=es, early_finish=ef, late_start=ls, late_finish=lf, finish=finish)


# --- Monte Carlo along the network ----------------------------------------------------

# Each duration is its plan times a factor drawn from a triangular spread:
# at best 10% quicker, most likely as planned, at worst 80% longer (estimates
# run late more often and by more than they run early).
LOW, MODE, HIGH = 0.9, 1.0, 1.8
MAX_CELLS = 3_000_000  # nodes x trials held at once (24 MB of float64)


def trials_for(n: int, wanted: int) -> int:
    """As many of the `wanted` trials as fit `MAX_CELLS` for `n` nodes (at least 200)."""
    return max(200, min(wanted, MAX_CELLS // max(n, 1)))


def simulate_finish(durations: Sequence[float], edges: Sequence[Edge], *, trials: int, seed: int,
                    release: Sequence[float] | None = None,
                    factors: Sequence[float] | None = None) -> np.ndarray:
    """Each trial's finish (working days from now) with every duration drawn at
    random: its plan times a triangular factor, or times a factor drawn from
    `factors` (past actual/planned ratios) when given."""
    import numpy as np

    n = len(durations)
    rng = np.random.default_rng(seed)
    if not n:
        return np.zeros(trials)
    plan = np.asarray(durations, dtype=np.float64)
    if factors is not None and len(factors):
        draw = np.asarray(factors, dtype=np.float64)[rng.integers(0, len(factors), size=(n, trials))]
    else:
        draw = rng.triangular(LOW, MODE, HIGH, size=(n, trials))
    order = topological_order(n, edges)
    preds: list[list[tuple[int, float]]] = [[] for _ in range(n)]
    for before, after, lag in edges:
        preds[after].append((before, lag))
    start0 = np.asarray(release, dtype=np.float64) if release is not None else np.zeros(n)
    finish = np.empty((n, trials))
    for v in order:
        start = np.full(trials, start0[v])
        for u, lag in preds[v]:
            np.maximum(start, finish[u] + lag, out=start)
        finish[v] = start + plan[v] * draw[v]
    return finish.max(axis=0)
