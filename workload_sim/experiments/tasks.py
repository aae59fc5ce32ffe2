"""The unit of work: one replication of one scenario at one point of an experiment.

A task carries everything a worker process (or a Dask worker on another
machine) needs, and returns plain tables. An exception in the model never
escapes: it comes back as a failed result naming the point, replication and
seed, so it can be re-run alone and the rest of the experiment carries on.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field

import pandas as pd

from ..scenario import Scenario
from . import replication


@dataclass(frozen=True)
class Task:
    scenario: Scenario
    point: int
    rep: int
    seed: int
    # which tables travel back besides the metrics: () for sweeps keeps results small;
    # "tasks" and "events" (the whole event log) only when asked for (--trace)
    tables: tuple[str, ...] = ("timeseries", "cases", "workers")

    @property
    def key(self) -> tuple[int, int]:
        return (self.point, self.rep)


@dataclass
class TaskResult:
    point: int
    rep: int
    seed: int
    metrics: dict = field(default_factory=dict)
    timeseries: pd.DataFrame | None = None
    cases: pd.DataFrame | None = None
    workers: pd.DataFrame | None = None
    tasks: pd.DataFrame | None = None
    events: pd.DataFrame | None = None
    error: str | None = None
    seconds: float = 0.0

    @property
    def key(self) -> tuple[int, int]:
        return (self.point, self.rep)

    @property
    def ok(self) -> bool:
        return self.error is None


def run_task(task: Task) -> TaskResult:
    """Run one task; failures are returned, not raised."""
    import time

    started = time.perf_counter()
    try:
        extra = tuple(t for t in task.tables if t in ("tasks", "events"))
        rep = replication.simulate_replication(task.scenario, task.rep, task.seed, extra)
    except Exception as exc:  # noqa: BLE001 - reported with its point, rep and seed
        last = traceback.format_exception(type(exc), exc, exc.__traceback__)[-1].strip()
        return TaskResult(
            task.point, task.rep, task.seed, error=last, seconds=time.perf_counter() - started
        )
    result = TaskResult(
        task.point, task.rep, task.seed, metrics=rep.metrics, seconds=time.perf_counter() - started
    )
    if task.tables:
        for name in task.tables:
            frame = getattr(rep, name).copy()
            frame.insert(0, "point", task.point)
            setattr(result, name, frame)
    return result
