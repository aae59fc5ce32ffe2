"""The ten defects of issue 11, each pinned by a test that failed before the fix.

Numbers in the test names follow the issue: 1 script in sweep.html, 2 a name that walks
out of results/, 3 alias bombs, 4 endless pathways, 5 the evidence zip, 6 tracebacks,
7 sweeps checked late, 8 values that validate but cannot run, 9 crash windows, 10 the rest.
"""

from __future__ import annotations

import errno
import json
import os
import re
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from workload_sim.cli import app
from workload_sim.experiments import outputs as outputs
from workload_sim.model import pathway as planner_module
from workload_sim.model.pathway import PathwayPlanner
from workload_sim.model.streams import Streams
from workload_sim.report import experiment_pages, run_page
from workload_sim.scenario import PathwaySpec, safe_yaml
from workload_sim.scenario.loading import ScenarioError, load_scenario

from .conftest import DEFAULT, ROOT

runner = CliRunner()
QUICK = ["--days", "20", "--reps", "2", "--quiet"]


def _write(path: Path, data: dict | str) -> Path:
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data))
    return path


def _one_line_refusal(result) -> None:
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert len(result.output.strip().splitlines()) == 1, result.output


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("hostile") / "run"
    result = runner.invoke(app, ["run", str(DEFAULT), *QUICK, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


# --- 1: script in sweep.html through a field path -----------------------------------------
def test_1_a_field_path_cannot_inject_script_into_the_sweep_page(tmp_path):
    field = 'triage.urgency."><script>alert(21)</script>'
    pd.DataFrame({"point": [0, 1], field: [1.0, 2.0], "utilisation": [0.5, 0.6]}).to_parquet(
        tmp_path / "sweep_summary.parquet"
    )
    page = experiment_pages.sweep(tmp_path, [field], ["utilisation"]).read_text()
    assert "<script>alert" not in page
    ids = re.findall(r'id="([^"]*)"', page)
    assert ids and all(re.fullmatch(r"[A-Za-z0-9_-]+", i) for i in ids)


# --- 2: the name becomes a folder name ------------------------------------------------------
@pytest.mark.parametrize("name", ["../../evil/owned", "/tmp/owned-abs", "a\0b/.."])
def test_2_a_scenario_name_never_leaves_results(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    sc = yaml.safe_load(DEFAULT.read_text())
    sc["name"] = name
    path = _write(tmp_path / "s.yaml", sc)
    result = runner.invoke(app, ["run", str(path), "--days", "10", "--reps", "1", "-q"])
    if "\0" in name:  # issue 18: a control character in a name is refused, no folder made
        _one_line_refusal(result)
        assert "control character" in result.output
        assert not list(tmp_path.rglob("manifest.json"))
        return
    assert result.exit_code == 0, result.output
    made = [p for p in tmp_path.rglob("manifest.json")]
    assert len(made) == 1
    folder = made[0].parent
    assert folder.parent == tmp_path / "results"
    assert re.fullmatch(r"[A-Za-z0-9_-]+-\d{8}-\d{6}", folder.name), folder.name
    assert not Path("/tmp/owned-abs").exists()


def test_2_slug_keeps_readable_names():
    assert outputs.slug("adult_safeguarding_team") == "adult_safeguarding_team"
    assert outputs.slug("Équipe Nord / 2026") == "Equipe-Nord-2026"
    assert outputs.slug("../../") == "run"


def _never(monkeypatch, owner, name: str) -> None:
    """Make ``owner.name`` fail loudly if called: the step a refusal must come before."""

    def called(*_a, **_k):
        raise AssertionError(f"{name} was called: the refusal came too late")

    monkeypatch.setattr(owner, name, called)


# --- 3: billion laughs --------------------------------------------------------------------
def test_3_an_alias_bomb_is_refused_at_once(tmp_path, monkeypatch):
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [{','.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    path = _write(tmp_path / "bomb.yaml", "name: x\n" + "\n".join(lines) + "\ndescription: *a9\n")
    # "at once": refused on the node graph, before the 9**10 values are ever built
    # (timing lives in benchmarks/bench_refusals.py)
    _never(monkeypatch, safe_yaml._StrictLoader, "construct_document")
    result = runner.invoke(app, ["validate", str(path)])
    _one_line_refusal(result)
    assert "aliases expand to more than" in result.output


def test_3_a_few_aliases_are_still_fine(tmp_path):
    text = "name: x\nsources:\n  team.permanent: &note 'our 2026 establishment'\n"
    text += "  team.agency: *note\n"
    path = _write(tmp_path / "ok.yaml", text)
    assert runner.invoke(app, ["validate", str(path)]).exit_code == 0


# --- 4: pathways that never end -----------------------------------------------------------
def _pathways(spec: dict) -> dict[str, PathwaySpec]:
    return {k: PathwaySpec.model_validate(v) for k, v in spec.items()}


def test_4_expected_plan_length_matches_a_hand_computation_and_the_planner():
    # p: step a (branches to q w.p. 0.3), step b (happens w.p. 0.5); q: one step, back to p
    # w.p. 0.4. By hand: E_p = 1.5 + 0.3 E_q, E_q = 1 + 0.4 E_p -> E_p = 1.8 / 0.88.
    paths = _pathways(
        {
            "p": {
                "steps": [
                    {"name": "a", "branches": [{"pathway": "q", "probability": 0.3}]},
                    {"name": "b", "probability": 0.5},
                ]
            },
            "q": {"steps": [{"name": "c", "branches": [{"pathway": "p", "probability": 0.4}]}]},
        }
    )
    from workload_sim.scenario import expected_steps

    exact = expected_steps(paths)
    assert exact["p"] == pytest.approx(1.8 / 0.88, rel=1e-12)
    assert exact["q"] == pytest.approx(1 + 0.4 * 1.8 / 0.88, rel=1e-12)
    planner = PathwayPlanner(paths, Streams(7, 0))
    lengths = np.array([len(planner.plan("p")[0]) for _ in range(20_000)])
    half_width = 4 * lengths.std(ddof=1) / np.sqrt(len(lengths))
    assert abs(lengths.mean() - exact["p"]) < half_width


@pytest.mark.parametrize("probability", [1.0, 0.999])
def test_4_a_pathway_that_loops_is_refused_at_validation(probability):
    data = yaml.safe_load(DEFAULT.read_text())
    data["pathways"] = {
        "p": {"steps": [{"name": "a", "branches": [{"pathway": "p", "probability": probability}]}]}
    }
    data["triage"]["case_mix"] = {"p": 1.0}
    data.pop("warm_start", None)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(data)
    (line,) = caught.value.problems
    assert "pathways.p" in line and "limit 200" in line
    assert ("infinite" if probability == 1.0 else "1,000") in line


def test_4_the_planner_bounds_breadth_not_only_depth(monkeypatch):
    # two steps that each branch back for sure: 2^depth steps; depth 14 gives 32,767
    monkeypatch.setattr(planner_module, "MAX_DEPTH", 14)
    back = {"pathway": "p", "probability": 1.0}
    paths = _pathways(
        {"p": {"steps": [{"name": "a", "branches": [back]}, {"name": "b", "branches": [back]}]}}
    )
    plan, truncated = PathwayPlanner(paths, Streams(1, 0)).plan("p")
    assert truncated and len(plan) <= 2_000  # the planner's MAX_STEPS


# --- 5: the evidence zip ------------------------------------------------------------------
def test_5_the_evidence_zip_holds_exactly_its_own_files(quick_run):
    result = runner.invoke(app, ["evidence", str(quick_run)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(quick_run / "evidence.zip") as z:
        names = z.namelist()
    assert sorted(names) == sorted(f"evidence/{p.name}" for p in (quick_run / "evidence").iterdir())
    assert all(not n.startswith(("/", "..")) and ".." not in n.split("/") for n in names)


@pytest.mark.parametrize("where", ["..", ".", "parent-of-run", "foreign", "a-file"])
def test_5_evidence_refuses_an_out_that_is_not_a_new_or_empty_folder(where, quick_run, tmp_path):
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "mine.txt").write_text("not yours\n")
    (tmp_path / "a-file").write_text("x\n")
    target = {
        "..": quick_run / "..",
        ".": quick_run,
        "parent-of-run": quick_run.parent,
        "foreign": foreign,
        "a-file": tmp_path / "a-file",
    }[where]
    before = sorted(p.name for p in target.parent.iterdir())
    result = runner.invoke(app, ["evidence", str(quick_run), "--out", str(target)])
    _one_line_refusal(result)
    assert sorted(p.name for p in target.parent.iterdir()) == before  # no zip written


def test_5_a_symlink_in_the_pack_is_never_followed(quick_run, tmp_path):
    pack = tmp_path / "pack"
    assert runner.invoke(app, ["evidence", str(quick_run), "--out", str(pack)]).exit_code == 0
    secret = tmp_path / "secret.txt"
    secret.write_text("private-8f3a2c\n")
    (pack / "summary.csv").unlink()
    (pack / "summary.csv").symlink_to(secret)
    result = runner.invoke(app, ["evidence", str(quick_run), "--out", str(pack)])
    _one_line_refusal(result)
    with zipfile.ZipFile(tmp_path / "pack.zip") as z:
        assert all(b"private-8f3a2c" not in z.read(n) for n in z.namelist())


# --- 6: tracebacks that should have been one line -----------------------------------------
@pytest.mark.parametrize(
    "args",
    [
        ["--set", "calendar.start_date=2026-02-30"],
        ["--set", "sources=5"],
        ["--set", "pathways.s42_enquiry.steps.\u00b2.effort_hours=1"],
        ["--set", "team.permanent=" + "9" * 5000],
    ],
)
def test_6_bad_overrides_are_one_line(args):
    _one_line_refusal(runner.invoke(app, ["validate", str(DEFAULT), *args]))


@pytest.mark.parametrize(
    "text",
    [
        "calendar: {start_date: !!timestamp 2026-13-45}\n",
        "seed: !!int abc\n",
        "demand: {referrals_per_week: !!float xyz}\n",
        "seed: " + "9" * 100_000 + "\n",
        "? [a, b]\n: 1\n",
        "description: " + "[" * 1200 + "]" * 1200 + "\n",
    ],
)
def test_6_bad_yaml_is_one_line(text, tmp_path):
    path = _write(tmp_path / "bad.yaml", "name: x\n" + text)
    _one_line_refusal(runner.invoke(app, ["validate", str(path)]))


def test_6_report_and_evidence_on_an_incomplete_folder(tmp_path):
    (tmp_path / "summary.csv").write_text("metric,mean\n")
    for command in ("report", "evidence"):
        result = runner.invoke(app, [command, str(tmp_path)])
        _one_line_refusal(result)
        assert "timeseries.parquet" in result.output


@pytest.mark.parametrize("out", ["a-file", "/proc/no-such-place/out"])
def test_6_an_unusable_out_is_one_line(out, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("a-file").write_text("x\n")
    result = runner.invoke(app, ["run", str(DEFAULT), *QUICK, "--out", out])
    _one_line_refusal(result)
    assert Path("a-file").read_text() == "x\n"


def test_6_a_full_disk_is_one_line(tmp_path, monkeypatch):
    real = os.replace

    def full(src, dst):
        if str(dst).endswith(".parquet") and "parts" not in str(dst):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(dst))
        return real(src, dst)

    monkeypatch.setattr(outputs.os, "replace", full)
    result = runner.invoke(app, ["run", str(DEFAULT), *QUICK, "--out", str(tmp_path / "o")])
    _one_line_refusal(result)
    assert "No space left on device" in result.output
    assert not (tmp_path / "o" / "manifest.json").exists()


# --- 7: sweeps checked whole before any work ----------------------------------------------
@pytest.mark.parametrize(
    "extra, words",
    [
        ({"metrics": ["nonsense"]}, ["metrics", "nonsense"]),
        ({"seed": -1}, ["seed", "-1"]),
        ({"seed": 2**70}, ["22-digit"]),
        ({"fields": {"team.permanent": {"values": [{"a": 1}, {"b": 2}]}}}, ["values[0]", "dict"]),
        (
            {
                "fields": {
                    "team.permanent": {"low": 1, "high": 40, "steps": 1000},
                    "team.agency": {"low": 0, "high": 9, "steps": 1000},
                }
            },
            ["1000 x 1000 = 1,000,000 points", "limit of 10,000"],
        ),
        ({"design": "lhs", "points": 1_000_000}, ["1,000,000 points"]),
    ],
)
def test_7_sweep_files_are_refused_before_any_task(extra, words, tmp_path, monkeypatch):
    from workload_sim.cli import sweep as cli_sweep

    def no_work(*_a, **_k):
        raise AssertionError("a task ran before the sweep file was checked")

    monkeypatch.setattr(cli_sweep, "execute", no_work)
    spec = {
        "base": str(DEFAULT),
        "design": "grid",
        "reps": 1,
        "fields": {"team.permanent": {"values": [8, 9]}},
        **extra,
    }
    path = _write(tmp_path / "sweep.yaml", spec)
    result = runner.invoke(app, ["sweep", str(path), "--out", str(tmp_path / "o")])
    _one_line_refusal(result)
    assert all(w in result.output for w in words), result.output
    assert not (tmp_path / "o").exists()


# --- 8: values that validate but cannot run, and loose types ------------------------------
@pytest.mark.parametrize(
    "override, words",
    [
        ("calendar.country=ZZ", ["country 'ZZ'", "holidays"]),
        ("calendar.subdivision=XXX", ["subdivision 'XXX'", "ENG"]),
        ("warm_start.cases_per_worker=1e6", ["warm_start.cases_per_worker", "200"]),
        ("horizon_days=25300", ["horizon_days", "5060"]),
        ("seed=true", ["seed", "True"]),
        ("team.permanent=true", ["team.permanent", "True"]),
        ("team.permanent='8'", ["team.permanent", "'8'"]),
        ("team.permanent=0x10", ["team.permanent", "'0x10'"]),
        ("demand.referrals_per_week='28'", ["demand.referrals_per_week", "'28'"]),
    ],
)
def test_8_values_the_model_cannot_use_are_refused_at_validation(override, words):
    result = runner.invoke(app, ["validate", str(DEFAULT), "--set", override])
    _one_line_refusal(result)
    assert all(w in result.output for w in words), result.output


def test_8_growth_over_a_long_horizon_names_both_fields():
    result = runner.invoke(
        app,
        ["validate", str(DEFAULT), "--set", "horizon_days=5000", "--set", "demand.annual_growth=2"],
    )
    _one_line_refusal(result)
    assert "demand.annual_growth" in result.output and "horizon_days" in result.output


# --- 9: crash windows ---------------------------------------------------------------------
def test_9_the_manifest_is_written_after_the_report(tmp_path, monkeypatch):
    out = tmp_path / "run"

    def killed(folder):
        raise KeyboardInterrupt  # a kill between the tables and the page

    monkeypatch.setattr(run_page, "build", killed)
    runner.invoke(app, ["run", str(DEFAULT), *QUICK, "--out", str(out)])
    assert (out / "summary.csv").exists() and not (out / "manifest.json").exists()
    monkeypatch.undo()
    again = runner.invoke(app, ["run", str(DEFAULT), *QUICK, "--resume", str(out)])
    assert again.exit_code == 0, again.output
    assert (out / "report.html").exists() and (out / "manifest.json").exists()
    assert "report.html" in json.loads((out / "manifest.json").read_text())["files"]


def test_9_resume_of_a_run_without_its_report_rebuilds_it(quick_run):
    (quick_run / "report.html").unlink()
    result = runner.invoke(app, ["run", str(DEFAULT), *QUICK, "--resume", str(quick_run)])
    assert result.exit_code == 0, result.output
    assert "rebuilt" in result.output and (quick_run / "report.html").exists()


def test_9_a_live_lock_refuses_and_a_dead_one_is_taken_over(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (out / ".lock").write_text(f"{holder.pid}\n")
        result = runner.invoke(app, ["run", str(DEFAULT), *QUICK, "--out", str(out)])
        _one_line_refusal(result)
        assert f"process {holder.pid}" in result.output
    finally:
        holder.kill()
        holder.wait()
    # the holder is dead now: its lock is stale
    result = runner.invoke(app, ["run", str(DEFAULT), *QUICK, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert not (out / ".lock").exists()


def _children(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        text = (task / "children").read_text() if (task / "children").exists() else ""
        found |= {int(x) for x in text.split()}
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_9_pool_workers_exit_when_the_parent_is_killed(tmp_path):
    args = [sys.executable, str(ROOT / "run.py"), "run", str(DEFAULT), "--backend", "process"]
    args += ["--workers", "2", "--reps", "6", "--quiet", "--out", str(tmp_path / "o")]
    parent = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        workers: set[int] = set()
        while time.monotonic() < deadline and len(workers) < 2:
            time.sleep(0.2)
            workers = _children(parent.pid)
        assert len(workers) >= 2, "the pool never started"
        time.sleep(1.0)  # the workers are busy with replications now
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(_alive(w) for w in workers):
            time.sleep(0.1)
        assert not any(_alive(w) for w in workers)
    finally:
        for w in _children(parent.pid) | workers:
            if _alive(w):
                os.kill(w, signal.SIGKILL)


# --- 10: the rest -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "section, words",
    [
        ({"triage": {"urgency": {"high": {"share": 1.0, "foo": 1}}}}, ["allocation_target_days"]),
        (
            {"pathways": {"p": {"stepz": [], "steps": [{"name": "a"}]}}},
            ["did you mean 'steps'"],
        ),
    ],
)
def test_10_unknown_keys_in_named_sections_list_what_is_allowed(section, words, tmp_path):
    path = _write(tmp_path / "s.yaml", {"name": "x", **section})
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    line = next(x for x in result.output.splitlines() if "unknown field" in x)
    assert all(w in line for w in words) and not line.rstrip().endswith("allowed here:")


def test_10_a_huge_file_is_refused_before_it_is_read(tmp_path, monkeypatch):
    path = tmp_path / "big.yaml"
    with path.open("w") as fh:
        fh.write("name: big\nsources:\n")
        for i in range(60_000):
            fh.write(f"  k{i}: '{'x' * 60}'\n")
    _never(monkeypatch, Path, "open")  # refused on its size, never opened
    _never(monkeypatch, safe_yaml, "_prescan")
    result = runner.invoke(app, ["validate", str(path)])
    _one_line_refusal(result)
    assert "limit" in result.output


def test_10_a_big_file_under_the_size_cap_is_refused_without_building_it(tmp_path, monkeypatch):
    path = tmp_path / "many.yaml"
    path.write_text("name: x\nsources:\n" + "".join(f"  k{i}: a\n" for i in range(150_000)))
    assert 1_000_000 < path.stat().st_size < 2 * 1024 * 1024
    # refused on libyaml's event stream: no tree of 150,000 nodes is composed
    _never(monkeypatch, safe_yaml._StrictLoader, "get_single_node")
    result = runner.invoke(app, ["validate", str(path)])
    _one_line_refusal(result)
    assert "more than 20,000 values" in result.output


def test_10_out_on_someone_elses_folder_needs_force(tmp_path):
    out = tmp_path / "theirs"
    out.mkdir()
    (out / "summary.csv").write_text("their own table\n")
    refused = runner.invoke(app, ["run", str(DEFAULT), *QUICK, "--out", str(out)])
    _one_line_refusal(refused)
    assert "--force" in refused.output
    assert (out / "summary.csv").read_text() == "their own table\n"
    forced = runner.invoke(app, ["run", str(DEFAULT), *QUICK, "--out", str(out), "--force"])
    assert forced.exit_code == 0, forced.output
    assert (out / "manifest.json").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["staffing", str(DEFAULT), "--target", "waiting < five"],
        ["run", str(DEFAULT), "--set", "team.permanent=true"],
        ["compare", str(DEFAULT), str(DEFAULT), "--set", "seed=-1"],
    ],
)
def test_10_a_refused_command_writes_nothing(args, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _one_line_refusal(runner.invoke(app, args))
    assert list(tmp_path.iterdir()) == []


def test_a_sobol_field_that_does_not_vary_is_refused_in_one_line(tmp_path):
    """Found by the sweep fuzzing: low == high reached SALib ('Bounds are not legal')."""
    from typer.testing import CliRunner

    from workload_sim.cli import app

    from .conftest import DEFAULT

    sweep = tmp_path / "flat.yaml"
    sweep.write_text(
        f"base: {DEFAULT}\nset: [horizon_days=20]\ndesign: sobol\n"
        "fields:\n  team.permanent: {low: 0, high: 0}\n"
    )
    res = CliRunner().invoke(app, ["sweep", str(sweep), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2, res.output
    assert "fields.team.permanent: low and high are both 0" in res.output
    assert len(res.output.strip().splitlines()) == 1
