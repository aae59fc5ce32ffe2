"""Pages for comparisons, sweeps and staffing searches."""

from __future__ import annotations

import html
import json
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from ..records.metrics import KEY_METRICS, METRICS
from . import charts
from .pages import cards, figure_div, table_html, write_page


def _label(metric: str) -> str:
    return METRICS.get(metric, ("", metric))[1] or metric


def _difference_words(row, base: str) -> str:
    """One 'differs' statement by the three-way rule: higher, lower, no material
    difference (the whole CI inside the margin), or not shown yet."""
    what = _label(row.metric).lower()
    ci = f"95% CI {row.diff_ci_low:+.3g} to {row.diff_ci_high:+.3g}"
    shown = getattr(row, "shown", None)
    if not isinstance(shown, str):  # a comparison.csv written before the three-way rule
        shown = "higher" if row.diff_ci_low > 0 else "lower" if row.diff_ci_high < 0 else ""
    if shown in ("higher", "lower"):
        return (
            f"{row.scenario}: {what} is {shown} than {base} by {abs(row.diff_vs_first):.3g} ({ci})."
        )
    if shown == "no material difference":
        return (
            f"{row.scenario}: {what} is the same as {base} for practical purposes: "
            f"{row.diff_vs_first:+.3g} ({ci}), inside the +-{row.margin:.3g} margin."
        )
    more = getattr(row, "more_reps", None)
    more = f"run about {int(more)} more replications" if pd.notna(more) else "run more replications"
    return (
        f"{row.scenario}: {what} NOT SHOWN to differ from {base} or to match it: "
        f"{row.diff_vs_first:+.3g} ({ci}); {more} to tell."
    )


def comparison(folder: Path, timeseries: dict[str, pd.DataFrame] | None = None) -> Path:
    """compare.html: paired differences with CIs, and (when given) backlog curves overlaid."""
    folder = Path(folder)
    table = pd.read_csv(folder / "comparison.csv")
    names = list(dict.fromkeys(table["scenario"]))
    base = names[0]
    diffs = table[table["metric"].isin(KEY_METRICS) & table["diff_vs_first"].notna()]
    lines = [_difference_words(row, base) for row in diffs.itertuples()]
    figs = []
    for metric in KEY_METRICS:
        sub = diffs[diffs["metric"] == metric]
        if sub.empty:
            continue
        fig = go.Figure()
        fig.add_trace(
            go.Bar(
                x=sub["scenario"].map(html.escape),
                y=sub["diff_vs_first"],
                name="paired difference",
                error_y=dict(
                    type="data",
                    symmetric=False,
                    array=(sub["diff_ci_high"] - sub["diff_vs_first"]).to_numpy(),
                    arrayminus=(sub["diff_vs_first"] - sub["diff_ci_low"]).to_numpy(),
                ),
                marker_color=charts.BLUE,
            )
        )
        fig.add_hline(y=0, line=dict(color=charts.GREY))
        fig.update_layout(
            title=f"{_label(metric)}: difference from {html.escape(base)} (95% CI, paired)",
            **{**charts.LAYOUT, "height": 300, "hovermode": "closest"},
        )
        figs.append(figure_div(fig, f"diff-{metric}"))
    if timeseries:
        fig = go.Figure()
        palette = [charts.BLUE, charts.RED, charts.GREEN, charts.AMBER, charts.GREY]
        for i, (name, ts) in enumerate(timeseries.items()):
            b = charts.band(ts, "unallocated_mean")
            fig.add_trace(
                charts.mean_line(b, html.escape(name), line=dict(color=palette[i % 5], width=2))
            )
        fig.update_layout(
            title="Unallocated list over time (mean across replications)", **charts.LAYOUT
        )
        figs.insert(0, figure_div(fig, "backlog-overlay"))
    side = table[table["metric"].isin(KEY_METRICS)].pivot(
        index="metric", columns="scenario", values="mean"
    )[names]
    body = f"""<h1>Comparison: {html.escape(" vs ".join(names))}</h1>
<div class='sub'>Common random numbers: replication r of every scenario saw the same referrals,
so the differences below are paired and their intervals narrow.</div>
<div class='verdict'><strong>What differs</strong><ul>
{"".join(f"<li>{html.escape(x)}</li>" for x in lines)}</ul></div>
<h2>Side by side (means)</h2>{table_html(side.reset_index())}
<h2>Differences from {html.escape(base)}</h2>{"".join(figs)}
<h2>Every metric</h2>{table_html(table)}"""
    return write_page(folder / "compare.html", "Comparison", body)


def sweep(folder: Path, fields: list[str], metrics: list[str]) -> Path:
    """sweep.html: each metric against each varied field; a heatmap for two-field grids;
    Sobol indices as bars when the design was Sobol."""
    folder = Path(folder)
    summary = pd.read_parquet(folder / "sweep_summary.parquet")
    figs = []
    for metric in metrics:
        for field in fields:
            fig = go.Figure(
                go.Scatter(
                    x=summary[field],
                    y=summary[metric],
                    mode="markers",
                    marker=dict(color=charts.BLUE, size=7, opacity=0.7),
                    name=metric,
                )
            )
            fig.update_layout(
                title=f"{_label(metric)} against {html.escape(field)}",
                **{**charts.LAYOUT, "height": 300, "hovermode": "closest"},
            )
            fig.update_xaxes(title=html.escape(field))
            figs.append(figure_div(fig, f"resp-{metric}-{field}".replace(".", "_")))
    heat = ""
    if len(fields) == 2 and summary[fields].drop_duplicates().shape[0] == len(summary):
        for metric in metrics[:3]:
            grid = summary.pivot_table(index=fields[1], columns=fields[0], values=metric)
            if grid.shape[0] > 1 and grid.shape[1] > 1:
                fig = go.Figure(
                    go.Heatmap(
                        z=grid.to_numpy(),
                        x=[html.escape(str(c)) for c in grid.columns],
                        y=[html.escape(str(c)) for c in grid.index],
                        colorscale="RdYlGn_r",
                        colorbar=dict(title=metric),
                    )
                )
                fig.update_layout(
                    title=f"{_label(metric)}", **{**charts.LAYOUT, "hovermode": "closest"}
                )
                fig.update_xaxes(title=html.escape(fields[0]))
                fig.update_yaxes(title=html.escape(fields[1]))
                heat += figure_div(fig, f"heat-{metric}")
    sobol = ""
    if (folder / "sobol.csv").exists():
        idx = pd.read_csv(folder / "sobol.csv")
        for metric, sub in idx.groupby("metric"):
            fig = go.Figure(
                [
                    go.Bar(
                        x=sub["field"].map(html.escape),
                        y=sub["S1"],
                        name="first order (S1)",
                        error_y=dict(type="data", array=sub["S1_conf"].to_numpy()),
                    ),
                    go.Bar(
                        x=sub["field"].map(html.escape),
                        y=sub["ST"],
                        name="total order (ST)",
                        error_y=dict(type="data", array=sub["ST_conf"].to_numpy()),
                    ),
                ]
            )
            fig.update_layout(
                title=f"What drives {_label(metric).lower()}? Sobol indices",
                barmode="group",
                **{**charts.LAYOUT, "hovermode": "closest"},
            )
            sobol += figure_div(fig, f"sobol-{metric}")
    body = f"""<h1>Sweep: {len(summary)} points</h1>
<div class='sub'>Fields varied: {html.escape(", ".join(fields))}. Each dot is one point's mean
across its replications (all points share the same random numbers).</div>
{"<h2>Two fields together</h2>" + heat if heat else ""}
{"<h2>Sensitivity (Sobol)</h2>" + sobol if sobol else ""}
<h2>Response to each field</h2>{"".join(figs)}
<h2>Every point</h2>{table_html(summary)}"""
    return write_page(folder / "sweep.html", "Sweep", body)


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
    colour = {"met": charts.BLUE, "missed": charts.RED, "unclear": charts.AMBER}
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
    fig.update_layout(
        title="Every value tried: the metric judged, with its bounds",
        **{**charts.LAYOUT, "hovermode": "closest"},
    )
    fig.update_xaxes(title=html.escape(info["field"]), dtick=1)
    judged = info.get("metric_judged", "")
    fig.update_yaxes(title=f"{judged} ({METRICS.get(judged, ('', ''))[0]})")
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
    cost.update_xaxes(title=html.escape(info["field"]), dtick=1)
    cost.update_yaxes(title="GBP")
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
<div class='verdict'><strong>Answer</strong><ul><li>{html.escape(info["sentence"])}</li>
</ul></div>{
        cards(
            [
                (answer, info["field"], f"target {target}"),
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
