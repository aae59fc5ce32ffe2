"""Would the model have predicted what happened? Weekly series, bands and their scores.

A backtest fits the model on the records before a date, starts it from the team's state on
that date and simulates forward. This module holds the comparison: the same weekly series
built from the records (``actual_weekly``) and from each replication (``simulated_weekly``),
the prediction bands across replications, and per series the share of weeks inside the 50%
and 90% bands, the mean absolute error of the band's median against two naive forecasts
(the last week before the date carried forward, and the reference period's mean), and the
runs of weeks outside the 90% band, in words.

Weeks are 7-day blocks counted from the backtest date (week 0 starts on it), the same for
records and model, so a week's referrals are counted over the same days in both.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

# series: (words, unit, kind) - a flow is counted over the week, a level at its last day
SERIES = {
    "referrals": ("referrals received", "referrals/week", "flow"),
    # the running total shows a lasting shift in demand that week-to-week noise hides
    "referrals_to_date": (
        "referrals received since the date (running total)",
        "referrals",
        "total",
    ),
    "open_cases": ("open cases", "cases", "level"),
    "unallocated": ("the waiting list (cases not allocated)", "cases", "level"),
    "allocations": ("first allocations", "cases/week", "flow"),
    "closures": ("closures of open cases", "cases/week", "flow"),
    "wait_to_allocation": ("time to first allocation", "working days", "mean"),
}
BANDS = (0.5, 0.9)


def week_of(dates: pd.Series, at: dt.date) -> pd.Series:
    """Whole weeks from the backtest date (negative before it)."""
    days = (pd.to_datetime(dates) - pd.Timestamp(at)).dt.days
    return np.floor(days / 7).astype("Int64")


def week_ends(at: dt.date, first_week: int, last_week: int) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(
        [pd.Timestamp(at) + pd.Timedelta(days=7 * k + 6) for k in range(first_week, last_week + 1)]
    )


def actual_weekly(
    referrals: pd.DataFrame,
    opened: pd.Series,
    at: dt.date,
    first: dt.date,
    until: dt.date,
    working_days,
) -> pd.DataFrame:
    """Weekly series from the records: ``referrals`` has ``received``, ``decided`` (the
    triage decision; blank: taken as received), ``allocated`` (first allocation) and
    ``closed`` dates; ``opened`` marks those opened as cases, which count as open (and, until
    allocated, waiting) from the decision, as the model counts them from triage. Weeks from the
    one holding ``first`` to the last whole week before ``until``; ``working_days(a, b)``
    counts working days from date a to date b (the model's calendar)."""
    lo, hi = int(week_of(pd.Series([first]), at)[0]), _last_whole_week(at, until)
    weeks = np.arange(lo, hi + 1)
    ends = week_ends(at, lo, hi)
    out = pd.DataFrame({"week": weeks, "week_end": ends})
    received = pd.to_datetime(referrals["received"])
    allocated = pd.to_datetime(referrals["allocated"])
    closed = pd.to_datetime(referrals["closed"])
    out["referrals"] = _per_week(week_of(received, at), weeks)
    out["referrals_to_date"] = np.where(
        weeks >= 0, np.cumsum(np.where(weeks >= 0, out["referrals"], 0)), np.nan
    )
    decided = pd.to_datetime(referrals["decided"]).fillna(received)
    case_recv, case_alloc = decided[opened], allocated[opened]
    case_closed = closed[opened]
    out["open_cases"] = [int(((case_recv <= e) & ~(case_closed <= e)).sum()) for e in ends]
    out["unallocated"] = [
        int(((case_recv <= e) & ~(case_alloc <= e) & ~(case_closed <= e)).sum()) for e in ends
    ]
    out["allocations"] = _per_week(week_of(case_alloc.dropna(), at), weeks)
    out["closures"] = _per_week(week_of(case_closed.dropna(), at), weeks)
    has = case_alloc.notna()
    waits = pd.Series(
        [
            working_days(r.date(), a.date())
            for r, a in zip(received[opened][has], case_alloc[has], strict=True)
        ],
        dtype=float,
    )
    by_week = pd.Series(waits.to_numpy(), index=week_of(case_alloc[has], at).to_numpy())
    out["wait_to_allocation"] = by_week.groupby(level=0).mean().reindex(weeks).to_numpy()
    return out


def _last_whole_week(at: dt.date, until: dt.date) -> int:
    """The last week k whose seven days (at + 7k .. at + 7k + 6) all fall by ``until``."""
    return ((until - at).days - 6) // 7


def _per_week(week: pd.Series, weeks: np.ndarray) -> np.ndarray:
    counts = pd.Series(week.dropna().astype(int)).value_counts()
    return counts.reindex(weeks, fill_value=0).to_numpy()


def simulated_weekly(timeseries: pd.DataFrame, cases: pd.DataFrame, at: dt.date) -> pd.DataFrame:
    """The same weekly series from each replication's tables (one row per rep and week).

    Levels are the end-of-day level on the week's last working day; flows are summed over
    the week; the time to allocation is the mean over the cases first allocated that week,
    from their referral (a case held on day 0 was allocated before the run and is in
    neither the allocations nor the waits).
    """
    ts = timeseries.copy()
    ts["week"] = week_of(ts["date"], at)
    g = ts.sort_values("day").groupby(["rep", "week"])
    out = g.agg(
        referrals=("referrals", "sum"),
        open_cases=("open_cases", "last"),
        unallocated=("unallocated", "last"),
    ).reset_index()
    since = out["referrals"].where(out["week"] >= 0, 0)
    out["referrals_to_date"] = since.groupby(out["rep"]).cumsum().where(out["week"] >= 0)
    dates = ts.drop_duplicates("day").set_index("day")["date"]
    last_day = int(dates.index.max())

    def dated(days: pd.Series) -> pd.Series:
        index = np.clip(np.floor(days.to_numpy()).astype(int), 0, last_day)
        return pd.Series(dates.reindex(index).to_numpy(), index=days.index)

    opened = cases[cases["triage_outcome"] == "open_case"]
    # a case held by a worker on day 0 was allocated before the run: no allocation in it
    held = opened["warm_start"] & (opened["waits_on_list"] == 0)
    parts = []
    for column, name in (("allocated_at", "allocations"), ("closed_at", "closures")):
        done = opened[opened[column].notna() & ~(held & (column == "allocated_at"))]
        weekly = done.assign(week=week_of(dated(done[column]), at)).groupby(["rep", "week"]).size()
        parts.append(weekly.rename(name))
    fresh = opened[~held & opened["allocated_at"].notna()]
    waits = fresh.assign(week=week_of(dated(fresh["allocated_at"]), at))
    # in whole working days between the dates, as records give it (a referral late on one
    # day allocated early the next waited one day in the records, not a fraction of one)
    whole = np.floor(waits["allocated_at"]) - np.floor(waits["arrival"])
    parts.append(whole.groupby([waits["rep"], waits["week"]]).mean().rename("wait_to_allocation"))
    out = out.set_index(["rep", "week"]).join(pd.concat(parts, axis=1), how="left")
    out[["allocations", "closures"]] = out[["allocations", "closures"]].fillna(0)
    return out.reset_index()


def bands(simulated: pd.DataFrame, weeks) -> pd.DataFrame:
    """Per series and week: the median and the 50% and 90% prediction intervals.

    Each interval is a pair of order statistics of the n replications, the k-th smallest
    and k-th largest with k = floor((n + 1)(1 - level) / 2): a new value exchangeable with
    the replications (what happened, if the model is right) falls between them with
    probability (n + 1 - 2k) / (n + 1), at least ``level`` (distribution-free; e.g. with
    n = 40, the 2nd and 39th of 40 make a 90.2% interval). Interpolated quantiles
    (numpy's default) would promise 90% and give about 86% at n = 40.
    """
    rows = []
    for series in SERIES:
        for week, values in simulated.groupby("week")[series]:
            x = np.sort(values.dropna().to_numpy(dtype=float))
            row = {"series": series, "week": week, "median": np.nan, "reps": len(x)}
            if len(x):
                row["median"] = float(np.median(x))
            for level in BANDS:
                # + 1e-9: (1 - 0.9) is 0.0999... in floating point, and 40 * 0.0999... / 2
                # would floor to 1, not 2 (a 95%, not a 90%, interval)
                k = int((len(x) + 1) * (1 - level) / 2 + 1e-9)
                ok = k >= 1 and len(x) >= 2 * k
                row[f"low_{level:.0%}"] = x[k - 1] if ok else np.nan
                row[f"high_{level:.0%}"] = x[len(x) - k] if ok else np.nan
            rows.append(row)
    frame = pd.DataFrame(rows)
    full = pd.MultiIndex.from_product([list(SERIES), list(weeks)], names=["series", "week"])
    return frame.set_index(["series", "week"]).reindex(full).reset_index()


def score(actual: pd.DataFrame, band: pd.DataFrame, at: dt.date) -> pd.DataFrame:
    """Per series: weeks compared, share inside each band, errors against naive forecasts,
    and the longest run of weeks outside the 90% band, in words."""
    before, after = actual[actual["week"] < 0], actual[actual["week"] >= 0]
    rows = []
    for series, (words, unit, kind) in SERIES.items():
        b = band[band["series"] == series].set_index("week")
        a = after.set_index("week")[series].astype(float)
        ok = a.notna() & b["median"].reindex(a.index).notna()
        a, b = a[ok], b.reindex(a[ok].index)
        if a.empty:
            continue
        row = {"series": series, "unit": unit, "weeks": len(a)}
        for level in BANDS:
            low, high = b[f"low_{level:.0%}"], b[f"high_{level:.0%}"]
            row[f"inside_{level:.0%}"] = float(((a >= low) & (a <= high)).mean())
        history = before.set_index("week")[series].astype(float).dropna()
        last = history.iloc[-1] if len(history) else np.nan
        row["mae_model"] = float((a - b["median"]).abs().mean())
        row["mae_last_value"] = float((a - last).abs().mean())
        row["mae_reference_mean"] = float((a - history.mean()).abs().mean())
        row["misses"] = _misses(a, b, words, at, kind == "flow")
        rows.append(row)
    return pd.DataFrame(rows)


def _misses(a: pd.Series, b: pd.DataFrame, words: str, at: dt.date, flow: bool) -> str:
    above, below = a > b["high_90%"], a < b["low_90%"]
    parts = []
    for side, out in (("above", above), ("below", below)):
        if not out.any():
            continue
        first = int(out.idxmax())
        parts.append(
            f"{words} was {side} the 90% band in {int(out.sum())} of {len(a)} weeks, "
            f"first in the week of {_week_start(at, first):%d %b %Y}"
        )
    if not parts:
        return f"{words} stayed inside the 90% band in all {len(a)} weeks"
    if flow:
        parts.append(_shift(a - b["median"], at))
    return "; ".join(parts)


def _shift(residual: pd.Series, at: dt.date) -> str:
    """When a lasting shift began: the week after the running sum of (actual - median)
    is lowest (for a rise) or highest (for a fall), the CUSUM change-point estimate."""
    total = residual.cumsum()
    rising = total.iloc[-1] > 0
    turn = total.idxmin() if rising else total.idxmax()
    weeks = list(total.index)
    start = (
        weeks[0]
        if (total[turn] > 0) == rising
        else weeks[min(weeks.index(turn) + 1, len(weeks) - 1)]
    )
    side = "above" if rising else "below"
    return (
        f"it ran {side} the model's median from about the week of {_week_start(at, start):%d %b %Y}"
    )


def _week_start(at: dt.date, week: int) -> pd.Timestamp:
    return pd.Timestamp(at) + pd.Timedelta(days=7 * int(week))


def weekly_table(actual: pd.DataFrame, band: pd.DataFrame) -> pd.DataFrame:
    """One row per series and week: what happened beside the model's median and bands
    (weeks before the date have no bands: the model was fitted on them)."""
    long = actual.melt(
        id_vars=["week", "week_end"],
        value_vars=list(SERIES),
        var_name="series",
        value_name="actual",
    )
    return long.merge(band, on=["series", "week"], how="left").sort_values(["series", "week"])
