"""sweep.html: each measure against each field varied, named in words with units; a
heatmap for two-field grids; Sobol indices that say when they cannot rank the fields."""

from __future__ import annotations

import html
import json
import textwrap
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import yaml

from ..records.metrics import SIGNED, metric_kind
from . import charts
from .compare_page import amount
from .discovery_page import sweep_section
from .pages import figure_div, table_html, write_page


def _yaml_name(path: Path) -> str | None:
    try:
        data = yaml.safe_load(path.read_text()) if path.is_file() else None
    except (OSError, yaml.YAMLError):
        return None
    name = data.get("name") if isinstance(data, dict) else None
    return str(name) if name else None


def field_words(folder: Path, fields: list[str]) -> dict[str, tuple[str, str]]:
    """field path -> (meaning, unit) from the assumptions table of the base scenario (or,
    before it is written, of the schema's defaults: the same words for every built-in
    field); a path neither knows keeps its own name (never guessed)."""
    from ..scenario.assumptions import assumptions_table
    from ..scenario.loading import load_scenario
    from ..scenario.safe_yaml import ScenarioError

    base = folder / "base_scenario.yaml"
    words = {f: (f, "") for f in fields}
    try:
        data = yaml.safe_load(base.read_text()) if base.is_file() else {"name": "defaults"}
        known = assumptions_table(load_scenario(data)).set_index("field")
    except (ScenarioError, OSError, yaml.YAMLError):
        return words
    for f in fields:
        if f in known.index and str(known.loc[f, "meaning"]):
            words[f] = (str(known.loc[f, "meaning"]), str(known.loc[f, "unit"] or ""))
    return words


def _sweep_name(folder: Path) -> str:
    named = _yaml_name(folder / "sweep.yaml")
    if named:
        return named
    try:  # the experiment's identity, written before the points run
        return str(json.loads((folder / "experiment.json").read_text())["name"])
    except (OSError, ValueError, KeyError, TypeError):
        return folder.name


def _axis(words: tuple[str, str]) -> str:
    """An axis title in words with its unit, on two lines when long (a vertical axis
    title longer than the chart is cut off)."""
    meaning, unit = words
    text = f"{meaning} ({unit})" if unit else meaning
    return "<br>".join(html.escape(line) for line in textwrap.wrap(text, 48)) or text


def _metric_axis(metric: str) -> str:
    """The y-axis title: the unit in words (the chart's title names the measure)."""
    unit = charts.metric_unit(metric)
    return html.escape("share of cases (0 to 1)" if unit == "fraction" else unit or metric)


def _integer(fig: go.Figure, words: tuple[str, str], axis: str = "x") -> None:
    """Headcounts are whole people: ticks on whole numbers only."""
    if words[1] == "headcount":
        (fig.update_xaxes if axis == "x" else fig.update_yaxes)(dtick=1, tickformat="d")


def _response(summary: pd.DataFrame, metric: str, field: str, words) -> go.Figure:
    lo, hi = f"{metric}_ci_low", f"{metric}_ci_high"
    error = None
    if lo in summary and hi in summary:
        error = dict(
            type="data",
            symmetric=False,
            array=(summary[hi] - summary[metric]).clip(lower=0).fillna(0).to_numpy(),
            arrayminus=(summary[metric] - summary[lo]).clip(lower=0).fillna(0).to_numpy(),
        )
    fig = go.Figure(
        go.Scatter(
            x=summary[field],
            y=summary[metric],
            mode="markers",
            marker=dict(color=charts.BLUE, size=10, opacity=0.8),
            error_y=error,
            name="one point: mean, 95% CI",
        )
    )
    fig.update_layout(
        title=html.escape(charts.metric_words(metric)),  # the x axis names the field
        **{**charts.LAYOUT, "height": 300, "hovermode": "closest"},
    )
    fig.update_xaxes(title=_axis(words))
    fig.update_yaxes(title=_metric_axis(metric))
    if metric_kind(metric) != SIGNED:  # a count, wait or share: no negative half to show
        fig.update_yaxes(rangemode="tozero")
    _integer(fig, words)
    return fig


def _heatmap(summary: pd.DataFrame, metric: str, fields: list[str], words) -> go.Figure | None:
    grid = summary.pivot_table(index=fields[1], columns=fields[0], values=metric)
    if grid.shape[0] < 2 or grid.shape[1] < 2:
        return None
    if grid.stack().nunique() < 2:  # one colour says nothing: the page says it in words
        return None
    fig = go.Figure(
        go.Heatmap(
            z=grid.to_numpy(),
            x=list(grid.columns),
            y=list(grid.index),
            colorscale=charts.SEQUENTIAL,
            colorbar=dict(title=_metric_axis(metric)),
        )
    )
    fig.update_layout(
        title=html.escape(charts.metric_words(metric)),
        **{**charts.LAYOUT, "hovermode": "closest", "margin": dict(l=100, r=20, t=50, b=40)},
    )
    fig.update_xaxes(title=_axis(words[fields[0]]))
    fig.update_yaxes(title=_axis(words[fields[1]]))
    _integer(fig, words[fields[0]], "x")
    _integer(fig, words[fields[1]], "y")
    return fig


def _sobol(metric: str, sub: pd.DataFrame, words) -> tuple[go.Figure, str]:
    """Bars of S1 and ST; a bar whose 95% confidence is wider than the index itself, or
    whose index lies outside 0 to 1 (impossible for a share of variance: the estimate has
    not settled), is hatched, and the chart says the points were too few to rank those
    fields."""
    names = [html.escape(words.get(f, (f, ""))[0]) for f in sub["field"]]
    fig = go.Figure()
    unclear: set[str] = set()
    for col, label, colour in (
        ("S1", "first order (S1)", charts.BLUE),
        ("ST", "total (ST)", charts.AMBER),
    ):
        outside = (sub[col] < 0) | (sub[col] > 1)
        wide = ((sub[f"{col}_conf"] >= sub[col].abs()) | outside).to_numpy()
        unclear |= {n for n, w in zip(sub["field"], wide, strict=True) if w}
        fig.add_trace(
            go.Bar(
                x=names,
                y=sub[col],
                name=label,
                marker=dict(color=colour, pattern_shape=["/" if w else "" for w in wide]),
                error_y=dict(type="data", array=sub[f"{col}_conf"].to_numpy()),
            )
        )
    note = ""
    if unclear:
        which = ", ".join(words.get(f, (f, ""))[0] for f in sorted(unclear))
        note = (
            f"Too few points to rank these: the 95% confidence is wider than the index, or the "
            f"index is outside 0 to 1 (a share of variance cannot be), for {which} (hatched "
            "bars). Run the sweep with more points before ranking them."
        )
        fig.add_annotation(
            x=0.5,
            y=1.0,
            xref="paper",
            yref="paper",
            yanchor="bottom",
            showarrow=False,
            text="too few points to rank the hatched bars",
            font=dict(color=charts.RED),
        )
    fig.update_layout(
        title=f"What drives {html.escape(charts.metric_words(metric).lower())}? Sobol indices",
        barmode="group",
        **{**charts.LAYOUT, "hovermode": "closest"},
    )
    fig.update_xaxes(title="field varied")
    fig.update_yaxes(title="share of the variance explained (0 to 1)")
    return fig, note


def _points_table(summary: pd.DataFrame, fields, metrics, words) -> pd.DataFrame:
    out = pd.DataFrame({"point": summary["point"]} if "point" in summary else {})
    for f in fields:
        out[words[f][0]] = summary[f]
    if "reps" in summary:
        out["replications"] = summary["reps"]
    for m in metrics:
        lo, hi = f"{m}_ci_low", f"{m}_ci_high"
        unit = charts.metric_unit(m)
        if lo in summary and hi in summary:
            cells = [
                f"{v:,.3g} ({a:,.3g} to {b:,.3g})"
                for v, a, b in zip(summary[m], summary[lo], summary[hi], strict=True)
            ]
            out[f"{charts.metric_words(m)}, {unit}: mean (95% CI)"] = cells
        elif m in summary:
            out[f"{charts.metric_words(m)}, {unit}"] = summary[m]
    return out


def sweep(folder: Path, fields: list[str], metrics: list[str]) -> Path:
    """sweep.html, titled with the sweep's and the base scenario's names."""
    folder = Path(folder)
    summary = pd.read_parquet(folder / "sweep_summary.parquet")
    words = field_words(folder, fields)
    sweep_name = _sweep_name(folder)
    base_name = _yaml_name(folder / "base_scenario.yaml")
    figs = [
        figure_div(_response(summary, m, f, words[f]), f"resp-{m}-{f}")
        for m in metrics
        for f in fields
        if m in summary
    ]
    heat = ""
    if len(fields) == 2 and summary[fields].drop_duplicates().shape[0] == len(summary):
        for m in [m for m in metrics if m in summary][:3]:
            fig = _heatmap(summary, m, fields, words)
            if fig is not None:
                heat += figure_div(fig, f"heat-{m}")
            elif summary[m].nunique() == 1:
                value = amount(m, float(summary[m].iloc[0]))
                heat += (
                    f"<p>{html.escape(charts.metric_words(m))}: {html.escape(value)} at "
                    "every point (no map drawn).</p>"
                )
    sobol = ""
    if (folder / "sobol.csv").exists():
        idx = pd.read_csv(folder / "sobol.csv")
        for m, sub in idx.groupby("metric"):
            fig, note = _sobol(str(m), sub, words)
            sobol += (f"<p class='caution'>{html.escape(note)}</p>" if note else "") + (
                figure_div(fig, f"sobol-{m}")
            )
    on = f" on {base_name}" if base_name else ""
    title = f"Sweep {sweep_name}{on}: {len(summary)} points"
    varied = "; ".join(html.escape(f"{m} ({u})" if u else m) for m, u in map(words.get, fields))
    body = f"""<h1>{html.escape(title)}</h1>
<div class='sub'>Fields varied: {varied}. Each dot is one point's mean across its
replications with its 95% CI (all points share the same random numbers).</div>
{sweep_section(folder)}
{"<h2>Two fields together</h2>" + heat if heat else ""}
{"<h2>Sensitivity (Sobol)</h2>" + sobol if sobol else ""}
<h2>Response to each field</h2>{"".join(figs)}
<h2>Every point</h2>{table_html(_points_table(summary, fields, metrics, words))}"""
    return write_page(folder / "sweep.html", title, body)
