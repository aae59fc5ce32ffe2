"""A sweep of the default scenario: serial vs process pool vs Dask LocalCluster.

The researcher's sweep (issue 4): referral rate x agency headcount x sickness
rate, Latin hypercube, 200 points x 10 replications of the default scenario,
timed on each backend in the same run and printed as ratios against serial.
Target: the process pool at least 1.7x serial on 2 cores. Every backend must
give the same rows (checked).

    python benchmarks/bench_sweep.py [--points 200] [--reps 10] [--workers N]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import pandas as pd

from workload_sim.experiments.backends import make_backend
from workload_sim.experiments.replications import execute
from workload_sim.experiments.sweep import load_sweep
from workload_sim.experiments.tasks import Task

ROOT = Path(__file__).resolve().parents[1]
SWEEP = """name: bench
base: {base}
design: lhs
points: {points}
reps: {reps}
fields:
  demand.referrals_per_week: {{low: 20, high: 36}}
  team.agency: {{low: 0, high: 3}}
  absence.sickness_days: {{low: 5, high: 20}}
"""


def timed(backend_name: str, tasks: list[Task], workers: int | None) -> tuple[float, pd.DataFrame]:
    with make_backend(backend_name, workers) as backend:
        started = time.perf_counter()
        done, failed = execute(tasks, backend)
        seconds = time.perf_counter() - started
    assert not failed, failed[:3]
    rows = pd.DataFrame([{"point": r.point, "rep": r.rep, **r.metrics} for r in done])
    return seconds, rows.sort_values(["point", "rep"]).reset_index(drop=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=200)
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--workers", type=int, default=None, help="default: all cores")
    ap.add_argument("--skip-serial", action="store_true", help="for many-core machines")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sweep.yaml"
        base = ROOT / "scenarios" / "adult_safeguarding_team.yaml"
        path.write_text(SWEEP.format(base=base, points=args.points, reps=args.reps))
        sweep = load_sweep(path)
    tasks = [
        Task(sc, p, r, sweep.seed, tables=())
        for p, sc in enumerate(sweep.scenarios)
        for r in range(args.reps)
    ]
    cores = os.cpu_count()
    workers = args.workers or cores
    print(
        f"{args.points} points x {args.reps} reps = {len(tasks)} replication-years of the "
        f"default scenario; {cores} cores, {workers} workers"
    )
    results = {}
    for name in ("serial", "process", "dask"):
        if name == "serial" and args.skip_serial:
            continue
        seconds, rows = timed(name, tasks, None if name == "serial" else workers)
        results[name] = (seconds, rows)
        print(f"  {name:8s} {seconds:8.1f} s  {len(tasks) / seconds:7.1f} replications/s")
    names = list(results)
    for other in names[1:]:
        pd.testing.assert_frame_equal(results[names[0]][1], results[other][1], check_exact=True)
    print("  every backend gave identical rows")
    if "serial" in results:
        serial = results["serial"][0]
        for name in ("process", "dask"):
            print(
                f"{name} / serial speed-up = {serial / results[name][0]:.2f}x"
                + ("  (target >= 1.7x on 2 cores)" if name == "process" else "")
            )
    else:
        print(f"dask / process = {results['process'][0] / results['dask'][0]:.2f}x")


if __name__ == "__main__":
    main()
