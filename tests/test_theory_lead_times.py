"""Lead times against the M/G/infinity queue (Takacs).

``scenarios/validation/mginf.yaml``: every step is a lead time only (no worker
time) and the one worker's cap never binds, so every case is its own server.
For Poisson arrivals at rate lambda the number of open cases at any instant is
then Poisson with mean lambda x E[time open], whatever the distribution of the
time open; counts taken further apart than the longest time open are
independent (they count disjoint sets of arrivals). Tolerances are 95% Student-t
intervals across replications, or a test's sampling distribution; seeds fixed.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from scipy import stats

import workload_sim
from workload_sim.records.summary import t_interval
from workload_sim.scenario.loading import load_scenario

from .conftest import SCENARIOS

MGINF = SCENARIOS / "validation" / "mginf.yaml"
REPS = 30


def _design() -> tuple[float, float, float]:
    """(lambda per working day, mean time open, longest time open) from the scenario's data."""
    sc = load_scenario(MGINF)
    lam = sc.demand.referrals_per_week / 5.0 * sc.triage.open_case
    (pathway,) = sc.pathways.values()
    steps = pathway.steps
    # each step waits its lead time with the step's probability; nothing else takes time
    assert all(s.effort_hours.mean() == 0 and s.failure.probability == 0 for s in steps)
    assert not any(s.branches for s in steps)
    mean = sum(s.probability * s.lead_time_days.mean() for s in steps)
    longest = sum(_upper(s.lead_time_days) for s in steps)
    return lam, mean, longest


def _upper(dist) -> float:
    """Upper end of a bounded distribution's support (fixed, uniform or triangular)."""
    return float(getattr(dist, "high", getattr(dist, "value", np.nan)))


def test_mginf_header_states_the_theory():
    lam, mean, longest = _design()
    text = MGINF.read_text()
    assert float(re.search(r"E\[T\] = ([0-9.]+)", text).group(1)) == pytest.approx(mean)
    assert float(re.search(r"longest ([0-9.]+)", text).group(1)) == pytest.approx(longest)
    stated_l = float(re.search(r"mean L = .* = ([0-9.]+)", text).group(1))
    assert stated_l == pytest.approx(lam * mean)
    # the warm-up covers the longest time open: from an empty start the count is then
    # exactly stationary
    assert load_scenario(MGINF).warmup_days >= longest


@pytest.fixture(scope="module")
def mginf_run():
    return workload_sim.run(MGINF, reps=REPS)


def test_time_average_open_cases_is_lambda_times_mean_lead_time(mginf_run):
    lam, mean, _ = _design()
    row = mginf_run.metric("open_cases_mean")
    assert row["ci_low"] <= lam * mean <= row["ci_high"], (lam * mean, row.to_dict())
    assert row["ci_high"] - row["ci_low"] < 0.05 * lam * mean
    # and the time open is the lead times' sum (the step that happens with probability 0.4
    # included): nothing else delays a case. Cases opened in the last ``longest`` days are
    # left out, so every case counted has closed (the reported metric, over closed cases
    # only, is biased low by those still open at the horizon)
    _, _, longest = _design()
    stays = []
    for _, cases in mginf_run.cases.groupby("rep"):
        late = cases["triaged_at"] >= mginf_run.scenario.total_days - longest
        counted = cases[~cases["warmup"] & ~late]
        assert counted["closed_at"].notna().all()
        stays.append((counted["closed_at"] - counted["triaged_at"]).mean())
    m, _, lo, hi, _ = t_interval(stays)
    assert lo <= mean <= hi, (mean, m, lo, hi)
    assert (mginf_run.cases["wait_to_allocation"].dropna() == 0).all()


def _open_counts_at_separated_instants(res, gap: float, seed: int) -> np.ndarray:
    """Open cases at instants ``gap`` apart (random phase per replication), from the cases."""
    rng = np.random.default_rng(seed)
    warmup = res.scenario.warmup_days
    end = float(res.scenario.total_days)
    counts = []
    for _, cases in res.cases.groupby("rep"):
        opened = cases[cases["triage_outcome"] == "open_case"]
        start = opened["triaged_at"].to_numpy()
        stop = opened["closed_at"].fillna(np.inf).to_numpy()
        instants = np.arange(warmup + rng.uniform(0, gap), end, gap)
        counts.extend(((start[:, None] <= instants) & (instants < stop[:, None])).sum(axis=0))
    return np.asarray(counts)


def test_open_cases_at_separated_instants_are_poisson(mginf_run):
    lam, mean, longest = _design()
    counts = _open_counts_at_separated_instants(mginf_run, gap=longest + 1.0, seed=20261123)
    n = len(counts)
    assert n > 1000  # enough for the dispersion test to see a 15% excess either way
    # Fisher's index of dispersion: sum (x - mean)^2 / mean is chi-square(n - 1) for
    # independent Poisson counts; two-sided 1% test
    dispersion = float(((counts - counts.mean()) ** 2).sum() / counts.mean())
    p_disp = 2 * min(stats.chi2.cdf(dispersion, n - 1), stats.chi2.sf(dispersion, n - 1))
    ratio = counts.var(ddof=1) / counts.mean()
    assert p_disp > 0.01, (ratio, p_disp)
    # the mean of the same counts: a z-interval from the Poisson variance itself
    half = 1.96 * np.sqrt(lam * mean / n)
    assert abs(counts.mean() - lam * mean) < half, (counts.mean(), lam * mean, half)
    # the whole shape, against Poisson(lambda x E[T]) (not fitted): chi-square on bins of
    # about equal expected count
    edges = stats.poisson.ppf(np.linspace(0, 1, 12)[1:-1], lam * mean).astype(int)
    edges = np.unique(edges)
    observed = np.bincount(np.searchsorted(edges, counts, side="right"), minlength=len(edges) + 1)
    cdf = np.concatenate(([0.0], stats.poisson.cdf(edges - 1, lam * mean), [1.0]))
    expected = np.diff(cdf) * n
    assert expected.min() > 5
    _, p_fit = stats.chisquare(observed, expected)
    assert p_fit > 0.01, (observed, expected.round(1), p_fit)
