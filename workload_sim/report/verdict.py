"""The headline verdict in words, from a run's summary table.

Every number is given with its 95% confidence interval. The backlog trend has
three answers and an honest fourth: GROWING (the whole interval above zero),
SHRINKING (below zero), STABLE (inside the scenario's equivalence margin), or
NOT SHOWN, with about how many more replications would decide it.
"""

from __future__ import annotations

import math

import pandas as pd

from ..records.summary import ABOVE, BELOW, WITHIN, Decision, decide, signed_interval
from ..scenario.safe_yaml import ScenarioError
from ..theory.team_load import LoadCheck, compare_with_simulation, load_check

DEFAULT_MARGIN = 0.25  # as scenario.verdict.backlog_margin_cases_per_week
DEFAULT_BREACH_ALERT = 0.25  # as scenario.verdict.completion_breach_alert_share


def settings(scenario: dict | None, manifest: dict | None = None) -> dict:
    """The verdict section of a resolved scenario, with defaults for folders written before
    it, and the confidence the run's verdict was decided with (a sequential run decides at
    a look-adjusted level, recorded in its manifest; a fixed number of replications at 95%)."""
    given = (scenario or {}).get("verdict") or {}
    decided_at = ((manifest or {}).get("precision") or {}).get("decision_confidence", 0.95)
    return {
        "decision_confidence": float(decided_at),
        "backlog_margin_cases_per_week": float(
            given.get("backlog_margin_cases_per_week", DEFAULT_MARGIN)
        ),
        "completion_breach_alert_share": float(
            given.get("completion_breach_alert_share", DEFAULT_BREACH_ALERT)
        ),
    }


def team_load(scenario: dict | None) -> LoadCheck | None:
    """The load check of a run's resolved scenario; None when there is no scenario."""
    if not scenario:
        return None
    from ..scenario.loading import load_scenario

    return load_check(load_scenario(scenario))


def load_sentences(
    scenario: dict | None,
    summary: pd.DataFrame,
    margin: float = DEFAULT_MARGIN,
    confidence: float = 0.95,
) -> list[str]:
    """Theory beside the simulation: the load in words, then whether the simulated
    backlog agrees with it (and, when not, what the bound leaves out), judged on the same
    margin and confidence as the headline verdict."""
    try:
        check = team_load(scenario)
    except ScenarioError as exc:  # e.g. branches that loop without end: no finite bound
        return [f"The load check could not be worked out: {exc.problems[0]}"]
    if check is None:
        return []
    growing = backlog_trend(summary, margin, confidence)[0] == "growing"
    return [
        f"Load check: {check.sentence(simulated_growing=growing)}",
        simulation_comparison(check, summary, confidence),
    ]


def simulation_comparison(check: LoadCheck, summary: pd.DataFrame, confidence: float) -> str:
    """The load check against the simulated trend, judged at the verdict's confidence."""
    words = "95% CI" if _plain(confidence) else f"{confidence:.2%} interval"
    return compare_with_simulation(check, _at_confidence(summary, confidence), words)


def _plain(confidence: float) -> bool:
    """The summary's own 95% level (a fixed number of replications): nothing to redo."""
    return abs(confidence - 0.95) <= 1e-12


def _at_confidence(summary: pd.DataFrame, confidence: float) -> pd.DataFrame:
    """The summary with the backlog slope's interval at ``confidence`` (a sequential run's
    look-adjusted level), so every sentence judges the trend as the verdict did."""
    if _plain(confidence) or "metric" not in summary:
        return summary
    out = summary.copy()
    at = out["metric"] == "backlog_growth_per_week"
    for i in out.index[at]:
        r = out.loc[i]
        reps = int(r["reps"]) if r["reps"] == r["reps"] else 0
        out.loc[i, ["ci_low", "ci_high"]] = signed_interval(r["mean"], r["std"], reps, confidence)
    return out


def _row(summary: pd.DataFrame, metric: str) -> pd.Series | None:
    rows = summary.set_index("metric")
    if metric not in rows.index or not math.isfinite(rows.loc[metric, "mean"]):
        return None
    return rows.loc[metric]


def _ci(r: pd.Series | None, fmt: str = "{:.1f}") -> str:
    if r is None or not math.isfinite(r["ci_low"]):
        return " (one replication: no interval)"
    return f" (95% CI {fmt.format(r['ci_low'])} to {fmt.format(r['ci_high'])})"


def trend_decision(
    summary: pd.DataFrame, margin: float = DEFAULT_MARGIN, confidence: float = 0.95
) -> Decision | None:
    """The three-way decision on the backlog slope at ``confidence``; None when it was not
    measured."""
    r = _row(_at_confidence(summary, confidence), "backlog_growth_per_week")
    if r is None:
        return None
    reps = r.get("reps", 0)
    return decide(r["mean"], r["ci_low"], r["ci_high"], int(reps) if reps == reps else 0, margin)


def backlog_trend(
    summary: pd.DataFrame, margin: float = DEFAULT_MARGIN, confidence: float = 0.95
) -> tuple[str, str]:
    """('growing' | 'shrinking' | 'stable' | 'not-shown' | 'unknown', sentence)."""
    d = trend_decision(summary, margin, confidence)
    if d is None:
        return "unknown", "The backlog trend could not be measured."
    r = _row(summary, "backlog_growth_per_week")
    slope, ci = f"{r['mean']:+.2f} cases a week", _ci(r, "{:+.2f}")
    if not _plain(confidence):
        ci += (
            f", decided on its {confidence:.2%} interval as the sequential run planned "
            "(its looks together wrong at most 5% of the time)"
        )
    if d.answer == ABOVE:
        return "growing", (
            f"The unallocated list is GROWING by {slope}{ci}: this team cannot keep up "
            "with its demand."
        )
    if d.answer == BELOW:
        return "shrinking", f"The unallocated list is SHRINKING: {slope}{ci}."
    if d.answer == WITHIN:
        return "stable", (
            f"The unallocated list is STABLE: {slope}{ci}, the whole interval inside the "
            f"+-{margin:g} cases a week this scenario counts as no real change."
        )
    more = f"run about {d.more_reps} more replications" if d.more_reps else "run more replications"
    return "not-shown", (
        f"The backlog trend is NOT SHOWN: {slope}{ci}. The interval includes zero but "
        f"reaches beyond the +-{margin:g} cases a week counted as stable, so it may be "
        f"growing: {more} to tell."
    )


def sentences(
    summary: pd.DataFrame,
    cap: float,
    target_days: float | None,
    scenario: dict | None = None,
    manifest: dict | None = None,
) -> list[str]:
    """The verdict, one sentence per finding, every number with its 95% CI."""
    cfg = settings(scenario, manifest)
    trend = backlog_trend(summary, cfg["backlog_margin_cases_per_week"], cfg["decision_confidence"])
    out = [trend[1]]
    out += load_sentences(
        scenario, summary, cfg["backlog_margin_cases_per_week"], cfg["decision_confidence"]
    )
    out += _waits(summary, target_days)
    out += _breaches(summary, cfg["completion_breach_alert_share"])
    c, cmax = _row(summary, "caseload_mean"), _row(summary, "caseload_max")
    if c is not None:
        text = f"Workers at work hold {c['mean']:.1f} weighted cases per FTE{_ci(c)}"
        text += f" against a cap of {cap:g}"
        if cmax is not None:
            text += f"; the busiest reaches {cmax['mean']:.0f}{_ci(cmax, '{:.0f}')}"
        out.append(text + ".")
    ot = _row(summary, "unpaid_hours_per_worker_week")
    if ot is not None:
        out.append(
            f"Each worker works {ot['mean']:.1f} unpaid hours beyond contract in a week at "
            f"work{_ci(ot)}."
        )
    unmet = [
        _row(summary, m)
        for m in ("unmet_not_allocated_in_target", "unmet_closed_unworked", "unallocated_end")
    ]
    if all(u is not None for u in unmet):
        parts = [
            f"{u['mean']:.0f} {words}{_ci(u, '{:.0f}')}"
            for u, words in zip(
                unmet,
                ("cases not allocated in time", "closed without the work done", "still waiting"),
                strict=True,
            )
        ]
        out.append(f"Unmet need per replication: {'; '.join(parts)} at the end.")
    out += _costs(summary)
    return out


def _waits(summary: pd.DataFrame, target_days: float | None) -> list[str]:
    w, p90 = _row(summary, "wait_to_allocation_days"), _row(summary, "wait_to_allocation_p90")
    if w is None:
        return []
    text = f"People wait {w['mean']:.1f} working days on average for a named worker{_ci(w)}"
    if p90 is not None:
        text += f"; one in ten waits more than {p90['mean']:.1f} days{_ci(p90)}"
    if target_days is not None:
        text += f" (standard target: {target_days:g} days)"
    out = [text + "."]
    still = _row(summary, "wait_incl_still_waiting_days")
    if still is not None and still["mean"] > 1.5 * w["mean"]:
        out.append(
            f"Counting the cases still waiting at the end, the mean wait is at "
            f"least {still['mean']:.1f} days{_ci(still)}: the average over allocated "
            "cases understates it, because many were never allocated."
        )
    return out


def _breaches(summary: pd.DataFrame, alert: float) -> list[str]:
    out = []
    breach = _row(summary, "allocation_breach_share")
    if breach is not None:
        out.append(
            f"{breach['mean']:.0%} of cases are not allocated within their urgency "
            f"target{_ci(breach, '{:.0%}')}."
        )
    done = _row(summary, "completion_breach_share")
    if done is not None and done["mean"] > alert:
        text = (
            f"{done['mean']:.0%} of cases breached their completion standard"
            f"{_ci(done, '{:.0%}')}, above the {alert:.0%} this scenario flags"
        )
        team = _row(summary, "completion_breach_team_share")
        path = _row(summary, "completion_breach_pathway_share")
        if team is None or path is None:
            out.append(text + ": many finished late or not at all.")
            return out
        pct = "{:.0%}"
        out.append(
            f"{text}. {team['mean']:.0%}{_ci(team, pct)} were late because they waited for "
            "the team (at the duty desk, on the list or in a worker's queue): capacity; "
            f"{path['mean']:.0%}{_ci(path, pct)} would have been late with no wait for the "
            "team at all: the pathway's lead times and work take longer than the standard, "
            "which more staff would not change."
        )
    return out


def _costs(summary: pd.DataFrame) -> list[str]:
    cost, prem = _row(summary, "staff_cost_gbp"), _row(summary, "agency_premium_gbp")
    naas = _row(summary, "naas_cost_gbp")
    if cost is None:
        return []
    money = "{:,.0f}"
    text = f"Staff cost over the period: GBP {cost['mean']:,.0f}{_ci(cost, money)}"
    if prem is not None and prem["mean"] > 0:
        text += f", of which agency premium GBP {prem['mean']:,.0f}{_ci(prem, money)}"
    if naas is not None and naas["mean"] > 0:
        text += f"; NAAS testing GBP {naas['mean']:,.0f}{_ci(naas, money)}"
    return [text + "."]
