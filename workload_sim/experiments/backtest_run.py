"""One backtest from a date: fit on the records before it, start from the team's state on
it, simulate to the end date, and score against what the records show happened.

The fit and the state come from ``import`` as at the date (``rebuild_state``: the open cases
of that date rebuilt from the records' dates, since open_cases.csv is the extract's own
date). What happened comes from the same records (read once) as at the end date. Nothing personal
passes: both are read through the import's pseudonymising reader.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..data.fits import holidays_between, working_days
from ..data.importer import import_extract
from ..data.interpret import referrals_in_window
from ..data.readers import ExtractError
from ..scenario.loading import ScenarioError, load_scenario
from . import backtest as bt
from .backends import Backend
from .replications import combine, execute
from .tasks import Task


class BacktestError(Exception):
    """A backtest that cannot be run as asked: one line naming the option and the fix."""


@dataclass
class Backtest:
    scores: pd.DataFrame
    weekly: pd.DataFrame
    meta: dict


def backtest_from(
    data: Path,
    at: dt.date,
    until: dt.date | None,
    reps: int,
    seed: int,
    columns: Path | None = None,
    base: Path | None = None,
    backend: Backend | None = None,
    reference_weeks: int = 26,
) -> Backtest:
    """The scores and weekly table of one backtest from ``at`` (see the module's words)."""
    try:
        imp = import_extract(data, at, base, columns, name="backtest", state="history")
    except ExtractError as exc:
        raise BacktestError(str(exc)) from None
    later = imp.extract  # already read and pseudonymised; read again below as at --until
    try:
        scenario = load_scenario(imp.scenario)
    except ScenarioError as exc:
        raise BacktestError(f"the scenario fitted on {at}: {exc.problems[0]}") from None
    pathways, urgencies = scenario.pathways, scenario.triage.urgency
    default_path = next(iter(scenario.triage.case_mix))
    received = later.frame("referrals")["received"]
    last = received.max().date() if received.notna().any() else at
    until = until or last
    if until < at + dt.timedelta(days=13):
        raise BacktestError(
            f"--until {until}: give a date at least two weeks after --at {at} (the records "
            f"run to {last})"
        )
    if until > last:
        raise BacktestError(f"--until {until}: the records run only to {last}; give a date by then")
    first_record = received.min().date()
    if at <= first_record + dt.timedelta(weeks=8):
        raise BacktestError(
            f"--at {at}: the records begin {first_record}; give a date at least 8 weeks "
            "later, so there is something to fit on"
        )
    refs, _ = referrals_in_window(later, until, pathways, urgencies, default_path)
    hols = holidays_between(min(first_record, at) - dt.timedelta(days=400), until)
    horizon = int(working_days(np.array([at]), until + dt.timedelta(days=1), hols)[0])
    scenario = scenario.model_copy(update={"horizon_days": horizon, "warmup_days": 0})
    run = _with_fit_uncertainty(scenario, imp.arrivals, reps, seed, backend)
    simulated = bt.simulated_weekly(run.timeseries, run.cases, at)
    records = pd.DataFrame(
        {
            "received": refs["received"],
            "decided": refs["triage_date"],
            "allocated": refs["allocated"],
            "closed": refs["closed"],
        }
    )
    opened = refs["outcome"].isin(list(pathways))
    since = max(first_record, at - dt.timedelta(weeks=reference_weeks))

    def count(a: dt.date, b: dt.date) -> int:
        return int(working_days(np.array([a]), b, hols)[0])

    actual = bt.actual_weekly(records, opened, at, since, until, count)
    band = bt.bands(simulated, actual["week"])
    meta = {
        "at": at,
        "until": until,
        "reps": reps,
        "fitted": imp.scenario["sources"].get("demand.referrals_per_week", "defaults kept"),
        "state": imp.scenario["start_state"]["source"],
    }
    return Backtest(bt.score(actual, band, at), bt.weekly_table(actual, band), meta)


def _with_fit_uncertainty(scenario, arrivals, reps: int, seed: int, backend):
    """Replications whose referral rate (and trend, where fitted) are each drawn from the
    fit's sampling distribution (normal on the log rate, from its 95% CI), so the bands
    carry the uncertainty of what was fitted as well as the model's own chance: with the
    rate fixed at its estimate, a backtest's running total of referrals left its 90% band
    in most weeks of a model's own history."""
    rng = np.random.default_rng([seed, 20261203])
    demand = scenario.demand
    z = 1.959963984540054
    variants = []
    for _ in range(reps):
        change = {}
        if arrivals is not None and arrivals.per_week_ci is not None:
            lo, hi = np.log(arrivals.per_week_ci)
            change["referrals_per_week"] = float(
                np.exp(rng.normal((lo + hi) / 2, (hi - lo) / (2 * z)))
            )
        if arrivals is not None and arrivals.growth_ci is not None:
            lo, hi = arrivals.growth_ci
            change["annual_growth"] = float(
                max(-0.9, rng.normal((lo + hi) / 2, (hi - lo) / (2 * z)))
            )
        variants.append(scenario.model_copy(update={"demand": demand.model_copy(update=change)}))
    tasks = [Task(v, 0, r, seed) for r, v in enumerate(variants)]
    done, failed = execute(tasks, backend or Backend())
    if failed:
        raise BacktestError(f"{len(failed)} replication(s) failed: {failed[0].error}")
    return combine(scenario, seed, done, 0.0, failed)
