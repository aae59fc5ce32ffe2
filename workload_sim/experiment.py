"""Replications of a scenario: the one seam between a single run and many.

``simulate_replication`` runs one (scenario, rep, seed) and returns plain
tables; everything that runs many replications (here serially; process pools
and clusters build on the same function) only calls that.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from .metrics import rep_metrics
from .model.simulation import Simulation
from .records import cases_table, timeseries_table, workers_table
from .scenario import Scenario
from .summary import summarise


@dataclass
class RepResult:
    """The plain tables of one replication."""

    rep: int
    timeseries: pd.DataFrame
    cases: pd.DataFrame
    workers: pd.DataFrame
    metrics: dict


def simulate_replication(scenario: Scenario, rep: int, seed: int) -> RepResult:
    """Run replication ``rep`` of ``scenario`` with random streams from ``seed``."""
    sim = Simulation(scenario, rep=rep, seed=seed).run()
    cases = cases_table(sim)
    ts = timeseries_table(sim, cases)
    workers = workers_table(sim)
    metrics = rep_metrics(
        ts, cases, workers, scenario.warmup_days, scenario.team.contract_day_hours
    )
    return RepResult(rep, ts, cases, workers, metrics)


@dataclass
class Results:
    """All tables of a run of replications, as pandas DataFrames."""

    scenario: Scenario
    seed: int
    reps: int
    timeseries: pd.DataFrame
    cases: pd.DataFrame
    workers: pd.DataFrame
    per_rep: pd.DataFrame
    summary: pd.DataFrame
    wall_seconds: float = 0.0
    extra: dict = field(default_factory=dict)

    def metric(self, name: str) -> pd.Series:
        """The summary row of one metric (mean, std, ci_low, ci_high, reps)."""
        return self.summary.set_index("metric").loc[name]


def run_replications(
    scenario: Scenario,
    reps: int | None = None,
    seed: int | None = None,
    on_rep_done: Callable[[RepResult], None] | None = None,
) -> Results:
    """Run replications 0..reps-1 serially and summarise them."""
    reps = scenario.replications if reps is None else reps
    seed = scenario.seed if seed is None else seed
    if reps < 1:
        raise ValueError("reps must be at least 1")
    started = time.perf_counter()
    done: list[RepResult] = []
    for rep in range(reps):
        result = simulate_replication(scenario, rep, seed)
        done.append(result)
        if on_rep_done is not None:
            on_rep_done(result)
    return combine(scenario, seed, done, time.perf_counter() - started)


def combine(scenario: Scenario, seed: int, done: list[RepResult], wall: float) -> Results:
    """Stack replication tables (in rep order) and summarise across them."""
    done = sorted(done, key=lambda r: r.rep)
    per_rep = pd.DataFrame([{"rep": r.rep, **r.metrics} for r in done])
    return Results(
        scenario=scenario,
        seed=seed,
        reps=len(done),
        timeseries=pd.concat([r.timeseries for r in done], ignore_index=True),
        cases=pd.concat([r.cases for r in done], ignore_index=True),
        workers=pd.concat([r.workers for r in done], ignore_index=True),
        per_rep=per_rep,
        summary=summarise(per_rep),
        wall_seconds=wall,
    )
