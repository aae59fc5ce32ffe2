"""Every scenario in the library says its question, validates, sources every value, runs."""

from __future__ import annotations

import pytest

import workload_sim
from workload_sim.scenario.assumptions import UNSOURCED, assumptions_table

from .conftest import SCENARIOS

LIBRARY = sorted(p.name for p in SCENARIOS.glob("*.yaml"))
EXPECTED = {
    "adult_safeguarding_team.yaml",
    "children_in_need_team.yaml",
    "long_term_sickness.yaml",
    "agency_heavy.yaml",
    "vacancies_unfilled.yaml",
    "naas_rollout.yaml",
    "demand_growth.yaml",
    "team_leader_example.yaml",
}


def test_the_library_is_complete():
    from workload_sim.scenario import assumptions

    assert EXPECTED <= set(LIBRARY)
    # the files whose source notes are the reference for the values they support
    assert set(assumptions.LIBRARY) == EXPECTED


@pytest.mark.parametrize("name", LIBRARY)
def test_scenario_states_its_question_validates_and_runs(name):
    path = SCENARIOS / name
    header = path.read_text().splitlines()[0]
    assert header.startswith("# ") and '"' in header and "?" in header  # the question asked
    sc = workload_sim.load_scenario(path)
    table = assumptions_table(sc)
    assert not (table["source"] == UNSOURCED).any(), table[table["source"] == UNSOURCED]
    # a shorter run would leave dated events outside it, which is an error: run those whole
    res = workload_sim.run(sc, reps=1, days=None if sc.naas.rounds or sc.events else 40)
    assert res.per_rep["referrals"].iloc[0] > 0
