"""Fits to a team's records: referral arrivals (level, trend, weekday and month profile),
shares with their intervals, durations with right-censoring, and rates per person-year.

Every fit returns its estimate with an interval (95% unless ``level`` says) and the
counts it used, so the scenario's source notes and the data report can say what the number
rests on. Durations of stages still open on the as-of date are right-censored (they count
as "at least this long"), never dropped: dropping them would make long stages look short.
"""

from __future__ import annotations

import datetime as dt
import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from ..model.calendar import _holiday_dates

Z90 = 1.6448536269514722
MIN_WEEKS = 4  # fewer full weeks: no rate fitted
MIN_REFERRALS = 20  # fewer referrals in them: no rate fitted
TREND_WEEKS = 26  # fewer: no trend fitted (growth kept at the default)
SEASON_WEEKS = 52  # fewer: no month profile (a year of data is needed to see seasons)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def holidays_between(first: dt.date, last: dt.date, country: str = "GB", subdiv="ENG"):
    """England's bank holidays (by default) in the years spanned, for numpy's busday."""
    return np.array(_holiday_dates(country, subdiv, first.year, last.year), dtype="datetime64[D]")


def working_days(start: np.ndarray, end: dt.date | np.ndarray, hols: np.ndarray) -> np.ndarray:
    """Working days from each ``start`` (inclusive) to ``end`` (exclusive); >= 0."""
    start = np.asarray(start, dtype="datetime64[D]")
    end = np.broadcast_to(np.asarray(end, dtype="datetime64[D]"), start.shape)
    out = np.zeros(start.shape, dtype=float)
    ok = ~(np.isnat(start) | np.isnat(end))
    out[ok] = np.busday_count(start[ok], end[ok], holidays=hols)
    out[~ok] = np.nan
    return np.maximum(out, 0)


@dataclass
class ArrivalFit:
    weeks: int
    first_week: dt.date | None
    last_week: dt.date | None
    per_week: float | None = None  # the rate at the as-of date, in a full week
    per_week_ci: tuple[float, float] | None = None
    growth: float | None = None  # a year's growth, fitted only with TREND_WEEKS of data
    growth_ci: tuple[float, float] | None = None
    dispersion: float = 1.0
    weekday_profile: dict[str, float] | None = None
    month_profile: dict[str, float] | None = None
    weekly: list[tuple[dt.date, int, float, float, float]] = field(default_factory=list)
    gap_weeks: list[dt.date] = field(default_factory=list)
    off_days: int = 0  # received on a weekend or bank holiday (counted in their week)
    note: str = ""


def fit_arrivals(
    received: np.ndarray, first: dt.date, as_of: dt.date, hols, level: float = 0.95
) -> ArrivalFit:
    """Weekly counts over full Monday-Sunday weeks from ``first`` to ``as_of``: a Poisson
    log-linear trend (quasi-Poisson intervals), weekday and month profiles."""
    received = np.asarray(received, dtype="datetime64[D]")
    start = np.datetime64(first, "D")
    start = start + ((7 - _weekday(start)) % 7)  # the first Monday on or after
    end = np.datetime64(as_of, "D")
    n_weeks = int((end - start).astype(int) + 1) // 7
    if n_weeks < MIN_WEEKS:
        return ArrivalFit(
            n_weeks, None, None, note=f"{n_weeks} full week(s) of referrals; need {MIN_WEEKS}"
        )
    last = start + np.timedelta64(7 * n_weeks, "D")
    inside = received[(received >= start) & (received < last)]
    if len(inside) < MIN_REFERRALS:
        return ArrivalFit(
            n_weeks, None, None, note=f"{len(inside)} referrals in full weeks; need {MIN_REFERRALS}"
        )
    week = ((inside - start).astype(int) // 7).astype(int)
    counts = np.bincount(week, minlength=n_weeks).astype(float)
    mondays = start + np.arange(n_weeks) * np.timedelta64(7, "D")
    t = ((mondays + 3) - end).astype(int) / 365.25  # years before the as-of date (<= 0)
    trend = n_weeks >= TREND_WEEKS
    x = np.column_stack([np.ones(n_weeks), t]) if trend else np.ones((n_weeks, 1))
    beta, cov, phi, mu = _poisson(x, counts)
    fit = ArrivalFit(n_weeks, _d(mondays[0]), _d(mondays[-1]), dispersion=phi)
    fit.per_week = float(np.exp(beta[0]))
    se = float(np.sqrt(cov[0, 0]))
    z = _z(level)
    fit.per_week_ci = (float(np.exp(beta[0] - z * se)), float(np.exp(beta[0] + z * se)))
    if trend:
        sb = float(np.sqrt(cov[1, 1]))
        fit.growth = float(np.expm1(beta[1]))
        fit.growth_ci = (float(np.expm1(beta[1] - z * sb)), float(np.expm1(beta[1] + z * sb)))
    half = Z90 * np.sqrt(phi * mu)
    fit.weekly = [
        (_d(m), int(c), float(f), float(max(f - h, 0)), float(f + h))
        for m, c, f, h in zip(mondays, counts, mu, half, strict=True)
    ]
    fit.gap_weeks = [_d(m) for m, c in zip(mondays, counts, strict=True) if c == 0]
    days = np.arange(start, last)
    open_day = np.is_busday(days, holidays=hols)
    per_day = np.bincount((inside - start).astype(int), minlength=len(days))
    fit.off_days = int(per_day[~open_day].sum())
    wd = np.array([_weekday(d) for d in days])
    rates = []
    for k in range(5):
        sel = open_day & (wd == k)
        # a weekday with none at all gets half a referral over its days (the scenario needs
        # every rate above zero; a team's records with no Friday referrals still allow one)
        rates.append(max(per_day[sel].sum(), 0.5) / max(sel.sum(), 1))
    rates = np.array(rates)
    if rates.mean() > 0:
        fit.weekday_profile = {
            w: round(float(r), 3) for w, r in zip(WEEKDAYS, rates / rates.mean(), strict=True)
        }
    if n_weeks >= SEASON_WEEKS:
        month = ((mondays + 3).astype("datetime64[M]").astype(int) % 12).astype(int)
        ratio = np.ones(12)
        for m in range(12):
            sel = month == m
            if sel.any() and mu[sel].sum() > 0:
                ratio[m] = counts[sel].sum() / mu[sel].sum()
        ratio = np.where(ratio > 0, ratio, 1.0)
        fit.month_profile = {
            k: round(float(r), 3) for k, r in zip(MONTHS, ratio / ratio.mean(), strict=True)
        }
    return fit


def _z(level: float) -> float:
    return float(stats.norm.ppf(0.5 + level / 2))


def _poisson(x: np.ndarray, y: np.ndarray):
    """Poisson regression with log link by Newton's method; quasi-Poisson covariance."""
    beta = np.zeros(x.shape[1])
    beta[0] = np.log(max(y.mean(), 0.5))
    for _ in range(50):
        mu = np.exp(x @ beta)
        info = x.T @ (x * mu[:, None])
        step = np.linalg.solve(info, x.T @ (y - mu))
        beta = beta + step
        if np.max(np.abs(step)) < 1e-10:
            break
    mu = np.exp(x @ beta)
    dof = max(len(y) - x.shape[1], 1)
    phi = max(1.0, float(np.sum((y - mu) ** 2 / mu) / dof))
    cov = phi * np.linalg.inv(x.T @ (x * mu[:, None]))
    return beta, cov, phi, mu


def _weekday(d: np.datetime64) -> int:
    return int((d.astype("datetime64[D]").astype(int) + 3) % 7)  # Monday = 0


def _d(d: np.datetime64) -> dt.date:
    return d.astype("datetime64[D]").astype(dt.date)


@dataclass
class Share:
    count: int
    total: int
    share: float
    ci: tuple[float, float]


def wilson(count: int, total: int, level: float = 0.95) -> Share:
    """A share with its Wilson interval (95% by default)."""
    z = _z(level)
    if total == 0:
        return Share(0, 0, float("nan"), (float("nan"), float("nan")))
    p = count / total
    den = 1 + z**2 / total
    mid = (p + z**2 / (2 * total)) / den
    half = z * np.sqrt(p * (1 - p) / total + z**2 / (4 * total**2)) / den
    return Share(count, total, p, (max(0.0, mid - half), min(1.0, mid + half)))


@dataclass
class DurationFit:
    name: str
    events: int  # stages seen to end
    censored: int  # still open on the as-of date
    median: float | None = None
    median_ci: tuple[float, float] = (float("nan"), float("nan"))
    naive_median: float | None = None  # the ended ones only: what dropping the open ones gives
    independent_ci: tuple[float, float] | None = None  # as if every stage were independent
    note: str = ""


def km_median(days: np.ndarray, ended: np.ndarray) -> float:
    """The Kaplan-Meier median (first time the survival curve is at or below 1/2); inf if
    it never gets there. Vectorised, for resampling."""
    order = np.argsort(days, kind="stable")
    t, e = days[order], ended[order]
    times, first = np.unique(t, return_index=True)
    at_risk = len(t) - first
    deaths = np.add.reduceat(e.astype(float), first)
    surv = np.cumprod(1.0 - deaths / at_risk)
    below = np.nonzero(surv <= 0.5 + 1e-12)[0]
    return float(times[below[0]]) if len(below) else float("inf")


def fit_duration(
    name: str,
    days: np.ndarray,
    ended: np.ndarray,
    level: float = 0.95,
    clusters: np.ndarray | None = None,
    seed: int = 1,
) -> DurationFit:
    """Kaplan-Meier median (working days) with its interval, open stages right-censored.

    Without ``clusters`` the interval treats every stage as independent (Brookmeyer-Crowley,
    from the log-log band). Stages that start in the same month share the team's load then,
    so they are not: with ``clusters`` (e.g. the month each started) the interval is a
    percentile bootstrap resampling whole clusters, which allows for months that differ.
    """
    days = np.asarray(days, dtype=float)
    ended = np.asarray(ended, dtype=bool)
    ok = np.isfinite(days)
    days, ended = days[ok], ended[ok]
    if clusters is not None:
        clusters = np.asarray(clusters)[ok]
    fit = DurationFit(name, int(ended.sum()), int((~ended).sum()))
    if fit.events < 5:
        fit.note = f"{fit.events} ended; need 5 to fit"
        return fit
    data = stats.CensoredData(uncensored=days[ended], right=days[~ended])
    sf = stats.ecdf(data).sf
    grid = np.unique(days)
    fit.median = _first_below(grid, sf.evaluate(grid))
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # undefined where the curve is flat
        band = sf.confidence_interval(level, method="log-log")
    lo, hi = band.low.evaluate(grid), band.high.evaluate(grid)
    low, high = (
        _first_below(grid, np.nan_to_num(lo, nan=1.0)),
        _first_below(grid, np.nan_to_num(hi, nan=1.0)),
    )
    fit.median_ci = (
        low if low is not None else float("nan"),
        high if high is not None else float("inf"),
    )
    fit.naive_median = float(np.median(days[ended]))
    if clusters is not None and len(np.unique(clusters)) >= 6:
        fit.independent_ci = fit.median_ci
        fit.median_ci = _cluster_bootstrap(days, ended, clusters, level, seed)
        fit.note = (
            f"interval by resampling the {len(np.unique(clusters))} months the stages started "
            f"in (independent stages would give {fit.independent_ci[0]:g}-"
            f"{fit.independent_ci[1]:g})"
        )
    return fit


def _cluster_bootstrap(days, ended, clusters, level: float, seed: int, reps: int = 400):
    """Percentile interval of the Kaplan-Meier median over resampled clusters: each cluster's
    exits and events counted once on the grid of distinct times, a resample's counts are a
    weighted sum of them (vectorised; no re-sorting)."""
    times, t_idx = np.unique(days, return_inverse=True)
    _, k_idx = np.unique(clusters, return_inverse=True)
    n_k = k_idx.max() + 1
    exits = np.zeros((n_k, len(times)))
    events = np.zeros((n_k, len(times)))
    np.add.at(exits, (k_idx, t_idx), 1.0)
    np.add.at(events, (k_idx, t_idx), ended.astype(float))
    rng = np.random.default_rng(seed)
    weights = np.stack([np.bincount(rng.integers(0, n_k, n_k), minlength=n_k) for _ in range(reps)])
    d = weights @ events
    out = weights @ exits
    at_risk = np.cumsum(out[:, ::-1], axis=1)[:, ::-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(np.where(at_risk > 0, 1.0 - d / at_risk, 1.0), axis=1)
    below = surv <= 0.5 + 1e-12
    meds = np.where(below.any(axis=1), times[below.argmax(axis=1)], np.inf)
    lo, hi = np.quantile(meds, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


def _first_below(grid: np.ndarray, surv: np.ndarray) -> float | None:
    below = np.nonzero(surv <= 0.5)[0]
    return float(grid[below[0]]) if len(below) else None


@dataclass
class Rate:
    count: float
    exposure: float  # person-years (or FTE-years)
    rate: float
    ci: tuple[float, float]


def poisson_rate(count: int, exposure: float, level: float = 0.95) -> Rate:
    """Events per person-year with the exact (Garwood) 95% interval."""
    if exposure <= 0:
        return Rate(count, exposure, float("nan"), (float("nan"), float("nan")))
    a = (1 - level) / 2
    lo = stats.chi2.ppf(a, 2 * count) / 2 if count > 0 else 0.0
    hi = stats.chi2.ppf(1 - a, 2 * count + 2) / 2
    return Rate(count, exposure, count / exposure, (lo / exposure, hi / exposure))


def ratio_rate(
    totals: np.ndarray, exposures: np.ndarray, seed: int = 1, level: float = 0.95
) -> Rate:
    """Sum of ``totals`` per unit of exposure (sickness days per FTE-year), 95% interval by
    resampling workers (their days are not independent Poisson events)."""
    totals, exposures = np.asarray(totals, float), np.asarray(exposures, float)
    e = exposures.sum()
    if e <= 0 or len(totals) == 0:
        return Rate(0, 0, float("nan"), (float("nan"), float("nan")))
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(totals), size=(1000, len(totals)))
    boots = totals[idx].sum(1) / np.maximum(exposures[idx].sum(1), 1e-9)
    lo, hi = np.quantile(boots, [(1 - level) / 2, (1 + level) / 2])
    return Rate(float(totals.sum()), float(e), float(totals.sum() / e), (float(lo), float(hi)))
