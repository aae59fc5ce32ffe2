"""Levels over working days from intervals: the one piece of arithmetic every table uses."""

from __future__ import annotations

import numpy as np


def levels_by_day(
    starts: np.ndarray, ends: np.ndarray, n_days: int, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Daily area and end-of-day level of a count made of intervals [start, end).

    ``ends`` may be NaN for intervals still open at the horizon. Returns
    ``(area, level)``: ``area[d]`` is the integral of the level over working day
    ``d`` (its time-weighted mean, a day being one unit), ``level[d]`` its value
    at the end of day ``d``. Exact, and computed after the run, so monitoring
    costs nothing while the simulation runs.

    >>> area, level = levels_by_day(np.array([0.5]), np.array([2.0]), 3)
    >>> area.tolist(), level.tolist()
    ([0.5, 1.0, 0.0], [1.0, 0.0, 0.0])
    """
    starts = np.asarray(starts, dtype=float)
    ends = np.where(np.isnan(ends), n_days + 1.0, np.asarray(ends, dtype=float))
    w = np.ones(len(starts)) if weights is None else np.asarray(weights, dtype=float)
    t = np.arange(n_days + 1, dtype=float)

    def below(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        order = np.argsort(x, kind="stable")
        xs, ws = x[order], w[order]
        cw = np.concatenate(([0.0], np.cumsum(ws)))
        cwx = np.concatenate(([0.0], np.cumsum(ws * xs)))
        left = np.searchsorted(xs, t, side="left")
        right = np.searchsorted(xs, t, side="right")
        # sum_i w_i * min(t, x_i), and the weight of intervals with x_i <= t
        return cwx[left] + t * (cw[-1] - cw[left]), cw[right]

    min_s, started = below(starts)
    min_e, ended = below(ends)
    g = min_e - min_s
    return np.diff(g), (started - ended)[1:]


def end_of_day_levels(
    who: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    weights: np.ndarray,
    n_who: int,
    n_days: int,
) -> np.ndarray:
    """End-of-day level per (who, day) of weighted intervals, in one pass: O(intervals + cells).

    An interval counts at the end of day ``d`` (clock time d + 1) when
    start <= d + 1 < end, as in :func:`levels_by_day`.
    """
    grid = np.zeros((n_who, n_days + 1))
    first = np.clip(np.ceil(starts - 1.0), 0, n_days).astype(np.int64)
    ends = np.where(np.isnan(ends), n_days + 1.0, ends)
    last = np.clip(np.ceil(ends - 1.0), 0, n_days).astype(np.int64)  # first day it no longer counts
    np.add.at(grid, (who, first), weights)
    np.add.at(grid, (who, last), -weights)
    return np.cumsum(grid, axis=1)[:, :n_days]


def state_by_day(times: np.ndarray, values: np.ndarray, n_days: int, fill) -> np.ndarray:
    """The value in force during each working day, from changes at ``times`` (sorted).

    Changes happen at the start of a day (the daily tick), so day ``d`` takes
    the last change at or before d + 0.5; before the first change, ``fill``.
    """
    idx = np.searchsorted(times, np.arange(n_days) + 0.5, side="right") - 1
    out = np.asarray(values)[np.maximum(idx, 0)]
    if (idx < 0).any():
        out = np.where(idx < 0, fill, out)
    return out
