"""Replications at scale: backends agree, pairing pays, precision, sweeps, resume, failures."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import workload_sim
from workload_sim.cli import app
from workload_sim.experiments import replication as experiment
from workload_sim.experiments.backends import make_backend
from workload_sim.experiments.compare import compare
from workload_sim.experiments.replications import run_replications, run_to_precision
from workload_sim.experiments.staffing import Target, staffing_search
from workload_sim.records.summary import t_interval
from workload_sim.scenario.loading import load_scenario

from .conftest import DEFAULT, MMC, ROOT, erlang_c_wait

runner = CliRunner()
SHORT = ["horizon_days=60", "warmup_days=20"]


def _same(a, b) -> None:
    for name in ("per_rep", "timeseries", "cases", "workers"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)


@pytest.fixture(scope="module")
def serial_run():
    return run_replications(load_scenario(DEFAULT, SHORT), reps=4, seed=3)


@pytest.mark.parametrize("workers", [1, 2])
def test_process_pool_gives_the_serial_tables(serial_run, workers):
    with make_backend("process", workers) as pool:
        res = run_replications(load_scenario(DEFAULT, SHORT), reps=4, seed=3, backend=pool)
    _same(serial_run, res)


def test_dask_local_cluster_gives_the_serial_tables(serial_run):
    with make_backend("dask", 2) as cluster:
        res = run_replications(load_scenario(DEFAULT, SHORT), reps=4, seed=3, backend=cluster)
    _same(serial_run, res)


def test_paired_difference_is_narrower_than_unpaired_for_a_staffing_change():
    # 40 a week: past the calibrated 8-experienced team's tipping point, so one more
    # worker shortens waits clearly
    base = load_scenario(DEFAULT, ["horizon_days=150", "demand.referrals_per_week=40"])
    more = load_scenario(base, ["team.permanent=9", "name=more_staff"])
    result = compare([base, more], reps=12, seed=5)
    assert not result.failed and len(result.per_rep) == 24
    assert set(result.timeseries) == {base.name, "more_staff"}
    table = result.table
    row = table[(table.metric == "wait_to_allocation_days") & (table.scenario == "more_staff")]
    row = row.iloc[0]
    paired = row.diff_ci_high - row.diff_ci_low
    unpaired = row.diff_ci_high_unpaired - row.diff_ci_low_unpaired
    assert paired < unpaired
    assert row.diff_ci_high < 0  # one more worker: shorter waits, and we can tell


def test_precision_adds_replications_until_the_half_width_is_small():
    sc = load_scenario(DEFAULT, SHORT)
    res = run_to_precision(sc, ["open_cases_mean"], 0.05, min_reps=3, max_reps=60, seed=1)
    info = res.extra["precision"]
    assert info["reached"] and res.reps == info["history"][-1]["reps"] >= 3
    mean, _, lo, hi, _ = t_interval(res.per_rep["open_cases_mean"])
    assert (hi - lo) / 2 <= 0.05 * mean
    capped = run_to_precision(sc, ["wait_to_allocation_days"], 0.001, min_reps=3, max_reps=6)
    assert capped.reps == 6 and not capped.extra["precision"]["reached"]


def _sweep_file(tmp_path, design: str, extra: str = "") -> str:
    text = f"""name: t
base: {DEFAULT}
set: [horizon_days=40, warmup_days=10]
design: {design}
reps: 2
{extra}
fields:
  team.permanent: {{low: 7, high: 11{", steps: 3" if design == "grid" else ""}}}
  demand.referrals_per_week: {{low: 20, high: 34{", steps: 2" if design == "grid" else ""}}}
"""
    path = tmp_path / f"{design}.yaml"
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize(
    "design, points, extra",
    [
        ("grid", 6, ""),
        ("lhs", 5, "points: 5"),
        ("sobol", 4 * (2 + 2), "points: 4"),
    ],
)
def test_sweep_designs_write_one_row_per_point_and_rep(tmp_path, design, points, extra):
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["sweep", _sweep_file(tmp_path, design, extra), "--out", str(out), "-q"]
    )
    assert result.exit_code == 0, result.output
    rows = pd.read_parquet(out / "sweep.parquet")
    assert len(rows) == points * 2
    assert not rows.duplicated(["point", "rep"]).any()
    summary = pd.read_parquet(out / "sweep_summary.parquet")
    assert len(summary) == points and (summary["reps"] == 2).all()
    assert rows["team.permanent"].between(7, 11).all()
    assert pd.api.types.is_integer_dtype(rows["team.permanent"])  # an integer field stays one
    if design == "lhs":  # one point in each fifth of each range
        strata = np.floor(
            (rows.drop_duplicates("point")["demand.referrals_per_week"] - 20) / 14 * 5
        )
        assert sorted(strata.astype(int)) == [0, 1, 2, 3, 4]
    if design == "sobol":
        indices = pd.read_csv(out / "sobol.csv")
        assert {"S1", "ST", "S1_conf", "ST_conf"} <= set(indices.columns)
        assert set(indices["field"]) == {"team.permanent", "demand.referrals_per_week"}


def test_bad_sweep_file_is_one_line_per_problem(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        f"base: {DEFAULT}\ndesign: grid\nfields:\n  team.permanent: {{low: 7, high: 9}}\n"
    )
    result = runner.invoke(app, ["sweep", str(bad)])
    assert result.exit_code == 2
    assert "a grid needs values, or low/high with steps" in result.output
    assert "Traceback" not in result.output


def test_a_killed_sweep_resumes_with_no_lost_or_duplicated_rows(tmp_path):
    sweep_path = _sweep_file(tmp_path, "grid")
    out = tmp_path / "killed"
    cmd = [sys.executable, str(ROOT / "run.py"), "sweep", sweep_path, "--out", str(out), "-q"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline and len(list((out / "parts").glob("metrics-*"))) < 4:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    finished_before = len(list((out / "parts").glob("metrics-*")))
    assert 4 <= finished_before < 12, finished_before
    assert not list((out / "parts").glob(".*.tmp"))  # no half-written part survives a kill -9
    resumed = subprocess.run(
        [*cmd[:-3], "--resume", str(out), "-q", "--log", "json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert resumed.returncode == 0, resumed.stderr
    ran = [json.loads(line) for line in resumed.stderr.splitlines() if line.startswith("{")]
    # only the missing tasks run again (the done ones are read back)
    assert sum(1 for e in ran if e["event"] == "task") == 12
    rows = pd.read_parquet(out / "sweep.parquet")
    assert len(rows) == 12 and not rows.duplicated(["point", "rep"]).any()
    fresh = tmp_path / "fresh"
    subprocess.run([*cmd[:-3], "--out", str(fresh), "-q"], cwd=tmp_path, check=True, timeout=300)
    pd.testing.assert_frame_equal(rows, pd.read_parquet(fresh / "sweep.parquet"), check_exact=True)


def test_a_failed_replication_is_reported_and_the_rest_carry_on(tmp_path, monkeypatch):
    real = experiment.simulate_replication

    def flaky(scenario, rep, seed, extra=()):
        if rep == 2:
            raise RuntimeError("model fell over")
        return real(scenario, rep, seed, extra)

    monkeypatch.setattr(experiment, "simulate_replication", flaky)
    out = tmp_path / "run"
    result = runner.invoke(
        app,
        ["run", str(DEFAULT), "--reps", "4", "--out", str(out), "--set", "horizon_days=30", "-q"],
    )
    assert result.exit_code == 3
    assert "point 0 replication 2 (seed 20261123) failed: RuntimeError: model fell over" in (
        result.output
    )
    assert len(pd.read_parquet(out / "replications.parquet")) == 3
    failure = json.loads(next((out / "failures").glob("*.json")).read_text())
    trace = failure.pop("traceback")  # the whole traceback is kept; the console shows one line
    assert trace.startswith("Traceback") and trace.rstrip().endswith("model fell over")
    assert "in run_task" in trace and len(trace.splitlines()) > 3
    assert failure == {
        "point": 0,
        "rep": 2,
        "seed": 20261123,
        "error": "RuntimeError: model fell over",
    }
    monkeypatch.setattr(experiment, "simulate_replication", real)  # the bug is fixed
    again = runner.invoke(
        app,
        [
            "run",
            str(DEFAULT),
            "--reps",
            "4",
            "--resume",
            str(out),
            "--set",
            "horizon_days=30",
            "-q",
            "--log",
            "json",
        ],
    )
    assert again.exit_code == 0, again.output
    tasks = [json.loads(x) for x in again.output.splitlines() if x.startswith('{"event": "task"')]
    assert len(tasks) == 4  # 3 read back, 1 re-run
    assert len(pd.read_parquet(out / "replications.parquet")) == 4
    assert not list((out / "failures").glob("*.json"))


def test_staffing_search_finds_the_erlang_c_answer():
    sc = load_scenario(MMC, ["horizon_days=600", "warmup_days=100"])
    answer = staffing_search(
        sc, Target.parse("wait_to_allocation_days <= 0.2"), reps=8, lowest=1, highest=20
    )
    theory = min(c for c in range(5, 20) if erlang_c_wait(4.5, 1.0, c) <= 0.2)
    assert answer.value == theory == 7
    assert answer.evidence["met"].tolist() == sorted(answer.evidence["met"].tolist())


@pytest.mark.parametrize(
    "field, words",
    [
        ("pathways.job.weight", "needs a whole-number field"),  # a path through a mapping
        ("team.permanant", "team.permanant: no such field"),
    ],
)
def test_staffing_command_rejects_a_bad_field_in_one_line(field, words):
    result = runner.invoke(
        app, ["staffing", str(MMC), "--target", "unallocated_mean <= 1", "--field", field]
    )
    assert result.exit_code == 2 and words in result.output, result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_staffing_command_rejects_a_bad_target():
    result = runner.invoke(app, ["staffing", str(DEFAULT), "--target", "waiting < five"])
    assert result.exit_code == 2 and "METRIC <= NUMBER" in result.output


def test_evaluate_is_a_plain_function_of_field_values():
    a = workload_sim.evaluate(DEFAULT, reps=2, horizon_days=40, team__permanent=7)
    b = workload_sim.evaluate(DEFAULT, reps=2, horizon_days=40, team__permanent=12)
    assert set(a) >= {"wait_to_allocation_days", "unallocated_mean", "caseload_mean"}
    assert a["caseload_mean"] > b["caseload_mean"]
    # the same values again give the same numbers (a metric with nothing to measure in 40
    # days, e.g. the 45-day assessment share, is NaN both times: assert_equal treats NaN
    # as equal to NaN, where == on a dict would not)
    np.testing.assert_equal(
        a, workload_sim.evaluate(DEFAULT, reps=2, horizon_days=40, team__permanent=7)
    )


@pytest.mark.parametrize("name", ["sweep_staffing_demand.yaml", "sweep_sobol.yaml"])
def test_documented_example_sweeps_load(name):
    from workload_sim.experiments.sweep import load_sweep

    sweep = load_sweep(ROOT / "docs" / "examples" / name)
    assert len(sweep.scenarios) == len(sweep.design) > 0
