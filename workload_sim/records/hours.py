"""Hours as social workers live them: contracted, worked and unpaid, per worker-day.

A worker at work on a day is contracted for their contract day (contract
hours a week / 5 x FTE) and works it: case work, and supervision, meetings,
training and admin in the rest (the non-case share). Hours past contract are
the evening's (``model/working_hours``): logged at the instant the day ends,
they belong to the day ending. They are unpaid: social workers are salaried.

The summary metrics read this table over the measured period, per week AT
WORK (five days present), as the DfE longitudinal study asked about a typical
working week: ``hours_worked_per_worker_week``, ``unpaid_hours_per_worker_week``,
the share of workers whose unpaid hours average above 5 h a week, and the
share of working weeks with any unpaid hours (BASW: 72% cannot finish within
contracted hours).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .log_frames import Columns
from .team import TeamDays

UNPAID_HOURS_MARK = 5.0  # "above 5 h a week" (issue 9; dfe-long-2021 reports ~6 h on average)
MIN_WEEKS = 2.0  # a worker counts in the per-worker share with at least two weeks at work


def evening_day(finished: np.ndarray) -> np.ndarray:
    """The day an evening stretch belongs to: it is logged at the instant its day ends."""
    return np.maximum(np.ceil(finished) - 1, 0).astype(np.int64)


def hours_table(log, rep: int, team: TeamDays, work: Columns) -> pd.DataFrame:
    """One row per worker-day at work: contracted, unpaid and worked hours."""
    n_workers, n_days = team.state.shape
    present = team.in_post & (team.state == 0)
    contract = np.array([j[7] for j in log.joins], dtype=float)
    who = work["worker"].astype(np.int64)
    finished = work["finished"].astype(float)
    overtime = work["overtime_hours"].astype(float)
    late = (overtime > 0.0) & (who >= 0) & ~np.isnan(finished)
    unpaid = np.zeros((n_workers, n_days))
    day = evening_day(finished[late])
    ok = day < n_days
    np.add.at(unpaid, (who[late][ok], day[ok]), overtime[late][ok])
    w, d = np.nonzero(present)
    contracted = contract[w]
    return pd.DataFrame(
        {
            "rep": np.full(len(w), rep, dtype=np.int64),
            "worker": w.astype(np.int64),
            "day": d.astype(np.int64),
            "contracted_hours": contracted,
            "unpaid_hours": unpaid[w, d],
            "hours_worked": contracted + unpaid[w, d],
        }
    )


def hours_metrics(hours: pd.DataFrame | None, warmup_days: int) -> dict[str, float]:
    """The hours metrics over the measured period (NaN when nobody was at work)."""
    nan = float("nan")
    names = (
        "hours_worked_per_worker_week",
        "contracted_hours_per_worker_week",
        "unpaid_hours_per_worker_week",
        "unpaid_over_5h_share",
        "weeks_beyond_contract_share",
    )
    if hours is None or not len(hours):
        return dict.fromkeys(names, nan)
    h = hours[hours["day"].to_numpy() >= warmup_days]
    days = len(h)
    if not days:
        return dict.fromkeys(names, nan)
    # per worker, and per worker-week: numpy group sums (a pandas groupby costs more
    # than the rest of these metrics together); a share over groups does not depend on
    # how the groups are ordered
    worker = h["worker"].to_numpy(np.int64)
    unpaid = h["unpaid_hours"].to_numpy(float)
    n_days = np.bincount(worker)
    unpaid_sum = np.bincount(worker, weights=unpaid)
    counted = n_days >= MIN_WEEKS * 5
    weekly = unpaid_sum[counted] / n_days[counted] * 5.0
    weeks = h["day"].to_numpy(np.int64) // 5
    worker_week = worker * (int(weeks.max()) + 1) + weeks
    _, week_of = np.unique(worker_week, return_inverse=True)
    week = np.bincount(week_of, weights=unpaid)
    return {
        "hours_worked_per_worker_week": float(h["hours_worked"].sum()) / days * 5.0,
        "contracted_hours_per_worker_week": float(h["contracted_hours"].sum()) / days * 5.0,
        "unpaid_hours_per_worker_week": float(h["unpaid_hours"].sum()) / days * 5.0,
        "unpaid_over_5h_share": float((weekly > UNPAID_HOURS_MARK).mean()) if len(weekly) else nan,
        "weeks_beyond_contract_share": float((week > 1e-9).mean()),
    }
