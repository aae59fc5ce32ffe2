"""The event log's lists as columns: the raw material of every table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..model.events import EventLog

COLUMNS = {
    "referrals": (
        "case",
        "arrival",
        "outcome",
        "rank",
        "pathway",
        "weight",
        "allocation_target",
        "completion_target",
        "plan",
        "truncated",
        "warm_start",
        "first_step",
    ),
    "spells": ("case", "place", "worker", "start", "end", "reason"),
    "work": (
        "worker",
        "task",
        "case",
        "kind",
        "step",
        "attempt",
        "failed",
        "queued_at",
        "started",
        "finished",
        "hours",
        "contract_hours",
        "overtime_hours",
        "status",
    ),
    "steps": ("case", "step", "time"),
    "joins": (
        "worker",
        "time",
        "kind",
        "post",
        "fte",
        "cap",
        "case_hours_per_day",
        "contract_hours_per_day",
        "day_cost",
        "paid_when_absent",
        "ramp_until",
        "ramp",
    ),
    "terms": ("worker", "time", "kind", "cap", "case_hours_per_day", "day_cost"),
    "states": ("worker", "time", "state", "reason"),
    "posts": ("post", "time", "vacant", "fte"),
    "naas": ("worker", "time", "attempt", "passed", "cost"),
}


def frame(log: EventLog, name: str) -> pd.DataFrame:
    """One list of the log as a DataFrame with its named columns (empty ones keep them)."""
    rows = getattr(log, name)
    return pd.DataFrame.from_records(rows, columns=list(COLUMNS[name]))


def column(rows: list[tuple], i: int, dtype=float) -> np.ndarray:
    """Field ``i`` of every row, as one numpy array."""
    return np.fromiter((r[i] for r in rows), dtype=dtype, count=len(rows))
