"""Samplers and arrivals against theory.

Means are checked against a 99.9% CI from the sample's standard error; variances
against a 99.9% Student-t CI from 50 batch variances. Arrival counts per weekday
and month are checked against their Poisson expectation (99.9% intervals).
"""

from __future__ import annotations

import datetime as dt

import holidays
import numpy as np
import pytest
from pydantic import TypeAdapter
from scipy import stats

from workload_sim.model.calendar import WorkCalendar
from workload_sim.model.clock import Clock
from workload_sim.model.demand import Arrivals, daily_rates
from workload_sim.scenario import MONTHS, WEEKDAYS, DemandSpec
from workload_sim.scenario.distributions import Bernoulli, Choice, Distribution, Sampler

SPECS = [
    {"dist": "exponential", "mean": 3.0},
    {"dist": "lognormal", "mean": 2.0, "sd": 1.5},
    {"dist": "gamma", "mean": 4.0, "sd": 1.0},
    {"dist": "triangular", "low": 1.0, "mode": 2.0, "high": 6.0},
    {"dist": "uniform", "low": 0.5, "high": 1.5},
    2.5,
]
Z = stats.norm.ppf(0.9995)


@pytest.mark.parametrize("raw", SPECS, ids=lambda r: r["dist"] if isinstance(r, dict) else "fixed")
def test_sampler_mean_and_variance_match_theory(raw):
    spec = TypeAdapter(Distribution).validate_python(raw)
    draw = Sampler(spec, np.random.default_rng(42))
    x = np.array([draw() for _ in range(100_000)])
    if spec.is_fixed:
        assert (x == spec.mean()).all()
        return
    se = np.sqrt(spec.variance() / len(x))
    assert abs(x.mean() - spec.mean()) < Z * se
    batches = x.reshape(50, -1).var(axis=1, ddof=1)
    half = stats.t.ppf(0.9995, 49) * batches.std(ddof=1) / np.sqrt(50)
    assert abs(batches.mean() - spec.variance()) < half


def test_bernoulli_and_choice_frequencies():
    n = 100_000
    flip = Bernoulli(0.3, np.random.default_rng(1))
    p_hat = np.mean([flip() for _ in range(n)])
    assert abs(p_hat - 0.3) < Z * np.sqrt(0.3 * 0.7 / n)
    table = {"a": 0.2, "b": 0.0, "c": 0.8}
    pick = Choice(table, np.random.default_rng(2))
    draws = [pick() for _ in range(n)]
    assert "b" not in draws
    share = draws.count("a") / n
    assert abs(share - 0.2) < Z * np.sqrt(0.2 * 0.8 / n)


def _count_arrivals(demand: DemandSpec, n_days: int, seed: int):
    cal = WorkCalendar(dt.date(2026, 4, 1), n_days)
    rates = daily_rates(demand, cal)
    env = Clock()
    times: list[float] = []
    Arrivals(env, rates, np.random.default_rng(seed), lambda: times.append(env.now))
    env.run(until=float(n_days))
    days = np.array(times).astype(int)
    return cal, rates, np.bincount(days, minlength=n_days)


def _days_in_week(cal: WorkCalendar) -> np.ndarray:
    """For each working day, the working days of its Monday-to-Friday week (by hand)."""
    eng = holidays.country_holidays("GB", subdiv="ENG", years=range(2026, 2036))
    out = []
    for d in cal.dates.astype(dt.date):
        monday = d - dt.timedelta(days=d.weekday())
        out.append(sum(monday + dt.timedelta(days=k) not in eng for k in range(5)))
    return np.array(out)


def test_arrivals_follow_weekday_and_month_profile():
    demand = DemandSpec(
        referrals_per_week=50,
        weekday_profile={"monday": 2.0, "friday": 0.5},
        month_profile={"dec": 0.5, "jan": 1.5},
    )
    cal, rates, per_day = _count_arrivals(demand, 253 * 6, seed=9)
    for k, name in enumerate(WEEKDAYS):
        mask = cal.weekdays == k
        expected = rates[mask].sum()
        assert abs(per_day[mask].sum() - expected) < Z * np.sqrt(expected), name
    for k, name in enumerate(MONTHS):
        mask = cal.months == k
        expected = rates[mask].sum()
        assert abs(per_day[mask].sum() - expected) < Z * np.sqrt(expected), name
    # and the profile really bites: Mondays get 4x Fridays' rate (in a week without a
    # bank holiday: a holiday's share of the week goes to its other days)
    full = _days_in_week(cal) == 5
    mon, fri = rates[full & (cal.weekdays == 0)].mean(), rates[full & (cal.weekdays == 4)].mean()
    assert mon / fri == pytest.approx(4.0, rel=0.05)


def test_daily_counts_are_poisson():
    demand = DemandSpec(referrals_per_week=40)
    cal, rates, per_day = _count_arrivals(demand, 2000, seed=4)
    n = _days_in_week(cal)
    assert np.allclose(rates, 40 / n)  # a week's 40 over its working days
    full = n == 5
    assert (~full).sum() > 20  # bank holidays fall in the run
    rates, per_day = rates[full], per_day[full]
    # dispersion index of a Poisson count is 1; its sampling sd is sqrt(2/(n-1))
    dispersion = per_day.var(ddof=1) / per_day.mean()
    assert abs(dispersion - 1) < Z * np.sqrt(2 / (len(per_day) - 1))
    assert abs(per_day.mean() - 8.0) < Z * np.sqrt(8.0 / len(per_day))


def test_annual_growth_raises_the_rate():
    demand = DemandSpec(referrals_per_week=50, annual_growth=0.10)
    cal = WorkCalendar(dt.date(2026, 4, 1), 253 * 3)
    rates = daily_rates(demand, cal) * _days_in_week(cal) / 5  # bank holiday weeks evened
    years = cal.years_elapsed
    later = rates[(years >= 2.0) & (years < 2.01)].mean()
    assert later / rates[0] == pytest.approx(1.10**2, rel=0.01)
