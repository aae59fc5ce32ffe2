"""The engine against queueing theory (Erlang C), and the recorder's open-case bookkeeping.

Tolerances are the 95% Student-t confidence intervals across replications; the
seeds are fixed, so each test is deterministic.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import workload_sim
from workload_sim.records.summary import t_interval

from .conftest import DEFAULT, MMC, erlang_c_wait

MU = 1.0  # 7.4 h mean effort at 7.4 case hours a day

# (c, lambda per day, replications, horizon days); one set at utilisation 0.9
CASES = [
    pytest.param(5, 4.5, 20, 2000, id="c5-rho0.90"),
    pytest.param(3, 2.4, 20, 2000, id="c3-rho0.80"),
    pytest.param(10, 7.0, 10, 1000, id="c10-rho0.70"),
    pytest.param(1, 0.5, 20, 2000, id="c1-rho0.50"),
]


@pytest.mark.parametrize("c, lam, reps, days", CASES)
def test_wait_to_allocation_matches_erlang_c(c, lam, reps, days):
    res = workload_sim.run(
        MMC,
        reps=reps,
        overrides=[
            f"team.permanent={c}",
            f"demand.referrals_per_week={lam * 5}",
            f"horizon_days={days}",
        ],
    )
    row = res.metric("wait_to_allocation_days")
    theory = erlang_c_wait(lam, MU, c)
    assert row["ci_low"] <= theory <= row["ci_high"], (theory, row.to_dict())
    # and the interval is informative, not vacuously wide
    assert row["ci_high"] - row["ci_low"] < 0.5 * max(theory, 0.2)


def test_mmc_header_states_the_erlang_c_value():
    text = MMC.read_text()
    stated = float(re.search(r"Wq = ([0-9.]+) working days", text).group(1))
    assert stated == pytest.approx(erlang_c_wait(4.5, MU, 5), abs=5e-4)


def test_bookkeeping_identity_open_cases_mean_equals_opening_rate_times_stay():
    """The recorder's time-weighted open cases = opening rate x mean stay, within the CI.

    A bookkeeping identity, not a test of the model: both sides come from the same
    opening and closing times (the recorder's daily areas against the cases table).
    Little's law proper, with an independent time sample, is in test_theory_littles_law.py.
    Measured over a window that ends 300 working days before the horizon, so almost
    every case opened in it has closed (censoring bias negligible), after warm-up.
    """
    horizon, warmup, tail = 1100, 250, 300
    res = workload_sim.run(
        DEFAULT,
        reps=10,
        overrides=[
            f"horizon_days={horizon}",
            f"warmup_days={warmup}",
            "demand.annual_growth=0",
            # absence, turnover, cover, failures and branches stay on; only the open-ended
            # long-term work is cut, so sojourn times have a bounded tail
            "pathways.s42_enquiry.steps.8.branches=[]",  # review_and_close
            "warm_start.case_mix={s42_enquiry: 1}",
        ],
    )
    start, stop = warmup, warmup + horizon - tail
    diffs, ls = [], []
    for rep, cases in res.cases.groupby("rep"):
        ts = res.timeseries[res.timeseries["rep"] == rep]
        window = ts[(ts["day"] >= start) & (ts["day"] < stop)]
        opened = cases[
            (cases["triage_outcome"] == "open_case")
            & (cases["triaged_at"] >= start)
            & (cases["triaged_at"] < stop)
        ]
        # almost nothing censored; the few still open count up to the horizon
        assert opened["closed_at"].notna().mean() > 0.995
        sojourn = opened["closed_at"].fillna(float(warmup + horizon)) - opened["triaged_at"]
        lam = len(opened) / len(window)
        big_l = window["open_cases_mean"].mean()
        diffs.append(big_l - lam * sojourn.mean())
        ls.append(big_l)
    mean, _, lo, hi, _ = t_interval(diffs)
    assert lo <= 0.0 <= hi, (mean, lo, hi)
    assert abs(mean) < 0.02 * np.mean(ls)
