"""The dependency network as numbers: order, cycles, the critical path and
the Monte Carlo along it."""

from __future__ import annotations

import numpy as np
import pytest

from bot.domain.network import (
    CycleError,
    critical_path,
    path_between,
    simulate_finish,
    topological_order,
)


def test_a_chain_and_a_branch_with_slack():
    # 0 -> 1 -> 2 (2 + 3 + 1 days, lag 2 before 2), and 3 -> 4 (1 + 2 days) beside them
    p = critical_path([2, 3, 1, 1, 2], [(0, 1, 0), (1, 2, 2), (3, 4, 0)])
    assert p.finish == 8
    assert p.critical_nodes() == [0, 1, 2]
    assert (p.early_start[2], p.early_finish[2]) == (7, 8)
    assert p.slack(3) == p.slack(4) == 5
    assert not p.critical(4)


def test_release_delays_a_start_and_join_waits_for_the_latest():
    p = critical_path([1, 4, 1], [(0, 2, 0), (1, 2, 0)], release=[3, 0, 0])
    assert p.early_start[2] == 4 and p.finish == 5
    assert p.critical_nodes() == [1, 0, 2] or set(p.critical_nodes()) == {0, 1, 2}


def test_a_cycle_is_named_in_edge_order():
    with pytest.raises(CycleError) as caught:
        topological_order(4, [(0, 1, 0), (1, 2, 0), (2, 1, 0), (2, 3, 0)])
    path = caught.value.path
    assert path[0] == path[-1] and set(path) == {1, 2}
    assert path_between(4, [(0, 1, 0), (1, 2, 0)], 0, 2) == [0, 1, 2]
    assert path_between(4, [(0, 1, 0), (1, 2, 0)], 2, 0) is None


def test_the_simulated_finish_moves_with_the_critical_chain_only():
    durations = [5, 5, 5, 2, 2]
    edges = [(0, 1, 0), (1, 2, 0), (3, 4, 0)]
    base = simulate_finish(durations, edges, trials=2000, seed=1)
    slack_slip = simulate_finish([5, 5, 5, 2, 6], edges, trials=2000, seed=1)
    critical_slip = simulate_finish([5, 9, 5, 2, 2], edges, trials=2000, seed=1)
    assert np.array_equal(base, slack_slip)  # 4 more days on a chain with 11 of slack: nothing moves
    assert np.percentile(critical_slip, 85) > np.percentile(base, 85) + 3
    assert base.min() >= 15 * 0.9 and base.max() <= 15 * 1.8 + 1e-9


def test_five_thousand_tasks_give_a_path_from_day_zero_to_the_finish():
    import random

    rnd = random.Random(5)
    n = 5000
    edges = []
    for _ in range(10_000):
        a, b = sorted(rnd.sample(range(n), 2))
        edges.append((a, b, 0.0))
    p = critical_path([rnd.uniform(0.5, 5) for _ in range(n)], edges)  # speed: benchmarks/
    crit = p.critical_nodes()
    assert p.early_start[crit[0]] == 0 and abs(p.early_finish[crit[-1]] - p.finish) < 1e-9
    assert p.finish == max(p.early_finish)
