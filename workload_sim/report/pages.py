"""Self-contained HTML pages: one file that opens offline and says the answer in words.

plotly.js is embedded once per page (the cartesian bundle, 1.5 MB, vendored
with its MIT licence); every chart is a div of JSON. A page never needs the
network.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from importlib import resources
from pathlib import Path

import pandas as pd
import plotly
import plotly.graph_objects as go
import yaml

from .. import __version__
from ..experiments.outputs import PENDING_MANIFEST, write_text

VENDORED = "4.1.1"  # the plotly.js version of the vendored cartesian bundle

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;color:#1b2631;
background:#f7f9fb}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:1.6rem;margin:.2rem 0}h2{font-size:1.2rem;margin:1.8rem 0 .6rem}
.sub{color:#566573;margin-bottom:1rem}
.verdict{background:#fff;border-left:6px solid #0072B2;padding:12px 18px;margin:12px 0}
.verdict.growing{border-color:#D55E00;background:#fdf1ea}.verdict.stable{border-color:#009E73}
.verdict.shrinking{border-color:#009E73}
.verdict.not-shown{border-color:#E69F00;background:#fff7e3}
.verdict li.not-shown::marker{color:#E69F00}.verdict li.not-shown{background:#fff7e3}
.warmup.unsettled{border-left:4px solid #E69F00;padding-left:8px}
.verdict li{margin:.35rem 0}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:10px}
.card{background:#fff;border-radius:6px;padding:10px 12px;box-shadow:0 1px 2px #0001}
.card .v{font-size:1.45rem;font-weight:600}.card .l{font-size:.8rem;color:#566573}
.card .ci{font-size:.75rem;color:#7f8c8d}
.chart{background:#fff;border-radius:6px;margin:10px 0;padding:4px;box-shadow:0 1px 2px #0001}
table{border-collapse:collapse;width:100%;background:#fff;font-size:.82rem}
th,td{border-bottom:1px solid #e5e8e8;padding:4px 6px;text-align:left;vertical-align:top;
overflow-wrap:break-word}
th{background:#eaf2f8;position:sticky;top:0}
tr.unsourced td{background:#fdebd0}
.scroll{max-height:480px;overflow:auto}.scroll.full{max-height:none}
.scroll.wide{box-shadow:inset -14px 0 10px -10px #0005}
.scroll-cue{font-size:.8rem;color:#8a5a00;margin:2px 0}
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
    """A chart's div. Its id is generated from ``div_id`` (a hash), never copied from it,
    so a field path or name cannot break out of the attribute."""
    div_id = "chart-" + hashlib.sha256(div_id.encode("utf-8", "replace")).hexdigest()[:16]
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


# a table wider than its box scrolls sideways; this shows the cue only when it does
CUE_JS = """<script>function wsCue(){document.querySelectorAll('.scroll').forEach(function(s){
var w=s.scrollWidth>s.clientWidth+1;s.classList.toggle('wide',w);
var c=s.previousElementSibling;if(c&&c.classList.contains('scroll-cue')){c.hidden=!w;}});}
addEventListener('load',wsCue);addEventListener('resize',wsCue);</script>"""


def page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title><style>{CSS}</style>"
        f"<script>{plotly_js()}</script></head><body><main>{body}"
        f"<footer>workload_sim {__version__}, plotly {plotly.__version__}. Every chart works "
        "offline.</footer>"
        f"</main>{CUE_JS}</body></html>"
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


def table_html(
    frame: pd.DataFrame,
    unsourced_col: str | None = None,
    marker: str | tuple[str, ...] = "",
    full: bool = False,
) -> str:
    """A table in a box that scrolls (with a visible cue) if it is ever wider than the page;
    rows whose ``unsourced_col`` starts with ``marker`` (or any of several) are highlighted;
    ``full``: every row shown, no inner vertical scroll (for tables read end to end)."""
    head = "".join(f"<th>{_breakable(str(c))}</th>" for c in frame.columns)
    rows = []
    for rec in frame.to_dict("records"):
        flag = unsourced_col and str(rec.get(unsourced_col, "")).startswith(marker) and marker
        cells = "".join(f"<td>{_breakable(_fmt(v))}</td>" for v in rec.values())
        rows.append(f"<tr{' class=unsourced' if flag else ''}>{cells}</tr>")
    return (
        "<div class='scroll-cue' hidden>Wide table: scroll sideways for more columns &rarr;</div>"
        f"<div class='scroll{' full' if full else ''}'><table><thead><tr>{head}</tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></div>"
    )


def _breakable(text: str) -> str:
    """Escaped text that may wrap after the dots and underscores of field paths and names,
    so a long path wraps inside its column instead of pushing the table off the page."""
    return re.sub(r"([._])(?=[A-Za-z])", r"\1<wbr>", html.escape(text))


def _fmt(v) -> str:
    if isinstance(v, float):
        return "" if v != v else f"{v:,.3g}" if abs(v) < 1000 else f"{v:,.0f}"
    return str(v)


RUN_FILES = (
    "summary.csv",
    "timeseries.parquet",
    "cases.parquet",
    "workers.parquet",
    "replications.parquet",
    "scenario.yaml",
)


def missing_run_files(folder: Path) -> list[str]:
    """The files a run folder needs for its report and evidence pack that are not there."""
    folder = Path(folder)
    missing = [n for n in RUN_FILES if not (folder / n).is_file()]
    if not (folder / "manifest.json").is_file() and not (folder / PENDING_MANIFEST).is_file():
        missing.append("manifest.json")
    return missing


def read_folder(folder: Path) -> dict:
    """The tables and files of a run folder, as written by ``run`` (the manifest may still
    be pending: the report is built before the manifest is committed)."""
    folder = Path(folder)
    manifest = folder / "manifest.json"
    if not manifest.exists() and (folder / PENDING_MANIFEST).exists():
        manifest = folder / PENDING_MANIFEST
    data = {
        "summary": pd.read_csv(folder / "summary.csv"),
        "timeseries": pd.read_parquet(folder / "timeseries.parquet"),
        "cases": pd.read_parquet(folder / "cases.parquet"),
        "scenario": yaml.safe_load((folder / "scenario.yaml").read_text()),
        "manifest": json.loads(manifest.read_text()),
    }
    assumptions = folder / "assumptions.csv"
    data["assumptions"] = pd.read_csv(assumptions) if assumptions.exists() else pd.DataFrame()
    return data


def write_page(path: Path, title: str, body: str) -> Path:
    return write_text(Path(path), page(title, body))
