"""The two shipped teams ARE the national-average teams: run as shipped, their emergent
outputs reproduce the published targets (scenarios/targets/) within the targets' tolerance,
and their backlog is not growing.

The targets are published figures (DfE children's social work workforce census, Skills for
Care, NHS Digital, the DfE longitudinal study, children in need statistics), read from the
target files; the model's figures come from running the shipped scenario file as it is, on
the targets file's replications and the scenario's own seed.
"""

from __future__ import annotations

import pytest

import workload_sim
from workload_sim.experiments.calibration_targets import load_targets
from workload_sim.records.summary import interval

from .conftest import SCENARIOS

TEAMS = ["children_in_need_team", "adult_safeguarding_team"]


@pytest.fixture(scope="module", params=TEAMS)
def shipped(request):
    targets = load_targets(SCENARIOS / "targets" / f"{request.param}.yaml")
    res = workload_sim.run(SCENARIOS / f"{request.param}.yaml", reps=targets.replications)
    return targets, res


def test_the_shipped_team_reproduces_every_published_target(shipped):
    targets, res = shipped
    missed = []
    for t in targets.targets:
        mean = float(res.per_rep[t.metric].mean())
        if abs(mean - t.value) > targets.tolerance * abs(t.value):
            missed.append(f"{t.metric}: model {mean:.3g} vs target {t.value:g}")
    assert not missed, "; ".join(missed)


def test_the_shipped_team_is_not_growing_a_backlog(shipped):
    _, res = shipped
    _, _, lo, _, _ = interval(res.per_rep["backlog_growth_per_week"].to_numpy())
    assert lo <= 0.0, f"backlog slope CI lies above 0 (from {lo:.2f} cases a week)"
