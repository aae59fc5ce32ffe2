"""The event log of one replication, turned into plain tables after the run.

Every table is built from :class:`workload_sim.model.events.EventLog` only:
``timeseries`` (one row per working day), ``cases`` (one per referral),
``workers`` (one per person ever in the team), and on request ``tasks`` (one
per stretch of work), ``events`` (the whole log) and ``hours`` (one per
worker-day at work: contracted, worked and unpaid hours).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .cases import AWAITING, cases_table, first_wait_spells
from .hours import hours_table
from .levels import levels_by_day
from .log_frames import columns
from .team import team_by_day
from .timeseries import timeseries_table
from .trace import events_table, tasks_table
from .workers import workers_table

OPTIONAL_TABLES = ("tasks", "events", "hours")


@dataclass
class Tables:
    timeseries: pd.DataFrame
    cases: pd.DataFrame
    workers: pd.DataFrame
    waits: pd.DataFrame  # every spell on the unallocated list: case, start, end, reason, first
    tasks: pd.DataFrame | None = None
    events: pd.DataFrame | None = None
    hours: pd.DataFrame | None = None  # one row per worker-day at work (always built)


def build_tables(
    log, scenario, dates: np.ndarray, urgencies: list[str], rep: int, extra: tuple[str, ...] = ()
) -> Tables:
    """The tables of one replication from its event log (``extra``: tasks and/or events)."""
    work = columns(log, "work")
    spells = columns(log, "spells")
    team = team_by_day(log, scenario)
    cases = cases_table(log, scenario, dates, urgencies, rep, work, spells)
    ts = timeseries_table(log, scenario, dates, urgencies, rep, cases, team, work, spells)
    workers = workers_table(log, rep, team, work, spells)
    listed = spells["place"] == "list"
    waits = pd.DataFrame({k: spells[k][listed] for k in ("case", "start", "end", "reason")})
    waits["first"] = first_wait_spells(spells)[listed]  # part of the case's first wait
    out = Tables(ts, cases, workers, waits, hours=hours_table(log, rep, team, work))
    if "tasks" in extra:
        out.tasks = tasks_table(log, rep, work)
    if "events" in extra:
        out.events = events_table(log, rep)
    return out


def tables_of(sim, extra: tuple[str, ...] = ()) -> Tables:
    """The tables of a finished :class:`~workload_sim.model.simulation.Simulation`."""
    return build_tables(sim.log, sim.scenario, sim.calendar.dates, sim.urgencies, sim.rep, extra)


__all__ = [
    "AWAITING",
    "OPTIONAL_TABLES",
    "Tables",
    "build_tables",
    "levels_by_day",
    "tables_of",
]
