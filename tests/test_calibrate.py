"""Calibration lands where the answer is known by hand, on common random numbers, and
writes a calibrated scenario that loads, with 'calibrated to:' notes citing the sources.

The hand answers: with pressure off, the emergent sickness per FTE-year equals the
configured sickness_days (tests/test_theory_absence.py shows it), and the leavers in a
period are the leaving rate times the workers in post times the years.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from workload_sim.cli import app
from workload_sim.experiments.calibration import (
    CalibrationError,
    calibrate,
    calibrated_data,
    crn_evaluator,
)
from workload_sim.experiments.calibration_targets import (
    TargetsFile,
    check_parameters,
    known_source_ids,
    load_targets,
)
from workload_sim.experiments.replications import run_replications
from workload_sim.scenario.loading import (
    ScenarioError,
    field_value,
    load_scenario,
    resolved_dict,
)

from .conftest import SCENARIOS
from .test_sources import registry

ABSENCE = SCENARIOS / "validation" / "absence.yaml"
# 40 identical workers for 250 measured days, short sickness episodes only (no slow
# build-up of long ones), pressure off: the emergent rate is the configured one
SMALL = [
    "horizon_days=250",
    "warmup_days=30",
    "team.permanent=40",
    "absence.long_term_share=0",
    "recruitment.agency_instead_of_vacancy=false",
    "recruitment.newly_qualified_share=0",
]
SICKNESS = {
    "metric": "sickness_days_per_fte_year",
    "value": 8.55,
    "range": [8.2, 8.9],
    "source": "dfe-cswf-2025: sickness absence 3.2-3.5% of working days (8.2-8.9 days/FTE)",
}
SICK_PARAM = {"field": "absence.sickness_days", "bounds": [1, 30]}
runner = CliRunner()


def targets(**changes) -> TargetsFile:
    spec = {"tolerance": 0.05, "targets": [SICKNESS], "parameters": [SICK_PARAM]} | changes
    return TargetsFile.model_validate(spec)


def write_targets(path, **changes):
    spec = {"replications": 4, "tolerance": 0.05, "targets": [SICKNESS]}
    spec |= {"parameters": [SICK_PARAM]} | changes
    path.write_text(yaml.safe_dump(spec))
    return path


@pytest.fixture(scope="module")
def small():
    return load_scenario(ABSENCE, SMALL)


def test_the_shipped_source_ids_are_those_of_docs_sources():
    # workload_sim/data/source_ids.txt is docs/sources.md's ids for the installed package;
    # after adding a source there, add its id to the file too
    assert known_source_ids() == set(registry())


def test_one_rate_lands_on_the_hand_answer(small):
    cal = calibrate(small, targets(), crn_evaluator(4, 5), reps=4, seed=5, max_evaluations=20)
    row = cal.table.iloc[0]
    assert row.within_tolerance and row.within_range
    assert row.ci_low <= 8.55 <= row.ci_high
    # pressure off: the input that gives 8.55 emergent days is 8.55, up to sampling
    # (the CI's half-width of the emergent mean, in the same units)
    (after,) = cal.after
    assert abs(after - 8.55) <= max(row.ci_high - row.ci_low, 0.05 * 8.55), cal.history
    assert cal.before == [10.7] and 2 <= cal.evaluations <= 20
    assert after == float(f"{after:.4g}")  # written rounded to 4 significant figures


def test_two_rates_converge_on_two_targets(small):
    leaving = {"field": "workforce.permanent.leaving_rate_per_year", "bounds": [0.05, 1.5]}
    goal = targets(
        tolerance=0.1,
        targets=[SICKNESS, {"metric": "leavers", "value": 14, "source": "assumption: a test"}],
        parameters=[SICK_PARAM, leaving],
    )
    cal = calibrate(small, goal, crn_evaluator(5, 5), reps=5, seed=5, max_evaluations=30)
    assert cal.unmet == [], (cal.table, cal.history)
    sick, rate = cal.after
    assert abs(sick - 8.55) / 8.55 < 0.08
    # by hand: leavers = rate x workers in post x years measured
    at = load_scenario(small, [f"absence.sickness_days={sick}", f"{leaving['field']}={rate}"])
    res = run_replications(at, reps=5, seed=5, tables=())
    in_post = 40 - res.per_rep["fte_vacant_mean"].mean()
    assert abs(14 / (in_post * 250 / 253) - rate) / rate < 0.15, (rate, in_post)


def test_every_evaluation_uses_the_same_random_numbers(small):
    evaluate = crn_evaluator(3, 5)
    first, again = evaluate(small), evaluate(small)
    pd.testing.assert_frame_equal(first, again)
    other = evaluate(load_scenario(small, ["absence.sickness_days=12"]))
    assert (other["sickness_days_per_fte_year"] > first["sickness_days_per_fte_year"]).all()
    assert (other["referrals"] == first["referrals"]).all()  # same referrals: paired


def test_a_distribution_is_calibrated_by_a_scale(small):
    # a stand-in model whose answer is known exactly: the metric is twice the mean fill time
    field = "recruitment.permanent_fill_days"

    def evaluate(sc):
        d = field_value(resolved_dict(sc), field)
        mean = (d["low"] + d["mode"] + d["high"]) / 3 if "mode" in d else d.get("value", 0)
        return pd.DataFrame({"fte_vacant_mean": [2 * mean] * 3})

    start = field_value(resolved_dict(small), field)
    goal = targets(
        targets=[{"metric": "fte_vacant_mean", "value": 100.0, "source": "assumption: a test"}],
        parameters=[{"field": field, "bounds": [0.2, 5], "scale": True}],
    )
    check_parameters(small, goal)
    cal = calibrate(small, goal, evaluate, reps=3, seed=5, max_evaluations=30)
    mean_start = evaluate(small)["fte_vacant_mean"][0] / 2
    assert cal.after[0] == pytest.approx(50 / mean_start, rel=2e-3)
    data = calibrated_data({"name": "x"}, small, cal, "t.yaml")
    written = field_value(data, field)
    for key in ("low", "mode", "high"):
        if key in start:
            assert written[key] == pytest.approx(start[key] * cal.after[0])
    assert "calibrated to: fte_vacant_mean 100 (assumption)" in data["sources"][field]


BAD = {
    "unknown metric": (
        {"targets": [{**SICKNESS, "metric": "sickness_days_per_fte"}]},
        "targets[0].metric",
        "did you mean sickness_days_per_fte_year",
    ),
    "bad path": (
        {"parameters": [{"field": "absence.sickness_dayz", "bounds": [1, 30]}]},
        "absence.sickness_dayz",
        "no such field",
    ),
    "not a number": (
        {"parameters": [{"field": "absence", "bounds": [1, 30]}]},
        "'absence'",
        "is a section, not a number",
    ),
    "a headcount": (
        {"parameters": [{"field": "team.permanent", "bounds": [1, 30]}]},
        "team.permanent",
        "staffing",
    ),
    "a distribution without scale": (
        {"parameters": [{"field": "recruitment.permanent_fill_days", "bounds": [0.5, 2]}]},
        "permanent_fill_days",
        "scale: true",
    ),
    "bounds reversed": (
        {"parameters": [{"field": "absence.sickness_days", "bounds": [30, 1]}]},
        "parameters[0].bounds",
        "low < high",
    ),
    "bounds the scenario refuses": (
        {"parameters": [{"field": "absence.long_term_share", "bounds": [0.1, 3]}]},
        "parameters[0].bounds",
        "narrow the bounds",
    ),
    "source without an id": (
        {"targets": [{**SICKNESS, "source": "DfE census 2025"}]},
        "targets[0].source",
        "publication id from docs/sources.md",
    ),
    "source with an unknown id": (
        {"targets": [{**SICKNESS, "source": "dfe-nothing-2031: a figure"}]},
        "targets[0].source",
        "publication id",
    ),
    "no targets": ({"targets": []}, "targets", "at least 1"),
    "more parameters than targets": (
        {"parameters": [SICK_PARAM, {"field": "absence.long_term_share", "bounds": [0, 1]}]},
        "2 parameters for 1 target",
        "drop parameters or add targets",
    ),
    "unknown key": ({"tolerence": 0.1}, "tolerence", "did you mean 'tolerance'"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_targets_file_is_one_line_naming_the_field_and_the_fix(case, small, tmp_path):
    change, where, fix = BAD[case]
    path = write_targets(tmp_path / "t.yaml", **change)
    with pytest.raises(ScenarioError) as caught:
        check_parameters(small, load_targets(path), str(path))
    (line,) = caught.value.problems
    assert where in line and fix in line and "\n" not in line, line


def test_the_command_writes_a_scenario_that_loads_and_a_page(tmp_path):
    path = write_targets(
        tmp_path / "team targets.yaml", description="<script>alert(1)</script> & co"
    )
    out = tmp_path / "out"
    args = ["calibrate", str(ABSENCE), "--targets", str(path), "--out", str(out)]
    args += [x for s in SMALL for x in ("--set", s)] + ["--max-evaluations", "12"]
    done = runner.invoke(app, args, catch_exceptions=False)
    assert done.exit_code == 0, done.output
    assert done.stdout.strip().splitlines()[-1] == f"calibration written to {out}/"
    assert "absence.sickness_days: 10.7 ->" in done.stdout
    names = {p.name for p in out.iterdir()}
    assert {"calibrated.yaml", "calibration.csv", "calibration.json", "calibration.html"} <= names
    assert "manifest.json" in names and ".lock" not in names
    sc = load_scenario(out / "calibrated.yaml")  # loads and validates, notes included
    note = sc.sources["absence.sickness_days"]
    assert note.startswith("calibrated to: sickness_days_per_fte_year 8.55 (dfe-cswf-2025)")
    info = json.loads((out / "calibration.json").read_text())
    assert f"team targets.yaml; now {info['parameters'][0]['after']:g}; was 10.7" in note
    assert sc.absence.sickness_days == info["parameters"][0]["after"]
    assert sc.horizon_days == 250 and sc.team.permanent == 40  # as fitted
    table = pd.read_csv(out / "calibration.csv")
    assert list(table.columns[:6]) == [
        "metric",
        "target",
        "range_low",
        "range_high",
        "model_mean",
        "ci_low",
    ]
    assert bool(table.within_tolerance[0])
    # judged out of sample: the calibrated value run again on three seeds the fit never saw
    seed = info["seed"]
    assert info["validation_seeds"] == [seed + 1, seed + 2, seed + 3]
    held = pd.read_csv(out / "validation.csv", dtype={"seed": str})
    assert list(held["seed"]) == [str(seed + 1), str(seed + 2), str(seed + 3), "pooled"]
    assert (held["model_mean"] != table["model_mean"][0]).all()  # other replications
    each, pooled = held.iloc[:3], held.iloc[3]
    assert pooled.model_mean == pytest.approx(each["model_mean"].mean())  # 4 reps each
    # met: the pooled mean within 5% of 8.55, and the pooled CI reaching [8.2, 8.9]
    met = abs(pooled.model_mean - 8.55) <= 0.05 * 8.55
    met = met and pooled.ci_high >= 8.2 and pooled.ci_low <= 8.9
    assert info["unmet"] == ([] if met else ["sickness_days_per_fte_year"])
    assert held["met"].eq(met).all()
    page = (out / "calibration.html").read_text()
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
    assert "calibrated.yaml" in page and "dfe-cswf-2025" in page
    # the same command again into its own folder: allowed, same answer (common random numbers)
    again = runner.invoke(app, args, catch_exceptions=False)
    assert again.exit_code == 0
    assert json.loads((out / "calibration.json").read_text())["table"] == info["table"]


def test_a_target_out_of_reach_is_a_finding_not_a_failure(tmp_path):
    path = write_targets(
        tmp_path / "t.yaml", parameters=[{"field": "absence.sickness_days", "bounds": [1, 3]}]
    )
    out = tmp_path / "out"
    args = ["calibrate", str(ABSENCE), "--targets", str(path), "--out", str(out), "-q"]
    done = runner.invoke(app, [*args, *(x for s in SMALL for x in ("--set", s))])
    assert done.exit_code == 0, done.output
    assert "not met on the validation seeds" in done.stderr
    assert "sickness_days_per_fte_year" in done.stderr
    info = json.loads((out / "calibration.json").read_text())
    assert info["unmet"] == ["sickness_days_per_fte_year"]
    assert info["parameters"][0]["after"] == pytest.approx(3, abs=0.01)  # at its bound
    assert (
        "Not met on each of the 3 seeds the fit never saw" in (out / "calibration.html").read_text()
    )


def test_a_bad_targets_file_on_the_command_line_is_one_line_and_exit_2(tmp_path):
    path = write_targets(tmp_path / "t.yaml", targets=[{**SICKNESS, "metric": "sicknes"}])
    out = tmp_path / "out"
    done = runner.invoke(
        app, ["calibrate", str(ABSENCE), "--targets", str(path), "--out", str(out)]
    )
    assert done.exit_code == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "targets[0].metric" in lines[0], done.stderr
    assert not out.exists()  # refused before any folder is made


def test_values_are_written_with_four_significant_figures():
    assert np.isclose(float(f"{8.426433943204:.4g}"), 8.426)


def test_the_evaluation_budget_is_kept_and_the_best_point_returned(small):
    calls = []

    def evaluate(sc):  # a response with a kink: the solver needs many steps
        calls.append(sc.absence.sickness_days)
        return pd.DataFrame({"sickness_days_per_fte_year": [abs(sc.absence.sickness_days) ** 1.5]})

    cal = calibrate(small, targets(), evaluate, reps=1, seed=5, max_evaluations=4)
    assert len(calls) == cal.evaluations <= 4
    assert "stopped after 4 evaluations" in cal.status
    tried = [abs(x**1.5 - 8.55) for x in calls[:-1]]
    assert abs(cal.after[0] ** 1.5 - 8.55) <= min(tried) * 1.01  # the best seen (rounded)


def test_a_target_with_no_value_is_one_line(small):
    def evaluate(sc):
        return pd.DataFrame({"sickness_days_per_fte_year": [np.nan, np.nan]})

    with pytest.raises(CalibrationError, match="sickness_days_per_fte_year has no value"):
        calibrate(small, targets(), evaluate, reps=2, seed=5)


def test_a_parameter_the_engine_rounds_is_fitted_on_its_steps(small):
    # a fixed 10-day agency start is drawn and rounded to whole days by the engine: a scale
    # on it is fitted in steps of 1/10 (whole days), never as 0.2115 (2.115 days, run as 2)
    from workload_sim.experiments.calibration_targets import on_step, whole_step

    resolved = resolved_dict(small)
    agency = {"field": "recruitment.agency_fill_days", "bounds": [0.1, 5.0], "scale": True}
    spec = targets(parameters=[agency]).parameters[0]
    assert resolved["recruitment"]["agency_fill_days"] == {"dist": "fixed", "value": 10.0}
    assert whole_step(resolved, spec) == pytest.approx(1 / 10)
    assert on_step(0.2115, 0.1, [0.1, 5.0]) == pytest.approx(0.2)
    assert on_step(0.26, 0.1, [0.1, 5.0]) == pytest.approx(0.3)
    assert on_step(0.01, 0.1, [0.1, 5.0]) == pytest.approx(0.1)  # inside the bounds
    whole = {"field": "team.permanent", "bounds": [1, 60]}
    assert whole_step(resolved, targets(parameters=[whole]).parameters[0]) == 1.0
    assert whole_step(resolved, targets().parameters[0]) is None  # sickness days: continuous
