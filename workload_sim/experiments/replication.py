"""One replication of one scenario: the single seam between one run and many.

Every experiment (replications, precision, compare, sweeps, staffing) is a
list of tasks that each call :func:`simulate_replication`: build the world,
run it on SimPy's clock, build the tables from its event log, compute the
replication's metrics.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..model.simulation import Simulation, cyclic_gc_paused
from ..records import tables_of
from ..records.metrics import rep_metrics
from ..scenario import Scenario


@dataclass
class RepResult:
    """The plain tables of one replication."""

    rep: int
    timeseries: pd.DataFrame
    cases: pd.DataFrame
    workers: pd.DataFrame
    metrics: dict
    tasks: pd.DataFrame | None = None
    events: pd.DataFrame | None = None
    hours: pd.DataFrame | None = None


def simulate_replication(
    scenario: Scenario, rep: int, seed: int, extra: tuple[str, ...] = ()
) -> RepResult:
    """Run replication ``rep`` of ``scenario`` with random streams from ``seed``.

    The tables are built from the run's event log; ``extra`` asks for the
    optional ``tasks`` and ``events`` tables too.
    """
    # the collector stays paused while the tables are built: a full pass over the
    # finished world (all its cases, tasks and log rows) costs more than the tables
    with cyclic_gc_paused():
        sim = Simulation(scenario, rep=rep, seed=seed).run()
        t = tables_of(sim, extra)
    metrics = rep_metrics(
        t.timeseries,
        t.cases,
        t.workers,
        scenario.warmup_days,
        scenario.team.contract_day_hours,
        sim.calendar.working_days_per_year,
        waits=t.waits,
        hours=t.hours,
    )
    hours = t.hours if "hours" in extra else None
    return RepResult(
        rep, t.timeseries, t.cases, t.workers, metrics, tasks=t.tasks, events=t.events, hours=hours
    )
