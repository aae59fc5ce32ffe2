"""The backtest page: what happened against what the model, run from that date, said.

One chart per weekly series: the 90% and 50% prediction bands and the model's median from
the backtest date, what the records show before and after it, and under each chart the
misses in words. A table gives each series' coverage and errors against naive forecasts.
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from ..experiments.backtest import SERIES
from . import charts
from .pages import figure_div, table_html, write_page


def _chart(series: str, weekly: pd.DataFrame, at: str) -> go.Figure:
    words, unit, _ = SERIES[series]
    w = weekly[weekly["series"] == series].sort_values("week_end")
    ahead = w[w["week"] >= 0]
    fig = go.Figure()
    for level, alpha in (("90%", 0.15), ("50%", 0.3)):
        fig.add_trace(
            go.Scatter(
                x=ahead["week_end"],
                y=ahead[f"high_{level}"],
                line=dict(width=0),
                mode="lines",
                showlegend=False,
                hoverinfo="skip",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=ahead["week_end"],
                y=ahead[f"low_{level}"],
                line=dict(width=0),
                mode="lines",
                fill="tonexty",
                fillcolor=f"rgba(0,114,178,{alpha})",
                name=f"model: {level} prediction band",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=ahead["week_end"],
            y=ahead["median"],
            name="model: median",
            mode="lines",
            line=dict(color=charts.BLUE, width=2, dash="dash"),
        )
    )
    fig.add_trace(
        go.Scatter(
            x=w["week_end"],
            y=w["actual"],
            name="what happened (records)",
            mode="lines+markers",
            line=dict(color=charts.BLACK, width=2),
            marker=dict(size=5),
        )
    )
    fig.add_vline(x=pd.Timestamp(at), line=dict(color=charts.GREY, dash="dot"))
    fig.update_layout(title=f"{words[0].upper()}{words[1:]}, week by week", **charts.LAYOUT)
    fig.update_yaxes(title=unit, rangemode="tozero")
    fig.update_xaxes(title="week ending")
    return fig


def write_backtest_page(
    folder: Path, scores: pd.DataFrame, weekly: pd.DataFrame, meta: dict
) -> Path:
    """backtest.html in ``folder``: the answer in words, a table of scores, one chart each."""
    at, until = str(meta["at"]), str(meta["until"])
    lines = "".join(f"<li>{html.escape(m)}</li>" for m in scores["misses"])
    table = scores.rename(
        columns={
            "inside_50%": "weeks inside the 50% band",
            "inside_90%": "weeks inside the 90% band",
            "mae_model": "mean absolute error: model median",
            "mae_last_value": "... last week before carried forward",
            "mae_reference_mean": "... reference period's mean",
        }
    ).drop(columns=["misses"])
    for col in ("weeks inside the 50% band", "weeks inside the 90% band"):
        table[col] = table[col].map(lambda v: f"{v:.0%}")
    figs = "".join(
        figure_div(_chart(s, weekly, at), f"backtest-{s}")
        for s in SERIES
        if s in set(scores["series"])
    )
    body = f"""<h1>Backtest: would the model have predicted {html.escape(at)} to
{html.escape(until)}?</h1>
<div class='sub'>Fitted on the records before {html.escape(at)} ({html.escape(meta["fitted"])}),
started from the team's state on that date ({html.escape(meta["state"])}), and run forward
{meta["reps"]} times. If the model were right, about half the weeks would fall inside the 50%
band and nine in ten inside the 90% band (each band is a distribution-free prediction
interval from the replications: docs/statistics.md).</div>
<div class='verdict'><strong>Where it missed</strong><ul>{lines}</ul></div>
<h2>Scores by series</h2>{table_html(table, full=True)}
<h2>Week by week</h2>
<p>The dotted line is {html.escape(at)}: before it, what the model was fitted on; after it,
what it had to predict.</p>{figs}"""
    return write_page(Path(folder) / "backtest.html", f"Backtest from {at}", body)
