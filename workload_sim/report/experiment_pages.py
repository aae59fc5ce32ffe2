"""Pages for comparisons, sweeps and staffing searches."""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..records.metrics import KEY_METRICS, METRICS
from . import charts
from .pages import cards, figure_div, table_html, write_page


def _label(metric: str) -> str:
    return METRICS.get(metric, ("", metric))[1] or metric


def comparison(folder: Path, timeseries: dict[str, pd.DataFrame] | None = None) -> Path:
    """compare.html: paired differences with CIs, and (when given) backlog curves overlaid."""
    folder = Path(folder)
    table = pd.read_csv(folder / "comparison.csv")
    names = list(dict.fromkeys(table["scenario"]))
    base = names[0]
    diffs = table[table["metric"].isin(KEY_METRICS) & table["diff_vs_first"].notna()]
    lines = []
    for row in diffs.itertuples():
        if row.diff_ci_low > 0 or row.diff_ci_high < 0:
            word = "higher" if row.diff_vs_first > 0 else "lower"
            lines.append(
                f"{row.scenario}: {_label(row.metric).lower()} is {word} than {base} "
                f"by {abs(row.diff_vs_first):.3g} (95% CI {row.diff_ci_low:+.3g} to "
                f"{row.diff_ci_high:+.3g})."
            )
    if not lines:
        lines.append(
            f"No key metric differs from {base} beyond what the replications can "
            "distinguish: run more replications, or the change does not matter."
        )
    figs = []
    for metric in KEY_METRICS:
        sub = diffs[diffs["metric"] == metric]
        if sub.empty:
            continue
        fig = go.Figure()
        fig.add_trace(
            go.Bar(
                x=sub["scenario"],
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
            title=f"{_label(metric)}: difference from {base} (95% CI, paired)",
            **{**charts.LAYOUT, "height": 300, "hovermode": "closest"},
        )
        figs.append(figure_div(fig, f"diff-{metric}"))
    if timeseries:
        fig = go.Figure()
        palette = [charts.BLUE, charts.RED, charts.GREEN, charts.AMBER, charts.GREY]
        for i, (name, ts) in enumerate(timeseries.items()):
            b = charts.band(ts, "unallocated_mean")
            fig.add_trace(charts.mean_line(b, name, line=dict(color=palette[i % 5], width=2)))
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
                title=f"{_label(metric)} against {field}",
                **{**charts.LAYOUT, "height": 300, "hovermode": "closest"},
            )
            fig.update_xaxes(title=field)
            figs.append(figure_div(fig, f"resp-{metric}-{field}".replace(".", "_")))
    heat = ""
    if len(fields) == 2 and summary[fields].drop_duplicates().shape[0] == len(summary):
        for metric in metrics[:3]:
            grid = summary.pivot_table(index=fields[1], columns=fields[0], values=metric)
            if grid.shape[0] > 1 and grid.shape[1] > 1:
                fig = go.Figure(
                    go.Heatmap(
                        z=grid.to_numpy(),
                        x=grid.columns.astype(str),
                        y=grid.index.astype(str),
                        colorscale="RdYlGn_r",
                        colorbar=dict(title=metric),
                    )
                )
                fig.update_layout(
                    title=f"{_label(metric)}", **{**charts.LAYOUT, "hovermode": "closest"}
                )
                fig.update_xaxes(title=fields[0])
                fig.update_yaxes(title=fields[1])
                heat += figure_div(fig, f"heat-{metric}")
    sobol = ""
    if (folder / "sobol.csv").exists():
        idx = pd.read_csv(folder / "sobol.csv")
        for metric, sub in idx.groupby("metric"):
            fig = go.Figure(
                [
                    go.Bar(
                        x=sub["field"],
                        y=sub["S1"],
                        name="first order (S1)",
                        error_y=dict(type="data", array=sub["S1_conf"].to_numpy()),
                    ),
                    go.Bar(
                        x=sub["field"],
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


def staffing(folder: Path) -> Path:
    """staffing.html: the answer, and the search path with its confidence bounds."""
    folder = Path(folder)
    info = json.loads((folder / "staffing.json").read_text())
    ev = pd.read_csv(folder / "staffing_evidence.csv").sort_values("value")
    target = info["target"]
    threshold = float(target.split("=")[-1])
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=ev["value"],
            y=ev["mean"],
            mode="markers+lines",
            name="mean",
            line=dict(color=charts.BLUE),
        )
    )
    fig.add_trace(
        go.Scatter(
            x=ev["value"],
            y=ev["bound"].replace([np.inf, -np.inf], np.nan),
            mode="markers",
            name=f"one-sided {info['confidence']:.0%} bound",
            marker=dict(color=charts.RED, symbol="triangle-up", size=10),
        )
    )
    fig.add_hline(
        y=threshold, line=dict(color=charts.RED, dash="dash"), annotation_text=f"target {target}"
    )
    fig.update_layout(
        title="Values tried and their evidence", **{**charts.LAYOUT, "hovermode": "closest"}
    )
    fig.update_xaxes(title=info["field"], dtick=1)
    answer = "not met in the range searched" if info["answer"] is None else str(info["answer"])
    body = f"""<h1>How many are needed? {html.escape(info["field"])} = {html.escape(answer)}</h1>
<div class='verdict'><strong>Answer</strong><ul><li>{html.escape(info["sentence"])}</li>
</ul></div>{
        cards(
            [
                (answer, info["field"], f"target {target}"),
                (f"{info['confidence']:.0%}", "confidence (one-sided)", ""),
                (str(info["reps"]), "replications at each value", ""),
            ]
        )
    }
{figure_div(fig, "staffing-path")}<h2>Evidence</h2>{table_html(ev)}"""
    return write_page(folder / "staffing.html", "Staffing", body)
