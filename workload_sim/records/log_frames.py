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
    "terms": ("worker", "time", "kind", "cap", "case_hours_per_day", "day_cost", "post"),
    "states": ("worker", "time", "state", "reason"),
    "posts": ("post", "time", "vacant", "fte"),
    "naas": ("worker", "time", "attempt", "passed", "cost"),
}


class Columns(dict):
    """A log list as named numpy columns (a light table: no pandas on the way)."""

    def __len__(self) -> int:
        return self.n

    n = 0


def columns(log: EventLog, name: str) -> Columns:
    """One list of the log as numpy columns: text as object arrays, numbers as numbers."""
    rows = getattr(log, name)
    out = Columns()
    out.n = len(rows)
    names = COLUMNS[name]
    if not rows:
        for c in names:
            out[c] = np.zeros(0)
        return out
    for c, values in zip(names, zip(*rows, strict=True), strict=True):
        first = values[0]
        if isinstance(first, str) or first is None or isinstance(first, (list, tuple)):
            arr = np.empty(len(values), dtype=object)
            arr[:] = values
        else:
            arr = np.array(values)
        out[c] = arr
    return out


def frame(log: EventLog, name: str) -> pd.DataFrame:
    """One list of the log as a DataFrame with its named columns (empty ones keep them)."""
    return pd.DataFrame({c: v for c, v in columns(log, name).items()})
