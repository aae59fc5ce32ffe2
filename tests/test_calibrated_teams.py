"""The two shipped teams against the national-average figures, out of sample: run as shipped
on seeds the calibration never saw, at one and at two years, their emergent outputs
reproduce the published targets (scenarios/targets/) except those listed in KNOWN_MISSES,
and their backlog is not growing except where GROWING says. (The shipped values are still
last round's in-sample fit; the warm-up check is not asserted: both are known gaps of the
issue "Keep every promise the numbers make", left open.)

The targets are published figures (DfE children's social work workforce census, Skills for
Care, NHS Digital, the DfE longitudinal study, children in need statistics), read from the
target files. The fit used each scenario's own seed and calibrate validated on the next
three (seed + 1 to + 3); the seeds here are none of those. A target is met as calibrate
judges it (experiments/calibration.py), worked out again here from the pooled held-out
replications: the mean within the targets file's tolerance of the published figure, and the
95% CI reaching that figure, or its published range where the figure varies between years.
"""

from __future__ import annotations

import pandas as pd
import pytest

import workload_sim
from workload_sim.experiments.calibration import target_table
from workload_sim.experiments.calibration_targets import load_targets
from workload_sim.records.summary import interval
from workload_sim.scenario.loading import load_scenario

from .conftest import SCENARIOS

TEAMS = ["children_in_need_team", "adult_safeguarding_team"]
UNSEEN = (4041, 5052, 6063)  # used nowhere else: no fit, validation, tuning or test
HORIZONS = {"one year": 253, "two years": 506}
REPS = 20  # per seed: 60 held-out replications in all for each team and horizon

# Targets the shipped teams do NOT yet meet out of sample (issue "Keep every promise the
# numbers make", left open): listed so the test says exactly what holds. A listed target
# that starts being met fails the test too, so the list cannot go stale.
KNOWN_MISSES = {
    ("children_in_need_team", "one year"): {
        "caseload_mean",
        "sickness_days_per_fte_year",
        "assessment_duration_median_days",
        "assessment_within_45_days_share",
    },
    ("children_in_need_team", "two years"): {
        "sickness_days_per_fte_year",
        "assessment_duration_median_days",
        "assessment_within_45_days_share",
    },
    ("adult_safeguarding_team", "one year"): {"turnover_permanent_pct_year", "agency_share_pct"},
    ("adult_safeguarding_team", "two years"): {"vacancy_rate_pct", "agency_share_pct"},
}


@pytest.fixture(
    scope="module",
    params=[(t, h) for t in TEAMS for h in HORIZONS],
    ids=[f"{t}-{h.replace(' ', '-')}" for t in TEAMS for h in HORIZONS],
)
def held_out(request):
    team, horizon = request.param
    path = SCENARIOS / f"{team}.yaml"
    fit_seed = load_scenario(path).seed
    assert not set(UNSEEN) & {fit_seed + k for k in range(4)}  # never fitted or validated on
    runs = [
        workload_sim.run(path, reps=REPS, seed=s, days=HORIZONS[horizon], backend="process")
        for s in UNSEEN
    ]
    return team, horizon, load_targets(SCENARIOS / "targets" / f"{team}.yaml"), runs


def _missed(targets, runs) -> dict[str, str]:
    """Targets missed by the pooled held-out replications: the mean outside the tolerance,
    or the 95% CI not reaching the published figure (or its published range)."""
    pooled = target_table(pd.concat([r.per_rep for r in runs], ignore_index=True), targets)
    out = {}
    for r in pooled.itertuples():
        low = r.range_low if r.range_low == r.range_low else r.target
        high = r.range_high if r.range_high == r.range_high else r.target
        close = abs(r.model_mean - r.target) <= targets.tolerance * r.target
        if not (close and r.ci_low <= high and r.ci_high >= low):
            out[r.metric] = (
                f"{r.model_mean:.3g} (95% CI {r.ci_low:.3g} to {r.ci_high:.3g}) vs "
                f"{r.target:g} [{low:g}, {high:g}]"
            )
    return out


def test_every_published_target_is_met_on_seeds_never_used_in_fitting(held_out):
    team, horizon, targets, runs = held_out
    missed = _missed(targets, runs)
    unexpected = {m: v for m, v in missed.items() if m not in KNOWN_MISSES[(team, horizon)]}
    assert not unexpected, f"missed out of sample: {unexpected}"
    now_met = KNOWN_MISSES[(team, horizon)] - set(missed)
    assert not now_met, f"now met out of sample (take them off KNOWN_MISSES): {now_met}"


# where the list grows (slope CI above 0): the children's team in its second measured year
GROWING = {("children_in_need_team", "two years")}


def test_the_shipped_team_is_not_growing_a_backlog_except_where_known(held_out):
    team, horizon, _, runs = held_out
    slopes = pd.concat([r.per_rep["backlog_growth_per_week"] for r in runs])
    _, _, lo, _, _ = interval(slopes.to_numpy())
    growing = lo > 0.0
    assert growing == ((team, horizon) in GROWING), f"slope CI from {lo:.4f} cases a week"
