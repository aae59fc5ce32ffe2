"""The default scenario: time per replication-year, and memory across many replications.

Targets (issue 3): one simulated year of the default scenario, one replication,
under 0.5 s on one core; memory that does not grow with the number of
replications run in one process. The baseline measured in the same run is the
same scenario with every people mechanism switched off (no absence, turnover,
cover, NAAS), so the ratio is what the social-work domain costs.

    python benchmarks/bench_default.py [--reps 60]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
import tracemalloc
from pathlib import Path

from workload_sim.experiments.replication import simulate_replication
from workload_sim.scenario.loading import load_scenario

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "scenarios" / "adult_safeguarding_team.yaml"
OFF = [
    "absence.sickness_days=0",
    "absence.annual_leave_days=0",
    "workforce.permanent.leaving_rate_per_year=0",
    "workforce.newly_qualified.leaving_rate_per_year=0",
]


def year_times(overrides: list[str], repeats: int) -> list[float]:
    sc = load_scenario(DEFAULT, ["horizon_days=253", *overrides])
    times = []
    for rep in range(repeats):
        t = time.perf_counter()
        simulate_replication(sc, rep, sc.seed)
        times.append(time.perf_counter() - t)
    return times


def memory_by_rep(reps: int) -> tuple[list[float], float]:
    """Traced memory (MiB) held after each replication, its tables thrown away."""
    sc = load_scenario(DEFAULT)
    tracemalloc.start()
    held = []
    for rep in range(reps):
        simulate_replication(sc, rep, sc.seed)
        gc.collect()
        held.append(tracemalloc.get_traced_memory()[0] / 2**20)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return held, peak


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=60)
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    full = year_times([], args.repeats)
    base = year_times(OFF, args.repeats)
    print(f"default scenario, 1 replication x (253 + 60 warm-up) working days, {args.repeats} reps")
    print(
        f"  with every mechanism  median {statistics.median(full):.3f} s  best {min(full):.3f} s"
        "  (target < 0.5 s)"
    )
    print(f"  people mechanisms off median {statistics.median(base):.3f} s  best {min(base):.3f} s")
    print(f"  ratio (full / off)    {statistics.median(full) / statistics.median(base):.2f}x")
    held, peak = memory_by_rep(args.reps)
    early, late = held[9], held[-1]
    per_rep_kib = (late - early) * 1024 / (args.reps - 10)
    print(
        f"memory held between replications: {early:.3f} MiB after rep 10, {late:.3f} MiB after"
        f" rep {args.reps} ({per_rep_kib:+.2f} KiB per replication); peak during one"
        f" replication {peak:.1f} MiB"
    )


if __name__ == "__main__":
    main()
