"""Script in any user-supplied string never reaches a page as markup.

Names, descriptions, step names, source notes, --set values and sweep values all carry
script; every page type (run, compare, sweep, staffing) must show them as text only,
and every element id must be generated, not copied from input.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from workload_sim.cli import app
from workload_sim.scenario import default_pathways
from workload_sim.scenario.loading import resolved_dict

from .conftest import DEFAULT

runner = CliRunner()
SCRIPT = "<script>alert(1)</script>"
BREAKOUT = '"><img src=x onerror=alert(2)>'
HOSTILE = SCRIPT + BREAKOUT
QUICK = ["--set", "horizon_days=20", "--set", "warmup_days=0"]


def _hostile_scenario(folder: Path, suffix: str = "") -> Path:
    data = yaml.safe_load(DEFAULT.read_text())
    data["name"] = HOSTILE[:90] + suffix
    data["description"] = HOSTILE
    pathways = {k: v.model_dump(mode="json", by_alias=True) for k, v in default_pathways().items()}
    pathways["s42_enquiry"]["steps"][0]["name"] = HOSTILE
    pathways["s42_enquiry"]["description"] = HOSTILE
    pathways["s42_enquiry"]["steps"][0]["source"] = HOSTILE
    data["pathways"] = pathways
    data.setdefault("sources", {})["team.permanent"] = HOSTILE
    path = folder / f"hostile{suffix}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _assert_inert(page: Path) -> None:
    text = page.read_text()
    assert "<script>alert" not in text
    assert "<img src=x" not in text
    ids = re.findall(r"""\bid=["']([^"']*)["']""", text)
    assert ids and all(re.fullmatch(r"[A-Za-z0-9_-]+", i) for i in ids), ids


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("pages")


def test_run_page(folder):
    scenario = _hostile_scenario(folder)
    out = folder / "run"
    args = ["run", str(scenario), "--reps", "2", "--out", str(out), "-q", *QUICK]
    result = runner.invoke(app, [*args, "--set", f"sources.team.agency={HOSTILE}"])
    assert result.exit_code == 0, result.output
    _assert_inert(out / "report.html")
    assert "&lt;script&gt;alert(1)" in (out / "report.html").read_text()  # shown as text


def test_compare_page(folder):
    a, b = _hostile_scenario(folder, "-a"), _hostile_scenario(folder, "-b")
    out = folder / "compare"
    args = ["compare", str(a), str(b), "--reps", "2", "--out", str(out), "-q", *QUICK]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    _assert_inert(out / "compare.html")


def test_sweep_page(folder):
    spec = {
        "name": HOSTILE[:90],
        "base": str(_hostile_scenario(folder)),
        "set": ["horizon_days=20", "warmup_days=0"],
        "design": "grid",
        "reps": 1,
        "metrics": ["utilisation"],
        "fields": {"description": {"values": [HOSTILE, "plain"]}},
    }
    path = folder / "sweep.yaml"
    path.write_text(yaml.safe_dump(spec))
    out = folder / "sweep"
    result = runner.invoke(app, ["sweep", str(path), "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    _assert_inert(out / "sweep.html")


def test_staffing_page(folder):
    scenario = _hostile_scenario(folder)
    out = folder / "staffing"
    args = ["staffing", str(scenario), "--target", "utilisation <= 2", "--reps", "2"]
    args += ["--min", "9", "--max", "10", "--out", str(out), "-q", *QUICK]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    _assert_inert(out / "staffing.html")


def test_the_hostile_strings_really_reach_the_scenario(folder):
    """Guards the tests above: the script is in the data the pages are built from."""
    from workload_sim.scenario.loading import load_scenario

    sc = resolved_dict(load_scenario(_hostile_scenario(folder)))
    assert SCRIPT in sc["name"] and SCRIPT in sc["description"]
    assert sc["pathways"]["s42_enquiry"]["steps"][0]["name"] == HOSTILE
