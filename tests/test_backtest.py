"""Backtest honesty: when what happened IS the model, its bands cover what they claim; when
demand steps up after the fitting period, the backtest reports the miss and when it began.

The histories are replications on other seeds, turned into records the way a council's
extract holds them (dates only: received, decided, first allocated, closed; cases open
before the date received and allocated before it), and read back with ``actual_weekly``,
independently of the simulated tables the bands come from.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from workload_sim.experiments import backtest as bt
from workload_sim.experiments.replications import run_replications
from workload_sim.model.calendar import WorkCalendar
from workload_sim.scenario.loading import load_scenario

from .conftest import DEFAULT

SHORT = ["horizon_days=75", "warmup_days=0", "team.permanent=6"]
FORECAST_REPS, HISTORIES = 39, 20  # 39: the 2nd and 38th of 39 make exactly 90%


def _records(cases: pd.DataFrame, cal: WorkCalendar, at: dt.date) -> tuple[pd.DataFrame, pd.Series]:
    """One replication's cases as an extract holds them: dates of the working days."""
    before = pd.Timestamp(at) - pd.Timedelta(days=1)

    def dated(days: pd.Series) -> pd.Series:
        return pd.to_datetime(
            pd.Series(
                [cal.date_of(int(d)) if pd.notna(d) else pd.NaT for d in days], index=days.index
            )
        )

    held = (cases["warm_start"] & (cases["waits_on_list"] == 0)).to_numpy()
    records = pd.DataFrame(
        {
            "received": dated(cases["arrival"]).where(~cases["warm_start"].to_numpy(), before),
            "decided": dated(cases["triaged_at"]),
            "allocated": dated(cases["allocated_at"]).where(~held, before),
            "closed": dated(cases["closed_at"]),
        }
    )
    return records, cases["triage_outcome"].eq("open_case")


@pytest.fixture(scope="module")
def forecast():
    """The model's forecast from the start date: weekly series of 30 replications."""
    scenario = load_scenario(DEFAULT, SHORT)
    at = scenario.calendar.start_date
    cal = WorkCalendar(at, scenario.total_days, "GB", "ENG")
    fc = run_replications(scenario, reps=FORECAST_REPS, seed=1)
    return scenario, cal, bt.simulated_weekly(fc.timeseries, fc.cases, at)


def _backtest(forecast, history_overrides: list[str], histories: int, seed: int) -> pd.DataFrame:
    scenario, cal, simulated = forecast
    at = scenario.calendar.start_date
    until = cal.date_of(scenario.total_days - 1)
    past = run_replications(
        load_scenario(DEFAULT, SHORT + history_overrides), reps=histories, seed=seed
    )
    scores = []
    for rep in range(histories):
        records, opened = _records(past.cases[past.cases["rep"] == rep], cal, at)
        actual = bt.actual_weekly(records, opened, at, at, until, cal.working_days_between)
        scores.append(bt.score(actual, bt.bands(simulated, actual["week"]), at).assign(rep=rep))
    return pd.concat(scores, ignore_index=True)


def test_order_statistic_bands_hold_their_level():
    # hand computation: with 40 values 1..40, k = floor(41 * 0.05) = 2 -> the 90% band is
    # [2, 39] and k = floor(41 * 0.25) = 10 -> the 50% band is [10, 31]
    sim = pd.DataFrame({"week": 0, **{s: np.arange(1.0, 41.0) for s in bt.SERIES}})
    b = bt.bands(sim, [0]).set_index("series").loc["referrals"]
    assert (b["low_90%"], b["high_90%"], b["low_50%"], b["high_50%"]) == (2, 39, 10, 31)
    # a new draw from the same distribution lands inside at the promised rate
    rng = np.random.default_rng(5)
    trials = 4000
    draws = rng.gamma(2.0, 3.0, size=(trials, 41))  # skewed, as waits and lists are
    x = np.sort(draws[:, :40], axis=1)
    inside = (draws[:, 40] >= x[:, 1]) & (draws[:, 40] <= x[:, 38])
    se = np.sqrt(0.9 * 0.1 / trials)
    assert abs(inside.mean() - 37 / 41) < 3 * se


def test_when_the_history_is_the_model_the_bands_cover_what_they_claim(forecast):
    scores = _backtest(forecast, [], HISTORIES, seed=2)
    coverage = scores.groupby("series")[["inside_50%", "inside_90%"]].mean()
    # measured on this seed: 83-94% inside the 90% bands, 39-61% inside the 50% bands; open
    # cases, a level that carries each week into the next, varies most between histories
    for series in (
        "referrals",
        "referrals_to_date",
        "allocations",
        "closures",
        "open_cases",
        "wait_to_allocation",
    ):
        assert 0.80 <= coverage.loc[series, "inside_90%"] <= 0.97, coverage
        assert 0.30 <= coverage.loc[series, "inside_50%"] <= 0.70, coverage


def test_a_step_up_in_demand_after_the_fit_is_reported_with_its_start(forecast):
    step = dt.date(2026, 4, 20)  # a Monday: week 2 of the run from Wednesday 1 April
    scores = _backtest(
        forecast, ["events=[{kind: demand_change, date: 2026-04-20, percent: 30}]"], 6, seed=3
    )
    referrals = scores[scores["series"] == "referrals"]
    # week to week, a 30% step is about 1.5 standard deviations: many weeks stay inside
    assert referrals["inside_90%"].mean() < 0.85, referrals
    # the running total leaves the band and stays above it
    total = scores[scores["series"] == "referrals_to_date"]
    assert total["inside_90%"].mean() < 0.6, total
    starts = []
    for words in referrals["misses"]:
        assert "referrals received was above the 90% band" in words, words
        assert "below" not in words, words
        said = words.split("median from about the week of ")[1]
        starts.append(pd.Timestamp(said).date())
    # the step's week starts on 15 Apr (weeks run Wednesday to Tuesday from 1 April); the
    # change-point estimate lands within a week of it in most histories (measured: 5 of 6)
    week = dt.date(2026, 4, 15)
    near = [abs((s - week).days) <= 7 for s in starts]
    assert sum(near) >= 4, starts
    assert step - week < dt.timedelta(days=7)


def test_the_errors_are_set_against_both_naive_forecasts():
    at = dt.date(2026, 4, 1)
    actual = pd.DataFrame(
        {"week": [-2, -1, 0, 1], **{s: [10.0, 20.0, 30.0, 50.0] for s in bt.SERIES}}
    )
    sim = pd.DataFrame(
        [{"week": w, **{s: v for s in bt.SERIES}} for w in (0, 1) for v in (25.0, 35.0, 45.0)]
    )
    row = bt.score(actual, bt.bands(sim, [0, 1]), at).set_index("series").loc["referrals"]
    # by hand: medians 35, 35 -> |30-35| + |50-35| = 20 / 2; last value 20 -> 10 + 30 = 40 / 2;
    # reference mean 15 -> 15 + 35 = 50 / 2
    assert (row["mae_model"], row["mae_last_value"], row["mae_reference_mean"]) == (10, 20, 25)


@pytest.mark.parametrize("until, last", [("2026-04-07", 0), ("2026-04-13", 0), ("2026-04-14", 1)])
def test_only_whole_weeks_are_compared(until, last):
    at = dt.date(2026, 4, 1)
    records = pd.DataFrame(
        {
            "received": [pd.Timestamp("2026-04-02")],
            "decided": [pd.NaT],
            "allocated": [pd.NaT],
            "closed": [pd.NaT],
        }
    )
    actual = bt.actual_weekly(
        records, pd.Series([True]), at, at, dt.date.fromisoformat(until), lambda a, b: 0
    )
    assert actual["week"].max() == last
    assert actual["referrals"].iloc[0] == 1 and actual["unallocated"].iloc[0] == 1
