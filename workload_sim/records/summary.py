"""Across replications: means with confidence intervals that respect each metric's range.

The method depends on the metric's kind (``metrics.metric_kind``), as set out in
docs/statistics.md:

- signed (slopes, differences): Student t on the mean;
- non-negative (counts, levels, waits, costs): t on the log scale of the mean,
  ``mean * exp(+-t * se / mean)``, which never goes below zero and follows the
  right skew of waits and counts;
- share (in [0, 1]): t on the logit scale of the mean share,
  ``expit(logit(p) +- t * se / (p (1 - p)))``, which stays inside [0, 1].

Replications are the independent units, so every interval is built from the
per-replication values (cases within a replication are not independent).

``decide`` is the three-way rule every verdict uses: above zero, below zero,
inside an equivalence margin, or not shown yet, with the replications still needed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import expit, logit

from .metrics import METRICS, NON_NEGATIVE, SHARE, SIGNED, metric_kind


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
    return (mean, sd, *signed_interval(mean, sd, n, confidence), n)


def interval(
    values, kind: str = SIGNED, confidence: float = 0.95
) -> tuple[float, float, float, float, int]:
    """(mean, sd, ci_low, ci_high, n) with the interval method of ``kind``.

    A one-sided bound at confidence c is the matching end of the two-sided
    interval at confidence 2c - 1.

    When every replication is at the end of the range (0; a share's 0 or 1) nothing
    varies, but the true mean need not be there: the far end is the exact bound for
    seeing nothing in n replications, with (1 - confidence) / 2 in that tail. For a
    count, a Poisson mean whose total over n replications is 0: -ln(tail) / n (the
    "rule of three", 3 / n, is its one-sided 95% form). For a share, each
    replication a trial that showed nothing (Clopper-Pearson; valid for any share in
    [0, 1], since a share of mean p is 0 with chance at most 1 - p): 1 - tail^(1/n).
    """
    mean, sd, lo, hi, n = t_interval(values, confidence)
    if kind == SIGNED or n < 2 or not math.isfinite(sd):
        return (mean, sd, lo, hi, n)
    t = float(stats.t.ppf(0.5 + confidence / 2, n - 1))
    se = sd / math.sqrt(n)
    tail = (1 - confidence) / 2
    if kind == NON_NEGATIVE:
        if mean <= 0 and sd == 0:  # every replication at zero: Poisson bound for a total of 0
            return (mean, sd, 0.0, -math.log(tail) / n, n)
        if mean <= 0:
            return (mean, sd, max(lo, 0.0), hi, n)
        half = t * se / mean  # delta method: se of log(mean) = se / mean
        return (mean, sd, mean * math.exp(-half), mean * math.exp(half), n)
    if kind == SHARE:
        if mean <= 0:  # every replication at 0: the binomial bound for 0 in n trials
            return (mean, sd, 0.0, 1 - tail ** (1 / n), n)
        if mean >= 1:  # every replication at 1: likewise from above
            return (mean, sd, tail ** (1 / n), 1.0, n)
        half = t * se / (mean * (1 - mean))  # delta method on the logit scale
        centre = float(logit(mean))
        return (mean, sd, float(expit(centre - half)), float(expit(centre + half)), n)
    raise ValueError(f"unknown metric kind {kind!r}")


def metric_interval(values, metric: str, confidence: float = 0.95):
    """:func:`interval` with the method of this metric's kind."""
    return interval(values, metric_kind(metric), confidence)


def summarise(per_rep: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """One row per metric: metric, unit, kind, mean, std, ci_low, ci_high, reps, description."""
    rows = []
    for metric in per_rep.columns:
        if metric == "rep":
            continue
        mean, sd, lo, hi, n = metric_interval(per_rep[metric], metric, confidence)
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
                "kind": metric_kind(metric),
                "description": text,
            }
        )
    return pd.DataFrame(rows)


# --- the three-way rule -------------------------------------------------------------

ABOVE, BELOW, WITHIN, NOT_SHOWN = "above", "below", "within", "not shown"


@dataclass(frozen=True)
class Decision:
    """What an interval around a difference (or a slope) shows against zero and a margin."""

    answer: str  # ABOVE (CI above 0), BELOW (CI below 0), WITHIN (CI inside +-margin), NOT_SHOWN
    more_reps: int | None = None  # for NOT_SHOWN: about how many more replications would decide

    @property
    def decided(self) -> bool:
        return self.answer != NOT_SHOWN


def decide(mean: float, lo: float, hi: float, reps: int, margin: float) -> Decision:
    """ABOVE when the whole CI is above 0, BELOW when below 0, WITHIN when it lies inside
    [-margin, +margin]; otherwise NOT_SHOWN with the replications still needed.

    The estimate assumes the mean stays where it is and the half-width shrinks as
    1/sqrt(n): to exclude zero the half-width must fall below |mean|, to show
    equivalence below margin - |mean|; the cheaper of the two is reported.
    """
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return Decision(NOT_SHOWN, _more(reps, math.inf, 1.0))
    if lo > 0:
        return Decision(ABOVE)
    if hi < 0:
        return Decision(BELOW)
    if -margin <= lo and hi <= margin:  # with margin 0: identical in every replication
        return Decision(WITHIN)
    half = (hi - lo) / 2
    goals = [g for g in (abs(mean), margin - abs(mean)) if g > 0]
    if not goals:
        return Decision(NOT_SHOWN, None)
    return Decision(NOT_SHOWN, _more(reps, half, max(goals)))


def _more(reps: int, half: float, goal: float) -> int | None:
    if not math.isfinite(half):
        return max(2 - reps, 1)
    need = math.ceil(reps * (half / goal) ** 2 * 1.1)  # 10% over: the t quantile and the mean move
    return max(need - reps, 1)


def signed_interval(mean: float, sd: float, n: int, confidence: float) -> tuple[float, float]:
    """The Student t interval of a signed metric from its summary row (mean, sd, n), at any
    confidence: how a report re-decides a verdict at the confidence a sequential run used."""
    if n < 2 or not (math.isfinite(mean) and math.isfinite(sd)):
        return (math.nan, math.nan)
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * sd / math.sqrt(n)
    return (mean - half, mean + half)
