"""The data report of an import: a page (data_report.html) and a table (data_report.csv).

Rows read and kept per file; every problem with its file, row and column (never the value:
it may be personal); duplicates; dates after the as-of date or out of order; weeks with no
referrals; what was fitted, with its interval and the rows it rests on; what was kept from
the base scenario and why; weekly referrals drawn with the fitted rate and its 90% band.
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from ..report.pages import cards, figure_div, page, table_html, write_text
from .importer import Imported

REPORTED_ONLY = "reported only: the model produces it from effort, lead times and capacity"
CHECKS = {
    "after_as_of": "referrals received after the as-of date (outside the window)",
    "awaiting_triage": "referrals awaiting triage on the as-of date (not in the starting state)",
    "unknown_outcome": "referrals with an outcome not read (left out of the shares)",
    "duplicates_referrals": "duplicate referral ids refused",
    "duplicates_open_cases": "duplicate case ids refused",
    "duplicates_staff": "duplicate worker ids refused",
    "open": "open cases in the starting state",
    "waiting": "of which waiting for allocation",
    "stage_unmatched": "open cases whose stage is no step of their pathway",
    "absent": "case-holding workers off sick on the as-of date",
    "no_return_date": "of which with no expected return date",
}
COLUMNS = ["section", "file", "row", "column", "item", "value", "low", "high", "detail"]


def report_rows(imp: Imported) -> pd.DataFrame:
    rows = []

    def add(section, item="", value="", low="", high="", detail="", file="", row="", column=""):
        rows.append(
            dict(
                section=section,
                file=file,
                row=row,
                column=column,
                item=item,
                value=value,
                low=low,
                high=high,
                detail=detail,
            )
        )

    for name, (read, kept) in imp.rows.items():
        add(
            "rows",
            "rows read",
            read,
            file=imp.extract.tables[name].label or f"{name}.csv",
            detail=f"{kept} kept; {read - kept} refused",
        )
    for key, n in imp.counts.items():
        add("check", CHECKS.get(key, key.replace("_", " ")), n)
    for week in imp.arrivals.gap_weeks:
        add("gap week", "no referrals in the week from", str(week))
    for p in imp.extract.problems:
        add(
            "problem",
            "refused" if p.refused else "value",
            detail=p.what,
            file=p.file,
            row=p.row if p.row is not None else "",
            column=p.column or "",
        )
    s = imp.scenario
    for key, note in imp.notes.items():
        add("fitted", key, _value(s, key), detail=note)
    a = imp.arrivals
    if a.per_week is not None:
        add(
            "fit",
            "referrals per week at the as-of date",
            round(a.per_week, 2),
            round(a.per_week_ci[0], 2),
            round(a.per_week_ci[1], 2),
        )
    if a.growth is not None:
        add(
            "fit",
            "annual growth",
            round(a.growth, 4),
            round(a.growth_ci[0], 4),
            round(a.growth_ci[1], 4),
        )
    for key, sh in imp.shares.items():
        add(
            "fit",
            key,
            round(sh.share, 4),
            round(sh.ci[0], 4),
            round(sh.ci[1], 4),
            f"{sh.count} of {sh.total}",
        )
    for key, r in imp.rates.items():
        add(
            "fit",
            key,
            round(r.rate, 4),
            round(r.ci[0], 4),
            round(r.ci[1], 4),
            f"{r.count:g} over {r.exposure:.1f}",
        )
    for d in imp.durations:
        add(
            "duration",
            f"{d.name}: median working days (Kaplan-Meier, open ones censored)",
            d.median if d.median is not None else "",
            d.median_ci[0],
            d.median_ci[1],
            f"{d.events} ended, {d.censored} still open; median of the ended ones only "
            f"{d.naive_median}; {d.note + '; ' if d.note else ''}{REPORTED_ONLY}",
        )
    for key, why in imp.kept.items():
        add("kept", key, _value(s, key), detail=why)
    for week, n, fit, lo, hi in a.weekly:
        add(
            "weekly",
            "referrals in the week from " + str(week),
            n,
            round(lo, 2),
            round(hi, 2),
            f"fitted {fit:.2f}",
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def _value(data: dict, key: str):
    node = data
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return ""
        node = node[part]
    return node if not isinstance(node, dict | list) else ""


def write_report(imp: Imported, folder: Path) -> tuple[Path, Path]:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    frame = report_rows(imp)
    csv = folder / "data_report.csv"
    frame.to_csv(csv, index=False)
    html_page = write_text(folder / "data_report.html", report_html(imp, frame))
    return html_page, csv


def report_html(imp: Imported, frame: pd.DataFrame | None = None) -> str:
    """The data report page as text (the team leader's page offers it without a file)."""
    frame = report_rows(imp) if frame is None else frame
    a = imp.arrivals
    problems = frame[frame["section"] == "problem"]
    items = [
        (f"{sum(r for r, _ in imp.rows.values()):,}", "rows read", f"{len(imp.rows)} files"),
        (f"{int((problems['item'] == 'refused').sum()):,}", "rows refused", "with reasons below"),
        (f"{len(problems):,}", "problems", "file, row, column"),
    ]
    if a.per_week is not None:
        items.append(
            (
                f"{a.per_week:.1f}",
                "referrals a week (fitted)",
                f"95% CI {a.per_week_ci[0]:.1f}-{a.per_week_ci[1]:.1f}",
            )
        )
    body = [
        f"<h1>Data report: {html.escape(str(imp.scenario.get('name', '')))}</h1>",
        "<p>What the import read, refused and fitted. Values from the records are in the "
        "scenario with their source notes; no names, dates of birth or ids are kept.</p>",
        cards(items),
    ]
    if a.weekly:
        fig = go.Figure()
        weeks = [str(w[0]) for w in a.weekly]
        fig.add_trace(
            go.Scatter(
                x=weeks,
                y=[w[4] for w in a.weekly],
                line=dict(width=0),
                showlegend=False,
                hoverinfo="skip",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=weeks,
                y=[w[3] for w in a.weekly],
                fill="tonexty",
                line=dict(width=0),
                name="90% band of the fit",
                fillcolor="rgba(31,119,180,0.2)",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=weeks, y=[w[2] for w in a.weekly], name="fitted rate", line=dict(color="#1f77b4")
            )
        )
        fig.add_trace(
            go.Bar(
                x=weeks,
                y=[w[1] for w in a.weekly],
                name="referrals in the week",
                marker_color="rgba(0,0,0,0.45)",
            )
        )
        fig.update_layout(
            title="Referrals a week with the fitted rate",
            xaxis_title="week from",
            yaxis_title="referrals",
            template="plotly_white",
            height=380,
        )
        body.append(figure_div(fig, "weekly-referrals"))
    elif a.note:
        body.append(f"<p>No rate fitted: {html.escape(a.note)}.</p>")
    for title, section in [
        ("Rows read", "rows"),
        ("Checks", "check"),
        ("Fitted, with their intervals (95% unless said)", "fit"),
        ("Stage durations (working days)", "duration"),
        ("Values written from the records", "fitted"),
        ("Values kept from the base scenario", "kept"),
        ("Weeks with no referrals", "gap week"),
        ("Problems (file, row, column; values not shown)", "problem"),
    ]:
        part = frame[frame["section"] == section].drop(columns="section")
        part = part.loc[:, (part.astype(str) != "").any()]
        if len(part):
            body.append(f"<h2>{html.escape(title)}</h2>" + table_html(part.head(2000)))
            if len(part) > 2000:
                body.append(f"<p>{len(part) - 2000:,} more in data_report.csv.</p>")
    return page("Data report", "".join(body))
