"""Speed targets (issue 19), each as a ratio to plain SimPy measured in the same run.

1. One replication-year of the default adult team (scenarios/adult_safeguarding_team.yaml,
   ``horizon_days=253``: build, run, tables and metrics, as ``simulate_replication``)
   takes at most 0.1 s on CI's machine, where plain SimPy runs the M/M/5 benchmark at
   75,000 customers/s. As a ratio that holds on any machine: one replication-year
   costs at most as much time as plain SimPy takes for 7,500 M/M/5 customers.
2. The engine with its event log (``Simulation(...).run()`` on
   scenarios/validation/mmc.yaml) serves M/M/5 customers at >= 0.9x plain SimPy's rate.

Both sides are timed in this process, in turns (a slow spell on a shared machine hits
them alike), as CPU time of this process (``time.process_time``): other sessions on a
shared machine then cost neither side. The best of ``--repeats`` is kept for each.

    python benchmarks/bench_speed.py [--repeats 7] [--check]

``--check`` exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from bench_mmc import engine, plain_simpy

from workload_sim.experiments.replication import simulate_replication
from workload_sim.scenario.loading import load_scenario

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "scenarios" / "adult_safeguarding_team.yaml"
CUSTOMERS = 20_000  # per timing of each M/M/5 model: ~0.25 s of plain SimPy

# the targets, as ratios
YEAR_IN_PLAIN_CUSTOMERS = 7_500  # 0.1 s x 75,000 customers/s (CI's machine)
ENGINE_VS_PLAIN = 0.9


def best_times(repeats: int) -> dict[str, float]:
    sc = load_scenario(DEFAULT, ["horizon_days=253"])
    jobs = {
        "plain": lambda k: plain_simpy(CUSTOMERS, 100 + k),
        "engine": lambda k: engine(CUSTOMERS, 100 + k),
        "year": lambda k: simulate_replication(sc, k, sc.seed),
    }
    for job in jobs.values():  # warm: imports, caches, the first allocation of arenas
        job(0)
    best = dict.fromkeys(jobs, float("inf"))
    for k in range(repeats):
        for name, job in jobs.items():
            t = time.process_time()
            job(k)
            best[name] = min(best[name], time.process_time() - t)
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    args = ap.parse_args()
    best = best_times(args.repeats)
    plain_rate = CUSTOMERS / best["plain"]
    engine_rate = CUSTOMERS / best["engine"]
    year_in_plain = best["year"] * plain_rate
    engine_ratio = engine_rate / plain_rate
    print(f"CPU time, best of {args.repeats}")
    print(f"  plain SimPy M/M/5      {plain_rate:10,.0f} customers/s")
    print(f"  engine + event log     {engine_rate:10,.0f} customers/s")
    print(
        f"  replication-year       {best['year']:10.3f} s"
        f"   ({best['year'] * 75_000 / plain_rate:.3f} s at CI's 75,000 customers/s)"
    )
    ok_year = year_in_plain <= YEAR_IN_PLAIN_CUSTOMERS
    ok_engine = engine_ratio >= ENGINE_VS_PLAIN
    print(
        f"replication-year = {year_in_plain:,.0f} plain-SimPy customers"
        f" (target <= {YEAR_IN_PLAIN_CUSTOMERS:,}): {'met' if ok_year else 'MISSED'}"
    )
    print(
        f"engine / plain SimPy = {engine_ratio:.2f}x"
        f" (target >= {ENGINE_VS_PLAIN}): {'met' if ok_engine else 'MISSED'}"
    )
    return 0 if (ok_year and ok_engine) or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
