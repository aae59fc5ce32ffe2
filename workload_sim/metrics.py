"""Outcome metrics of one replication, computed from its plain tables.

Only the measured period counts: referrals that arrived during warm-up and
cases open on day 0 are excluded from waits; levels are averaged over the
days after warm-up. Open cases at the horizon are counted, never dropped.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# metric name -> (unit, plain-English meaning); the order is the report order.
METRICS: dict[str, tuple[str, str]] = {
    "referrals": ("referrals", "Referrals received in the measured period"),
    "opened": ("cases", "Referrals opened as cases"),
    "closed": ("cases", "Cases opened in the period and closed by the horizon"),
    "wait_to_allocation_days": ("working days", "Mean wait from referral to allocation"),
    "wait_to_allocation_p90": ("working days", "90th percentile of that wait"),
    "time_in_system_days": ("working days", "Mean time from opening to closure (closed cases)"),
    "allocation_breach_share": ("fraction", "Cases not allocated within their urgency target"),
    "completion_breach_share": ("fraction", "Cases not completed within their standard"),
    "unallocated_mean": ("cases", "Mean unallocated list (time-weighted)"),
    "unallocated_end": ("cases", "Unallocated list at the horizon (need still waiting)"),
    "backlog_growth_per_week": ("cases/week", "Slope of the unallocated list over time"),
    "work_waiting_hours_mean": (
        "hours",
        "Mean hours of allocated work queued with workers, not yet started",
    ),
    "work_waiting_growth_per_week": ("hours/week", "Slope of that queued work over time"),
    "open_cases_mean": ("cases", "Mean open cases, allocated or not (time-weighted)"),
    "open_cases_end": ("cases", "Open cases at the horizon"),
    "caseload_mean": ("cases", "Mean weighted caseload per worker (time-weighted)"),
    "caseload_max": ("cases", "Highest weighted caseload any worker held at a day's end"),
    "case_hours_per_worker_week": ("hours/week", "Hours on case work per worker per week"),
    "overtime_hours_per_worker_week": ("hours/week", "Hours beyond contract per worker per week"),
    "utilisation": ("fraction", "Case hours worked / case hours available in contract"),
}


def slope_per_week(days: np.ndarray, values: np.ndarray) -> float:
    """Least-squares slope of ``values`` against working day, per 5-day week."""
    if len(days) < 2:
        return 0.0
    d = days - days.mean()
    denom = float((d * d).sum())
    return float((d * (values - values.mean())).sum() / denom * 5.0) if denom else 0.0


def rep_metrics(timeseries: pd.DataFrame, cases: pd.DataFrame, warmup_days: int) -> dict:
    """The metrics of :data:`METRICS` for one replication."""
    ts = timeseries[timeseries["day"] >= warmup_days]
    measured = cases[~cases["warmup"].to_numpy()]
    opened = measured[measured["triage_outcome"] == "open_case"]
    allocated = opened["wait_to_allocation"].dropna()
    closed = opened["time_in_system"].dropna()
    workers = ts["workers"].to_numpy()
    worker_weeks = float(workers.sum()) / 5.0
    available = float(ts["case_hours_available"].sum())
    nan = float("nan")
    return {
        "referrals": float(len(measured)),
        "opened": float(len(opened)),
        "closed": float(len(closed)),
        "wait_to_allocation_days": float(allocated.mean()) if len(allocated) else nan,
        "wait_to_allocation_p90": float(np.percentile(allocated, 90)) if len(allocated) else nan,
        "time_in_system_days": float(closed.mean()) if len(closed) else nan,
        "allocation_breach_share": float(opened["allocation_breach"].mean())
        if len(opened)
        else nan,
        "completion_breach_share": (
            float(opened["completion_breach"].mean()) if len(opened) else nan
        ),
        "unallocated_mean": float(ts["unallocated_mean"].mean()),
        "unallocated_end": float(ts["unallocated"].iloc[-1]),
        "backlog_growth_per_week": slope_per_week(
            ts["day"].to_numpy(float), ts["unallocated_mean"].to_numpy()
        ),
        "work_waiting_hours_mean": float(ts["work_waiting_hours_mean"].mean()),
        "work_waiting_growth_per_week": slope_per_week(
            ts["day"].to_numpy(float), ts["work_waiting_hours_mean"].to_numpy()
        ),
        "open_cases_mean": float(ts["open_cases_mean"].mean()),
        "open_cases_end": float(ts["open_cases"].iloc[-1]),
        "caseload_mean": float(ts["caseload_mean"].mean()),
        "caseload_max": float(ts["caseload_max"].max()),
        "case_hours_per_worker_week": float(ts["case_hours"].sum()) / worker_weeks,
        "overtime_hours_per_worker_week": float(ts["overtime_hours"].sum()) / worker_weeks,
        "utilisation": float(ts["case_hours"].sum()) / available if available else nan,
    }
