"""discovery.html (and a section of sweep.html): where in a sweep a condition holds, in
words first, then the boxes, the peeling trade-off, resampling stability and the CART
cross-check."""

from __future__ import annotations

import html
import json
from pathlib import Path

import pandas as pd

from . import charts
from .pages import figure_div, table_html, write_page

FILES = (
    "discovery.csv",
    "discovery_peeling.csv",
    "discovery_stability.csv",
    "discovery.json",
    "discovery.html",
)


def _info(folder: Path) -> dict | None:
    try:
        info = json.loads((Path(folder) / "discovery.json").read_text())
    except (OSError, ValueError):
        return None
    ok = isinstance(info, dict) and isinstance(info.get("sentences"), list)
    return info if ok else None


def sweep_section(folder: Path) -> str:
    """The sweep page's discovery section: the sentences and a link, or nothing."""
    info = _info(folder)
    if info is None:
        return ""
    items = "".join(f"<li>{html.escape(str(s))}</li>" for s in info["sentences"])
    when = html.escape(repr(str(info.get("condition"))))
    return (
        f"<h2>Where {html.escape(str(info.get('condition_words', info.get('condition'))))}</h2>"
        f"<div class='verdict'><ul>{items}</ul></div>"
        f"<p>Found by PRIM with a CART tree as a cross-check (<code>workload-sim discover "
        f"--when {when}</code>): boxes, the peeling trade-off "
        "and how stable each limit is in <a href='discovery.html'>discovery.html</a>.</p>"
    )


def _tradeoff(peeling: pd.DataFrame):
    import plotly.graph_objects as go

    fig = go.Figure(
        go.Scatter(
            x=peeling["coverage"],
            y=peeling["density"],
            mode="markers+lines",
            line=dict(color="#bbbbbb", width=1),
            marker=dict(
                size=8,
                color=peeling["restricted"],
                colorscale=charts.SEQUENTIAL,
                colorbar=dict(title="fields<br>restricted", dtick=1),
            ),
            customdata=peeling[["step", "mass"]].to_numpy(),
            hovertemplate="step %{customdata[0]}<br>coverage %{x:.0%}<br>density %{y:.0%}"
            "<br>mass %{customdata[1]:.0%}<extra></extra>",
            name="peeling",
        )
    )
    chosen = peeling[peeling["chosen"]]
    fig.add_trace(
        go.Scatter(
            x=chosen["coverage"],
            y=chosen["density"],
            mode="markers",
            marker=dict(size=16, symbol="circle-open", color=charts.RED, line=dict(width=3)),
            name="box chosen (before pasting)",
        )
    )
    fig.update_layout(
        title="Peeling trade-off: each step gives up coverage for density",
        **{**charts.LAYOUT, "hovermode": "closest"},
    )
    fig.update_xaxes(
        title="coverage: share of the runs meeting the condition inside", range=[0, 1.02]
    )
    fig.update_yaxes(title="density: share of the runs inside meeting it", range=[0, 1.02])
    return fig


def _cell(v) -> str:
    if isinstance(v, float):
        return "" if v != v else f"{v:,.3g}" if abs(v) < 1000 else f"{v:,.0f}"
    return str(v)


def _boxes_view(boxes: pd.DataFrame, words: dict) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "method": boxes["method"].str.upper(),
            "box": boxes["box"],
            "density": boxes["density"].map("{:.0%}".format),
            "coverage": boxes["coverage"].map("{:.0%}".format),
            "mass": boxes["mass"].map("{:.0%}".format),
            "runs": boxes["runs"],
        }
    )
    for col in boxes.columns:
        for suffix, what in ((" low", "at least"), (" high", "at most"), (" values", "is")):
            if col.endswith(suffix):
                field = col[: -len(suffix)]
                name = words.get(field, (field, ""))[0]
                if boxes[col].notna().any() and (boxes[col].astype(str) != "").any():
                    out[f"{name}: {what}"] = boxes[col].map(_cell)
    return out


def build(folder: Path, words: dict[str, tuple[str, str]]) -> Path:
    """discovery.html from the discovery tables in ``folder``."""
    folder = Path(folder)
    info = _info(folder)
    boxes = pd.read_csv(folder / "discovery.csv")
    peeling = pd.read_csv(folder / "discovery_peeling.csv")
    stab = pd.read_csv(folder / "discovery_stability.csv")
    title = f"Where {info['condition_words']}"
    items = "".join(f"<li>{html.escape(s)}</li>" for s in info["sentences"])
    share = info["hits"] / info["runs"]
    dropped = (
        f" {info['dropped']} runs without a value of {info['condition']} were left out."
        if info["dropped"]
        else ""
    )
    stab_view = pd.DataFrame(
        {
            "field": [words.get(f, (f, ""))[0] for f in stab["field"]],
            f"restricted in this share of {info['resamples']} resamples": stab[
                "restricted_share"
            ].map(lambda v: "" if pd.isna(v) else f"{v:.0%}"),
        }
    )
    stable = (
        table_html(stab_view, full=True)
        if stab["restricted_share"].notna().any()
        else "<p>Not measured: no resample could be used (or <code>--resamples 0</code>).</p>"
    )
    qp = pd.DataFrame(info.get("quasi_p", []))
    if len(qp):
        qp["field"] = [words.get(f, (f, ""))[0] for f in qp["field"]]
    splits = "; ".join(
        f"{'first' if d == 0 else 'then'} {words.get(f, (f, ''))[0]} at {v:.3g}"
        for d, f, v in info["cart_splits"]
    )
    body = f"""<h1>{html.escape(title)}</h1>
<div class='sub'>Condition <code>{html.escape(info["condition"])}</code>: it holds in
{info["hits"]:,} of {info["runs"]:,} runs ({share:.0%}).{html.escape(dropped)} Each run is one
replication at one point of the sweep.</div>
<div class='verdict'><ul>{items}</ul></div>
<p><b>Density</b> is the share of the runs inside a box where the condition holds;
<b>coverage</b> the share of all the runs where it holds that fall inside; <b>mass</b> the
share of all runs inside. PRIM's boxes come first (a later box is found among the runs the
earlier ones leave); CART's rows are the leaves of a tree (at most 3 splits deep) where the
condition holds in most runs. A field without limits is not restricted.</p>
<h2>Boxes</h2>{table_html(_boxes_view(boxes, words), full=True)}
<h2>Peeling trade-off</h2>{figure_div(_tradeoff(peeling), "discovery-tradeoff")}
<h2>How stable are the limits?</h2>
<p>The first box found again on bootstrap resamples of the sweep's points (a point's
replications drawn together): a field restricted in nearly every resample is a real
driver; one restricted in few is noise.</p>{stable}
{
        "<h2>Quasi-p values</h2><p>How likely the runs inside would be to meet the condition this "
        "often if that limit were removed (a one-sided binomial test; limits above 0.05 are "
        "dropped).</p>" + table_html(qp, full=True)
        if len(qp)
        else ""
    }
<h2>CART cross-check</h2><p>{html.escape(splits or "The tree does not split.")}</p>
<pre>{html.escape(info["cart_text"])}</pre>"""
    return write_page(folder / "discovery.html", title, body)
