"""A sweep of the default scenario: serial vs process pool vs Dask LocalCluster.

The researcher's sweep (issue 4): referral rate x agency headcount x sickness
rate, Latin hypercube, 200 points x 10 replications of the default scenario,
timed on each backend in the same run and printed as ratios against serial.
Target: the process pool at least 1.7x serial on 2 cores. Every backend must
give the same rows (checked).

    python benchmarks/bench_sweep.py [--points 200] [--reps 10] [--workers N]

``--scaling`` measures instead the efficiency per core of the sweep on one backend (Dask by
default: the cluster path) at 1, 2, 4, ... workers up to the cores this machine has:
efficiency(n) = time(1 worker) / (n x time(n workers)); 1.0 is perfect scaling. The rows
must be identical at every worker count (checked). On a machine shared with other work the
figure is a lower bound; the load average is printed beside it.

    python benchmarks/bench_sweep.py --scaling [--scaling-backend dask|process]
        [--points 200] [--reps 1] [--days N] [--max-workers N] [--repeats 2]
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
    rows.attrs["task_seconds"] = sum(r.seconds for r in done)  # time inside the tasks
    return seconds, rows.sort_values(["point", "rep"]).reset_index(drop=True)


def sweep_tasks(points: int, reps: int, days: int | None = None) -> list[Task]:
    """The benchmark's Latin hypercube sweep as tasks (``days``: a shorter horizon)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sweep.yaml"
        base = ROOT / "scenarios" / "adult_safeguarding_team.yaml"
        text = SWEEP.format(base=base, points=points, reps=reps)
        if days is not None:
            text += f"set: [horizon_days={days}]\n"
        path.write_text(text)
        sweep = load_sweep(path)
    return [
        Task(sc, p, r, sweep.seed, tables=())
        for p, sc in enumerate(sweep.scenarios)
        for r in range(reps)
    ]


def worker_counts(cores: int, most: int | None = None) -> list[int]:
    """1, 2, 4, ... up to the cores (or ``most``), and the cores themselves."""
    top = min(cores, most or cores)
    counts = [1]
    while counts[-1] * 2 <= top:
        counts.append(counts[-1] * 2)
    return counts if counts[-1] == top else [*counts, top]


def scaling(args) -> None:
    """Efficiency per core at 1, 2, 4, ... workers, each timed ``--repeats`` times in turn
    (1, 2, 4, 1, 2, 4, ...) and the fastest kept, so that load from other work on the
    machine, which comes and goes, touches every worker count alike. Beside it, the busy
    share: the time the workers spent inside tasks over n x the wall time (1.0: no time
    lost to the scheduler, shipping or waiting), which other load disturbs much less."""
    tasks = sweep_tasks(args.points, args.reps, args.days)
    cores = os.cpu_count() or 1
    counts = worker_counts(cores, args.max_workers)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"{args.points} points x {args.reps} reps = {len(tasks)} replications of the default "
        f"scenario ({args.days or 'its'} days); {args.scaling_backend} backend; {cores} cores; "
        f"best of {args.repeats}; load average {load:.1f} at the start"
    )
    best: dict[int, tuple[float, float]] = {}
    first_rows = None
    for _ in range(args.repeats):
        for n in counts:
            seconds, rows = timed(args.scaling_backend, tasks, n)
            if first_rows is None:
                first_rows = rows
            else:
                pd.testing.assert_frame_equal(first_rows, rows, check_exact=True)
            busy = rows.attrs["task_seconds"] / (n * seconds)
            print(f"    {n} worker(s): {seconds:.1f} s (busy share {busy:.2f})", flush=True)
            if n not in best or seconds < best[n][0]:
                best[n] = (seconds, busy)
    print(
        f"  {'workers':>7s} {'seconds':>8s} {'reps/s':>7s} {'speed-up':>8s} {'eff/core':>8s}"
        f" {'busy':>5s}"
    )
    one = best[1][0]
    for n in counts:
        seconds, busy = best[n]
        speed = one / seconds
        print(
            f"  {n:7d} {seconds:8.1f} {len(tasks) / seconds:7.2f} {speed:8.2f} {speed / n:8.2f}"
            f" {busy:5.2f}"
        )
    after = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"  identical rows at every worker count; load average {after:.1f} at the end")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=200)
    ap.add_argument("--reps", type=int, default=None, help="default: 10 (1 with --scaling)")
    ap.add_argument("--days", type=int, default=None, help="a shorter horizon (working days)")
    ap.add_argument("--workers", type=int, default=None, help="default: all cores")
    ap.add_argument("--skip-serial", action="store_true", help="for many-core machines")
    ap.add_argument("--scaling", action="store_true", help="efficiency per core, 1..N workers")
    ap.add_argument("--scaling-backend", choices=("dask", "process"), default="dask")
    ap.add_argument("--max-workers", type=int, default=None, help="with --scaling")
    ap.add_argument("--repeats", type=int, default=2, help="with --scaling: best of N")
    args = ap.parse_args()
    if args.scaling:
        args.reps = args.reps or 1
        scaling(args)
        return
    args.reps = args.reps or 10
    tasks = sweep_tasks(args.points, args.reps, args.days)
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
