"""Self-contained HTML pages: one file that opens offline and says the answer in words.

plotly.js is embedded once per page (the cartesian bundle, 1.5 MB, vendored
with its MIT licence); every chart is a div of JSON. A page never needs the
network.
"""

from __future__ import annotations

import html
import json
from importlib import resources
from pathlib import Path

import pandas as pd
import plotly
import plotly.graph_objects as go
import yaml

from ..experiments.outputs import write_text

VENDORED = "4.1.1"  # the plotly.js version of the vendored cartesian bundle

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;color:#1b2631;
background:#f7f9fb}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:1.6rem;margin:.2rem 0}h2{font-size:1.2rem;margin:1.8rem 0 .6rem}
.sub{color:#566573;margin-bottom:1rem}
.verdict{background:#fff;border-left:6px solid #1f5fa8;padding:12px 18px;margin:12px 0}
.verdict.growing{border-color:#c0392b}.verdict.stable{border-color:#2e8b57}
.verdict li{margin:.35rem 0}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:10px}
.card{background:#fff;border-radius:6px;padding:10px 12px;box-shadow:0 1px 2px #0001}
.card .v{font-size:1.45rem;font-weight:600}.card .l{font-size:.8rem;color:#566573}
.card .ci{font-size:.75rem;color:#7f8c8d}
.chart{background:#fff;border-radius:6px;margin:10px 0;padding:4px;box-shadow:0 1px 2px #0001}
table{border-collapse:collapse;width:100%;background:#fff;font-size:.82rem}
th,td{border-bottom:1px solid #e5e8e8;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#eaf2f8;position:sticky;top:0}
tr.unsourced td{background:#fdebd0}
.scroll{max-height:480px;overflow:auto}
code,pre{background:#eef2f5;padding:2px 4px;border-radius:3px;font-size:.85rem}
pre{padding:8px;overflow:auto;white-space:pre-wrap}
footer{color:#7f8c8d;font-size:.8rem;margin-top:2rem}
"""


def plotly_js() -> str:
    """The plotly.js source to embed: the vendored cartesian bundle when versions match."""
    from plotly.offline import get_plotlyjs, get_plotlyjs_version

    if get_plotlyjs_version() == VENDORED:
        return (
            resources.files(__package__)
            .joinpath(f"assets/plotly-cartesian-{VENDORED}.min.js")
            .read_text("utf-8")
        )
    return get_plotlyjs()  # a different plotly.py: its own (full, larger) bundle matches it


def figure_div(fig: go.Figure, div_id: str) -> str:
    return (
        '<div class="chart">'
        + fig.to_html(
            full_html=False,
            include_plotlyjs=False,
            div_id=div_id,
            config={"responsive": True, "displaylogo": False},
        )
        + "</div>"
    )


def page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title><style>{CSS}</style>"
        f"<script>{plotly_js()}</script></head><body><main>{body}"
        f"<footer>workload_sim, plotly {plotly.__version__}. Every chart works offline.</footer>"
        "</main></body></html>"
    )


def cards(items: list[tuple[str, str, str]]) -> str:
    """(value, label, ci) cards."""
    return (
        "<div class='cards'>"
        + "".join(
            f"<div class='card'><div class='v'>{html.escape(v)}</div><div class='l'>"
            f"{html.escape(label)}</div><div class='ci'>{html.escape(ci)}</div></div>"
            for v, label, ci in items
        )
        + "</div>"
    )


def table_html(frame: pd.DataFrame, unsourced_col: str | None = None, marker: str = "") -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for rec in frame.to_dict("records"):
        flag = unsourced_col and str(rec.get(unsourced_col, "")).startswith(marker) and marker
        cells = "".join(f"<td>{html.escape(_fmt(v))}</td>" for v in rec.values())
        rows.append(f"<tr{' class=unsourced' if flag else ''}>{cells}</tr>")
    return (
        f"<div class='scroll'><table><thead><tr>{head}</tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></div>"
    )


def _fmt(v) -> str:
    if isinstance(v, float):
        return "" if v != v else f"{v:,.3g}" if abs(v) < 1000 else f"{v:,.0f}"
    return str(v)


def read_folder(folder: Path) -> dict:
    """The tables and files of a run folder, as written by ``run``."""
    folder = Path(folder)
    data = {
        "summary": pd.read_csv(folder / "summary.csv"),
        "timeseries": pd.read_parquet(folder / "timeseries.parquet"),
        "cases": pd.read_parquet(folder / "cases.parquet"),
        "scenario": yaml.safe_load((folder / "scenario.yaml").read_text()),
        "manifest": json.loads((folder / "manifest.json").read_text()),
    }
    assumptions = folder / "assumptions.csv"
    data["assumptions"] = pd.read_csv(assumptions) if assumptions.exists() else pd.DataFrame()
    return data


def write_page(path: Path, title: str, body: str) -> Path:
    return write_text(Path(path), page(title, body))
