"""Cost per worker-year as the team grows: 30 workers vs 300, demand in proportion.

Both teams are the default adult safeguarding team scaled up: the same mix of
experienced and newly qualified workers (9:1) and the same referrals per worker
(28 a week for 10 workers), one year after the warm-up. If every event costs the
same whatever the team size, the cost per worker-year is flat; a ratio well above
1 means something scans the whole team on every event. Target (issue 8): the
300-worker team costs <= 1.3x per worker-year what the 30-worker team does.

The simulation (``Simulation(...).run()``) and the building of the tables from it
are timed apart. The sizes take turns in each round and the best of N rounds is
kept, so a slow spell on a shared machine hits both sizes alike. Times are CPU
seconds of this process (``time.process_time``): on a machine shared with other
jobs, wall-clock time also counts the waits for a free core (``--wall`` for it).

    python benchmarks/bench_team_size.py [--repeats 5] [--sizes 30 300] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time
from pathlib import Path

from workload_sim.model.simulation import Simulation, cyclic_gc_paused
from workload_sim.records import tables_of
from workload_sim.scenario import Scenario
from workload_sim.scenario.loading import load_scenario

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "scenarios" / "adult_safeguarding_team.yaml"


def team_of(size: int, extra: list[str] | None = None) -> Scenario:
    """The default team scaled to ``size`` workers, referrals in proportion."""
    base = load_scenario(DEFAULT)
    workers = base.team.permanent + base.team.newly_qualified + base.team.agency
    if size % workers:
        raise SystemExit(f"--sizes: {size} is not a multiple of the default team ({workers})")
    k = size // workers
    return load_scenario(
        DEFAULT,
        [
            "horizon_days=253",
            f"team.permanent={base.team.permanent * k}",
            f"team.newly_qualified={base.team.newly_qualified * k}",
            f"team.agency={base.team.agency * k}",
            f"demand.referrals_per_week={base.demand.referrals_per_week * k!r}",
            *(extra or []),
        ],
    )


CLOCK = time.process_time


def one_run(sc: Scenario, rep: int) -> tuple[float, float]:
    """Seconds to simulate one replication, and seconds to build its tables."""
    with cyclic_gc_paused():  # as experiments.replication.simulate_replication does
        t0 = CLOCK()
        sim = Simulation(sc, rep=rep, seed=sc.seed).run()
        t1 = CLOCK()
        tables_of(sim)
        t2 = CLOCK()
    return t1 - t0, t2 - t1


def measure(sizes: list[int], repeats: int, extra: list[str]) -> dict[int, tuple[float, float]]:
    """Best (simulation, tables) seconds per size over ``repeats`` interleaved rounds."""
    scenarios = {n: team_of(n, extra) for n in sizes}
    best = {n: (float("inf"), float("inf")) for n in sizes}
    for rep in range(repeats):
        for n in sizes:
            sim_s, tab_s = one_run(scenarios[n], rep % 3)
            best[n] = (min(best[n][0], sim_s), min(best[n][1], tab_s))
    return best


def profile(size: int, extra: list[str], top: int) -> None:
    sc = team_of(size, extra)
    prof = cProfile.Profile()
    prof.enable()
    sim = Simulation(sc, rep=0, seed=sc.seed).run()
    prof.disable()
    print(f"\nprofile of the simulation of {size} workers ({len(sim.cases)} referrals):")
    pstats.Stats(prof).sort_stats("tottime").print_stats(top)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs=2, default=[30, 300], metavar=("SMALL", "LARGE"))
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--set", action="append", default=[], help="extra override, as run --set")
    ap.add_argument("--profile", action="store_true", help="cProfile the large team's run")
    ap.add_argument("--wall", action="store_true", help="wall-clock time instead of CPU time")
    args = ap.parse_args()
    if args.wall:
        global CLOCK
        CLOCK = time.perf_counter
    small, large = args.sizes
    best = measure([small, large], args.repeats, args.set)
    clock = "wall-clock" if args.wall else "CPU"
    print(
        f"default team scaled, one replication-year, {clock} seconds,"
        f" best of {args.repeats} interleaved rounds"
    )
    for n in (small, large):
        sim_s, tab_s = best[n]
        total = sim_s + tab_s
        print(
            f"  {n:4d} workers  simulation {sim_s:7.3f} s  tables {tab_s:7.3f} s"
            f"  ({tab_s / total:4.0%} of the total)  per worker-year {1000 * total / n:6.2f} ms"
            f"  (simulation alone {1000 * sim_s / n:6.2f} ms)"
        )
    sim_ratio = (best[large][0] / large) / (best[small][0] / small)
    all_ratio = (sum(best[large]) / large) / (sum(best[small]) / small)
    print(f"per worker-year, {large} vs {small}: simulation {sim_ratio:.2f}x (target <= 1.3)")
    print(f"                                    simulation + tables {all_ratio:.2f}x")
    if args.profile:
        profile(large, args.set, 25)


if __name__ == "__main__":
    main()
