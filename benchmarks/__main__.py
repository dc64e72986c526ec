"""Run the benchmarks, print one table, write benchmarks/results.json.

    python -m benchmarks                 # everything (under 10 minutes on 2 cores)
    python -m benchmarks --only queries  # one scenario
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

SCENARIOS = {
    "status": "benchmarks.scenario_status",
    "queries": "benchmarks.scenario_queries",
    "overhead": "benchmarks.scenario_overhead",
    "fanout": "benchmarks.scenario_fanout",
    "scheduler": "benchmarks.scenario_scheduler",
    "memory": "benchmarks.scenario_memory",
    "critical_path": "benchmarks.scenario_critical_path",
}
RESULTS = Path(__file__).parent / "results.json"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--only", nargs="*", choices=sorted(SCENARIOS), help="scenarios to run")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    names = args.only or list(SCENARIOS)
    dbs = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    results, started = [], time.perf_counter()
    for name in names:
        module = importlib.import_module(SCENARIOS[name])
        t0 = time.perf_counter()
        if getattr(module, "PER_DATABASE", True):
            for db in dbs:
                results.extend(module.run(db))
        else:
            results.extend(module.run())
        print(f"[{name}] {time.perf_counter() - t0:.1f}s", flush=True)
    elapsed = time.perf_counter() - started
    print()
    print(f"{'scenario':<22} {'metric':<48} {'value':>12}  {'target':<34} met")
    for r in results:
        met = {True: "yes", False: "NO", None: "-"}[r.met]
        print(f"{r.scenario:<22} {r.metric:<48} {r.value:>10.2f} {r.unit:<4} {r.target:<34} {met}")
        if r.note:
            print(f"{'':<22}   {r.note}")
    machine = {"cpus": os.cpu_count(), "python": platform.python_version(),
               "platform": platform.platform(), "date": datetime.now(UTC).isoformat(timespec="seconds")}
    RESULTS.write_text(json.dumps({"machine": machine, "seconds": round(elapsed, 1),
                                   "results": [asdict(r) for r in results]}, indent=2))
    print(f"\n{len(results)} results in {elapsed:.0f}s, written to {RESULTS}")


if __name__ == "__main__":
    main()
