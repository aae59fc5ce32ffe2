"""Statistics that do not overclaim: intervals by metric kind, their coverage, the
three-way verdict, comparisons and the sequential run, checked against known
distributions and hand computations."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from workload_sim.cli import app
from workload_sim.experiments.compare import comparison_table
from workload_sim.records.metrics import (
    KEY_METRICS,
    METRICS,
    NON_NEGATIVE,
    SHARE,
    SIGNED,
    metric_kind,
)
from workload_sim.records.summary import (
    ABOVE,
    BELOW,
    NOT_SHOWN,
    WITHIN,
    decide,
    interval,
    summarise,
)
from workload_sim.report.verdict import backlog_trend, sentences

from .conftest import DEFAULT, MMC

runner = CliRunner()

# --- coverage of the interval methods on distributions with a known mean ------------------

SIMS = 2000  # coverage estimate's binomial SE: sqrt(0.95 * 0.05 / 2000) = 0.0049
TOLERANCE = 3 * math.sqrt(0.95 * 0.05 / SIMS)  # 0.0146: three standard errors


def _coverage(draw, true_mean: float, kind: str, n: int, seed: int) -> float:
    rng = np.random.default_rng(seed)
    hits = 0
    for _ in range(SIMS):
        _, _, lo, hi, _ = interval(draw(rng, n), kind)
        hits += lo <= true_mean <= hi
    return hits / SIMS


# The figures asserted here are the ones quoted in docs/statistics.md.
COVERAGE_CASES = {
    # mean waits across replications: lognormal, sigma 0.3 (CV 0.31)
    "lognormal waits": (lambda r, n: r.lognormal(1.0, 0.3, n), math.exp(1.0 + 0.045), NON_NEGATIVE),
    # a count with zeros in some replications: Poisson(2)
    "poisson counts": (lambda r, n: r.poisson(2.0, n).astype(float), 2.0, NON_NEGATIVE),
    # breach shares: Beta(5, 45), mean 0.1
    "beta shares": (lambda r, n: r.beta(5, 45, n), 0.1, SHARE),
    # backlog slopes: normal around a small growth
    "normal slopes": (lambda r, n: r.normal(0.1, 0.5, n), 0.1, SIGNED),
}


@pytest.mark.parametrize("name", list(COVERAGE_CASES))
def test_interval_covers_the_true_mean_95_percent_of_the_time(name):
    (
        draw,
        true_mean,
        kind,
    ) = COVERAGE_CASES[name]
    cover = _coverage(draw, true_mean, kind, n=10, seed=11)
    assert abs(cover - 0.95) <= TOLERANCE, f"{name}: coverage {cover:.3f}"


# --- intervals respect each metric's range -----------------------------------------------


def test_counts_waits_and_shares_never_get_impossible_bounds():
    # the cases: a list at zero in most replications, a rare breach, short waits
    per_rep = pd.DataFrame(
        {
            "rep": range(5),
            "unallocated_end": [0.0, 0.0, 0.0, 0.0, 26.0],
            "allocation_breach_share": [0.0, 0.0, 0.0, 0.05, 0.0],
            "wait_to_allocation_p90": [0.0, 0.0, 0.2, 0.0, 3.0],
            "backlog_growth_per_week": [-0.5, 0.2, -0.1, 0.4, -0.3],
        }
    )
    rows = summarise(per_rep).set_index("metric")
    for m in ("unallocated_end", "allocation_breach_share", "wait_to_allocation_p90"):
        assert rows.loc[m, "ci_low"] >= 0, m
        assert rows.loc[m, "ci_low"] <= rows.loc[m, "mean"] <= rows.loc[m, "ci_high"], m
    assert rows.loc["allocation_breach_share", "ci_high"] <= 1
    # a slope keeps its sign-free t interval: mean -0.06, sd 0.36, t(4) = 2.776
    sd = np.std([-0.5, 0.2, -0.1, 0.4, -0.3], ddof=1)
    assert rows.loc["backlog_growth_per_week", "ci_low"] == pytest.approx(
        -0.06 - 2.7764451 * sd / math.sqrt(5), rel=1e-6
    )


def test_every_metric_has_a_kind_its_values_respect(default_small):
    assert {metric_kind(m) for m in METRICS} == {NON_NEGATIVE, SHARE, SIGNED}
    per_rep = default_small.per_rep
    for m in METRICS:
        x = per_rep[m].dropna()
        if metric_kind(m) == NON_NEGATIVE:
            assert (x >= 0).all(), m
        elif metric_kind(m) == SHARE:
            assert ((x >= 0) & (x <= 1)).all(), m
    assert (
        default_small.summary["ci_low"].dropna()[default_small.summary["kind"] != SIGNED] >= 0
    ).all()


# --- the three-way rule -----------------------------------------------------------------


def test_three_way_rule_and_the_replications_still_needed():
    assert decide(0.81, 0.29, 1.33, 30, 0.25).answer == ABOVE
    assert decide(-0.5, -0.9, -0.1, 10, 0.25).answer == BELOW
    assert decide(0.05, -0.1, 0.2, 10, 0.25).answer == WITHIN
    assert decide(0.0, 0.0, 0.0, 3, 0.0).answer == WITHIN  # zero in every replication of both
    d = decide(0.44, -0.18, 1.05, 10, 0.25)  # the team at 10 replications
    # to exclude zero the half-width 0.615 must fall below 0.44: 10 * (0.615/0.44)^2 * 1.1
    # = 21.5 -> 22 replications, 12 more (equivalence is out of reach: |mean| > margin)
    assert d.answer == NOT_SHOWN and d.more_reps == 12


def _slope(mean, lo, hi, reps=10):
    return pd.DataFrame(
        [
            {
                "metric": "backlog_growth_per_week",
                "mean": mean,
                "ci_low": lo,
                "ci_high": hi,
                "reps": reps,
            }
        ]
    )


def test_a_ci_that_includes_growth_is_not_called_stable():
    trend, text = backlog_trend(_slope(0.44, -0.18, 1.05))
    assert trend == "not-shown" and "NOT SHOWN" in text and "12 more replications" in text
    assert backlog_trend(_slope(0.81, 0.29, 1.33, 30))[0] == "growing"
    assert backlog_trend(_slope(0.05, -0.1, 0.2))[0] == "stable"
    # the margin comes from the scenario: the same CI is stable under a wider margin
    assert backlog_trend(_slope(0.44, -0.18, 1.05), margin=1.5)[0] == "stable"


def test_verdict_gives_every_number_its_interval_and_names_a_high_completion_breach():
    def row(metric, mean, lo, hi):
        return {"metric": metric, "mean": mean, "ci_low": lo, "ci_high": hi, "reps": 10}

    summary = pd.DataFrame(
        [
            row("backlog_growth_per_week", 0.0, -0.1, 0.1),
            row("caseload_mean", 18.0, 17.0, 19.0),
            row("caseload_max", 31.0, 29.0, 33.0),
            row("unmet_not_allocated_in_target", 40.0, 35.0, 46.0),
            row("unmet_closed_unworked", 3.0, 1.5, 6.0),
            row("unallocated_end", 12.0, 8.0, 18.0),
            row("completion_breach_share", 0.74, 0.70, 0.78),
            row("staff_cost_gbp", 600000.0, 590000.0, 610000.0),
            row("naas_cost_gbp", 9000.0, 8000.0, 10000.0),
        ]
    )
    text = " ".join(sentences(summary, 20, 5))
    assert "busiest reaches 31 (95% CI 29 to 33)" in text
    assert "3 closed without the work done (95% CI 2 to 6)" in text
    assert "NAAS testing GBP 9,000 (95% CI 8,000 to 10,000)" in text
    assert "74% of cases breached their completion standard (95% CI 70% to 78%)" in text
    low = summary.assign(
        mean=summary["mean"].where(summary["metric"] != "completion_breach_share", 0.1)
    )
    assert "completion standard" not in " ".join(sentences(low, 20, 5))
    # with the lateness split, the sentence says which part is capacity
    split = pd.concat(
        [
            summary,
            pd.DataFrame(
                [
                    row("completion_breach_team_share", 0.20, 0.15, 0.26),
                    row("completion_breach_pathway_share", 0.54, 0.50, 0.58),
                ]
            ),
        ]
    )
    text = " ".join(sentences(split, 20, 5))
    assert "20% (95% CI 15% to 26%) were late because they waited for the team" in text
    assert "54% (95% CI 50% to 58%) would have been late with no wait for the team" in text


def test_the_lateness_split_adds_up_to_the_completion_breaches(default_small):
    per_rep = default_small.per_rep
    both = per_rep["completion_breach_team_share"] + per_rep["completion_breach_pathway_share"]
    assert both.to_numpy() == pytest.approx(per_rep["completion_breach_share"].to_numpy())
    cases = default_small.cases
    assert not (cases["late_waiting_for_team"] & ~cases["completion_breach"]).any()


def test_compare_says_higher_lower_same_or_not_shown():
    base = np.random.default_rng(3).normal(10.0, 1.0, 12)
    wobble = np.tile([1.0, -1.0], 6)  # paired differences of mean 0 and sd 1.04
    points = {"A": base, "B": base + 2 + 0.1 * wobble, "C": base + 0.05 * wobble}
    points["D"] = base + 0.3 + wobble
    rows = [
        {"scenario": name, "point": point, "rep": r, "caseload_mean": v}
        for point, (name, vals) in enumerate(points.items())
        for r, v in enumerate(vals)
    ]
    table = comparison_table(pd.DataFrame(rows), list(points), 0.25, 0.05)
    shown = table.dropna(subset=["diff_vs_first"]).set_index("scenario")
    # margin = 5% of A's mean (about 0.5 cases). By hand, t(11) = 2.201:
    # B: +2 +- 0.07 -> higher; C: 0 +- 0.033 -> inside the margin; D: +0.3 +- 0.66 reaches
    # both zero and the margin -> not shown, and (0.66 / 0.3)^2 * 12 * 1.1 ~ 64 reps needed
    assert shown.loc["B", "shown"] == "higher"
    assert shown.loc["C", "shown"] == "no material difference"
    assert shown.loc["D", "shown"] == "not shown"
    half = 2.200985 * np.std(wobble, ddof=1) / math.sqrt(12)
    assert shown.loc["D", "more_reps"] == math.ceil(12 * (half / 0.3) ** 2 * 1.1) - 12
    assert shown.loc["B", "margin"] == pytest.approx(0.05 * base.mean())


# --- the sequential run through the command line -------------------------------------------


def test_run_with_precision_and_a_cap_writes_manifest_and_report(tmp_path):
    # used to crash at the end: "Object of type bool is not JSON serializable"
    out = tmp_path / "p"
    args = ["run", str(DEFAULT), "--precision", "0.05", "--max-reps", "4", "--days", "30"]
    result = runner.invoke(app, [*args, "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    info = json.loads((out / "manifest.json").read_text())["precision"]
    assert info["reached"] is False and info["history"][-1]["reps"] == 4
    assert (out / "report.html").exists()
    assert "--precision 0.05 not reached after 4 replications" in result.output


def test_run_without_reps_adds_replications_until_the_verdict_is_decided(tmp_path):
    # 3 workers serving 4.5 cases a day at 1 a day: the list grows by ~7.5 cases a week
    out = tmp_path / "d"
    args = ["run", str(MMC), "--set", "team.permanent=3", "--days", "60", "--warmup-days", "0"]
    result = runner.invoke(app, [*args, "--set", "replications=2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    # looks planned from 2 doubling to the cap of 200: 2, 4, ..., 128, 200 (8 looks), each
    # at 1 - 0.05 / 8 = 99.375%; at 2 replications t(1 df) is too wide, and the projection
    # may skip at most to the look after next: 8
    assert "backlog verdict decided after 8 replications: GROWING" in result.output
    assert "99.38% interval at each of 8 looks" in " ".join(result.output.split())
    # a team near balance at a tiny cap: the run says the cap stopped it
    capped = runner.invoke(
        app,
        ["run", str(MMC), "--days", "40", "--warmup-days", "0", "--set", "replications=2"]
        + ["--max-reps", "3", "--out", str(tmp_path / "c"), "-q"],
    )
    assert capped.exit_code == 0, capped.output
    assert "cap of 3 replications reached before the backlog verdict was decided" in capped.output
    manifest = json.loads((tmp_path / "c" / "manifest.json").read_text())
    assert manifest["reps"] == 3 and manifest["precision"]["verdict"] == "not shown"


def test_compare_with_a_cap_adds_replications_until_every_key_difference_is_shown(tmp_path):
    # 7 workers against 5 on the M/M/c queue: Erlang C waits 0.087 against 1.525 days
    seven = tmp_path / "mmc7.yaml"
    seven.write_text(
        MMC.read_text().replace("name: mmc", "name: mmc7").replace("permanent: 5", "permanent: 7")
    )
    out = tmp_path / "cmp"
    args = ["compare", str(MMC), str(seven), "--reps", "2", "--max-reps", "64", "--out", str(out)]
    result = runner.invoke(app, [*args, "--set", "horizon_days=150", "--set", "warmup_days=30"])
    assert result.exit_code == 0, result.output
    seq = json.loads((out / "manifest.json").read_text())["sequential"]
    table = pd.read_csv(out / "comparison.csv").dropna(subset=["diff_vs_first"])
    key = table.set_index("metric")
    assert key.loc["wait_to_allocation_days", "shown"] == "lower"
    # looks planned 2, 4, 8, 16, 32, 64, each at 1 - 0.05 / 6: at 2 replications (t with
    # 1 df at 99.6%) no key difference is shown; a step goes at most two looks ahead: 8
    assert seq["history"][0] == {"reps": 2, "not_shown": 5, "worst_half_width": 0.0}
    assert seq["looks"] == [2, 4, 8, 16, 32, 64]
    assert seq["history"][1]["reps"] == 8 and seq["decided"] is True
    assert f"every key difference shown after {seq['reps']} replications" in result.output
    assert not key[key.index.isin(list(KEY_METRICS))]["shown"].eq("not shown").any()
    assert len(pd.read_parquet(out / "comparison_reps.parquet")) == 2 * seq["reps"]
