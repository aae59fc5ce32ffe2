"""Bad input: one clear line per problem and exit 2, never a traceback or silent default."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from workload_sim.cli import app
from workload_sim.scenario import Scenario
from workload_sim.scenario.loading import ScenarioError, load_scenario, resolved_dict, validate

from .conftest import DEFAULT, ROOT

BAD = Path(__file__).parent / "bad_scenarios"
runner = CliRunner()

# file -> words the one-line error must contain (the field path and what is wrong)
EXPECTED = {
    "wrong_type.yaml": ["demand.referrals_per_week", "'lots'", "valid number"],
    "negative_rate.yaml": ["demand.referrals_per_week", "-3", "greater than 0"],
    "probability_above_one.yaml": ["triage.signpost", "1.4", "less than or equal to 1"],
    "probabilities_not_summing.yaml": ["triage", "sum to 1", "1.1"],
    "unknown_key_typo.yaml": ["team.permanant", "unknown field", "did you mean 'permanent'"],
    "unknown_top_level_key.yaml": ["staffing", "unknown field", "allowed here"],
    "empty.yaml": ["empty"],
    "not_yaml.yaml": ["not valid YAML", "line"],
    "top_level_list.yaml": ["top level must be a mapping"],
    "duplicate_key.yaml": ["'seed' appears twice", "line 3"],
    "unknown_pathway.yaml": ["triage.case_mix", "s42_enqiury", "known"],
    "distribution_missing_sd.yaml": ["triage.effort_hours.sd", "missing"],
    "distribution_unknown.yaml": ["triage.effort_hours", "weibull", "lognormal"],
    "triangular_misordered.yaml": ["pathways.p.steps[0].effort_hours", "low <= mode <= high"],
    "bad_date.yaml": ["calendar.start_date", "2026-13-45", "valid date"],
    "nobody_in_team.yaml": ["team", "at least one post"],
    "negative_horizon.yaml": ["horizon_days", "-5", "greater than or equal to 1"],
    "infinite_rate.yaml": ["demand.referrals_per_week", "finite"],
    "urgency_shares.yaml": ["urgency shares", "sum to 1"],
    "branch_to_unknown.yaml": ["pathways.s42_enquiry", "nowhere", "unknown pathway"],
    "pathway_without_steps.yaml": ["pathways.s42_enquiry.steps", "at least 1"],
    "weekend_in_profile.yaml": ["demand.weekday_profile", "saturday", "monday"],
    "source_for_unknown_field.yaml": ["sources.demand.referals_per_week", "names no field"],
    "not_text.yaml": ["not a text file"],
    "naas_round_outside_run.yaml": [
        "naas.rounds[0].date",
        "2030-03-01",
        "outside the simulated window 2026-04-01 to 2027-04-02",
    ],
    "absence_of_unknown_worker.yaml": [
        "events[0].worker",
        "'permanent 5'",
        "the team has 3 permanent worker(s)",
    ],
}


def test_corpus_is_complete():
    assert sorted(p.name for p in BAD.glob("*.yaml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_validate_rejects_each_bad_file_with_one_line(name):
    result = runner.invoke(app, ["validate", str(BAD / name)])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ")
    for words in EXPECTED[name]:
        assert words in lines[0], (words, lines[0])
    assert "Traceback" not in result.output


def test_validate_real_process_exit_code_and_no_traceback():
    proc = subprocess.run(
        [sys.executable, "run.py", "validate", str(BAD / "bad_date.yaml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1


def test_several_problems_give_one_line_each(tmp_path):
    f = tmp_path / "two.yaml"
    f.write_text("name: x\nseed: -1\nteam:\n  permanent: lots\n")
    result = runner.invoke(app, ["validate", str(f)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 2
    assert any("seed" in line for line in lines) and any("team.permanent" in line for line in lines)


def test_good_files_validate_ok():
    for path in [DEFAULT, ROOT / "scenarios/validation/mmc.yaml"]:
        result = runner.invoke(app, ["validate", str(path)])
        assert result.exit_code == 0 and result.output.strip() == "ok"


def test_set_overrides_any_field_and_checks_it():
    sc = load_scenario(
        DEFAULT,
        [
            "team.permanent=12",
            "pathways.s42_enquiry.steps.0.effort_hours={dist: exponential, mean: 2}",
            "calendar.start_date=2027-01-04",
        ],
    )
    assert sc.team.permanent == 12
    assert sc.pathways["s42_enquiry"].steps[0].effort_hours.mean() == 2
    assert str(sc.calendar.start_date) == "2027-01-04"
    with pytest.raises(
        ScenarioError, match="team.permanant: no such field; did you mean 'permanent'"
    ):
        load_scenario(DEFAULT, ["team.permanant=3"])
    with pytest.raises(ScenarioError, match="expected FIELD.PATH=VALUE"):
        load_scenario(DEFAULT, ["team.permanent"])
    with pytest.raises(ScenarioError, match="team.permanent: got -2"):
        load_scenario(DEFAULT, ["team.permanent=-2"])
    result = runner.invoke(app, ["validate", str(DEFAULT), "--set", "demand.referrals_per_week=0"])
    assert result.exit_code == 2 and "demand.referrals_per_week" in result.output


def test_resolved_scenario_round_trips():
    sc = load_scenario(DEFAULT)
    again = validate(yaml.safe_load(yaml.safe_dump(resolved_dict(sc))))
    assert again == sc


FIELD_PATHS = [
    "seed",
    "replications",
    "horizon_days",
    "warmup_days",
    "calendar.start_date",
    "demand.referrals_per_week",
    "demand.annual_growth",
    "demand.weekday_profile",
    "triage.effort_hours",
    "triage.signpost",
    "triage.case_mix",
    "triage.urgency",
    "team.permanent",
    "team.contract_hours_per_week",
    "workforce.permanent.caseload_cap",
    "workforce.agency.non_case_fraction",
    "allocation.policy",
    "overtime.max_hours_per_day",
    "warm_start.cases_per_worker",
    "pathways",
    "pathways.s42_enquiry.steps",
    "pathways.s42_enquiry.weight",
    "sources",
    "name",
]
VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(FIELD_PATHS), value=VALUES)
@example(path="triage.case_mix", value={"\n": None})  # once gave a two-line error
def test_any_value_anywhere_gives_a_scenario_or_one_line_errors(path, value):
    data = resolved_dict(Scenario())
    node = data
    keys = path.split(".")
    for k in keys[:-1]:
        node = node[k]
    node[keys[-1]] = value
    try:
        validate(data)
    except ScenarioError as exc:
        assert exc.problems
        assert all(p and "\n" not in p for p in exc.problems)
