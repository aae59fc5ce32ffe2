"""The assumptions table and the docs generated from it."""

from __future__ import annotations

import importlib.util

import pytest
import yaml

import workload_sim
from workload_sim.scenario import NaasRoundSpec, Scenario
from workload_sim.scenario.assumptions import UNSOURCED, assumptions_table
from workload_sim.scenario.loading import OVERRIDDEN, ScenarioError, load_scenario, resolved_dict

from .conftest import DEFAULT, ROOT
from .test_sources import ID, registry


def test_every_default_has_a_unit_or_is_a_name_and_a_source():
    table = assumptions_table(Scenario())
    assert (table["source"].str.len() > 0).all()
    assert not (table["source"] == UNSOURCED).any()  # defaults are never unsourced
    cites = table["source"].map(lambda s: bool(set(ID.findall(s)) & set(registry())))
    assert cites.sum() >= 15  # published figures, by their id in docs/sources.md
    assert not (table["source"] == "assumption").any()  # an assumption always says why


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


NAAS = ROOT / "scenarios" / "naas_rollout.yaml"


def _naas_copy_without_note(tmp_path, prep_hours: str) -> object:
    """The NAAS scenario with one round's value edited and the round's note removed."""
    text = NAAS.read_text()
    assert "      prep_hours: 12\n" in text and "  naas.rounds:" in text
    text = text.replace("      prep_hours: 12\n", f"      prep_hours: {prep_hours}\n")
    text = "\n".join(ln for ln in text.splitlines() if not ln.startswith("  naas.rounds:"))
    path = tmp_path / "naas_edited.yaml"
    path.write_text(text + "\n")
    return workload_sim.load_scenario(path)


def test_an_edited_naas_round_in_a_file_is_flagged_unsourced(tmp_path):
    table = assumptions_table(_naas_copy_without_note(tmp_path, "20")).set_index("field")
    assert table.loc["naas.rounds[0].prep_hours", "value"] == "20"
    assert table.loc["naas.rounds[0].prep_hours", "source"] == UNSOURCED
    assert table.loc["naas.rounds[0].share_tested", "source"] == UNSOURCED  # 0.6, not 0.5
    assert table.loc["naas.rounds[0].date", "source"] == UNSOURCED  # no default at all
    # a value left at the schema default keeps the schema's own note
    schema = NaasRoundSpec.model_fields["prep_weeks"].json_schema_extra["source"]
    assert table.loc["naas.rounds[0].prep_weeks", "source"] == schema


def test_a_naas_round_changed_on_the_command_line_is_flagged():
    sc = workload_sim.load_scenario(NAAS, ["naas.rounds.0.prep_hours=30"])
    table = assumptions_table(sc).set_index("field")
    assert table.loc["naas.rounds[0].prep_hours", "source"] == OVERRIDDEN
    assert table.loc["naas.rounds[0].pass_rate", "source"] != OVERRIDDEN


def test_an_edited_branch_of_a_built_in_step_is_flagged():
    edit = "pathways.s42_enquiry.steps.2.branches.0.probability=0.9"
    table = assumptions_table(workload_sim.load_scenario(DEFAULT, [edit])).set_index("field")
    row = "pathways.s42_enquiry.steps.visit.branches[0].probability"
    assert table.loc[row, "value"] == "0.9" and table.loc[row, "source"] == OVERRIDDEN


def test_an_edited_branch_in_a_file_is_flagged(tmp_path):
    data = resolved_dict(workload_sim.load_scenario(DEFAULT))
    data["pathways"]["s42_enquiry"]["steps"][2]["branches"][0]["probability"] = 0.9
    path = tmp_path / "branch.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    table = assumptions_table(workload_sim.load_scenario(path)).set_index("field")
    row = "pathways.s42_enquiry.steps.visit.branches[0].probability"
    assert table.loc[row, "value"] == "0.9" and table.loc[row, "source"] == UNSOURCED
    other = "pathways.s42_enquiry.steps.visit.effort_hours"
    assert table.loc[other, "source"] not in (UNSOURCED, OVERRIDDEN)


def test_a_note_on_a_field_whose_value_is_empty_is_accepted_and_a_typo_is_not():
    """A note on ``events`` with ``events: []`` names a real field (it gives no table rows);
    a misspelt key is still refused in one line naming it."""
    sc = load_scenario(
        DEFAULT, ["events=[]", "sources.events='assumption: no planned events known'"]
    )
    assert sc.sources["events"].startswith("assumption")
    with pytest.raises(ScenarioError, match=r"sources\.evnts: names no field"):
        load_scenario(DEFAULT, ["sources.evnts='x'"])


def _copy_of_default(tmp_path, *edits: tuple[str, str]):
    """The adult file copied as a user would, with lines edited in its text."""
    text = DEFAULT.read_text()
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / "my_team.yaml"
    path.write_text(text)
    return path


def test_a_value_edited_under_a_copied_note_is_changed_without_a_source(tmp_path):
    """Issue 20: 30.8 beside "~28 a week" and 0 beside "1 of 10 posts vacant" are flagged."""
    from workload_sim.scenario.assumptions import flagged

    copy = _copy_of_default(
        tmp_path,
        ("  referrals_per_week: 28\n", "  referrals_per_week: 30.8\n"),
        ("  vacant: 1 ", "  vacant: 0 "),
    )
    table = assumptions_table(load_scenario(copy)).set_index("field")
    shipped = assumptions_table(load_scenario(DEFAULT)).set_index("field")
    for field, value, was in [
        ("demand.referrals_per_week", "30.8", "28"),
        ("team.vacant", "0", "1"),
    ]:
        row = table.loc[field]
        assert row["value"] == value and flagged(row["source"]), row["source"]
        assert row["source"].startswith("changed without a source:")
        assert f"for {was};" in row["source"] and "adult_safeguarding_team.yaml" in row["source"]
        assert not flagged(shipped.loc[field, "source"])
    # everything else keeps its source: only the two edits are flagged
    assert sorted(table.index[table["source"].map(flagged)]) == [
        "demand.referrals_per_week",
        "team.vacant",
    ]
    # a note of the user's own for the new value clears the flag
    noted = load_scenario(copy, ["sources.team.vacant=our establishment, December 2026"])
    assert assumptions_table(noted).set_index("field").loc["team.vacant", "source"] == (
        "our establishment, December 2026"
    )


def test_no_shipped_scenario_has_a_value_its_note_does_not_support():
    from workload_sim.scenario.assumptions import flagged

    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        table = assumptions_table(load_scenario(path))
        assert not table["source"].map(flagged).any(), (path.name, table[table.source.map(flagged)])


def test_a_copied_note_under_a_value_the_page_did_not_set_is_flagged_on_the_page(tmp_path):
    import datetime as dt

    from workload_sim.app import team_form as tf
    from workload_sim.scenario.assumptions import flagged

    copy = _copy_of_default(tmp_path, ("  annual_growth: 0.04 ", "  annual_growth: 0.06 "))
    form = tf.TeamForm(dt.date(2026, 12, 1), 9, 1, 2, 30.8, 10, 14.0, months=3)
    scenario, _ = tf.build(form, tf.base_data(upload=copy.read_bytes()))
    table = assumptions_table(scenario).set_index("field")
    assert flagged(table.loc["demand.annual_growth", "source"])  # edited in the file
    # what the page set is the team leader's own figure, said as such
    for field in ("demand.referrals_per_week", "team.vacant", "team.agency"):
        assert table.loc[field, "source"] == tf.PAGE_NOTE


def test_the_report_highlights_a_value_changed_under_a_copied_note(tmp_path):
    from workload_sim.report.pages import table_html
    from workload_sim.report.run_page import STALE

    copy = _copy_of_default(
        tmp_path, ("  referrals_per_week: 28\n", "  referrals_per_week: 30.8\n")
    )
    table = assumptions_table(load_scenario(copy))
    html = table_html(table, "source", ("set ", STALE), full=True)
    rows = [r for r in html.split("<tr") if "class=unsourced" in r]
    assert len(rows) == 1 and "<td>30.8</td>" in rows[0]


def test_a_copy_saved_beside_the_shipped_files_is_still_flagged(tmp_path, monkeypatch):
    """The team leader's guide copies the default to scenarios/my_team.yaml: its notes are
    still judged against the shipped file's values, not against its own."""
    from workload_sim.scenario import assumptions
    from workload_sim.scenario.assumptions import flagged

    shipped = tmp_path / "scenarios"
    shipped.mkdir()
    (shipped / "adult_safeguarding_team.yaml").write_text(DEFAULT.read_text())
    text = DEFAULT.read_text().replace("name: adult_safeguarding_team", "name: my_team")
    (shipped / "my_team.yaml").write_text(text.replace("  vacant: 1 ", "  vacant: 0 "))
    monkeypatch.setattr(assumptions, "SHIPPED", shipped)
    assumptions._shipped_notes.cache_clear()
    assumptions._shipped_values.cache_clear()
    try:
        table = assumptions_table(load_scenario(shipped / "my_team.yaml")).set_index("field")
        assert flagged(table.loc["team.vacant", "source"])
    finally:
        assumptions._shipped_notes.cache_clear()
        assumptions._shipped_values.cache_clear()
