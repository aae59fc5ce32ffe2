"""calibration.html: what was calibrated to what, each target against the model's mean with
its 95% CI, the parameter changes, and how to reproduce them. Every user string is escaped."""

from __future__ import annotations

import html
import json
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from ..records.metrics import METRICS
from . import charts
from .pages import cards, figure_div, table_html, write_page


def _num(x) -> str:
    return "" if x is None or x != x else f"{x:.4g}"


def _yes(x) -> str:
    return "n/a" if x is None or x != x else ("yes" if x else "NO")


def _targets_view(table: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "metric": [r["metric"] for r in table],
            "target": [_num(r["target"]) for r in table],
            "published range": [
                f"{_num(r['range_low'])} to {_num(r['range_high'])}"
                if r["range_low"] is not None
                else ""
                for r in table
            ],
            "model mean": [_num(r["model_mean"]) for r in table],
            "95% CI": [f"{_num(r['ci_low'])} to {_num(r['ci_high'])}" for r in table],
            "gap": [f"{r['gap']:+.3g} ({r['gap_relative']:+.1%})" for r in table],
            "within tolerance": [_yes(r["within_tolerance"]) for r in table],
            "within range": [_yes(r["within_range"]) for r in table],
            "source": [r["source"] for r in table],
        }
    )


def _parameters_view(params: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "field": [p["field"] for p in params],
            "what is calibrated": [
                "a factor on every parameter of the distribution" if p["scale"] else "the value"
                for p in params
            ],
            "bounds": [f"{_num(p['bounds'][0])} to {_num(p['bounds'][1])}" for p in params],
            "before": [_num(p["before"]) for p in params],
            "after": [_num(p["after"]) for p in params],
        }
    )


def _chart(table: list[dict], tolerance: float) -> go.Figure:
    """Each target's relative gap with its CI, and the tolerance band."""
    names = [r["metric"] for r in table]
    gap = [r["gap_relative"] for r in table]
    hi = [(r["ci_high"] - r["model_mean"]) / r["target"] for r in table]
    lo = [(r["model_mean"] - r["ci_low"]) / r["target"] for r in table]
    fig = go.Figure(
        go.Scatter(
            x=gap,
            y=names,
            mode="markers",
            marker=dict(
                size=11,
                color=[charts.GREEN if r["within_tolerance"] else charts.RED for r in table],
            ),
            error_x=dict(type="data", symmetric=False, array=hi, arrayminus=lo),
            name="model mean minus target, share of target (95% CI)",
        )
    )
    fig.add_vrect(x0=-tolerance, x1=tolerance, fillcolor=charts.GREEN, opacity=0.12, line_width=0)
    fig.add_vline(x=0, line=dict(color=charts.GREY, dash="dash"))
    fig.update_layout(
        title=f"Gap to each target (shaded: within the tolerance of {tolerance:.0%})",
        **{**charts.LAYOUT, "height": 160 + 50 * len(names), "hovermode": "closest"},
    )
    fig.update_xaxes(title="model mean minus target, as a share of the target", tickformat="+.0%")
    return fig


def calibration_page(folder: Path) -> Path:
    """calibration.html from the folder's calibration.json."""
    folder = Path(folder)
    info = json.loads((folder / "calibration.json").read_text())
    table, params = info["table"], info["parameters"]
    held = info.get("validation") or []
    judged = held or table  # out of sample when validated: the fit's own seed flatters it
    met_names = {r["metric"] for r in table} - {r["metric"] for r in judged if not _met(r)}
    met = [r for r in table if r["metric"] in met_names]
    where = (
        f"on each of the {len(info.get('validation_seeds', []))} seeds the fit never saw"
        if held
        else "on the fit's own seed (no validation seeds: judged in sample)"
    )
    e = html.escape
    aims = "; ".join(f"{r['metric']} {_num(r['target'])} ({r['source']})" for r in table)
    changed = "; ".join(f"{p['field']} {_num(p['before'])} to {_num(p['after'])}" for p in params)
    if len(met) == len(table):
        verdict = (
            f"Every target is met {where}: the mean within {info['tolerance']:.0%} of its "
            "value and the 95% CI reaching the published figure or range.",
            "stable",
        )
    else:
        missed = ", ".join(r["metric"] for r in table if r["metric"] not in met_names)
        verdict = (
            f"Not met {where}: {missed}. The parameters named cannot reproduce it: a "
            "finding about the model or the figures, not a failed run.",
            "growing",
        )
    rows = "".join(f"<li>{e(r['metric'])}: {e(_words(r))}</li>" for r in table)
    wide = [r["metric"] for r in table if _wide(r, info["tolerance"])]
    if wide:
        rows += (
            f"<li class='not-shown'>The 95% CI of {e(', '.join(wide))} is wider than the "
            "tolerance: the replications cannot yet say where the model's mean lies; run "
            "again with more --reps.</li>"
        )
    body = f"""<h1>Calibration: {e(info["scenario_name"])}</h1>
<div class='sub'>{e(info["description"])}</div>
<div class='verdict {verdict[1]}'><strong>{e(verdict[0])}</strong><ul>{rows}</ul></div>
{
        cards(
            [
                (f"{len(met)} of {len(table)}", "targets met", "out of sample" if held else ""),
                (str(len(params)), "parameters calibrated", ""),
                (str(info["evaluations"]), "evaluations", f"at most {info['max_evaluations']}"),
                (str(info["reps"]), "replications each", f"seed {info['seed']}"),
            ]
        )
    }
<p>Calibrated {e(changed)} so that the model's emergent outputs match {e(aims)}.</p>
<p>Each evaluation runs the same {info["reps"]} replications (seed {info["seed"]}, common random
numbers), so the means at two parameter values differ by the parameters' effect alone.
<code>scipy.optimize.least_squares</code> minimised the sum of squared relative gaps (model
mean minus target, over target) within the bounds; the solver said: {e(info["solver"].rstrip("."))}.
The table is a final evaluation at the values as written to <code>calibrated.yaml</code>. A
target is met when the gap is within {info["tolerance"]:.0%} of it; the 95% CI shows how
precisely the replications measure the model's mean.</p>
{figure_div(_chart(table, info["tolerance"]), "calibration-gaps")}
<h2>Targets on the fit's seed</h2>{table_html(_targets_view(table), full=True)}
{_held_out(held)}
<h2>Parameters</h2>{table_html(_parameters_view(params), full=True)}
<h2>How to reproduce this</h2><pre>{e(info["reproduce"])}</pre>
<p>Run the calibrated scenario: <code>{e(info["check"])}</code></p>"""
    return write_page(folder / "calibration.html", "Calibration", body)


def _met(r: dict) -> bool:
    """Met: within tolerance and the CI reaching the published figure (older files: the
    tolerance alone)."""
    return bool(r.get("met", r["within_tolerance"]))


def _held_out(rows: list[dict]) -> str:
    if not rows:
        return ""
    view = _targets_view(rows)
    view.insert(1, "seed", [r["seed"] for r in rows])
    view.insert(len(view.columns) - 1, "met", [_yes(_met(r)) for r in rows])
    return (
        "<h2>Out of sample: the calibrated values on seeds the fit never saw</h2><p>A target "
        "is met when, on every one of these seeds, the mean is within the tolerance and the "
        "95% CI reaches the published figure (or its range).</p>" + table_html(view, full=True)
    )


def _wide(r: dict, tolerance: float) -> bool:
    lo, hi = r["ci_low"], r["ci_high"]
    if lo is None or hi is None:
        return True  # no interval at all: too few replications
    return (hi - lo) / 2 > tolerance * r["target"]


def _words(r: dict) -> str:
    unit = METRICS.get(r["metric"], ("", ""))[0]
    text = (
        f"model {_num(r['model_mean'])} {unit} (95% CI {_num(r['ci_low'])} to "
        f"{_num(r['ci_high'])}) against a target of {_num(r['target'])}: "
        f"{'within' if r['within_tolerance'] else 'NOT within'} tolerance"
    )
    if r["within_range"] is not None:
        text += f"; {'inside' if r['within_range'] else 'outside'} the published range"
    return text
