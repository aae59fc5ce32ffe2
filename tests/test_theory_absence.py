"""Leave and sickness together: realised absence against the configured figures.

``scenarios/validation/absence.yaml``: 50 identical workers, annual leave and
sickness both on, workload pressure, turnover, NAAS and agency cover off, over
nine whole financial years after a year's warm-up.

What to expect, by hand (L leave days, S sickness days a year, D working days a
year, q the long-term share of sickness days, m the mean episode lengths):

- Leave: blocks are booked to total L = 27 days a worker a year, so a worker in
  post takes 27 days a year (issue 8 lists a block lost to sickness as a bug).
- Sickness: an episode can start only on a day the worker is present (not on
  leave, not already sick). A worker is present D - L - S days a year, so S days
  a year needs episodes to start at S / m / (D - L - S) per present day (the
  scenario's rates are set so). The realised days then are S times the ratio of
  realised to nominal episode length, since lengths are whole days: short
  episodes rounded to the nearest day (at least 1), long ones rounded up. Were
  the present-days scaling missing, S (D - L - S) / D = 9.1 would come out.
  (D is 253 in the model's rates and 253.1 in this calendar: a 0.05% effect.)

Tolerances are 95% Student-t intervals across replications; the seed is fixed.
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

ABSENCE = SCENARIOS / "validation" / "absence.yaml"


def _triangular(spec) -> stats.rv_continuous:
    width = spec.high - spec.low
    return stats.triang((spec.mode - spec.low) / width, loc=spec.low, scale=width)


def mean_rounded(spec) -> float:
    """E[max(1, round(X))] for a triangular X: whole days, at least one."""
    dist = _triangular(spec)
    k = np.arange(2, int(np.ceil(spec.high)) + 2)
    return float(dist.cdf(1.5) + (k * (dist.cdf(k + 0.5) - dist.cdf(k - 0.5))).sum())


def mean_rounded_up(spec) -> float:
    """E[max(1, ceil(X))] for a triangular X >= 1: whole days, rounded up."""
    assert spec.low >= 1  # then max(1, .) never binds
    dist = _triangular(spec)
    k = np.arange(int(np.floor(spec.low)), int(np.ceil(spec.high)) + 1)
    return float((k * (dist.cdf(k) - dist.cdf(k - 1))).sum())


def test_rounded_means_by_hand():
    class Tri:
        low, mode, high = 1.0, 1.0, 6.0

    # Tri(1, 1, 6): P(X < 1.5) = 1 - (4.5/5)^2 = 0.19; the mean rounds to a little less
    assert _triangular(Tri).cdf(1.5) == pytest.approx(0.19)
    assert mean_rounded(Tri) == pytest.approx(2.65, abs=0.01)
    assert mean_rounded(Tri) < _triangular(Tri).mean()

    class Even:
        low, mode, high = 3.0, 4.0, 5.0

    # symmetric about 4 on [3, 5]: ceil adds half a day on average
    assert mean_rounded_up(Even) == pytest.approx(4.5)


def expected_sickness(spec) -> float:
    """Realised sickness days per FTE-year the scenario should give (see the module text)."""
    short, long_ = spec.short_term_episode_days, spec.long_term_episode_days
    q = spec.long_term_share
    ratio = (1 - q) * mean_rounded(short) / short.mean() + q * mean_rounded_up(long_) / long_.mean()
    return spec.sickness_days * ratio


@pytest.fixture(scope="module")
def absence_run():
    return workload_sim.run(ABSENCE)


def _realised(res) -> tuple[list[float], list[float], float]:
    """Per replication: (sick days per FTE-year, leave days per worker-year), and D."""
    measured = res.timeseries[~res.timeseries["warmup"]]
    first, last = measured["date"].min(), measured["date"].max()
    # whole financial years: 1 April to 31 March
    assert (first.month, last.month) == (4, 3) and first.day <= 3 and last.day >= 29
    years = last.year - first.year
    days_a_year = measured["day"].nunique() / years
    sick, leave = [], []
    for _, days in measured.groupby("rep"):
        in_post = (
            days["fte_present"] + days["fte_sick"] + days["fte_leave"] + days["fte_naas"]
        ).sum()
        sick.append(days["fte_sick"].sum() / in_post * days_a_year)
        leave.append(days["fte_leave"].sum() / in_post * days_a_year)
    return sick, leave, days_a_year


def test_design_keeps_absence_pure():
    sc = load_scenario(ABSENCE)
    assert sc.absence.sickness_pressure_effect == 0 and sc.recruitment.leaving_pressure_effect == 0
    assert sc.workforce.permanent.leaving_rate_per_year == 0 and not sc.naas.rounds
    assert sc.cover.agency_cover_after_days is None
    assert sc.team.newly_qualified == 0 and sc.team.agency == 0 and sc.team.vacant == 0
    assert sc.workforce.permanent.fte == 1.0  # per worker-year = per FTE-year


def test_realised_sickness_with_leave_on_is_the_configured_figure(absence_run):
    spec = absence_run.scenario.absence
    sick, _, days_a_year = _realised(absence_run)
    expected = expected_sickness(spec)
    assert expected == pytest.approx(spec.sickness_days, rel=0.002)
    mean, _, lo, hi, _ = t_interval(sick)
    assert lo <= expected <= hi, (expected, mean, lo, hi)
    # informative: the interval rules out sickness that ignored days away
    naive = spec.sickness_days * (
        (days_a_year - spec.annual_leave_days - spec.sickness_days) / days_a_year
    )
    assert naive < lo, (naive, lo, hi)
    # the reported metric agrees
    row = absence_run.metric("sickness_days_per_fte_year")
    assert row["ci_low"] <= expected <= row["ci_high"], row.to_dict()


@pytest.mark.xfail(
    strict=True,
    reason="model bug, issue 8 section 2: a leave block whose first day falls in a "
    "sickness episode is lost (realised 25.85 of 27 days a year here); remove this "
    "marker with the fix",
)
def test_realised_leave_with_sickness_on_is_the_configured_figure(absence_run):
    spec = absence_run.scenario.absence
    _, leave, _ = _realised(absence_run)
    mean, _, lo, hi, _ = t_interval(leave)
    # leave is all but fixed, so its interval can be a point: allow rounding only
    assert lo - 1e-9 <= spec.annual_leave_days <= hi + 1e-9, (mean, lo, hi)


def test_absence_header_states_the_expected_values():
    text = ABSENCE.read_text()
    spec = load_scenario(ABSENCE).absence
    stated = re.search(r"the expectation is ([0-9.]+) x ([0-9.]+) = ([0-9]+\.[0-9]+)", text)
    assert float(stated.group(1)) == spec.sickness_days
    assert float(stated.group(2)) == pytest.approx(
        expected_sickness(spec) / spec.sickness_days, abs=5e-5
    )
    assert float(stated.group(3)) == pytest.approx(expected_sickness(spec), abs=0.005)
    naive = float(re.search(r"S x \(D - L - S\) / D = ([0-9]+\.[0-9]+)", text).group(1))
    d = 253.0
    assert naive == pytest.approx(
        spec.sickness_days * (d - spec.annual_leave_days - spec.sickness_days) / d, abs=0.05
    )
