"""The unit of work: one replication of one scenario at one point of an experiment.

A task carries everything a worker process (or a Dask worker on another
machine) needs, and returns plain tables. An exception in the model never
escapes: it comes back as a failed result naming the point, replication and
seed, so it can be re-run alone and the rest of the experiment carries on.

On a cluster the scenario is not sent with every task: the experiment's first
scenario (the base) is sent once to every worker, and each task carries only
its :class:`Changes` from the base (a sweep point's field values), from which
the worker rebuilds the very same scenario.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..records import OPTIONAL_TABLES
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
    hours: pd.DataFrame | None = None
    error: str | None = None
    traceback: str | None = None  # the whole traceback, kept in the failure record
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
        extra = tuple(t for t in task.tables if t in OPTIONAL_TABLES)
        rep = replication.simulate_replication(task.scenario, task.rep, task.seed, extra)
    except Exception as exc:  # noqa: BLE001 - reported with its point, rep and seed
        lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
        return TaskResult(
            task.point,
            task.rep,
            task.seed,
            error=lines[-1].strip(),
            traceback="".join(lines),
            seconds=time.perf_counter() - started,
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


Changes = tuple[tuple[tuple[str, ...], Any], ...]  # ((field path as keys, new value), ...)


@dataclass(frozen=True)
class PointTask:
    """A task without its scenario: the base's changes, for a worker that has the base."""

    changes: Changes
    point: int
    rep: int
    seed: int
    tables: tuple[str, ...]


def scenario_changes(base: Scenario, scenario: Scenario, base_data: dict | None = None) -> Changes:
    """Where ``scenario`` differs from ``base``: the smallest subtrees of the resolved
    scenario (as ``load_scenario`` builds it) that differ, with their new values."""
    from ..scenario.loading import resolved_dict

    out: list = []
    _differences(base_data or resolved_dict(base), resolved_dict(scenario), (), out)
    return tuple(out)


def _differences(old: Any, new: Any, path: tuple[str, ...], out: list) -> None:
    # The old keys in their order, perhaps with new ones after them (an override adds a
    # source note): compare inside, and add the new keys in order. Anything else is
    # replaced whole, so the order of every mapping (pathways, case mix) is kept.
    if isinstance(old, dict) and isinstance(new, dict) and list(new)[: len(old)] == list(old):
        for key in new:
            if key in old:
                _differences(old[key], new[key], (*path, key), out)
            else:
                out.append(((*path, key), new[key]))
    elif type(old) is not type(new) or old != new:
        out.append((path, new))


def with_changes(base: Scenario, changes: Changes, base_data: dict | None = None) -> Scenario:
    """The scenario ``base`` becomes with ``changes`` applied (validated, as loaded)."""
    import copy

    from ..scenario.loading import resolved_dict, validate

    if not changes:
        return base
    data = copy.deepcopy(base_data or resolved_dict(base))
    for path, value in changes:
        if not path:
            data = copy.deepcopy(value)
            continue
        parent = data
        for key in path[:-1]:
            parent = parent[key]
        parent[path[-1]] = copy.deepcopy(value)
    return validate(data)


_rebuilt: dict = {}  # a worker's last base and scenario, reused by the tasks of one point


def run_point_task(base: Scenario, task: PointTask) -> TaskResult:
    """Run a task sent as changes from a base the worker already holds."""
    key = (id(base), repr(task.changes))
    if _rebuilt.get("key") != key or _rebuilt.get("base") is not base:
        try:
            scenario = with_changes(base, task.changes)
        except Exception as exc:  # noqa: BLE001 - reported with its point, rep and seed
            return TaskResult(task.point, task.rep, task.seed, error=f"rebuilding: {exc}")
        _rebuilt.update(key=key, base=base, scenario=scenario)
    full = Task(_rebuilt["scenario"], task.point, task.rep, task.seed, task.tables)
    return run_task(full)
