"""Pages for comparisons, sweeps and staffing searches (the first two live in their own
modules; their builders are re-exported here, where the commands look for them)."""

from __future__ import annotations

import html
import json
import textwrap
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from ..records.metrics import METRICS
from . import charts
from .compare_page import comparison
from .pages import cards, figure_div, table_html, write_page
from .sweep_page import sweep

__all__ = ["comparison", "staffing", "sweep"]


def _field_words(field: str) -> str:
    kind = field.removeprefix("team.")
    words = {"permanent": "permanent", "newly_qualified": "newly qualified", "agency": "agency"}
    return f"{words[kind]} social workers" if kind in words else field


def _evidence_view(ev: pd.DataFrame, conf: str) -> pd.DataFrame:
    """The evidence table as a reader wants it: rounded, bounds and cost CI in one column each."""

    def money(x: float) -> str:
        return f"{x:,.0f}" if pd.notna(x) else "n/a"

    return pd.DataFrame(
        {
            "value": ev["value"],
            "team in all": ev.get("team_total", ev["value"]),
            "replications": ev["reps"],
            "mean": ev["mean"].map(lambda x: f"{x:.2f}"),
            f"one-sided {conf} bounds": [
                f"{lo:.2f} to {hi:.2f}"
                for lo, hi in zip(ev["lower_bound"], ev["upper_bound"], strict=True)
            ],
            "target": ev["status"],
            "staff cost, GBP": ev["cost_gbp"].map(money),
            "cost 95% CI": [
                f"{money(lo)} to {money(hi)}"
                for lo, hi in zip(ev["cost_ci_low"], ev["cost_ci_high"], strict=True)
            ],
        }
    )


def staffing(folder: Path) -> Path:
    """staffing.html: the answer in a sentence, and every value tried with its bounds and cost."""
    folder = Path(folder)
    info = json.loads((folder / "staffing.json").read_text())
    ev = pd.read_csv(folder / "staffing_evidence.csv").sort_values("value")
    target = info["target"]
    threshold = float(target.replace(">=", "<=").split("<=")[-1])
    conf = f"{info['confidence']:.0%}"
    fig = go.Figure()
    colour = {"met": charts.GREEN, "missed": charts.RED, "unclear": charts.AMBER}
    people = _field_words(info["field"])
    for status, sub in ev.groupby("status"):
        fig.add_trace(
            go.Scatter(
                x=sub["value"],
                y=sub["mean"],
                mode="markers",
                name=f"{status} (mean, one-sided {conf} bounds)",
                marker=dict(color=colour.get(status, charts.GREY), size=10),
                error_y=dict(
                    type="data",
                    symmetric=False,
                    array=(sub["upper_bound"] - sub["mean"]).to_numpy(),
                    arrayminus=(sub["mean"] - sub["lower_bound"]).to_numpy(),
                ),
            )
        )
    fig.add_hline(
        y=threshold,
        line=dict(color=charts.GREY, dash="dash"),
        annotation_text=f"target {html.escape(target)}",
    )
    judged = info.get("metric_judged", "")
    unit, meaning = METRICS.get(judged, ("", judged))
    wrapped = "<br>".join(html.escape(line) for line in textwrap.wrap(meaning, 100))
    fig.update_layout(
        title=f"Every value tried, with its bounds<br><sup>{wrapped}</sup>",
        **{**charts.LAYOUT, "hovermode": "closest", "margin": dict(l=70, r=20, t=80, b=40)},
    )
    fig.update_xaxes(title=html.escape(f"{people} (headcount)"), dtick=1, tickformat="d")
    fig.update_yaxes(title=html.escape(unit or judged))
    cost = go.Figure(
        go.Bar(
            x=ev["value"],
            y=ev["cost_gbp"],
            marker_color=charts.BLUE,
            error_y=dict(
                type="data",
                symmetric=False,
                array=(ev["cost_ci_high"] - ev["cost_gbp"]).to_numpy(),
                arrayminus=(ev["cost_gbp"] - ev["cost_ci_low"]).to_numpy(),
            ),
        )
    )
    cost.update_layout(
        title="Staff cost over the period at each value tried (mean, 95% CI)",
        **{**charts.LAYOUT, "height": 300, "hovermode": "closest"},
    )
    cost.update_xaxes(title=html.escape(f"{people} (headcount)"), dtick=1, tickformat="d")
    cost.update_yaxes(title="staff cost over the period (GBP)")
    answer = "not met in the range searched" if info["answer"] is None else str(info["answer"])
    if info.get("cannot_tell_apart_from"):
        answer = f"{min(info['cannot_tell_apart_from'])} or {answer}"
    team = info.get("team_at_answer") or {}
    at = ev[ev["value"] == info["answer"]]
    cost_text = f"{at['cost_gbp'].iloc[0]:,.0f}" if len(at) else "n/a"
    note = ""
    if info.get("metric_judged") and info["metric_judged"] not in target:
        note = (
            f"<p>The target names a wait over allocated cases; the search judges "
            f"<code>{html.escape(info['metric_judged'])}</code>, which counts cases still "
            "waiting at the end with their wait so far, so a runaway list can never look "
            "better than a shorter one.</p>"
        )
    body = f"""<h1>How many are needed? {html.escape(_field_words(info["field"]))}: {
        html.escape(answer)
    }</h1>
<div class='verdict {
        "not-shown" if info.get("cannot_tell_apart_from") else ""
    }'><strong>Answer</strong><ul><li>{html.escape(info["sentence"])}</li>
</ul></div>{
        cards(
            [
                (answer, _field_words(info["field"]), f"target {target}"),
                (str(sum(team.values())) if team else "n/a", "social workers in all", ""),
                (cost_text, "staff cost at the answer, GBP", ""),
                (conf, "confidence (one-sided)", ""),
                (
                    f"{info['reps']} to {int(ev['reps'].max())}",
                    "replications at each value",
                    f"up to {info.get('max_reps', '')} near the answer",
                ),
            ]
        )
    }
{note}
<p>Every value runs the same replications (common random numbers). A value is <em>met</em>
when its one-sided {conf} bound is on the right side of the target, <em>missed</em> when the
other bound is on the wrong side, and <em>unclear</em> otherwise; unclear values get more
replications.</p>
{figure_div(fig, "staffing-path")}{figure_div(cost, "staffing-cost")}
<h2>Every value tried</h2>{table_html(_evidence_view(ev, conf))}"""
    return write_page(folder / "staffing.html", "Staffing", body)
