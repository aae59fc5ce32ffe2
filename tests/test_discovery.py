"""Scenario discovery (``workload-sim discover``) on synthetic sweeps whose true region is
known: PRIM's box recovers it, the irrelevant fields are left free, CART agrees, and bad
input gets one line."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy.stats import qmc
from typer.testing import CliRunner

from workload_sim.cli import app
from workload_sim.experiments import discovery as disc

METRIC = "backlog_growth_per_week"


def _runs(x: pd.DataFrame, truth: np.ndarray, noise: float, seed: int, reps: int = 1):
    """Runs of a sweep: the metric is +1 where the condition holds, -1 where not, with a
    share ``noise`` of the labels flipped at random."""
    rng = np.random.default_rng(seed)
    design = x.copy()
    design.insert(0, "point", range(len(x)))
    runs = design.loc[design.index.repeat(reps)].reset_index(drop=True)
    runs["rep"] = np.tile(np.arange(reps), len(x))
    runs["seed"] = seed
    hit = np.repeat(truth, reps) ^ (rng.random(len(runs)) < noise)
    runs[METRIC] = np.where(hit, 1.0, -1.0)
    runs["wait_to_allocation_days"] = 3.0  # the same in every run
    return design, runs


def _lhs(n: int = 2000, seed: int = 1):
    u = qmc.LatinHypercube(d=4, seed=seed).random(n)
    x = pd.DataFrame(u, columns=["x1", "x2", "x3", "x4"])
    return x, (x["x1"] > 0.6).to_numpy() & (x["x2"] < 0.3).to_numpy()


@pytest.fixture(scope="module")
def lhs_found():
    x, truth = _lhs()
    design, runs = _runs(x, truth, noise=0.05, seed=2)
    cond = disc.parse_condition(f"{METRIC} > 0")
    return disc.discover(runs, list(x.columns), cond, resamples=10)


def test_prim_recovers_the_true_box(lhs_found):
    box = lhs_found.boxes[lhs_found.boxes["method"] == "prim"].iloc[0]
    # truth: x1 > 0.6 and x2 < 0.3; x3 and x4 do not matter
    assert box["x1 low"] == pytest.approx(0.6, abs=0.05)
    assert box["x2 high"] == pytest.approx(0.3, abs=0.05)
    assert np.isnan(box["x1 high"]) and np.isnan(box["x2 low"])
    assert box["restricted"] == "x1;x2"
    for f in ("x3", "x4"):
        assert np.isnan(box[f"{f} low"]) and np.isnan(box[f"{f} high"])
    # with 5% of labels flipped, about 95% of the runs in the true box meet the condition
    # and about 72% of those meeting it lie inside (the rest are flipped labels outside)
    assert box["density"] > 0.9 and box["coverage"] > 0.65
    stab = lhs_found.stability.set_index("field")["restricted_share"]
    assert stab["x1"] >= 0.9 and stab["x2"] >= 0.9
    assert stab["x3"] <= 0.2 and stab["x4"] <= 0.2
    assert "x1 is at least 0.6" in lhs_found.sentences[0]
    assert (
        "x2 is at most 0.3" in lhs_found.sentences[0]
        or "x2 is at most 0.29" in (lhs_found.sentences[0])
    )


def test_cart_first_splits_agree(lhs_found):
    (depth0, field0, cut0), *rest = lhs_found.cart_splits
    truth = {"x1": 0.6, "x2": 0.3}
    assert depth0 == 0 and field0 in truth and cut0 == pytest.approx(truth[field0], abs=0.05)
    other = {"x1": "x2", "x2": "x1"}[field0]
    assert any(f == other and v == pytest.approx(truth[f], abs=0.05) for _, f, v in rest)
    leaf = lhs_found.boxes[lhs_found.boxes["method"] == "cart"]
    assert len(leaf) >= 1 and set(leaf.iloc[0]["restricted"].split(";")) == {"x1", "x2"}


def test_grid_and_whole_numbers_within_one_step():
    """A grid of whole-number staff (6..11) by referrals in steps of 2: the box is staff at
    most 8 and referrals at least 30, within one grid step."""
    staff, refs = np.arange(6, 12), np.arange(22, 40, 2.0)
    grid = pd.DataFrame(
        [(s, r) for s in staff for r in refs], columns=["team.permanent", "referrals"]
    )
    grid["team.permanent"] = grid["team.permanent"].astype(int)
    truth = (grid["team.permanent"] <= 8).to_numpy() & (grid["referrals"] >= 30).to_numpy()
    design, runs = _runs(grid, truth, noise=0.03, seed=3, reps=8)
    found = disc.discover(runs, list(grid.columns), disc.parse_condition(f"{METRIC} >= 1"), None, 0)
    box = found.boxes.iloc[0]
    assert box["team.permanent high"] == pytest.approx(8, abs=1)
    assert box["referrals low"] == pytest.approx(30, abs=2)
    assert np.isnan(box["team.permanent low"]) and np.isnan(box["referrals high"])


def test_a_field_of_words_is_narrowed_to_its_values():
    rng = np.random.default_rng(4)
    x = pd.DataFrame(
        {"profile": rng.choice(["a", "b", "c"], 900), "x1": rng.random(900), "x2": rng.random(900)}
    )
    truth = (x["profile"] == "b").to_numpy() & (x["x1"] > 0.5).to_numpy()
    design, runs = _runs(x, truth, noise=0.02, seed=5)
    found = disc.discover(runs, list(x.columns), disc.parse_condition(f"{METRIC} > 0"), None, 0)
    box = found.boxes.iloc[0]
    assert box["profile values"] == "b"
    assert box["x1 low"] == pytest.approx(0.5, abs=0.05)
    assert "profile is b" in found.sentences[0]


def _folder(tmp_path, n=400):
    x, truth = _lhs(n, seed=6)
    design, runs = _runs(x, truth, noise=0.02, seed=7)
    folder = tmp_path / "sweep"
    folder.mkdir()
    design.to_parquet(folder / "design.parquet")
    runs.to_parquet(folder / "sweep.parquet")
    summary = runs.drop(columns=["rep", "seed"]).assign(reps=1)
    summary.to_parquet(folder / "sweep_summary.parquet")
    (folder / "sweep.yaml").write_text(f"name: synthetic\nmetrics: [{METRIC}]\n")
    return folder


def test_the_command_writes_the_tables_and_pages(tmp_path):
    folder = _folder(tmp_path)
    result = CliRunner().invoke(
        app, ["discover", str(folder), "--when", f"{METRIC} > 0", "--resamples", "5"]
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("In ") and "x1 is at least" in lines[0]
    assert lines[-1] == f"discovery written to {folder}/discovery.html"
    boxes = pd.read_csv(folder / "discovery.csv")
    assert {"method", "coverage", "density", "mass", "restricted", "x1 low"} <= set(boxes)
    assert set(boxes["method"]) == {"prim", "cart"}
    info = json.loads((folder / "discovery.json").read_text())
    assert info["sentences"] == lines[:-1] and info["resamples"] == 5
    page = (folder / "discovery.html").read_text()
    assert "Peeling trade-off" in page and "CART cross-check" in page
    assert lines[0].split(";")[0] in (folder / "sweep.html").read_text().replace("&#x27;", "'")


@pytest.mark.parametrize(
    "when, code, says",
    [
        ("no_such_metric > 0", 2, "is not a result of this sweep"),
        ("backlog_growth > 0", 2, f"did you mean {METRIC}"),
        (f"{METRIC} >> 0", 2, "write METRIC OP NUMBER"),
        (f"{METRIC} > 0 and x", 2, "write METRIC OP NUMBER"),
        ("x1 > 0.5", 2, "is not a result of this sweep"),  # an input, not a result
        (f"{METRIC} > 5", 1, "holds in none of the 400 runs"),
        (f"{METRIC} < 5", 1, "holds in all of the 400 runs"),
        ("wait_to_allocation_days > 1", 1, "holds in all"),
    ],
)
def test_bad_input_is_one_line(tmp_path, when, code, says):
    folder = _folder(tmp_path)
    result = CliRunner().invoke(app, ["discover", str(folder), "--when", when])
    assert result.exit_code == code, result.output
    assert len(result.stderr.strip().splitlines()) == 1 and says in result.stderr
    assert "Traceback" not in result.output and not (folder / "discovery.csv").exists()


def test_not_a_sweep_and_too_few_runs(tmp_path):
    runner = CliRunner()
    empty = tmp_path / "empty"
    empty.mkdir()
    for folder, code, says in (
        (empty, 2, "not a finished sweep folder"),
        (tmp_path / "absent", 2, "not a folder"),
        (_folder(tmp_path, n=12), 1, "too few to find a region"),
    ):
        result = runner.invoke(app, ["discover", str(folder), "--when", f"{METRIC} > 0"])
        assert result.exit_code == code, result.output
        assert len(result.stderr.strip().splitlines()) == 1 and says in result.stderr


def test_on_a_real_sweep(tmp_path):
    """A small real sweep (10 points x 2 replications of 10 days), split at its median
    wait: the command answers with a box, and sweep.html says it."""
    from .conftest import DEFAULT

    spec = tmp_path / "sweep.yaml"
    spec.write_text(
        f"name: tiny\nbase: {DEFAULT}\ndesign: lhs\npoints: 10\nreps: 2\n"
        "metrics: [wait_to_allocation_days]\n"
        "fields:\n  team.permanent: {low: 5, high: 11}\n"
        "  demand.referrals_per_week: {low: 22, high: 40}\n"
    )
    out = tmp_path / "out"
    runner = CliRunner()
    args = ["sweep", str(spec), "--days", "10", "--warmup-days", "5", "-q", "--out", str(out)]
    assert runner.invoke(app, args).exit_code == 0
    wait = pd.read_parquet(out / "sweep.parquet")["wait_to_allocation_days"]
    when = f"wait_to_allocation_days > {wait.median():.6g}"
    result = runner.invoke(app, ["discover", str(out), "--when", when, "--resamples", "3"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].startswith(("In ", "No region"))
    assert "discovery.html" in (out / "sweep.html").read_text()


def test_without_scikit_learn_one_line_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "sklearn", None)  # as if not installed
    result = CliRunner().invoke(app, ["discover", str(tmp_path), "--when", f"{METRIC} > 0"])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: discover needs scikit-learn: pip install -e '.[discover]' (or scikit-learn)"
    )
