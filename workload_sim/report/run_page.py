"""report.html for one run: the verdict first, then the evidence, then every assumption."""

from __future__ import annotations

import html
import math
from pathlib import Path

import pandas as pd

from ..scenario.assumptions import STALE
from ..scenario.assumptions import flagged as unsourced
from ..scenario.safe_yaml import ScenarioError
from . import charts
from .load_check_block import load_check_block
from .pages import cards, figure_div, read_folder, table_html, write_page
from .team_words import team_in_words
from .verdict import backlog_trend, sentences, settings, team_load

WORK_METRICS = [
    "capacity_assessments",
    "best_interest_meetings",
    "best_interest_repeats",
    "unmet_not_allocated_in_target",
    "unmet_closed_unworked",
    "leavers",
]
BREACH_METRICS = ["allocation_breach_share", "completion_breach_share"]


def start_words(sc: dict) -> str:
    """The run's day 0 in words when it started from the team's records ('' otherwise)."""
    state = sc.get("start_state") or {}
    cases = state.get("cases") or []
    if not cases:
        return ""
    waiting = sum(1 for c in cases if c.get("holder") is None)
    source = f" ({state['source']})" if state.get("source") else ""
    return (
        f"Started from the team's own records on {state.get('as_of')}: {len(cases):,} open "
        f"cases, {waiting:,} of them waiting for allocation{source}. Day 0 is the team as it "
        "was, so no warm-up is needed; cases open before day 0 are counted in the levels "
        "(list, caseloads) but not among the period's referrals."
    )


def _card(summary: pd.DataFrame, metric: str, label: str, fmt: str) -> tuple[str, str, str]:
    rows = summary.set_index("metric")
    if metric not in rows.index or not math.isfinite(rows.loc[metric, "mean"]):
        return ("n/a", label, "")
    r = rows.loc[metric]
    ci = (
        ""
        if not math.isfinite(r["ci_low"])
        else (f"95% CI {fmt.format(r['ci_low'])} to {fmt.format(r['ci_high'])}")
    )
    return (fmt.format(r["mean"]), label, ci)


def build(folder: Path) -> Path:
    """Write ``report.html`` into a run folder from its tables; returns its path."""
    folder = Path(folder)
    d = read_folder(folder)
    sc, summary, ts, cases, man = (
        d["scenario"],
        d["summary"],
        d["timeseries"],
        d["cases"],
        d["manifest"],
    )
    warmup = int(sc.get("warmup_days", 0))
    recorded = start_words(sc)
    urgencies = list(sc["triage"]["urgency"])
    targets = [u["allocation_target_days"] for u in sc["triage"]["urgency"].values()]
    perm = sc["workforce"]["permanent"]
    cap = perm["caseload_cap"] * perm["fte"]
    cfg = settings(sc, man)
    trend, _ = backlog_trend(
        summary, cfg["backlog_margin_cases_per_week"], cfg["decision_confidence"]
    )
    verdict = "".join(
        f"<li>{html.escape(s)}</li>" for s in sentences(summary, cap, targets[-1], sc, man)
    )
    try:
        check = team_load(sc)
    except ScenarioError:  # the verdict says why; no table to show
        check = None
    load_html = (
        load_check_block(check, summary, cfg["decision_confidence"]) if check is not None else ""
    )
    load_card = (
        (
            f"{check.load_contract:.0%}",
            "load on contracted hours (load check)",
            f"{check.demand_hours_per_day:.1f} h a day needed, "
            f"{check.available_hours_per_day:.1f} h in contract",
        )
        if check is not None
        else ("n/a", "load on contracted hours", "")
    )
    kpis = cards(
        [
            _card(summary, "backlog_growth_per_week", "backlog change, cases/week", "{:+.2f}"),
            _card(summary, "wait_to_allocation_days", "mean wait to allocation, days", "{:.1f}"),
            _card(summary, "wait_to_allocation_p90", "90th percentile wait, days", "{:.1f}"),
            _card(summary, "allocation_breach_share", "not allocated within target", "{:.0%}"),
            _card(summary, "caseload_mean", f"mean caseload (cap {cap:g})", "{:.1f}"),
            _card(summary, "unpaid_hours_per_worker_week", "unpaid h/week at work", "{:.1f}"),
            _card(summary, "unallocated_end", "still waiting at the end", "{:.0f}"),
            _card(summary, "staff_cost_gbp", "staff cost, GBP", "{:,.0f}"),
            load_card,
        ]
    )
    settled, settled_words = charts.warmup_settled(ts, warmup)
    figs = [
        ("backlog", charts.backlog(ts, urgencies, warmup)),
        ("queued", charts.queued_work(ts, warmup)),
        ("caseload", charts.caseload(ts, cap, warmup)),
        ("fte", charts.staffing_over_time(ts)),
        ("waits", charts.waits(cases)),
        ("wait_hist", charts.wait_histogram(cases, targets[-1])),
        (
            "shares",
            charts.metric_bars(
                summary,
                BREACH_METRICS,
                "Share of cases that missed a timescale (mean, 95% CI)",
                "cases that missed it (% of cases)",
                percent=True,
                colour=charts.RED,
            ),
        ),
        ("utilisation", _utilisation(summary)),
        (
            "work",
            charts.metric_bars(
                summary,
                WORK_METRICS,
                "Capacity assessments, best-interest "
                "meetings, unmet need and leavers (per replication)",
                "count per replication (cases, meetings, people)",
            ),
        ),
        ("warmup", charts.warmup_check(ts, warmup)),
    ]
    chart_html = {name: figure_div(fig, f"chart-{name}") for name, fig in figs}
    assumptions = d["assumptions"]
    flagged = assumptions["source"].map(unsourced).sum() if len(assumptions) else 0
    reproduce = man.get("reproduce", "")
    body = f"""
<h1>{html.escape(sc["name"])}: is this workload safe?</h1>
<div class='sub'>{html.escape(team_in_words(sc))}<br>
{man["reps"]} replications, seed {man["seed"]}, {man["horizon_days"]} working days measured
after {warmup} days of warm-up, from {ts["date"].min():%d %b %Y}.{
        "<br>" + html.escape(recorded) if recorded else ""
    }</div>
<div class='verdict {trend}'><strong>Verdict</strong>{
        " (not shown yet: more replications needed)" if trend == "not-shown" else ""
    }<ul>{verdict}</ul></div>
{kpis}
<h2>The backlog</h2>{chart_html["backlog"]}{chart_html["queued"]}
<h2>Caseloads</h2>{chart_html["caseload"]}
<h2>The team: present, away, vacant</h2>{chart_html["fte"]}
<h2>Waits</h2>{chart_html["wait_hist"]}{chart_html["waits"]}
<h2>Timescales, assessments and unmet need</h2>{chart_html["shares"]}{chart_html["work"]}
<h2>How much of the contracted time went on cases</h2>{chart_html["utilisation"]}
{load_html}
<h2>Was the warm-up long enough?</h2>
<p class='warmup {"settled" if settled or recorded else "unsettled"}'>{
        html.escape(recorded or settled_words)
    }</p>
{chart_html["warmup"]}
<h2>Every assumption</h2>
<p>Every parameter with its value, unit and source. {flagged} value(s) were set without a
source and are highlighted: give each a note under <code>sources</code> before relying on it.</p>
{
        table_html(assumptions, "source", ("set ", STALE), full=True)
        if len(assumptions)
        else "<p>(no assumptions.csv)</p>"
    }
<h2>How to reproduce this</h2><pre>{html.escape(reproduce)}</pre>
<p>Package {html.escape(str(man.get("version")))}; scenario SHA-256
<code>{html.escape(str(man.get("scenario_sha256", ""))[:16])}</code>.</p>
"""
    return write_page(folder / "report.html", f"{sc['name']}: workload report", body)


def _utilisation(summary: pd.DataFrame):
    """Utilisation on its own axis (a share of hours, not of cases), against 100%."""
    fig = charts.metric_bars(
        summary,
        ["utilisation"],
        "Case hours worked as a share of contracted case hours (mean, 95% CI)",
        "% of contracted case hours",
        percent=True,
    )
    fig.add_hline(
        y=100,
        line=dict(color=charts.GREY, dash="dash"),
        annotation_text="100%: every contracted case hour used",
        annotation_position="top left",
    )
    fig.update_layout(height=300)
    return fig
