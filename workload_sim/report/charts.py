"""Plotly figures from a run's tables: each answers one question a reader has."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from scipy import stats

from ..records.metrics import METRICS

# Okabe-Ito: told apart by people with any common colour-vision deficiency (no red-green pair)
BLUE, RED, GREY, GREEN, AMBER = "#0072B2", "#D55E00", "#6e6e6e", "#009E73", "#E69F00"
SKY, PURPLE, BLACK = "#56B4E9", "#CC79A7", "#000000"
CATEGORIES = [BLUE, AMBER, GREEN, RED, SKY, PURPLE, GREY, BLACK]
SEQUENTIAL = "Cividis"  # perceptually even and colour-blind safe, for heatmaps
DATE_AXIS = "date (working days only)"
LAYOUT = dict(
    template="plotly_white",
    margin=dict(l=70, r=20, t=50, b=40),
    height=400,
    # below the x-axis title, never on it
    legend=dict(orientation="h", y=-0.3, yanchor="top"),
    hovermode="x unified",
)


def band(ts: pd.DataFrame, column: str) -> pd.DataFrame:
    """Per day: mean across replications and its 95% t-interval."""
    g = ts.groupby("day")[column]
    out = pd.DataFrame({"mean": g.mean(), "sd": g.std(ddof=1), "n": g.count()})
    t = stats.t.ppf(0.975, np.maximum(out["n"] - 1, 1))
    half = np.where(out["n"] > 1, t * out["sd"] / np.sqrt(out["n"]), 0.0)
    # every charted level is a count or hours: a band below zero is the t-interval's
    # symmetry on skewed data, not a possibility, so the chart stops at zero
    out["low"], out["high"] = (out["mean"] - half).clip(lower=0), out["mean"] + half
    out["date"] = ts.groupby("day")["date"].first()
    return out


def mean_line(b: pd.DataFrame, name: str, **style) -> go.Scatter:
    """The daily mean of a band as a line (style: plotly Scatter options)."""
    return go.Scatter(x=b["date"], y=b["mean"], name=name, **style)


def _with_band(fig: go.Figure, b: pd.DataFrame, name: str, colour: str) -> None:
    fig.add_trace(
        go.Scatter(x=b["date"], y=b["high"], line=dict(width=0), showlegend=False, hoverinfo="skip")
    )
    fig.add_trace(
        go.Scatter(
            x=b["date"],
            y=b["low"],
            line=dict(width=0),
            fill="tonexty",
            fillcolor=_alpha(colour),
            name=f"{name}: 95% CI",
            hoverinfo="skip",
        )
    )
    fig.add_trace(mean_line(b, name, line=dict(color=colour, width=2)))


def count_axis(fig: go.Figure, title: str, peak: float) -> None:
    """A y-axis from zero for counts; a series that is zero on every day would lie on the
    axis line itself, unseen, so the axis then starts just below zero and says so."""
    fig.update_yaxes(title=title, rangemode="tozero")
    if not peak > 0:
        fig.update_yaxes(range=[-0.08, 1])
        fig.add_annotation(
            text="zero on every day, in every replication",
            xref="paper",
            yref="y",
            x=0.5,
            y=0.12,
            showarrow=False,
            font=dict(color=GREY),
        )


def _alpha(hex_colour: str, a: float = 0.18) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{a})"


def _warmup_line(fig: go.Figure, ts: pd.DataFrame, warmup_days: int) -> None:
    if warmup_days > 0:
        when = ts.loc[ts["day"] == warmup_days, "date"]
        if len(when):
            fig.add_vline(x=when.iloc[0], line=dict(color=GREY, dash="dot"))
            fig.add_annotation(
                x=when.iloc[0],
                y=1,
                yref="paper",
                text="end of warm-up",
                showarrow=False,
                xanchor="left",
                font=dict(color=GREY),
            )


def backlog(ts: pd.DataFrame, urgencies: list[str], warmup_days: int) -> go.Figure:
    fig = go.Figure()
    _with_band(fig, band(ts, "unallocated_mean"), "unallocated (mean across replications)", RED)
    palette = [AMBER, BLUE, GREEN, PURPLE]
    for i, u in enumerate(urgencies):
        col = f"unallocated_{u}"
        if col in ts:
            b = band(ts, col)
            fig.add_trace(
                mean_line(b, f"of which {u}", line=dict(color=palette[i % 4], width=1, dash="dash"))
            )
    _warmup_line(fig, ts, warmup_days)
    fig.update_layout(title="Cases waiting for allocation to a named worker", **LAYOUT)
    count_axis(fig, "cases waiting (count)", ts["unallocated_mean"].max())
    fig.update_xaxes(title=DATE_AXIS)
    return fig


def queued_work(ts: pd.DataFrame, warmup_days: int) -> go.Figure:
    fig = go.Figure()
    _with_band(
        fig, band(ts, "work_waiting_hours_mean"), "hours of allocated work not started", AMBER
    )
    _warmup_line(fig, ts, warmup_days)
    fig.update_layout(title="Work waiting in workers' queues (allocated, not yet done)", **LAYOUT)
    fig.update_yaxes(title="work waiting (hours)", rangemode="tozero")
    fig.update_xaxes(title=DATE_AXIS)
    return fig


def caseload(ts: pd.DataFrame, cap: float, warmup_days: int) -> go.Figure:
    mean, top, spread = band(ts, "caseload_mean"), band(ts, "caseload_max"), band(ts, "caseload_sd")
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=mean["date"],
            y=mean["mean"] + spread["mean"],
            line=dict(width=0),
            showlegend=False,
            hoverinfo="skip",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=mean["date"],
            y=(mean["mean"] - spread["mean"]).clip(lower=0),
            line=dict(width=0),
            fill="tonexty",
            fillcolor=_alpha(BLUE),
            name="spread across workers (+/- 1 sd)",
            hoverinfo="skip",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=mean["date"], y=mean["mean"], name="mean caseload", line=dict(color=BLUE, width=2)
        )
    )
    fig.add_trace(
        go.Scatter(
            x=top["date"], y=top["mean"], name="busiest worker", line=dict(color=RED, width=1.5)
        )
    )
    fig.add_hline(
        y=cap,
        line=dict(color=RED, dash="dash"),
        annotation_text=f"cap {cap:g}",
        annotation_position="top left",
    )
    _warmup_line(fig, ts, warmup_days)
    fig.update_layout(title="Weighted caseload per worker, against the cap", **LAYOUT)
    fig.update_yaxes(title="weighted caseload (cases)", rangemode="tozero")
    fig.update_xaxes(title=DATE_AXIS)
    return fig


def staffing_over_time(ts: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    parts = [
        ("fte_present", "at work", GREEN),
        ("fte_leave", "on leave", SKY),
        ("fte_sick", "sick", RED),
        ("fte_naas", "NAAS", AMBER),
        ("fte_vacant", "vacant", GREY),
    ]
    for col, name, colour in parts:
        if col in ts:
            b = band(ts, col)
            fig.add_trace(mean_line(b, name, stackgroup="fte", line=dict(width=0.5, color=colour)))
    if "fte_agency" in ts:
        b = band(ts, "fte_agency")
        fig.add_trace(mean_line(b, "of whom agency (FTE)", line=dict(color="black", dash="dot")))
    fig.update_layout(
        title="Who is there: FTE at work, away and vacant (mean across replications)", **LAYOUT
    )
    fig.update_yaxes(title="full-time equivalents (FTE) or vacant posts", rangemode="tozero")
    fig.update_xaxes(title=DATE_AXIS)
    return fig


def waits(cases: pd.DataFrame) -> go.Figure:
    """Per stage: quartiles and whiskers (computed here, so the page carries 5 numbers each)."""
    opened = cases[(cases["triage_outcome"] == "open_case") & ~cases["warmup"]]
    fig = go.Figure()
    stages = [
        ("wait_for_triage", "referral to triage"),
        ("wait_to_allocation", "triage to allocation"),
        ("allocation_to_close", "allocation to closure"),
    ]
    for col, name in stages:
        x = opened[col].dropna().to_numpy()
        if len(x):
            q1, med, q3, lo, hi = np.percentile(x, [25, 50, 75, 5, 95])
            fig.add_trace(
                go.Box(
                    y=[name],
                    q1=[q1],
                    median=[med],
                    q3=[q3],
                    lowerfence=[lo],
                    upperfence=[hi],
                    mean=[x.mean()],
                    name=name,
                    orientation="h",
                    marker_color=CATEGORIES[len(fig.data) % len(CATEGORIES)],
                )
            )
    fig.update_layout(
        title="How long each stage takes (working days; box: middle half, "
        "whiskers: 5th to 95th percentile)",
        **{**LAYOUT, "hovermode": "closest"},
    )
    fig.update_xaxes(title="working days", rangemode="tozero")
    fig.update_yaxes(title="stage of the case")
    return fig


def wait_histogram(cases: pd.DataFrame, target: float | None) -> go.Figure:
    """Waits to allocation on a log count scale: a linear scale hides the few long waits,
    and those are the people a team leader most needs to see."""
    opened = cases[(cases["triage_outcome"] == "open_case") & ~cases["warmup"]]
    x = opened["wait_to_allocation"].dropna().to_numpy()
    counts, edges = np.histogram(x, bins=40) if len(x) else (np.zeros(0), np.zeros(1))
    fig = go.Figure(
        go.Bar(
            x=np.round((edges[:-1] + edges[1:]) / 2, 3),
            y=counts,
            width=np.diff(edges),
            marker_color=BLUE,
            name="cases",
        )
    )
    if target is not None:
        fig.add_vline(
            x=target,
            line=dict(color=RED, dash="dash"),
            annotation_text=f"standard target {target:g} days",
        )
    note = ""
    if len(x):
        p90 = float(np.percentile(x, 90))
        fig.add_vline(x=p90, line=dict(color=AMBER, dash="dot"))
        note = (
            f"<br><sup>log scale, so single cases in the tail show; 90th percentile "
            f"{p90:.1f} days (dotted), longest {x.max():.1f} days</sup>"
        )
    fig.update_layout(
        title="Wait from referral to allocation (every case, all replications)" + note,
        **{**LAYOUT, "hovermode": "closest", "margin": dict(l=70, r=20, t=70, b=40)},
    )
    fig.update_xaxes(title="wait to allocation (working days)", rangemode="tozero")
    fig.update_yaxes(title="cases (count, log scale)", type="log", dtick=1)
    return fig


def metric_words(metric: str) -> str:
    """A metric's plain-English name (its field name only when it has none)."""
    return METRICS.get(metric, ("", metric))[1] or metric


def metric_unit(metric: str) -> str:
    return METRICS.get(metric, ("", ""))[0]


def _wrap(text: str, width: int = 28) -> str:
    import textwrap

    return "<br>".join(textwrap.wrap(text, width)) or text


def metric_bars(
    summary: pd.DataFrame,
    names: list[str],
    title: str,
    unit: str,
    percent: bool = False,
    colour: str = BLUE,
) -> go.Figure:
    """Means with their own (asymmetric) 95% CIs: a share's or count's interval is not
    symmetric about its mean, and mirroring the upper half drew impossible negatives."""
    rows = summary.set_index("metric").reindex(names).dropna(subset=["mean"])
    scale = 100.0 if percent else 1.0
    mean = rows["mean"] * scale
    high = (rows["ci_high"] * scale - mean).clip(lower=0).fillna(0)
    low = (mean - rows["ci_low"] * scale).clip(lower=0).fillna(0)
    fig = go.Figure(
        go.Bar(
            x=[_wrap(metric_words(n)) for n in rows.index],
            y=mean,
            error_y=dict(
                type="data", symmetric=False, array=high.to_numpy(), arrayminus=low.to_numpy()
            ),
            marker_color=colour,
            name="mean across replications, 95% CI",
        )
    )
    fig.update_layout(title=title, **{**LAYOUT, "hovermode": "closest"})
    fig.update_yaxes(title=unit, rangemode="tozero")
    fig.update_xaxes(title="measure")
    if percent:
        fig.update_yaxes(ticksuffix="%")
    return fig


# What the warm-up check compares, with the absolute gap always allowed (a tiny level's 5%
# is noise): the open cases and the list in cases, the workforce in FTE.
SETTLING = {
    "open_cases_mean": ("open cases", 1.0),
    "unallocated_mean": ("cases waiting for allocation", 1.0),
    "fte_agency": ("agency FTE", 0.25),
    "fte_vacant": ("vacant FTE", 0.25),
}


def warmup_settled(ts: pd.DataFrame, warmup_days: int, tolerance: float = 0.05) -> tuple[bool, str]:
    """Had the team reached its long-run state by the end of warm-up? (settled, in words)

    For the open cases, the list and the workforce (agency cover, vacant posts), the level
    over the last fifth of the warm-up (at least 5 days) is set against the mean level over
    the measured period; within ``tolerance`` of it (or within one case, a quarter of an
    FTE, for small levels) the team had reached its running state when measuring began:
    a day-0 vacancy still being filled, or agency cover still falling, fails the check.
    """
    days = ts["day"]
    if warmup_days <= 0 or not (days >= warmup_days).any():
        return False, (
            "No warm-up: measuring started with the team empty, so the first weeks "
            "understate the caseload; set warmup_days to where the running mean levels off."
        )
    span = max(5, warmup_days // 5)
    parts, apart = [], []
    for column, (words, floor) in SETTLING.items():
        if column not in ts.columns:
            continue
        daily = ts.groupby("day")[column].mean()
        measured = daily[daily.index >= warmup_days].mean()
        end = daily[(daily.index >= warmup_days - span) & (daily.index < warmup_days)].mean()
        gap = abs(end - measured)
        share = f" ({gap / measured:.0%} apart)" if measured > 0 else ""
        parts.append(
            f"{words} {end:.1f} over the last {span} days of warm-up, {measured:.1f} "
            f"measured{share}"
        )
        if not gap <= max(tolerance * measured, floor):
            apart.append(words)
    said = "; ".join(parts)
    if not parts:
        return False, "NOT CHECKED: the timeseries has none of the levels the check compares."
    if not apart:
        return True, f"SETTLED: {said}, so the warm-up was long enough."
    return False, (
        f"NOT SETTLED: {said}. The {', '.join(apart)} moved more than the {tolerance:.0%} "
        "allowed: the team was still filling up (or emptying, or filling a day-0 vacancy) "
        "when measuring began. Lengthen warmup_days."
    )


def warmup_check(ts: pd.DataFrame, warmup_days: int) -> go.Figure:
    """Running mean of open cases from day 0: where it settles, warm-up can end."""
    daily = ts.groupby("day").agg(date=("date", "first"), level=("open_cases_mean", "mean"))
    daily["running"] = daily["level"].expanding().mean()
    settled, _ = warmup_settled(ts, warmup_days)
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=daily["date"],
            y=daily["level"],
            name="open cases (daily mean)",
            line=dict(color=GREY, width=1),
        )
    )
    fig.add_trace(
        go.Scatter(
            x=daily["date"], y=daily["running"], name="running mean", line=dict(color=BLUE, width=2)
        )
    )
    _warmup_line(fig, ts, warmup_days)
    verdict = "settled" if settled else "NOT settled"
    fig.update_layout(
        title=f"Warm-up check: the open-case level had {verdict} by the dotted line", **LAYOUT
    )
    fig.update_yaxes(title="open cases (count)", rangemode="tozero")
    fig.update_xaxes(title=DATE_AXIS)
    return fig
