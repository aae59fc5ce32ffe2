"""One vocabulary across run, compare, sweep and staffing (issue 10, section 3): each
defect the issue lists has a test here that failed on the code before the fix."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import workload_sim
from workload_sim.cli import app
from workload_sim.experiments.outputs import default_out_dir
from workload_sim.scenario.loading import load_scenario

from .conftest import DEFAULT, ROOT

runner = CliRunner()
SMALL = ["--days", "20", "--warmup-days", "10"]
SHARED = ["--reps", "--seed", "--days", "--warmup-days", "--precision", "--backend", "--workers"]
SHARED += ["--scheduler", "--out", "--set", "--quiet", "--log"]


def _ok(args: list[str]):
    result = runner.invoke(app, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def test_version():
    assert _ok(["--version"]).stdout.strip() == f"workload-sim {workload_sim.__version__}"


@pytest.mark.parametrize("command", ["run", "compare", "sweep", "staffing"])
def test_every_experiment_command_takes_the_shared_options(command):
    text = runner.invoke(app, [command, "--help"], terminal_width=200).stdout
    assert [o for o in SHARED if o not in text] == []


def test_quiet_run_prints_only_where_it_wrote(tmp_path):
    out = tmp_path / "r"
    result = _ok(["run", str(DEFAULT), "--reps", "2", *SMALL, "-q", "--out", str(out)])
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1 and f"{out}/" in lines[0], lines


def _copy(tmp_path, name: str, replications: int, permanent: int = 8):
    """A copied scenario: new file name, the old name: and description kept."""
    text = DEFAULT.read_text().replace("replications: 10", f"replications: {replications}")
    text = text.replace("  permanent: 8", f"  permanent: {permanent}")
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    assert load_scenario(path).team.permanent == permanent  # the edit took
    return path


def test_compare_honours_the_files_replications_and_says_where(tmp_path):
    a, b = _copy(tmp_path, "a", 3), _copy(tmp_path, "b", 3, permanent=7)
    out = tmp_path / "c"
    result = _ok(["compare", str(a), str(b), *SMALL, "-q", "--out", str(out)])
    assert result.stdout.strip() == f"comparison written to {out}/"
    assert json.loads((out / "manifest.json").read_text())["reps"] == 3
    reps = pd.read_parquet(out / "comparison_reps.parquet")
    assert sorted(reps["rep"].unique()) == [0, 1, 2]
    assert (yaml.safe_load((out / "scenario-1.yaml").read_text())["horizon_days"]) == 20


def _sweep_file(tmp_path):
    path = tmp_path / "sw.yaml"
    path.write_text(
        f"name: tiny\nbase: {DEFAULT}\ndesign: grid\nreps: 5\nseed: 3\n"
        "fields:\n  team.permanent: {values: [8, 9]}\n"
    )
    return path


def test_sweep_takes_reps_seed_and_days_from_the_command_line(tmp_path):
    out = tmp_path / "s"
    args = ["sweep", str(_sweep_file(tmp_path)), "--reps", "2", "--seed", "11", *SMALL]
    result = _ok([*args, "-q", "--out", str(out)])
    assert result.stdout.strip() == f"sweep written to {out}/"
    per_rep = pd.read_parquet(out / "sweep.parquet")
    assert len(per_rep) == 2 * 2 and set(per_rep["seed"]) == {11}
    assert yaml.safe_load((out / "base_scenario.yaml").read_text())["horizon_days"] == 20


@pytest.mark.parametrize(
    "extra, named",
    [(["--set", "team.permanent=12"], "--set team.permanent=12"), (["--days", "30"], None)],
)
def test_sweep_refuses_a_set_of_a_field_it_varies(tmp_path, extra, named):
    sweep = _sweep_file(tmp_path)
    if named is None:  # a sweep of the horizon: --days would be overridden at every point
        sweep.write_text(sweep.read_text().replace("team.permanent", "horizon_days"))
        named = "--days 30"
    result = runner.invoke(app, ["sweep", str(sweep), *extra, "--out", str(tmp_path / "x")])
    assert result.exit_code == 2
    line = result.output.strip()
    assert line.startswith(f"error: {named}: the sweep varies ") and "\n" not in line
    assert not (tmp_path / "x").exists()


def test_resolved_yaml_piped_to_a_file_validates_again(tmp_path):
    resolved = tmp_path / "r.yaml"
    with resolved.open("w") as fh:  # a real pipe to a file: not a terminal
        subprocess.run(
            [sys.executable, "-m", "workload_sim", "validate", str(DEFAULT), "--resolved"]
            + ["--set", "sources.demand.referrals_per_week='our log [b]:warning:[/b]'"],
            stdout=fh,
            check=True,
            cwd=ROOT,
        )
    assert max(map(len, resolved.read_text().splitlines())) > 80  # long lines kept whole
    again = load_scenario(resolved)  # and as text, not markup or emoji
    assert again.name == "adult_safeguarding_team"
    assert again.sources["demand.referrals_per_week"] == "our log [b]:warning:[/b]"


def test_a_copied_scenario_takes_its_files_name_and_its_own_description(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    copied = _copy(tmp_path, "my_team", 2, permanent=6)
    result = _ok(["run", str(copied), "--reps", "2", *SMALL])
    folder = re.search(r"results written to (\S+)/", result.stdout).group(1)
    assert folder.startswith("results/my_team-"), folder
    page = (tmp_path / folder / "report.html").read_text()
    assert "my_team: is this workload safe?" in page
    # the shipped team's vacant post comes with the copy
    assert "A team of 7 social workers (6 experienced, 1 newly qualified; 1 post vacant)" in page
    # not the copied file's stale description (the source note on team.permanent in the
    # assumptions table names the shipped team's "8 experienced" as its reasoning)
    assert "8 experienced social workers" not in page and "adult_safeguarding_team:" not in page
    _ok(["evidence", folder])
    summary = (tmp_path / folder / "evidence" / "SUMMARY.md").read_text()
    assert "# Evidence: my_team" in summary and "A team of 7 social workers" in summary
    assert "8 experienced social workers" not in summary
    # the pack's reproduce line, run as written in the pack's folder, gives the same numbers
    line = next(x.strip() for x in summary.splitlines() if x.strip().startswith("workload-sim"))
    monkeypatch.chdir(tmp_path / folder / "evidence")
    words = shlex.split(line)
    assert words[0] == "workload-sim" and "--name" in words
    _ok(words[1:])
    again = pd.read_csv("rerun/summary.csv").set_index("metric")["mean"]
    first = pd.read_csv("summary.csv").set_index("metric")["mean"]
    pd.testing.assert_series_equal(again, first, check_exact=True)
    assert (
        "my_team: is this workload safe?"
        in (tmp_path / folder / "evidence" / "rerun" / "report.html").read_text()
    )


def test_default_folders_of_runs_in_the_same_second_differ(tmp_path):
    first = default_out_dir("team", tmp_path)
    first.mkdir()
    assert default_out_dir("team", tmp_path) != first


def test_an_unreachable_scheduler_is_one_line_and_leaves_nothing_behind(tmp_path, monkeypatch):
    from workload_sim.experiments import backends

    monkeypatch.setattr(
        backends, "CONNECT_SECONDS", 1, raising=False
    )  # the real 5 s: test_doc_commands
    out = tmp_path / "x"
    args = ["run", str(DEFAULT), "--reps", "2", *SMALL, "--out", str(out)]
    for _ in range(2):  # the same command again is refused the same way, not "already holds"
        result = runner.invoke(app, [*args, "--scheduler", "tcp://127.0.0.1:9"])
        assert result.exit_code == 2, result.output
        line = result.output.strip()
        assert "\n" not in line and line.startswith("error: --scheduler tcp://127.0.0.1:9: ")
        assert not out.exists()
    _ok(args)  # and with the cluster's place taken by this machine, it runs


def test_sweep_precision_adds_replications_at_every_point_until_met(tmp_path):
    metric = "open_cases_mean"
    args = ["sweep", str(_sweep_file(tmp_path)), "--reps", "2", *SMALL]
    args += ["--precision", "0.03", "--precision-metric", metric]
    _ok([*args, "--max-reps", "12", "-q", "--out", str(tmp_path / "s")])
    summary = pd.read_parquet(tmp_path / "s" / "sweep_summary.parquet")
    n = int(summary["reps"].iloc[0])
    assert (summary["reps"] == n).all() and 2 < n < 12  # the same at every point
    assert len(pd.read_parquet(tmp_path / "s" / "sweep.parquet")) == 2 * n
    half = (summary[f"{metric}_ci_high"] - summary[f"{metric}_ci_low"]) / 2
    assert (half / summary[metric] <= 0.03).all()
    # a cap too low to reach it: stops there and says so
    capped = runner.invoke(app, [*args, "--max-reps", "3", "--out", str(tmp_path / "c")])
    assert capped.exit_code == 0 and "--precision 0.03 not reached after 3" in capped.output
    assert (pd.read_parquet(tmp_path / "c" / "sweep_summary.parquet")["reps"] == 3).all()


def test_staffing_precision_reports_the_answer_to_that_precision(tmp_path):
    out = tmp_path / "st"
    args = ["staffing", str(DEFAULT), "--target", "utilisation <= 0.99", "--reps", "2"]
    args += [*SMALL, "--min", "8", "--max", "10", "--precision", "0.02", "--max-reps", "8"]
    result = _ok([*args, "-q", "--out", str(out)])
    assert result.stdout.strip() == f"evidence written to {out}/"
    record = json.loads((out / "staffing.json").read_text())
    at = record["at_answer"]
    assert at["value"] == record["answer"] and 2 <= at["reps"] <= 8
    # independent: the same team, seed and replications through the Python API
    again = workload_sim.run(
        DEFAULT,
        reps=at["reps"],
        seed=record["seed"],
        days=20,
        overrides=["warmup_days=10", f"team.permanent={at['value']}"],
    ).summary.set_index("metric")
    for metric, row in at["metrics"].items():
        assert row["mean"] == pytest.approx(again.loc[metric, "mean"], rel=1e-12)


def test_staffing_help_names_one_default_precision_metric():
    # it said "default: the target's metric" in one place and the run's two metrics in another
    from typer.testing import CliRunner

    from workload_sim.cli import app

    text = " ".join(CliRunner().invoke(app, ["staffing", "--help"]).output.split())
    assert "default: the target's own metric" in text
    assert "default wait_to_allocation_days" not in text
