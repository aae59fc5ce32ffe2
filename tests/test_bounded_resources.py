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

    from workload_sim.cli import app
    from workload_sim.experiments import backends

    asked = []

    def make(name, workers, scheduler):
        asked.append(workers)
        return Backend()  # nothing is started; the count asked for is what matters

    monkeypatch.setattr(backends, "available_cores", lambda: 2)  # read when a command runs
    monkeypatch.setattr(backends, "make_backend", make)
    args = ["run", str(DEFAULT), "--days", "20", "--reps", "1", "-q", "--backend", "process"]
    result = CliRunner().invoke(app, [*args, *extra, "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert asked == [started]
    warning = [x for x in result.output.splitlines() if x.startswith("warning:")]
    assert len(warning) == int(warned), result.output
    if warned:
        assert "--workers 30" in warning[0] and "2 core" in warning[0]
        assert "--oversubscribe" in warning[0]


BIG = ["--set", "demand.referrals_per_week=700", "--set", "team.permanent=200"]


class _WouldRun(Exception):
    """Raised instead of running replications that passed every check."""


def test_a_trace_over_the_memory_budget_is_refused_before_any_work(monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from workload_sim.cli import app
    from workload_sim.experiments import replications

    def no_work(*_a, **_k):
        raise _WouldRun

    monkeypatch.setattr(replications, "run_replications", no_work)  # imported when run
    args = [
        "run",
        str(DEFAULT),
        "--trace",
        "--reps",
        "10",
        *BIG,
        "-q",
        "--out",
        str(tmp_path / "o"),
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    line = result.output.strip()
    assert "\n" not in line and line.startswith("error: --trace: ")
    assert "over the budget of 2.0 GB" in line and "--allow-large" in line
    assert not (tmp_path / "o").exists()
    # the issue measured 5.08 GB for this run; the estimate is within a fifth of it
    gb = float(line.split("need about ")[1].split(" GB")[0])
    assert 0.8 * 5.08 <= gb <= 1.2 * 5.08
    result = CliRunner().invoke(app, [*args, "--allow-large"])
    assert isinstance(result.exception, _WouldRun), result.output  # past the check


@pytest.mark.parametrize(
    "sets",
    [[], ["demand.referrals_per_week=100", "team.permanent=30"], ["warm_start.cases_per_worker=0"]],
)
def test_the_estimate_matches_the_memory_of_a_measured_replication(sets):
    from workload_sim.experiments.budget import PEAK_FACTOR, optional_tables_bytes
    from workload_sim.experiments.replication import simulate_replication

    sc = load_scenario(DEFAULT, ["horizon_days=60", "warmup_days=0", *sets])
    rep = simulate_replication(sc, 0, 7, ("tasks", "events"))
    held = sum(getattr(rep, t).memory_usage(deep=True).sum() for t in ("tasks", "events"))
    estimate = optional_tables_bytes(sc, 1, ("tasks", "events")) / PEAK_FACTOR
    assert 0.7 <= held / estimate <= 1.3


def test_dask_takes_tasks_a_window_at_a_time(monkeypatch):
    distributed = pytest.importorskip("distributed")
    from workload_sim.experiments import backends
    from workload_sim.experiments.tasks import Task

    monkeypatch.setattr(backends, "DASK_WINDOW", 4)
    sc = load_scenario(DEFAULT, ["horizon_days=5", "warmup_days=0"])
    made = []

    def billion():
        for r in range(10**9):
            made.append(r)
            yield Task(sc, 0, r, 1, ())

    with distributed.LocalCluster(
        n_workers=1, processes=False, protocol="tcp://", host="127.0.0.1", dashboard_address=None
    ) as cluster:
        backend = backends.DaskBackend(scheduler=cluster.scheduler_address)
        try:
            results = list(itertools.islice(backend.run(billion()), 3))
        finally:
            backend.close()
    assert all(r.ok for r in results) and len(results) == 3
    assert len(made) <= 4 + 3  # the window, and one more per result


def test_a_sweep_tells_its_progress_while_its_points_are_checked():
    from pathlib import Path

    from workload_sim.experiments.sweep import Sweep, SweepSpec

    spec = SweepSpec.model_validate(
        {
            "base": str(DEFAULT),
            "design": "grid",
            "reps": 1,
            "fields": {"team.permanent": {"values": [6, 7, 8, 9, 10]}},
        }
    )
    told = []
    sweep = Sweep(spec, load_scenario(DEFAULT), Path("."), lambda i, n: told.append((i, n)))
    assert told == [(i, 5) for i in range(5)] and len(sweep.scenarios) == 5
