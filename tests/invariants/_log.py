"""The log's row layouts (``workload_sim/model/events.py``) and small shared readers."""

from __future__ import annotations

import math
from collections import defaultdict

from workload_sim.model import events as ev

EPS = 1e-9
HOURS_EPS = 1e-6
ENDED = (ev.CLOSED, ev.CLOSED_UNWORKED, ev.AT_DOOR)  # a case's spells stop here for good

# field positions in the log's tuples (events.py)
S_CASE, S_PLACE, S_WORKER, S_START, S_END, S_REASON = range(6)
(W_WORKER, W_TASK, W_CASE, W_KIND, W_STEP, W_ATTEMPT, W_FAILED, W_QUEUED) = range(8)
W_STARTED, W_FINISHED, W_HOURS, W_CONTRACT, W_OVERTIME, W_STATUS = range(8, 14)
R_CASE, R_ARRIVAL, R_OUTCOME, R_WEIGHT, R_PLAN, R_WARM, R_FIRST = 0, 1, 2, 5, 8, 10, 11
J_WORKER, J_TIME, J_KIND, J_POST, J_FTE, J_CAP, J_CASE_RATE, J_CONTRACT = range(8)
T_WORKER, T_TIME, T_CASE_RATE, T_POST = 0, 1, 4, 6


def _isnan(x: float) -> bool:
    return isinstance(x, float) and math.isnan(x)


def _end(x: float) -> float:
    """An end time, NaN (still open at the horizon) read as never."""
    return math.inf if _isnan(x) else x


def _spells_by_case(log) -> dict[int, list[int]]:
    """Row indices of each case's spells, in the order they were logged (= time order)."""
    out: dict[int, list[int]] = defaultdict(list)
    for i, s in enumerate(log.spells):
        out[s[S_CASE]].append(i)
    return out


def _presence(log) -> dict[int, list[tuple[float, float]]]:
    """Each worker's present periods [from, to): joined, then away/back, until they left."""
    periods: dict[int, list[tuple[float, float]]] = {}
    since: dict[int, float | None] = {}
    for j in log.joins:
        periods[j[J_WORKER]] = []
        since[j[J_WORKER]] = j[J_TIME]
    for worker, time, state, _reason in log.states:  # logged in time order
        here = since[worker]
        if state == ev.PRESENT:
            if here is None:
                since[worker] = time
        elif here is not None:  # away for a reason, or gone
            periods[worker].append((here, time))
            since[worker] = None
        if state == ev.LEFT:
            since[worker] = math.nan  # gone: nothing reopens it
    for worker, here in since.items():
        if here is not None and not _isnan(here):
            periods[worker].append((here, math.inf))
    return periods


def _changes_at(rows_by_worker: dict, worker: int, time: float, default):
    """The value in force at ``time``: the last change at or before it."""
    value = default
    for t, v in rows_by_worker.get(worker, ()):
        if t <= time:
            value = v
    return value
