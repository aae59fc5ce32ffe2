"""The staffing answer: the same on every seed, judged on waits that count the cases
still waiting, honest when two values cannot be told apart, in a sentence."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from workload_sim.cli import app
from workload_sim.experiments.replications import run_replications
from workload_sim.experiments.staffing import StaffingAnswer, Target, staffing_search
from workload_sim.scenario.loading import load_scenario

from .conftest import DEFAULT, MMC, erlang_c_wait

runner = CliRunner()
SHORT_MMC = ["horizon_days=300", "warmup_days=50"]


def test_the_same_team_gets_the_same_answer_on_every_seed():
    # Erlang C: 6 workers wait 0.281 days on average, 7 wait 0.087. Over 200 days the
    # short run's mean at 6 is ~0.27, 23% under the target of 0.35: five replications
    # cannot always show it (a fixed-count search wavers between 6 and 7 from seed to
    # seed); the sequential search adds replications at 6 until it can, on every seed.
    # (At 0.31, 12% over the mean, 200 replications at the look-adjusted bound -- each of
    # 7 looks at one-sided 1 - 0.1 / 7 -- do not always suffice: that answer is "6 or 7".)
    assert erlang_c_wait(4.5, 1.0, 6) < 0.35 < erlang_c_wait(4.5, 1.0, 5)
    sc = load_scenario(MMC, ["horizon_days=200", "warmup_days=50"])
    goal = Target.parse("wait_to_allocation_days <= 0.35")
    answers = [
        staffing_search(sc, goal, reps=5, seed=seed, lowest=1, highest=20) for seed in range(1, 6)
    ]
    assert [a.value for a in answers] == [6] * 5, [a.evidence for a in answers]
    assert all(not a.cannot_tell for a in answers)
    for a in answers:  # every value tried is in the evidence, met above and missed below
        ev = a.evidence.set_index("value")
        assert ev.loc[6, "status"] == "met" and ev.loc[5, "status"] == "missed"
        assert ev["mean"].is_monotonic_decreasing


def test_values_that_cannot_be_told_apart_are_said_so():
    # a target right at the 6-worker mean: with 20 replications at most, 6 stays unclear
    sc = load_scenario(MMC, SHORT_MMC)
    answer = staffing_search(
        sc, Target.parse("wait_to_allocation_days <= 0.27"), reps=5, seed=1, max_reps=20
    )
    assert answer.value == 7 and answer.cannot_tell == [6]
    assert answer.evidence.set_index("value").loc[6, "reps"] == 20
    text = answer.sentence()
    assert "needs 6 or 7 permanent social workers: they cannot be told apart with 20 " in text
    assert "with 6; GBP" in text  # the cost of each candidate


def test_the_judged_wait_never_rates_a_smaller_team_better():
    # Allocated-only waits leave out a runaway list's longest waiters: for the default
    # team over 120 days at 45 referrals a week (the calibrated team keeps up with its own
    # 28), 7 permanent workers have a longer allocated-only p90 than 6. The search judges
    # the p90 that counts still-waiting cases, which ranks them right.
    goal = Target.parse("wait_to_allocation_p90 <= 5")
    assert goal.counted == "wait_incl_still_waiting_p90"
    means = {}
    for n in (6, 7):
        over = [f"team.permanent={n}", "horizon_days=120", "demand.referrals_per_week=45"]
        sc = load_scenario(DEFAULT, over)
        means[n] = run_replications(sc, reps=5, seed=1).per_rep.mean()
    assert means[7]["wait_to_allocation_p90"] > means[6]["wait_to_allocation_p90"]
    assert means[7][goal.counted] < means[6][goal.counted]


def test_still_waiting_p90_counts_unallocated_cases_up_to_the_horizon():
    # 3 servers for 4.5 cases a day: the list runs away, and no case ever returns to it,
    # so each case waits once: from referral to allocation, or to the horizon if never
    sc = load_scenario(MMC, ["team.permanent=3", "horizon_days=60", "warmup_days=0"])
    res = run_replications(sc, reps=1, seed=4)
    cases = res.cases[~res.cases["warmup"] & (res.cases["triage_outcome"] == "open_case")]
    horizon = float(res.timeseries["day"].max() + 1)
    waited = cases["allocated_at"].fillna(horizon) - cases["arrival"]
    assert cases["allocated_at"].isna().sum() > 50  # the runaway list is still waiting
    metric = res.per_rep.loc[0, "wait_incl_still_waiting_p90"]
    assert metric == pytest.approx(np.percentile(waited, 90), rel=1e-12)


def test_the_answer_is_a_sentence_with_the_whole_team_and_its_cost():
    evidence = pd.DataFrame(
        [{"value": 10, "cost_gbp": 612345.0, "cost_ci_low": 600000.0, "cost_ci_high": 620000.0}]
    )
    answer = StaffingAnswer(
        "team.permanent",
        10,
        Target.parse("wait_to_allocation_p90 <= 5"),
        0.9,
        evidence,
        team={"permanent": 10, "newly_qualified": 0, "agency": 2},
    )
    assert answer.sentence() == (
        "To keep 90% of waits for allocation within 5 working days, this team needs 10 "
        "permanent social workers (12 in all with its 2 agency workers), with 90% confidence. "
        "Staff cost over the period: GBP 612,345 (95% CI 600,000 to 620,000)."
    )


def test_staffing_command_searches_agency_headcount_and_writes_every_value(tmp_path):
    out = tmp_path / "s"
    args = ["staffing", str(MMC), "--target", "wait_to_allocation_days <= 0.2"]
    args += ["--field", "team.agency", "--set", "team.permanent=3", "--reps", "4"]
    args += ["--set", "horizon_days=200", "--set", "warmup_days=50", "--out", str(out)]
    args += [
        "--set",
        "workforce.agency.ramp_up_days=0",
        "--set",
        "workforce.agency.leaving_rate_per_year=0",
    ]
    args += [
        "--set",
        "workforce.agency.caseload_cap=1",
        "--set",
        "workforce.agency.non_case_fraction=0",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    info = json.loads((out / "staffing.json").read_text())
    # 3 permanent + 4 agency = 7 identical servers: the Erlang C answer for <= 0.2 days
    assert info["answer"] == 4 and info["team_at_answer"] == {
        "permanent": 3,
        "newly_qualified": 0,
        "agency": 4,
    }
    assert "needs 4 agency social workers (7 in all with its 3 permanent workers)" in result.output
    ev = pd.read_csv(out / "staffing_evidence.csv")
    page = (out / "staffing.html").read_text()
    assert set(ev.columns) >= {"value", "team_total", "status", "cost_gbp", "cost_ci_low"}
    for value in ev["value"]:
        assert f"<td>{value}</td>" in page
