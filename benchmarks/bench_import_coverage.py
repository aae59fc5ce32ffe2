"""Round trip over many synthetic histories: do the import's intervals cover the truth?

Each history is one replication of the default scenario (seed 1..N, no warm-up) run for 330
working days, exported as at 2027-03-31 (a year in) and imported. The truth is known from
the generating parameters (the referral rate grown to the date, the open_case and urgent
shares) or, for the enquiry duration's median, from 20 other replications of the model
(and, second, from the same enquiries followed to their end in the run, 77 working days
past the date: the import sees the open ones only as censored; its interval is for the
model's median, so it covers its own sample's median more often than its level says), and
for sickness and leaving from the same 20 replications' workers (as the model produces
them, pressure included). A 90%
interval should cover the truth in about 90% of histories (binomial noise: with 50
histories, 80-97%), a 95% one in about 95%. Also printed: the import's own time.

    python benchmarks/bench_import_coverage.py [--histories 50]
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from typer.testing import CliRunner

from workload_sim.cli import app
from workload_sim.data.fits import holidays_between, working_days
from workload_sim.data.importer import import_extract

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "scenarios" / "adult_safeguarding_team.yaml"
AS_OF, START = dt.date(2027, 3, 31), dt.date(2026, 4, 1)
LEVELS = (0.90, 0.95)


def enquiry_days(run: Path) -> np.ndarray:
    """Working days from allocation to enquiry done, for the enquiries allocated by the date
    and done by the end of the run, every replication of ``run``."""
    cases = pd.read_parquet(run / "cases.parquet")
    series = pd.read_parquet(run / "timeseries.parquet")
    dates = series.loc[series["rep"] == series["rep"].min(), "date"].to_numpy("datetime64[D]")
    cut = np.searchsorted(dates, np.datetime64(AS_OF, "D"), side="right")
    cohort = cases[
        ~cases["warm_start"]
        & (cases["allocated_at"] < cut)
        & cases["triage_outcome"].eq("open_case")
        & cases["enquiry_done_at"].notna()
    ]
    a = dates[np.floor(cohort["allocated_at"]).astype(int)]
    b = dates[np.minimum(np.floor(cohort["enquiry_done_at"]).astype(int), len(dates) - 1)]
    return working_days(a, b, holidays_between(START, dt.date(2028, 1, 1)))


def population(here: Path, reps: int = 20) -> dict[str, float]:
    """The model's own values over many replications (seeds not used for the histories):
    the median enquiry duration, sickness days per FTE-year and council staff leaving per
    person-year, as the model produces them (pressure included)."""
    run = here / "population"
    args = ["run", str(DEFAULT), "--reps", str(reps), "--out", str(run), "-q", "--seed", "999"]
    args += ["--set", "warmup_days=0", "--set", "horizon_days=330"]
    assert CliRunner().invoke(app, args).exit_code == 0
    w = pd.read_parquet(run / "workers.parquet")
    end = w["left_at"].fillna(330.0).clip(upper=330.0)
    years = (end - w["joined_at"]).clip(lower=0) / 253.0  # working days in a year
    council = w["kind"].isin(["permanent", "newly_qualified"])
    left = council & w["left_at"].notna() & ~w["leave_reason"].fillna("").str.contains("assign")
    return {
        "enquiry": float(np.median(enquiry_days(run))),
        "sickness": float(w["sick_days"].sum() / (w["fte"] * years).sum()),
        "leaving": float(left.sum() / years[council].sum()),
    }


def one(seed: int, here: Path, truth: dict[str, float]) -> dict:
    run, extract = here / f"run{seed}", here / f"x{seed}"
    args = ["run", str(DEFAULT), "--reps", "1", "--trace", "--out", str(run), "-q"]
    args += ["--seed", str(seed), "--set", "warmup_days=0", "--set", "horizon_days=330"]
    assert CliRunner().invoke(app, args).exit_code == 0
    args = ["export", str(run), "--out", str(extract), "--as-of", str(AS_OF)]
    assert CliRunner().invoke(app, args).exit_code == 0
    t = time.perf_counter()
    imports = {level: import_extract(extract, AS_OF, level=level) for level in LEVELS}
    took = (time.perf_counter() - t) / len(LEVELS)
    sc = yaml.safe_load(DEFAULT.read_text())
    years = (AS_OF - START).days / 365.25
    rate = sc["demand"]["referrals_per_week"] * (1 + sc["demand"]["annual_growth"]) ** years
    full = float(np.median(enquiry_days(run)))
    row = {"seconds": took}
    for level, imp in imports.items():
        enquiry = next(d for d in imp.durations if d.name.startswith("enquiry"))
        share, urgent = imp.shares["triage.open_case"], imp.shares["triage.urgency.urgent.share"]
        lo, hi = imp.arrivals.per_week_ci
        row[("referrals_per_week", level)] = lo <= rate <= hi
        row[("open_case share", level)] = share.ci[0] <= sc["triage"]["open_case"] <= share.ci[1]
        row[("urgent share", level)] = urgent.ci[0] <= 0.15 <= urgent.ci[1]
        row[("enquiry median (censored)", level)] = (
            enquiry.median_ci[0] <= truth["enquiry"] <= enquiry.median_ci[1]
        )
        for key, name in (
            ("sickness", "absence.sickness_days"),
            ("leaving", "workforce.permanent.leaving_rate_per_year"),
        ):
            r = imp.rates[name].ci
            row[(f"{key} (model's own)", level)] = r[0] <= truth[key] <= r[1]
        row[("  same enquiries followed up", level)] = (
            enquiry.median_ci[0] <= full <= enquiry.median_ci[1]
        )
        row["km_error"] = enquiry.median - full
        row["dropped_error"] = enquiry.naive_median - full
    return row


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--histories", type=int, default=50)
    n = parser.parse_args().histories
    with tempfile.TemporaryDirectory() as tmp:
        truth = population(Path(tmp))
        rows = [one(seed, Path(tmp), truth) for seed in range(1, n + 1)]
    frame = pd.DataFrame(rows)
    print(f"{n} histories; share of intervals covering the truth (90% and 95% intervals):")
    print(
        "  (the model over 20 other replications: enquiry median "
        f"{truth['enquiry']:g} working days, sickness {truth['sickness']:.2f} days per "
        f"FTE-year, leaving {truth['leaving']:.3f} per person-year)"
    )
    for name in dict.fromkeys(k[0] for k in frame.columns if isinstance(k, tuple)):
        got = "  ".join(f"{level:.0%}: {frame[(name, level)].mean():.0%}" for level in LEVELS)
        print(f"  {name:28s} {got}")
    print(
        "enquiry median minus the full follow-up's, mean over histories (working days): "
        f"censored fit {frame['km_error'].mean():+.2f}, open ones dropped "
        f"{frame['dropped_error'].mean():+.2f}"
    )
    print(f"import time: median {frame['seconds'].median():.2f} s per history")


if __name__ == "__main__":
    main()
