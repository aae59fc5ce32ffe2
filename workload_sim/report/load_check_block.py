"""The load check as a small HTML fragment for a report: the sentence, the comparison
with the simulation when there is one, and the table behind them."""

from __future__ import annotations

import html
import math

import pandas as pd

from ..theory.team_load import LoadCheck
from .verdict import simulation_comparison


def _number(value: float) -> str:
    if not math.isfinite(value):
        return "unbounded" if value > 0 else "n/a"
    return f"{value:,.1f}"


def load_check_block(
    check: LoadCheck, summary: pd.DataFrame | None = None, confidence: float = 0.95
) -> str:
    """``<section class="load-check">``: every user string escaped."""
    e = html.escape
    growing = False
    if summary is not None and "backlog_growth_per_week" in set(summary["metric"]):
        low = summary.set_index("metric").loc["backlog_growth_per_week", "ci_low"]
        growing = bool(math.isfinite(low) and low > 0)
    parts = [
        "<section class='load-check'><h2>The load check: theory beside the simulation</h2>",
        f"<p class='load-sentence'>{e(check.sentence(simulated_growing=growing))}</p>",
    ]
    if summary is not None:
        said = simulation_comparison(check, summary, confidence)
        parts.append(f"<p class='load-compare'>{e(said)}</p>")
    head = "".join(f"<th>{e(h)}</th>" for h in ("quantity", "value", "unit", "how"))
    body = "".join(
        f"<tr><td>{e(name)}</td><td>{e(_number(value))}</td><td>{e(unit)}</td>"
        f"<td>{e(how)}</td></tr>"
        for name, value, unit, how in check.rows()
    )
    notes = "".join(f"<li>{e(n)}</li>" for n in check.notes)
    parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    parts.append(f"<ul class='load-notes'>{notes}</ul></section>")
    return "".join(parts)
