"""Hours: per worker-day within contract and case hours; per task, conserved."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping

from workload_sim.model import events as ev

from ._log import (
    HOURS_EPS,
    J_CASE_RATE,
    J_CONTRACT,
    J_TIME,
    J_WORKER,
    R_CASE,
    R_PLAN,
    T_CASE_RATE,
    T_TIME,
    T_WORKER,
    W_ATTEMPT,
    W_CASE,
    W_CONTRACT,
    W_FAILED,
    W_FINISHED,
    W_HOURS,
    W_KIND,
    W_OVERTIME,
    W_STARTED,
    W_STATUS,
    W_STEP,
    W_TASK,
    W_WORKER,
    _changes_at,
    _isnan,
)

# --- 5. hours --------------------------------------------------------------------------


def _hours_by_worker_day(log) -> tuple[dict, dict]:
    """In-contract hours (each stretch spread evenly over its clock time) and overtime
    (an evening stretch is logged at the instant its day ends: it belongs to that day)
    per (worker, day)."""
    contract: dict[tuple[int, int], float] = defaultdict(float)
    overtime: dict[tuple[int, int], float] = defaultdict(float)
    for w in log.work:
        start, finish = w[W_STARTED], w[W_FINISHED]
        if _isnan(start):
            continue
        who = w[W_WORKER]
        if w[W_OVERTIME] > 0.0:
            overtime[who, math.ceil(finish) - 1] += w[W_OVERTIME]
        hours = w[W_CONTRACT]
        if hours <= 0.0:
            continue
        if finish <= start:
            contract[who, int(start)] += hours  # all of it at one instant: still that day's
            continue
        per_day = hours / (finish - start)
        day = int(start)
        while day < finish:  # the share of the stretch that falls in each day
            inside = min(finish, day + 1.0) - max(start, float(day))
            contract[who, day] += per_day * inside
            day += 1
    return contract, overtime


def hours_within_contract(
    log,
    overtime_cap: float | Mapping[int, float],
    weekly_cap: float | Mapping[int, float] = math.inf,
) -> list[str]:
    """Per worker-day: in-contract hours <= the contract day, overtime <= the daily
    allowance, and overtime in any five consecutive working days <= the weekly one.

    The limits are one number for everyone, or each worker's own (worker id -> hours):
    with personal limits (``overtime.personal_limit_spread`` > 0) no worker may pass theirs.
    """
    contract_day = {j[J_WORKER]: j[J_CONTRACT] for j in log.joins}
    daily = _per_worker(overtime_cap)
    weekly = _per_worker(weekly_cap)
    contract, overtime = _hours_by_worker_day(log)
    bad = [
        f"worker {w} day {d}: {h:.6f} h in contract > contract day {contract_day[w]:g}"
        for (w, d), h in sorted(contract.items())
        if h > contract_day[w] + HOURS_EPS
    ]
    bad += [
        f"worker {w} day {d}: {h:.6f} h overtime > allowance {daily(w):g}"
        for (w, d), h in sorted(overtime.items())
        if h > daily(w) + HOURS_EPS
    ]
    for (w, d), _h in sorted(overtime.items()):
        week = sum(overtime.get((w, d - k), 0.0) for k in range(5))
        if week > weekly(w) + HOURS_EPS:
            bad.append(f"worker {w} days {d - 4}-{d}: {week:.6f} h overtime > weekly {weekly(w):g}")
    return bad


def _per_worker(cap: float | Mapping[int, float]):
    """A limit as a function of the worker: the same number for all, or each one's own."""
    if isinstance(cap, Mapping):
        return lambda w: cap[w]
    return lambda w: cap


def work_within_case_hours(log) -> list[str]:
    """Per worker-day, hours worked in contract <= the case hours of their terms that day.

    Everything a worker does in the model (case work, triage, handover, NAAS
    preparation) runs at their case hours per day (contract x FTE x (1 - non-case
    share)); the rest of the contract is supervision, meetings and training. A
    day whose terms changed (end of the protected year) allows the larger rate.
    """
    rates: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for j in log.joins:
        rates[j[J_WORKER]].append((j[J_TIME], j[J_CASE_RATE]))
    for t in log.terms:
        rates[t[T_WORKER]].append((t[T_TIME], t[T_CASE_RATE]))
    contract, _ = _hours_by_worker_day(log)
    bad = []
    for (w, d), h in sorted(contract.items()):
        allowed = max(
            [r for t, r in rates[w] if d <= t < d + 1] + [_changes_at(rates, w, float(d), 0.0)]
        )
        if h > allowed + HOURS_EPS:
            bad.append(f"worker {w} day {d}: {h:.6f} h worked in contract > {allowed:g} case h")
    return bad


# --- 7. conservation of work ------------------------------------------------------------


def work_conserved(log, handover_hours: float) -> list[str]:
    """Hours worked on each task add up to its planned hours when done, never more.

    A case task's planned hours come from the case's drawn plan (the step's
    effort, or the wasted hours of a failed attempt), a handover's from the
    scenario: sources independent of the work rows themselves.
    """
    plans = {r[R_CASE]: r[R_PLAN] for r in log.referrals}
    rows_of: dict[int, list[tuple]] = defaultdict(list)
    for w in log.work:
        rows_of[w[W_TASK]].append(w)
    bad = []
    for task, rows in rows_of.items():
        first = rows[0]
        planned = first[W_HOURS]
        kind, step = first[W_KIND], first[W_STEP]
        if kind == ev.HANDOVER_TASK or (kind == ev.COVER_TASK and step < 0):
            planned = handover_hours  # a colleague covering an urgent case may read it in
        elif kind in (ev.CASE_TASK, ev.COVER_TASK):
            s = plans[first[W_CASE]][step]
            planned = s.failures[first[W_ATTEMPT]][1] if first[W_FAILED] else s.effort
        worked = sum(w[W_CONTRACT] + w[W_OVERTIME] for w in rows)
        done = [w for w in rows if w[W_STATUS] == ev.DONE]
        if worked > planned + HOURS_EPS:
            bad.append(f"task {task}: {worked:.9f} h worked > {planned:.9f} h planned {rows}")
        if len(done) > 1 or (done and done[0] is not rows[-1]):
            bad.append(f"task {task}: done {len(done)} times or worked on after done {rows}")
        if done and abs(worked - planned) > HOURS_EPS:
            bad.append(f"task {task}: done with {worked:.9f} h worked of {planned:.9f} planned")
        left = planned
        for w in rows:  # each stretch starts with what the last one left
            if abs(w[W_HOURS] - left) > HOURS_EPS:
                bad.append(f"task {task}: stretch starts with {w[W_HOURS]} h, {left} were left")
                break
            left -= w[W_CONTRACT] + w[W_OVERTIME]
    return bad
