"""Across replications: means with Student-t confidence intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .metrics import METRICS


def t_interval(values, confidence: float = 0.95) -> tuple[float, float, float, float, int]:
    """(mean, sd, ci_low, ci_high, n) of the finite values; the CI is NaN for n < 2."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = len(x)
    if n == 0:
        return (np.nan, np.nan, np.nan, np.nan, 0)
    mean = float(x.mean())
    if n < 2:
        return (mean, np.nan, np.nan, np.nan, n)
    sd = float(x.std(ddof=1))
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * sd / np.sqrt(n)
    return (mean, sd, mean - half, mean + half, n)


def summarise(per_rep: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """One row per metric: metric, unit, mean, std, ci_low, ci_high, reps, description."""
    rows = []
    for metric in per_rep.columns:
        if metric == "rep":
            continue
        mean, sd, lo, hi, n = t_interval(per_rep[metric], confidence)
        unit, text = METRICS.get(metric, ("", ""))
        rows.append(
            {
                "metric": metric,
                "mean": mean,
                "std": sd,
                "ci_low": lo,
                "ci_high": hi,
                "reps": n,
                "unit": unit,
                "description": text,
            }
        )
    return pd.DataFrame(rows)
