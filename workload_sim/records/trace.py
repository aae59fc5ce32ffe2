"""The optional tables: every stretch of work (tasks), and the whole event log (events)."""

from __future__ import annotations

import pandas as pd

from .log_frames import COLUMNS, Columns, frame


def tasks_table(log, rep: int, work: Columns) -> pd.DataFrame:
    """One row per stretch of work on a task, with the pathway and step it belongs to."""
    plans = [r[8] for r in log.referrals]
    names = [
        (plans[c][s].pathway, plans[c][s].step) if c >= 0 and s >= 0 else (None, None)
        for c, s in zip(work["case"].tolist(), work["step"].tolist(), strict=True)
    ]
    out = pd.DataFrame(dict(work))
    out.insert(0, "rep", rep)
    out.insert(5, "pathway", [p for p, _ in names])
    out.insert(6, "step_name", [s for _, s in names])
    return out


def events_table(log, rep: int) -> pd.DataFrame:
    """The event log as one long table: a ``record`` column names each row's list."""
    parts = []
    for name in COLUMNS:
        f = frame(log, name)
        if name == "referrals":
            f = f.drop(columns=["plan"])
        f.insert(0, "record", name)
        parts.append(f)
    out = pd.concat([p for p in parts if len(p)], ignore_index=True, sort=False)
    out.insert(0, "rep", rep)
    for col in out.columns:  # mixed columns (e.g. kind names and NaN) as text for Parquet
        if out[col].dtype == object:
            out[col] = out[col].map(lambda v: None if v is None or v != v else str(v))
    return out
