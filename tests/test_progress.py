"""Long commands say how far they are and where they write: each bar is announced with its
total and output folder (the same facts the bar shows in a terminal), and every finished
replication is counted, the staffing search's included."""

from __future__ import annotations

import json

from typer.testing import CliRunner

import workload_sim
from workload_sim.cli import app

from .conftest import DEFAULT

runner = CliRunner()
SMALL = ["--days", "20", "--warmup-days", "10"]


def _events(args: list[str]) -> list[dict]:
    result = runner.invoke(app, [*args, "-q", "--log", "json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return [json.loads(x) for x in result.stderr.splitlines() if x.startswith("{")]


def test_a_run_announces_its_total_and_folder_and_counts_each_replication(tmp_path):
    out = tmp_path / "r"
    events = _events(["run", str(DEFAULT), "--reps", "3", *SMALL, "--out", str(out)])
    bars = [e for e in events if e["event"] == "progress"]
    assert bars == [
        {"event": "progress", "label": f"{DEFAULT.stem}: replications", "total": 3, "out": str(out)}
    ]
    assert sorted(e["rep"] for e in events if e["event"] == "task") == [0, 1, 2]


def test_the_staffing_search_counts_its_replications_and_says_where(tmp_path):
    out = tmp_path / "s"
    args = ["staffing", str(DEFAULT), "--target", "utilisation <= 0.99", "--reps", "2"]
    args += [*SMALL, "--min", "8", "--max", "10", "--max-reps", "4", "--out", str(out)]
    events = _events(args)
    bars = [e for e in events if e["event"] == "progress"]
    assert bars == [
        {"event": "progress", "label": "staffing: team.permanent", "total": None, "out": str(out)}
    ]
    record = json.loads((out / "staffing.json").read_text())
    tasks = [e for e in events if e["event"] == "task"]
    # one event per replication run: every value tried, each with its replications (the
    # evidence table counts them apart from the log)
    assert record["answer"] is not None
    assert record["version"] == workload_sim.__version__  # as every manifest carries it
    evidence = (out / "staffing_evidence.csv").read_text().splitlines()
    header = evidence[0].split(",")
    reps = sum(int(row.split(",")[header.index("reps")]) for row in evidence[1:])
    assert len(tasks) == reps and {e["point"] for e in tasks} <= set(range(8, 11))
