"""A large extract: 200,000 referrals, 20,000 open cases and 500 staff imported, against
reading the same CSVs with pandas alone. Target (issue 17): under 10 s and under 1 GB.

The extract is made up here (random dates over five years, ISO and dd/mm/yyyy mixed, a
name column to drop); the figures are the import's wall time, the process's peak memory
(max RSS, making the files included) and the ratio to ``pandas.read_csv`` of the files.

    python benchmarks/bench_import_size.py [--referrals 200000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from workload_sim.data.importer import import_extract

AS_OF = dt.date(2025, 3, 31)


def make(folder: Path, n: int, staff: int = 500, open_cases: int = 20_000) -> None:
    rng = np.random.default_rng(1)
    start = np.datetime64("2020-04-01")
    received = start + rng.integers(0, 1825, n).astype("timedelta64[D]")
    outcome = rng.choice(["s42_enquiry", "no_further_action", "signpost"], n, p=[0.3, 0.5, 0.2])
    opened = outcome == "s42_enquiry"
    allocated = np.where(
        opened, received + rng.integers(0, 10, n).astype("timedelta64[D]"), np.datetime64("NaT")
    )
    closed = np.where(
        opened, allocated + rng.integers(5, 90, n).astype("timedelta64[D]"), np.datetime64("NaT")
    )
    uk = pd.Series(received).dt.strftime("%d/%m/%Y")
    text = pd.Series(received.astype(str)).where(np.arange(n) % 2 == 0, uk)
    pd.DataFrame(
        {
            "referral_id": [f"R{i}" for i in range(n)],
            "received": text,
            "triage_date": received.astype(str),
            "outcome": outcome,
            "urgency": rng.choice(["urgent", "high", "standard"], n),
            "allocated": pd.Series(allocated).dt.strftime("%Y-%m-%d").fillna(""),
            "worker_id": np.where(opened, [f"W{i}" for i in rng.integers(0, staff, n)], ""),
            "stage_start": pd.Series(allocated).dt.strftime("%Y-%m-%d").fillna(""),
            "stage_end": pd.Series(closed).dt.strftime("%Y-%m-%d").fillna(""),
            "closed": pd.Series(closed).dt.strftime("%Y-%m-%d").fillna(""),
            "client_name": "someone",
        }
    ).to_csv(folder / "referrals.csv", index=False)
    pd.DataFrame(
        {
            "case_id": [f"C{i}" for i in range(open_cases)],
            "referral_date": (
                np.datetime64("2025-01-01")
                + rng.integers(0, 89, open_cases).astype("timedelta64[D]")
            ).astype(str),
            "stage": rng.choice(["visit", "strategy_discussion", ""], open_cases),
            "worker_id": [f"W{i}" if i % 5 else "" for i in rng.integers(0, staff, open_cases)],
        }
    ).to_csv(folder / "open_cases.csv", index=False)
    pd.DataFrame(
        {
            "worker_id": [f"W{i}" for i in range(staff)],
            "role": rng.choice(
                ["experienced", "newly_qualified", "agency"], staff, p=[0.8, 0.1, 0.1]
            ),
            "fte": 1.0,
            "start_date": "2018-01-01",
            "sickness_days_12m": rng.integers(0, 30, staff),
        }
    ).to_csv(folder / "staff.csv", index=False)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--referrals", type=int, default=200_000)
    n = parser.parse_args().referrals
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make(folder, n)
        t = time.perf_counter()
        for name in ("referrals", "open_cases", "staff"):
            pd.read_csv(folder / f"{name}.csv", dtype=str)
        plain = time.perf_counter() - t
        t = time.perf_counter()
        imp = import_extract(folder, AS_OF)
        took = time.perf_counter() - t
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"{n:,} referrals, {len(imp.scenario['start_state']['cases']):,} open cases, 500 staff")
    print(
        f"import {took:.1f} s (pandas alone {plain:.2f} s: x{took / plain:.1f}); "
        f"peak process memory {peak:,.0f} MiB; {len(imp.extract.problems):,} problems"
    )


if __name__ == "__main__":
    main()
