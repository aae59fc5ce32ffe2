"""The Dask backend sends the base scenario once; each task carries only its changes.

A sweep of hundreds of points x replications used to ship the whole scenario
(pathways, calendar, sources...) with every task. Now the first scenario is
scattered to every worker once and a task is its point's field values: its size
does not depend on the scenario's, and the results are the serial ones, bit for bit.
"""

from __future__ import annotations

import json
import pickle

import pandas as pd
import pytest

from workload_sim.experiments.backends import make_backend
from workload_sim.experiments.replications import execute
from workload_sim.experiments.tasks import Task, scenario_changes, with_changes
from workload_sim.scenario.loading import load_scenario, resolved_dict

from .conftest import DEFAULT

SHORT = ["horizon_days=40", "warmup_days=10"]
POINTS = [
    "demand.referrals_per_week=24",
    "team.agency=2",
    "absence.sickness_days=15",
    "triage.case_mix={long_term_support: 0.3, s42_enquiry: 0.7}",  # a mapping re-ordered
]


def _sweep(padding: int) -> list[Task]:
    """Three sweep points on a base whose description is ``padding`` characters long."""
    base = load_scenario(DEFAULT, [*SHORT, f"description={'x' * padding}"])
    points = [base] + [load_scenario(base, [p]) for p in POINTS]
    return [Task(sc, i, r, 11, tables=("timeseries",)) for i, sc in enumerate(points) for r in (0,)]


class _Recorder:
    """Stands in for the Dask client: records what would travel, then passes it on."""

    def __init__(self, client) -> None:
        self._client, self.scattered, self.sent = client, [], []

    def scatter(self, data, **kw):
        self.scattered.append(kw)
        return self._client.scatter(data, **kw)

    def submit(self, fn, *args, **kw):
        self.sent.append(args)
        return self._client.submit(fn, *args, **kw)

    def map(self, fn, *iterables, **kw):
        self.sent.extend(zip(*iterables, strict=True))
        return self._client.map(fn, *iterables, **kw)

    def __getattr__(self, name):
        return getattr(self._client, name)


def _size(args: tuple) -> int:
    """Pickled bytes of a task's own arguments (a scattered future counts as its key)."""
    from distributed import Future

    return len(pickle.dumps([a.key if isinstance(a, Future) else a for a in args]))


def _rows(done) -> pd.DataFrame:
    frame = pd.DataFrame([{"point": r.point, "rep": r.rep, **r.metrics} for r in done])
    return frame.sort_values(["point", "rep"]).reset_index(drop=True)


def test_changes_rebuild_each_point_exactly():
    tasks = _sweep(10)
    base = tasks[0].scenario
    for t in tasks:
        changes = scenario_changes(base, t.scenario)
        rebuilt = with_changes(base, changes)
        assert rebuilt == t.scenario
        # every mapping in the same order too (pathways and case mix are drawn in order)
        assert json.dumps(resolved_dict(rebuilt)) == json.dumps(resolved_dict(t.scenario))
        assert len(changes) <= 3  # the field, and its source note
    assert scenario_changes(base, base) == ()


def test_dask_tasks_carry_changes_not_the_scenario():
    small, large = _sweep(10), _sweep(9_500)  # 9,500: within the 10,000-character limit
    serial = [execute(t)[0] for t in (small, large)]
    with make_backend("dask", 2) as cluster:
        recorder = _Recorder(cluster._client)
        cluster._client = recorder
        sizes = {}
        for name, tasks, expected in (("small", small, serial[0]), ("large", large, serial[1])):
            recorder.sent.clear()
            done, failed = execute(tasks, cluster)
            assert not failed
            pd.testing.assert_frame_equal(_rows(done), _rows(expected), check_exact=True)
            for a, b in zip(done, expected, strict=True):
                pd.testing.assert_frame_equal(a.timeseries, b.timeseries, check_exact=True)
            assert len(recorder.sent) == len(tasks)
            sizes[name] = max(_size(args) for args in recorder.sent)
    # the base went to every worker once per run, with broadcast
    assert recorder.scattered == [{"broadcast": True, "hash": False}] * 2
    assert sizes["small"] < 2_000, sizes  # a few field values, not a scenario (~20 kB)
    assert sizes["large"] == pytest.approx(sizes["small"], abs=16), sizes
