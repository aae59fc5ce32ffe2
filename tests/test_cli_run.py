"""The run command and Python API: tables, summary, manifest, atomic writes."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

import workload_sim
from workload_sim.cli import app
from workload_sim.experiments.outputs import atomic_write

from .conftest import DEFAULT

runner = CliRunner()

TS_COLUMNS = {
    "rep",
    "day",
    "date",
    "unallocated",
    "open_cases",
    "caseload_mean",
    "caseload_max",
    "hours_worked",
    "overtime_hours",
}
CASE_COLUMNS = {
    "rep",
    "id",
    "urgency",
    "arrival",
    "triage_outcome",
    "allocated_at",
    "closed_at",
    "wait_to_allocation",
    "time_in_system",
    "steps_done",
    "failures",
    "open_at_end",
}
METRICS = {
    "wait_to_allocation_days",
    "time_in_system_days",
    "unallocated_end",
    "backlog_growth_per_week",
}


def test_run_writes_every_table(run_dir):
    ts = pd.read_parquet(run_dir / "timeseries.parquet")
    assert TS_COLUMNS <= set(ts.columns)
    assert len(ts) == 3 * (40 + 60)  # reps x (horizon + warm-up days)
    cases = pd.read_parquet(run_dir / "cases.parquet")
    assert CASE_COLUMNS <= set(cases.columns)
    workers = pd.read_parquet(run_dir / "workers.parquet")
    # 10 posts (8 permanent + 1 newly qualified + the shipped team's vacant post, held by
    # agency and then a recruit); leavers and recruits both listed
    assert (workers[workers["post"] >= 0].groupby("rep")["post"].nunique() == 10).all()
    summary = pd.read_csv(run_dir / "summary.csv")
    assert list(summary.columns[:6]) == ["metric", "mean", "std", "ci_low", "ci_high", "reps"]
    assert METRICS <= set(summary["metric"])
    assert (summary["reps"] <= 3).all()


def test_run_writes_resolved_scenario_and_manifest(run_dir):
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["seed"] == 5 and manifest["reps"] == 3 and manifest["horizon_days"] == 40
    assert len(manifest["scenario_sha256"]) == 64
    assert "--set team.permanent=8" in manifest["command"]
    again = workload_sim.load_scenario(run_dir / "scenario.yaml")
    assert again.team.permanent == 8
    # re-running the resolved scenario with the manifest's seed reproduces the tables
    res = workload_sim.run(run_dir / "scenario.yaml", reps=3, seed=5)
    pd.testing.assert_frame_equal(
        res.timeseries.reset_index(drop=True),
        pd.read_parquet(run_dir / "timeseries.parquet"),
        check_exact=True,
    )
    assert not list(run_dir.glob(".*.tmp"))


def test_run_refuses_to_overwrite_a_previous_run(run_dir):
    result = runner.invoke(app, ["run", str(DEFAULT), "--reps", "1", "--out", str(run_dir)])
    assert result.exit_code == 2 and "already holds" in result.output


def test_run_with_bad_override_exits_2(tmp_path):
    result = runner.invoke(
        app, ["run", str(DEFAULT), "--out", str(tmp_path / "x"), "--set", "team.permanent=-1"]
    )
    assert result.exit_code == 2 and "team.permanent" in result.output
    assert not (tmp_path / "x").exists()


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "table.csv"

    def broken(tmp):
        tmp.write_text("half a file")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(target, broken)
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_python_api_returns_the_same_tables(default_small):
    res = default_small
    assert TS_COLUMNS <= set(res.timeseries.columns)
    assert CASE_COLUMNS <= set(res.cases.columns)
    assert res.reps == 4
    assert res.metric("wait_to_allocation_days")["reps"] == 4


def test_a_sequential_run_says_when_each_goal_was_met(capsys):
    # the last round said "verdict decided after 200 replications" when --precision had
    # kept it going: each goal's own look is said, and where the run stopped
    from workload_sim.cli.run_words import _say_how_it_stopped

    info = {
        "target": 0.2,
        "metrics": ["open_cases_mean"],
        "reached": True,
        "verdict": "stable",
        "verdict_decided": True,
        "verdict_margin": 0.25,
        "decision_confidence": 0.99,
        "looks": [10, 20, 40],
        "max_reps": 40,
        "history": [
            {"reps": 10, "open_cases_mean": 0.15, "verdict": "not shown"},
            {"reps": 20, "open_cases_mean": 0.11, "verdict": "stable"},
            {"reps": 40, "open_cases_mean": 0.08, "verdict": "stable"},
        ],
    }
    _say_how_it_stopped(info, 40, quiet=False)
    said = " ".join(capsys.readouterr().out.split())
    assert "--precision 0.2 reached after 10 replications" in said
    assert "the run stopped after 40" in said
    assert "backlog verdict decided after 20 replications: STABLE" in said
