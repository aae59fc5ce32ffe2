"""The two shipped teams ARE the national-average teams, out of sample: run as shipped on
seeds the calibration never saw, at one and at two years, their emergent outputs reproduce
the published targets (scenarios/targets/), their measured period starts from a settled
team (the warm-up check), and their backlog is not growing.

The targets are published figures (DfE children's social work workforce census, Skills for
Care, NHS Digital, the DfE longitudinal study, children in need statistics), read from the
target files. The fit used each scenario's own seed and calibrate validated on the next
three (seed + 1 to + 3); the seeds here are none of those. A target is met as calibrate
judges it (experiments/calibration.py): the pooled mean of the held-out replications within
the targets file's tolerance, and every seed's 95% CI reaching the published figure, or
its published range where the figure varies between years.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

import workload_sim
from workload_sim.experiments.calibration import target_table
from workload_sim.experiments.calibration_targets import load_targets
from workload_sim.records.summary import interval
from workload_sim.report.charts import warmup_settled
from workload_sim.scenario.loading import load_scenario

from .conftest import SCENARIOS

TEAMS = ["children_in_need_team", "adult_safeguarding_team"]
UNSEEN = (4041, 5052, 6063)  # used nowhere else: no fit, validation, tuning or test
HORIZONS = {"one year": 253, "two years": 506}
REPS = 20  # per seed: 60 held-out replications in all for each team and horizon


@pytest.fixture(scope="module", params=[(t, h) for t in TEAMS for h in HORIZONS])
def held_out(request):
    team, horizon = request.param
    path = SCENARIOS / f"{team}.yaml"
    fit_seed = load_scenario(path).seed
    assert not set(UNSEEN) & {fit_seed + k for k in range(4)}  # never fitted or validated on
    runs = [
        workload_sim.run(path, reps=REPS, seed=s, days=HORIZONS[horizon], backend="process")
        for s in UNSEEN
    ]
    return load_targets(SCENARIOS / "targets" / f"{team}.yaml"), runs


def test_every_published_target_is_met_on_seeds_never_used_in_fitting(held_out):
    targets, runs = held_out
    pooled = target_table(pd.concat([r.per_rep for r in runs], ignore_index=True), targets)
    missed = [
        f"{r.metric}: {r.model_mean:.3g} vs {r.target:g} ({r.gap_relative:+.0%})"
        for r in pooled.itertuples()
        if not r.within_tolerance
    ]
    for seed, run in zip(UNSEEN, runs, strict=True):
        for r in target_table(run.per_rep, targets).itertuples():
            if not r.ci_reaches_published:
                missed.append(
                    f"{r.metric} on seed {seed}: 95% CI {r.ci_low:.3g} to {r.ci_high:.3g} "
                    f"misses {r.target:g}"
                    + (f" [{r.range_low:g}, {r.range_high:g}]" * bool(math.isfinite(r.range_low)))
                )
    assert not missed, "; ".join(missed)


def test_the_measured_period_starts_from_a_settled_team(held_out):
    _, runs = held_out
    for seed, run in zip(UNSEEN, runs, strict=True):
        settled, words = warmup_settled(run.timeseries, run.scenario.warmup_days)
        assert settled, f"seed {seed}: {words}"


def test_the_shipped_team_is_not_growing_a_backlog(held_out):
    _, runs = held_out
    slopes = pd.concat([r.per_rep["backlog_growth_per_week"] for r in runs])
    _, _, lo, _, _ = interval(slopes.to_numpy())
    assert lo <= 0.0, f"backlog slope CI lies above 0 (from {lo:.3f} cases a week)"
