"""compare.html: what differs between scenarios, in words with units, one chart a measure."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from ..records.metrics import KEY_METRICS
from . import charts
from .pages import figure_div, table_html, write_page

# the mean wait hides the long waits a union asks about: the 90th percentile goes beside it
COMPARE_METRICS = (KEY_METRICS[0], "wait_to_allocation_p90", *KEY_METRICS[1:])
SHOWN_COLOUR = {
    "higher": charts.BLUE,
    "lower": charts.BLUE,
    "no material difference": charts.GREEN,
}


def _is_share(metric: str) -> bool:
    return charts.metric_unit(metric) == "fraction"


def unit_words(metric: str) -> str:
    """The unit a reader sees: shares as percentages (and their differences as points)."""
    return "%" if _is_share(metric) else charts.metric_unit(metric)


def amount(metric: str, x: float, signed: bool = False, difference: bool = False) -> str:
    """A value with its unit: '3.2 working days', '12%'; a difference ('+4.1 percentage
    points': a share's difference is in points, not a percentage of it)."""
    if x != x:
        return "n/a"
    sign = "+" if signed else ""
    if _is_share(metric):
        points = signed or difference
        return f"{100 * x:{sign}.1f} percentage points" if points else f"{100 * x:.1f}%"
    return f"{x:{sign},.3g} {charts.metric_unit(metric)}".rstrip()


def _ci(metric: str, lo: float, hi: float, signed: bool = False) -> str:
    return f"95% CI {amount(metric, lo, signed)} to {amount(metric, hi, signed)}"


def _shown(row) -> str:
    shown = getattr(row, "shown", None)
    if isinstance(shown, str):
        return shown
    # a comparison.csv written before the three-way rule
    return "higher" if row.diff_ci_low > 0 else "lower" if row.diff_ci_high < 0 else "not shown"


def difference_words(row, base: str) -> str:
    """One 'differs' statement by the three-way rule: higher, lower, no material
    difference (the whole CI inside the margin), or not shown yet."""
    m = row.metric
    what = charts.metric_words(m).lower()
    ci = _ci(m, row.diff_ci_low, row.diff_ci_high, signed=True)
    shown = _shown(row)
    if shown in ("higher", "lower"):
        size = amount(m, abs(row.diff_vs_first), difference=True)
        return f"{row.scenario}: {what} is {shown} than {base} by {size} ({ci})."
    diff = amount(m, row.diff_vs_first, signed=True)
    if shown == "no material difference":
        margin = amount(m, row.margin, difference=True)
        return (
            f"{row.scenario}: {what} is the same as {base} for practical purposes: "
            f"{diff} ({ci}), inside the +-{margin} margin."
        )
    more = getattr(row, "more_reps", None)
    more = f"run about {int(more)} more replications" if pd.notna(more) else "run more replications"
    return (
        f"{row.scenario}: {what} NOT SHOWN to differ from {base} or to match it: "
        f"{diff} ({ci}); {more} to tell."
    )


def _difference_chart(metric: str, sub: pd.DataFrame, base: str) -> go.Figure:
    """Each scenario's paired difference from the first as a point with its 95% CI, the
    margin counted as no real change shaded: a forest plot, one measure and unit."""
    scale = 100.0 if _is_share(metric) else 1.0
    unit = "percentage points" if _is_share(metric) else charts.metric_unit(metric)
    fig = go.Figure()
    margin = sub["margin"].dropna() if "margin" in sub else pd.Series(dtype=float)
    if len(margin) and margin.iloc[0] > 0:
        fig.add_hrect(
            y0=-scale * margin.iloc[0],
            y1=scale * margin.iloc[0],
            fillcolor=charts.GREEN,
            opacity=0.12,
            line_width=0,
            annotation_text="no material difference",
            annotation_position="top left",
        )
    for row in sub.itertuples():
        shown = _shown(row)
        fig.add_trace(
            go.Scatter(
                x=[html.escape(row.scenario)],
                y=[scale * row.diff_vs_first],
                mode="markers",
                marker=dict(size=12, color=SHOWN_COLOUR.get(shown, charts.AMBER)),
                error_y=dict(
                    type="data",
                    symmetric=False,
                    array=[scale * (row.diff_ci_high - row.diff_vs_first)],
                    arrayminus=[scale * (row.diff_vs_first - row.diff_ci_low)],
                ),
                name=f"{html.escape(row.scenario)}: {shown}",
            )
        )
    fig.add_hline(y=0, line=dict(color=charts.GREY))
    fig.update_layout(
        title=f"{html.escape(charts.metric_words(metric))}<br><sup>each scenario minus "
        f"{html.escape(base)}, paired, with its 95% CI</sup>",
        **{
            **charts.LAYOUT,
            "height": 340,
            "hovermode": "closest",
            "margin": dict(l=70, r=20, t=70, b=40),
        },
    )
    fig.update_xaxes(title="scenario")
    fig.update_yaxes(title=f"difference ({unit})")
    return fig


def _side_by_side(table: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    rows = table.set_index(["metric", "scenario"])
    out = []
    for m in COMPARE_METRICS:
        if m not in rows.index.get_level_values(0):
            continue
        rec = {"measure": charts.metric_words(m), "unit": unit_words(m)}
        for n in names:
            r = rows.loc[(m, n)] if (m, n) in rows.index else None
            rec[n] = (
                "n/a"
                if r is None
                else f"{amount(m, r['mean'])} ({_ci(m, r['ci_low'], r['ci_high'])})"
            )
        out.append(rec)
    return pd.DataFrame(out)


def _every_metric(table: pd.DataFrame) -> pd.DataFrame:
    def diff(r) -> str:
        if pd.isna(r.diff_vs_first):
            return "(the base)"
        m = r.metric
        return f"{amount(m, r.diff_vs_first, True)} ({_ci(m, r.diff_ci_low, r.diff_ci_high, True)})"

    return pd.DataFrame(
        {
            "measure": [charts.metric_words(m) for m in table["metric"]],
            "scenario": table["scenario"],
            "mean (95% CI)": [
                f"{amount(r.metric, r.mean)} ({_ci(r.metric, r.ci_low, r.ci_high)})"
                for r in table.itertuples()
            ],
            "difference from the first, paired": [diff(r) for r in table.itertuples()],
            "replications": table["reps"],
            "verdict": ["" if pd.isna(r.diff_vs_first) else _shown(r) for r in table.itertuples()],
        }
    )


def comparison(folder: Path, timeseries: dict[str, pd.DataFrame] | None = None) -> Path:
    """compare.html: paired differences with CIs, and (when given) backlog curves overlaid."""
    folder = Path(folder)
    table = pd.read_csv(folder / "comparison.csv")
    names = list(dict.fromkeys(table["scenario"]))
    base = names[0]
    diffs = table[table["metric"].isin(COMPARE_METRICS) & table["diff_vs_first"].notna()]
    lines = [
        (difference_words(row, base), _shown(row))
        for m in COMPARE_METRICS
        for row in diffs[diffs["metric"] == m].itertuples()
    ]
    # a statement not shown yet reads amber, as a run's undecided verdict does
    items = "".join(
        f"<li class='{'not-shown' if shown not in SHOWN_COLOUR else 'shown'}'>{html.escape(x)}</li>"
        for x, shown in lines
    )
    figs = [
        figure_div(_difference_chart(m, diffs[diffs["metric"] == m], base), f"diff-{m}")
        for m in COMPARE_METRICS
        if (diffs["metric"] == m).any()
    ]
    if timeseries:
        fig = go.Figure()
        for i, (name, ts) in enumerate(timeseries.items()):
            b = charts.band(ts, "unallocated_mean")
            colour = charts.CATEGORIES[i % len(charts.CATEGORIES)]
            fig.add_trace(charts.mean_line(b, html.escape(name), line=dict(color=colour, width=2)))
        fig.update_layout(
            title="Unallocated list over time (mean across replications)", **charts.LAYOUT
        )
        peak = max(ts["unallocated_mean"].max() for ts in timeseries.values())
        charts.count_axis(fig, "cases waiting for allocation (count)", peak)
        fig.update_xaxes(title=charts.DATE_AXIS)
        figs.insert(0, figure_div(fig, "backlog-overlay"))
    body = f"""<h1>Comparison: {html.escape(" vs ".join(names))}</h1>
<div class='sub'>Common random numbers: replication r of every scenario saw the same referrals,
so the differences below are paired and their intervals narrow.</div>
<div class='verdict'><strong>What differs</strong><ul>
{items}</ul></div>
<h2>Side by side (mean and 95% CI)</h2>{table_html(_side_by_side(table, names))}
<h2>Differences from {html.escape(base)}</h2>
<p>Each point is a scenario's paired difference from {html.escape(base)} with its 95%
interval; the shaded band is the margin counted as no material difference.</p>
{"".join(figs)}
<h2>Every metric</h2>{table_html(_every_metric(table))}"""
    return write_page(folder / "compare.html", "Comparison", body)
