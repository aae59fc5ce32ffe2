"""Reports and the evidence pack, checked without a browser (the browser test opens them)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from workload_sim.cli import app
from workload_sim.report.verdict import backlog_trend

from .conftest import DEFAULT, ROOT

runner = CliRunner()


def test_run_writes_a_self_contained_report(run_dir):
    text = (run_dir / "report.html").read_text()
    head = text[: text.index("</head>")]
    assert head.count("<script>") == 1 and "<script src" not in head  # plotly.js inline
    assert 'src="http' not in text  # nothing loaded from the network (the browser test
    # also checks no request leaves the machine)
    assert "plotly.js (cartesian - minified) v4.1.1" in text
    for heading in (
        "Verdict",
        "The backlog",
        "Caseloads",
        "Waits",
        "Every assumption",
        "How to reproduce this",
        "Was the warm-up long enough?",
    ):
        assert heading in text
    # the assumptions table, with sources (paths may wrap at their dots: <wbr>)
    assert "demand.referrals_per_week" in text.replace("<wbr>", "")
    assert "dhsc-sac-2025" in text  # cited by its id in docs/sources.md


def test_report_command_rebuilds_the_page(run_dir):
    (run_dir / "report.html").unlink()
    result = runner.invoke(app, ["report", str(run_dir)])
    assert result.exit_code == 0 and (run_dir / "report.html").exists()
    bad = runner.invoke(app, ["report", str(ROOT / "scenarios")])
    assert bad.exit_code == 2 and "no summary.csv" in bad.output


def test_backlog_verdict_follows_the_interval():
    def summary(mean, lo, hi):
        return pd.DataFrame(
            [{"metric": "backlog_growth_per_week", "mean": mean, "ci_low": lo, "ci_high": hi}]
        )

    assert backlog_trend(summary(2.0, 0.5, 3.5))[0] == "growing"
    assert backlog_trend(summary(-1.0, -2.0, -0.1))[0] == "shrinking"
    # a CI that reaches growth beyond the +-0.25 margin is not "stable"
    assert backlog_trend(summary(0.4, -0.2, 1.0))[0] == "not-shown"
    assert backlog_trend(summary(0.02, -0.2, 0.24))[0] == "stable"


def test_evidence_pack_holds_everything_and_reproduces_from_itself(run_dir, tmp_path):
    result = runner.invoke(app, ["evidence", str(run_dir), "--out", str(tmp_path / "pack")])
    assert result.exit_code == 0, result.output
    pack = tmp_path / "pack"
    expected = {
        "SUMMARY.md",
        "report.html",
        "summary.csv",
        "timeseries.parquet",
        "cases.parquet",
        "workers.parquet",
        "replications.csv",
        "assumptions.csv",
        "scenario.yaml",
        "manifest.json",
    }
    assert expected <= {p.name for p in pack.iterdir()}
    assert not (pack / "cases.csv").exists()  # the per-case CSV only with --csv
    with zipfile.ZipFile(tmp_path / "pack.zip") as z:
        assert {n.split("/", 1)[1] for n in z.namelist()} >= expected
    summary = (pack / "SUMMARY.md").read_text()
    assert "## Verdict" in summary and "## Reproduce this exactly" in summary
    assert "e+0" not in summary  # numbers as people write them
    notes = pd.read_csv(pack / "assumptions.csv")["source"]
    assumed = int(notes.str.startswith("assumption").sum())  # "assumption: why ..."
    assert assumed > 0 and f'{assumed} are marked "assumption"' in summary
    # the run's manifest, with the installed command; the file is called scenario.yaml, so
    # the run's own name is given to keep it
    command = "workload-sim run scenario.yaml --reps 3 --seed 5 --name adult_safeguarding_team"
    assert command in summary
    # the command, from the pack alone, gives the same summary
    script = Path(sys.executable).parent / "workload-sim"
    rerun = subprocess.run(
        [script, *command.split()[1:], "--out", "rerun", "-q"],
        cwd=pack,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert rerun.returncode == 0, rerun.stderr
    pd.testing.assert_frame_equal(
        pd.read_csv(pack / "summary.csv"), pd.read_csv(pack / "rerun" / "summary.csv")
    )


def test_evidence_pack_gives_per_case_tables_as_parquet_and_csv_only_on_request(run_dir, tmp_path):
    """Issue 20: a 200-replication pack was 26 MB with a 96 MB cases.csv."""
    small = runner.invoke(app, ["evidence", str(run_dir), "--out", str(tmp_path / "p")])
    assert small.exit_code == 0, small.output
    for name in ("cases", "timeseries", "workers"):
        pd.testing.assert_frame_equal(
            pd.read_parquet(tmp_path / "p" / f"{name}.parquet"),
            pd.read_parquet(run_dir / f"{name}.parquet"),
        )
    with_csv = runner.invoke(app, ["evidence", str(run_dir), "--out", str(tmp_path / "c"), "--csv"])
    assert with_csv.exit_code == 0, with_csv.output
    cases = pd.read_csv(tmp_path / "c" / "cases.csv")
    assert len(cases) == len(pd.read_parquet(run_dir / "cases.parquet"))
    with zipfile.ZipFile(tmp_path / "c.zip") as z:
        assert any(n.endswith("/cases.csv") for n in z.namelist())
    with zipfile.ZipFile(tmp_path / "p.zip") as z:
        assert not any(n.endswith(".csv") and "cases" in n for n in z.namelist())
    # a pack folder made again without --csv drops the CSV an earlier --csv left there
    again = runner.invoke(app, ["evidence", str(run_dir), "--out", str(tmp_path / "c")])
    assert again.exit_code == 0, again.output
    assert not (tmp_path / "c" / "cases.csv").exists()


def test_evidence_pack_holds_the_first_replications_cases_and_says_so(
    run_dir, tmp_path, monkeypatch
):
    from workload_sim.report import evidence

    monkeypatch.setattr(evidence, "CASE_REPS", 2)  # the run has 3 replications
    run_cases = pd.read_parquet(run_dir / "cases.parquet")
    pack, _ = evidence.build_pack(run_dir, tmp_path / "p")
    cases = pd.read_parquet(pack / "cases.parquet")
    expected = run_cases[run_cases["rep"].isin([0, 1])].reset_index(drop=True)
    pd.testing.assert_frame_equal(cases, expected)
    assert "holds the cases of replications 0-1 of 3" in (pack / "SUMMARY.md").read_text()
    # the summary, replications and days cover every replication
    assert len(pd.read_csv(pack / "replications.csv")) == 3
    assert set(pd.read_parquet(pack / "timeseries.parquet")["rep"]) == {0, 1, 2}
    everything = runner.invoke(
        app, ["evidence", str(run_dir), "--out", str(tmp_path / "all"), "--all-cases"]
    )
    assert everything.exit_code == 0, everything.output
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "all" / "cases.parquet"), run_cases)
    assert "holds the cases" not in (tmp_path / "all" / "SUMMARY.md").read_text()


def test_verdict_does_not_let_a_runaway_list_hide_in_the_mean_wait():
    import workload_sim
    from workload_sim.report.verdict import sentences

    res = workload_sim.run(
        DEFAULT, reps=3, days=150, overrides=["team.permanent=6", "demand.referrals_per_week=36"]
    )
    m = res.summary.set_index("metric")["mean"]
    # waits of cases still waiting count up to the horizon: never below the allocated mean
    assert m["wait_incl_still_waiting_days"] > 1.5 * m["wait_to_allocation_days"]
    text = " ".join(sentences(res.summary, 20, 5))
    assert "Counting the cases still waiting at the end" in text
    assert "GROWING" in text


def test_the_evidence_manifest_reproduce_line_uses_the_installed_command(tmp_path):
    """Issue 10: the pack's reproduce line failed after the README's set-up (python run.py
    needs the venv's python); it is the same `workload-sim run` line SUMMARY.md gives."""
    import json

    from typer.testing import CliRunner

    from workload_sim.cli import app

    out = tmp_path / "r"
    args = ["run", str(DEFAULT), "--reps", "2", "--days", "20", "--out", str(out), "-q"]
    assert CliRunner().invoke(app, args).exit_code == 0
    assert CliRunner().invoke(app, ["evidence", str(out)]).exit_code == 0
    pack = next(p for p in out.rglob("manifest.json") if p.parent != out)
    line = json.loads(pack.read_text())["reproduce_from_pack"]
    assert line.startswith("workload-sim run scenario.yaml --reps 2 --seed ")
    assert line in (pack.parent / "SUMMARY.md").read_text()
