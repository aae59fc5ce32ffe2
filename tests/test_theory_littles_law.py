"""Little's law with an independent sample: L = lambda x W on a stationary scenario.

L is estimated by sampling the number of open cases at random instants (drawn
with a fixed seed) from the cases table's opening and closing times; it never
reads the recorder's daily levels. lambda x W comes from the same replication's
openings and times open. Both sides, and their paired difference, carry 95%
Student-t intervals across replications. (The recorder's time-weighted level
against the cases table is a bookkeeping identity, tested as such in
test_queueing_theory.py.)
"""

from __future__ import annotations

import numpy as np
import pytest

import workload_sim
from workload_sim.records.summary import t_interval

from .conftest import DEFAULT

HORIZON, WARMUP, TAIL = 1100, 250, 300
INSTANTS = 5000  # per replication


@pytest.fixture(scope="module")
def stationary_default():
    """The default team, made stationary.

    No demand growth and no open-ended long-term work; the team starts empty (the default's
    day-0 caseload of 14 a worker drains for over a year at this load, ~94% utilisation:
    open cases fall from 116 to about 62 over days 0-600) and all experienced (a newly
    qualified worker's terms change at day 253). Absence, turnover, recruitment, cover,
    failures and branches all stay on.
    """
    return workload_sim.run(
        DEFAULT,
        reps=16,
        overrides=[
            f"horizon_days={HORIZON}",
            f"warmup_days={WARMUP}",
            "demand.annual_growth=0",
            "pathways.s42_enquiry.steps.8.branches=[]",  # review_and_close: no long-term work
            "warm_start.cases_per_worker=0",
            "team.permanent=10",
            "team.newly_qualified=0",
        ],
    )


def open_at(opened_at: np.ndarray, closed_at: np.ndarray, instants: np.ndarray) -> np.ndarray:
    """Cases open at each instant: opened at or before it and not yet closed (NaN: never)."""
    starts = np.sort(opened_at)
    ends = np.sort(np.where(np.isnan(closed_at), np.inf, closed_at))
    return np.searchsorted(starts, instants, side="right") - np.searchsorted(
        ends, instants, side="right"
    )


def test_open_at_counts_by_hand():
    opened = np.array([0.0, 1.0, 2.0, 2.5])
    closed = np.array([3.0, 1.5, np.nan, 2.5])  # the last opens and closes at once
    assert open_at(opened, closed, np.array([0.5, 1.2, 1.5, 2.5, 3.0, 9.0])).tolist() == [
        1,
        2,
        1,
        2,
        1,
        1,
    ]


def test_littles_law_with_open_cases_sampled_at_random_instants(stationary_default):
    res = stationary_default
    rng = np.random.default_rng(8)
    # window after warm-up that ends TAIL days before the horizon, so (almost) every case
    # opened in it has closed and its time open is known
    start, stop = WARMUP, WARMUP + HORIZON - TAIL
    sampled, little, diffs, drift = [], [], [], []
    for _, cases in res.cases.groupby("rep"):
        opened = cases[cases["triage_outcome"] == "open_case"]
        instants = rng.uniform(start, stop, INSTANTS)
        counts = open_at(opened["triaged_at"].to_numpy(), opened["closed_at"].to_numpy(), instants)
        big_l = counts.mean()
        late = instants >= (start + stop) / 2
        drift.append(counts[late].mean() - counts[~late].mean())
        inside = opened[(opened["triaged_at"] >= start) & (opened["triaged_at"] < stop)]
        assert inside["closed_at"].notna().mean() > 0.995
        stay = inside["closed_at"].fillna(float(res.scenario.total_days)) - inside["triaged_at"]
        lam = len(inside) / (stop - start)
        sampled.append(big_l)
        little.append(lam * stay.mean())
        diffs.append(big_l - lam * stay.mean())
    # stationary, as Little's law over a window needs: no drift from the first half to the second
    _, _, s_lo, s_hi, _ = t_interval(drift)
    assert s_lo <= 0.0 <= s_hi, ("open cases drift", s_lo, s_hi)
    l_mean, _, l_lo, l_hi, _ = t_interval(sampled)
    w_mean, _, w_lo, w_hi, _ = t_interval(little)
    d_mean, _, d_lo, d_hi, _ = t_interval(diffs)
    detail = {"L": (l_mean, l_lo, l_hi), "lambda*W": (w_mean, w_lo, w_hi), "L - lambda*W": d_mean}
    # each side's estimate inside the other's interval, and the paired difference covers 0
    assert l_lo <= w_mean <= l_hi and w_lo <= l_mean <= w_hi, detail
    assert d_lo <= 0.0 <= d_hi, detail
    # informative: the paired interval is narrow beside L (a 5% error would show)
    assert d_hi - d_lo < 0.05 * l_mean, detail
