"""Bounded resources: tasks are made as the backend has room (a billion replications ask
for nothing up front), and --workers is capped at the cores available unless
--oversubscribe. Memory itself is measured by benchmarks/bench_task_memory.py."""

from __future__ import annotations

import itertools

import pytest

from workload_sim.experiments.backends import Backend
from workload_sim.experiments.replications import run_replications
from workload_sim.experiments.tasks import TaskResult
from workload_sim.scenario.loading import load_scenario

from .conftest import DEFAULT


class _Enough(Exception):
    """Stops the experiment once the backend has seen what it needs."""


class _Peek(Backend):
    """Takes the first three tasks, then stops; records what it was given."""

    def run(self, tasks):
        self.given = tasks
        self.first = [t.key for t in itertools.islice(tasks, 3)]
        yield TaskResult(0, 0, 1, error="peeked")  # one result, so the caller carries on
        raise _Enough


@pytest.mark.parametrize("reps", [1000, 10**9])
def test_tasks_reach_the_backend_one_at_a_time(reps):
    sc = load_scenario(DEFAULT, ["horizon_days=20"])
    backend = _Peek()
    with pytest.raises(_Enough):
        run_replications(sc, reps=reps, backend=backend)
    # an iterator, not a list built up front: nothing to hold for tasks not yet run
    assert not hasattr(backend.given, "__len__"), type(backend.given)
    assert iter(backend.given) is backend.given
    assert backend.first == [(0, 0), (0, 1), (0, 2)]


@pytest.mark.parametrize(
    "extra, started, warned",
    [
        (["--workers", "30"], 2, True),
        (["--workers", "30", "--oversubscribe"], 30, False),
        (["--workers", "2"], 2, False),
    ],
)
def test_workers_are_capped_at_the_cores_available(extra, started, warned, monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from workload_sim.cli import app, common, session

    asked = []

    def make(name, workers, scheduler):
        asked.append(workers)
        return Backend()  # nothing is started; the count asked for is what matters

    monkeypatch.setattr(common, "available_cores", lambda: 2)
    monkeypatch.setattr(session, "make_backend", make)
    args = ["run", str(DEFAULT), "--days", "20", "--reps", "1", "-q", "--backend", "process"]
    result = CliRunner().invoke(app, [*args, *extra, "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert asked == [started]
    warning = [x for x in result.output.splitlines() if x.startswith("warning:")]
    assert len(warning) == int(warned), result.output
    if warned:
        assert "--workers 30" in warning[0] and "2 core" in warning[0]
        assert "--oversubscribe" in warning[0]
