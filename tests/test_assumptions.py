"""The assumptions table and the docs generated from it."""

from __future__ import annotations

import importlib.util

import pytest

import workload_sim
from workload_sim.scenario import Scenario
from workload_sim.scenario.assumptions import UNSOURCED, assumptions_table
from workload_sim.scenario.loading import OVERRIDDEN, ScenarioError

from .conftest import DEFAULT, ROOT


def test_every_default_has_a_unit_or_is_a_name_and_a_source():
    table = assumptions_table(Scenario())
    assert (table["source"].str.len() > 0).all()
    assert not (table["source"] == UNSOURCED).any()  # defaults are never unsourced
    published = table[table["source"].str.contains("DHSC|DfE|Setting the Bar|provider guidance")]
    assert len(published) >= 5


def test_default_scenario_sources_every_value_it_sets():
    table = assumptions_table(workload_sim.load_scenario(DEFAULT))
    assert not (table["source"] == UNSOURCED).any(), table[table["source"] == UNSOURCED]


def test_a_changed_value_loses_the_default_source_until_given_one():
    changed = workload_sim.load_scenario(DEFAULT, ["demand.referrals_per_week=50"])
    row = assumptions_table(changed).set_index("field").loc["demand.referrals_per_week"]
    assert row["value"] == "50" and row["source"] == OVERRIDDEN
    noted = workload_sim.load_scenario(
        DEFAULT, ["demand.referrals_per_week=50", "sources.demand.referrals_per_week=our FOI 2026"]
    )
    row = assumptions_table(noted).set_index("field").loc["demand.referrals_per_week"]
    assert row["source"] == "our FOI 2026"


def test_editing_a_pathway_step_is_flagged_and_a_section_note_covers_it():
    edited = workload_sim.load_scenario(DEFAULT, ["pathways.s42_enquiry.steps.2.effort_hours=5"])
    table = assumptions_table(edited).set_index("field")
    assert table.loc["pathways.s42_enquiry.steps.visit.effort_hours", "source"] == OVERRIDDEN
    assert table.loc["pathways.s42_enquiry.steps.visit.lead_time_days", "source"] != OVERRIDDEN
    noted = workload_sim.load_scenario(
        DEFAULT,
        ["pathways.s42_enquiry.steps.2.effort_hours=5", "sources.pathways.s42_enquiry=time study"],
    )
    table = assumptions_table(noted).set_index("field")
    assert table.loc["pathways.s42_enquiry.steps.visit.effort_hours", "source"] == "time study"


def test_sources_must_name_real_fields():
    with pytest.raises(ScenarioError, match="sources.team.permanant: names no field"):
        workload_sim.load_scenario(DEFAULT, ["sources.team.permanant=x"])


def test_docs_parameter_reference_is_up_to_date():
    spec = importlib.util.spec_from_file_location("upd", ROOT / "docs" / "update_parameters.py")
    upd = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(upd)
    text = upd.DOC.read_text()
    assert upd.updated(text) == text, "run: python docs/update_parameters.py"


def test_a_partly_given_worker_type_keeps_its_own_defaults():
    sc = workload_sim.load_scenario(DEFAULT, ["workforce.agency={fte: 0.8}"])
    assert sc.workforce.agency.fte == 0.8
    assert sc.workforce.agency.day_cost_gbp == Scenario().workforce.agency.day_cost_gbp
    assert sc.workforce.agency.ramp_up_days == Scenario().workforce.agency.ramp_up_days
