"""The headline verdict in words, from a run's summary table.

Each sentence states a number with its 95% confidence interval and says what it
means; where the interval includes zero the sentence says the data cannot tell.
"""

from __future__ import annotations

import math

import pandas as pd


def _row(summary: pd.DataFrame, metric: str) -> pd.Series | None:
    rows = summary.set_index("metric")
    return rows.loc[metric] if metric in rows.index else None


def _ci(r: pd.Series, fmt: str = "{:.1f}") -> str:
    if r is None or not math.isfinite(r["ci_low"]):
        return ""
    return f" (95% CI {fmt.format(r['ci_low'])} to {fmt.format(r['ci_high'])})"


def backlog_trend(summary: pd.DataFrame) -> tuple[str, str]:
    """('growing' | 'shrinking' | 'stable', sentence)."""
    r = _row(summary, "backlog_growth_per_week")
    if r is None or not math.isfinite(r["mean"]):
        return "unknown", "The backlog trend could not be measured."
    ci = _ci(r, "{:+.2f}")
    if math.isfinite(r["ci_low"]) and r["ci_low"] > 0:
        return "growing", (
            f"The unallocated list is GROWING by {r['mean']:+.2f} cases a week"
            f"{ci}: this team cannot keep up with its demand."
        )
    if math.isfinite(r["ci_high"]) and r["ci_high"] < 0:
        return "shrinking", f"The unallocated list is shrinking by {r['mean']:.2f} a week{ci}."
    return "stable", (
        f"The unallocated list shows no clear trend: {r['mean']:+.2f} cases a "
        f"week{ci}, stable within what the replications can tell."
    )


def sentences(summary: pd.DataFrame, cap: float, target_days: float | None) -> list[str]:
    out = [backlog_trend(summary)[1]]
    w, p90 = _row(summary, "wait_to_allocation_days"), _row(summary, "wait_to_allocation_p90")
    breach = _row(summary, "allocation_breach_share")
    if w is not None and math.isfinite(w["mean"]):
        text = f"People wait {w['mean']:.1f} working days on average for a named worker{_ci(w)}"
        if p90 is not None and math.isfinite(p90["mean"]):
            text += f"; one in ten waits more than {p90['mean']:.1f} days"
        if target_days is not None:
            text += f" (standard target: {target_days:g} days)"
        out.append(text + ".")
        still = _row(summary, "wait_incl_still_waiting_days")
        if still is not None and math.isfinite(still["mean"]) and still["mean"] > 1.5 * w["mean"]:
            out.append(
                f"Counting the cases still waiting at the end, the mean wait is at "
                f"least {still['mean']:.1f} days{_ci(still)}: the average over allocated "
                "cases understates it, because many were never allocated."
            )
    if breach is not None and math.isfinite(breach["mean"]):
        out.append(
            f"{breach['mean']:.0%} of cases are not allocated within their urgency "
            f"target{_ci(breach, '{:.0%}')}."
        )
    c, cmax = _row(summary, "caseload_mean"), _row(summary, "caseload_max")
    if c is not None:
        out.append(
            f"Workers hold {c['mean']:.1f} weighted cases on average{_ci(c)} against a "
            f"cap of {cap:g}; the busiest reaches {cmax['mean']:.0f}."
        )
    ot = _row(summary, "overtime_hours_per_worker_week")
    if ot is not None:
        out.append(f"Each worker works {ot['mean']:.1f} hours a week beyond contract{_ci(ot)}.")
    unmet = [
        _row(summary, m)
        for m in ("unmet_not_allocated_in_target", "unmet_closed_unworked", "unallocated_end")
    ]
    if all(u is not None for u in unmet):
        out.append(
            f"Unmet need: {unmet[0]['mean']:.0f} cases not allocated in time, "
            f"{unmet[1]['mean']:.0f} closed without the work done, "
            f"{unmet[2]['mean']:.0f} still waiting at the end (means per replication)."
        )
    cost, prem = _row(summary, "staff_cost_gbp"), _row(summary, "agency_premium_gbp")
    naas = _row(summary, "naas_cost_gbp")
    if cost is not None:
        text = f"Staff cost over the period: GBP {cost['mean']:,.0f}"
        if prem is not None and prem["mean"] > 0:
            text += f", of which agency premium GBP {prem['mean']:,.0f}"
        if naas is not None and naas["mean"] > 0:
            text += f"; NAAS testing GBP {naas['mean']:,.0f}"
        out.append(text + ".")
    return out
