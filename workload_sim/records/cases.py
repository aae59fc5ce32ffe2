"""The cases table: one row per referral, from the log's referrals, spells, steps and work."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..model import events as ev
from .log_frames import Columns

AWAITING = "awaiting_triage"  # referrals still in the duty worker's queue at the horizon
CLOSING = {ev.CLOSED, ev.CLOSED_UNWORKED, ev.AT_DOOR}
CASE_WORK = (ev.CASE_TASK, ev.HANDOVER_TASK, ev.COVER_TASK)


def cases_table(
    log,
    scenario,
    dates: np.ndarray,
    urgencies: list[str],
    rep: int,
    work: Columns,
    sp: Columns,
) -> pd.DataFrame:
    """One row per referral of one replication, open cases at the horizon included.

    Waits on the list count every spell there, not only the first: a case put
    back on the list (reallocation, a leaver) waits again, and that wait is
    measured against its target too. ``wait_to_allocation`` keeps the first wait.
    """
    n_days = log.n_days
    horizon = float(n_days)
    ref = log.referrals
    n = len(ref)
    nan = np.nan
    # the referrals' fields as columns, transposed once (in C) rather than a walk each
    (
        ids,
        arrivals,
        outcomes,
        ranks,
        pathways,
        weights,
        alloc_t,
        comp_t,
        plans,
        cut,
        warm_,
        first_,
    ) = zip(*ref, strict=True) if n else ((),) * 12
    arrival = np.array(arrivals, dtype=float)
    outcome = np.empty(n, dtype=object)
    outcome[:] = outcomes
    is_case = outcome == "open_case"
    warm = np.array(warm_, dtype=bool)
    alloc_target = np.where(is_case, np.array(alloc_t, dtype=float), nan)
    comp_target = np.array([nan if c is None else c for c in comp_t], dtype=float)

    case = sp["case"].astype(np.int64)
    place = sp["place"]
    start, end = sp["start"].astype(float), sp["end"].astype(float)
    reason = sp["reason"]
    sp_worker = sp["worker"].astype(np.int64)

    triage = place == ev.TRIAGE
    triaged_at = arrival.copy()  # warm-start cases were triaged before day 0
    awaiting = np.zeros(n, dtype=bool)
    triaged_at[case[triage]] = end[triage]
    awaiting[case[triage & np.isnan(end)]] = True

    held = place == ev.WORKER
    allocated_at = np.full(n, nan)
    np.fmin.at(allocated_at, case[held], start[held])
    holders = np.zeros(n, dtype=np.int64)
    allocations = np.bincount(case[held], minlength=n)
    if held.any():  # distinct workers: going back to the same worker is not a new one
        pairs = np.unique(np.stack([case[held], sp_worker[held]]), axis=1)
        np.add.at(holders, pairs[0], 1)
    worker = np.full(n, -1, dtype=np.int64)
    open_held = held & np.isnan(end)
    worker[case[open_held]] = sp_worker[open_held]

    closed_at = np.full(n, nan)
    closing = np.isin(reason, list(CLOSING))
    closed_at[case[closing]] = end[closing]
    unworked = np.zeros(n, dtype=bool)
    unworked[case[reason == ev.CLOSED_UNWORKED]] = True

    listed = place == ev.LIST
    waited = np.where(np.isnan(end), horizon, end) - start  # censored at the horizon
    waits_on_list = np.bincount(case[listed], minlength=n)
    days_on_list = np.bincount(case[listed], weights=waited[listed], minlength=n)
    # the waits judged against the allocation target: the first from referral (triage
    # included) to the first allocation, or to closure or the horizon if none; then each
    # later spell on the list (put back after being allocated)
    first_wait = np.where(np.isnan(allocated_at), np.fmin(closed_at, horizon), allocated_at)
    longest_wait = first_wait - arrival
    again = listed & ~first_wait_spells(sp)
    np.fmax.at(longest_wait, case[again], waited[again])

    # the enquiry's standard applies to the enquiry: the last step of the case's own
    # pathway, not the long-term work that may follow it on the same case
    enquiry_end = np.array(
        [_last_own_step(p, w) if p else -1 for p, w in zip(plans, pathways, strict=True)],
        dtype=np.int64,
    )
    steps = log.steps
    s_case, s_idx, s_time = zip(*steps, strict=True) if steps else ((), (), ())
    step_case = np.array(s_case, dtype=np.int64)
    step_idx = np.array(s_idx, dtype=np.int64)
    step_time = np.array(s_time, dtype=float)
    first_step = np.array(first_, dtype=np.int64)
    steps_done = first_step + np.bincount(step_case, minlength=n)
    enquiry_done_at = np.full(n, nan)
    last = step_idx == enquiry_end[step_case]
    enquiry_done_at[step_case[last]] = step_time[last]
    enquiry_end = np.where(np.isnan(enquiry_done_at), horizon, enquiry_done_at)
    enquiry_so_far = enquiry_end - arrival
    # lateness split: the days the enquiry waited for the team; a breach is the team's
    # when, without those days, it would have met its standard
    team_wait = team_wait_days(sp, work, arrival, enquiry_end, horizon)
    late = is_case & (enquiry_so_far > comp_target + 1e-9)
    late_for_team = late & (enquiry_so_far - team_wait <= comp_target + 1e-9)

    on_cases = (work["case"] >= 0) & np.isin(work["kind"], CASE_WORK)
    wc = work["case"][on_cases].astype(np.int64)
    worked = (work["contract_hours"] + work["overtime_hours"])[on_cases].astype(float)
    effort = np.bincount(wc, weights=worked, minlength=n)
    failed_done = (work["failed"].astype(bool) & (work["status"] == ev.DONE))[on_cases].astype(bool)
    failures = np.bincount(wc[failed_done], minlength=n)

    in_system = closed_at - triaged_at
    day_index = np.clip(arrival.astype(np.int64), 0, n_days - 1)
    frame_ = {
        "rep": np.full(n, rep, dtype=np.int64),
        "id": np.array(ids, dtype=np.int64),
        "warm_start": warm,
        "arrival": arrival,
        "arrival_date": dates[day_index].astype("datetime64[ms]"),
        "warmup": (arrival < scenario.warmup_days) | warm,
        "triage_outcome": np.where(awaiting, AWAITING, outcome),
        "urgency": [
            urgencies[k] if o == "open_case" else None for k, o in zip(ranks, outcomes, strict=True)
        ],
        "pathway": [p or None for p in pathways],
        "weight": np.array(weights, dtype=float),
        "worker": worker,
        "triaged_at": np.where(awaiting, nan, triaged_at),
        "allocated_at": allocated_at,
        "closed_at": closed_at,
        "open_at_end": is_case & np.isnan(closed_at),
        "wait_for_triage": np.where(awaiting, nan, triaged_at - arrival),
        "wait_to_allocation": allocated_at - arrival,
        "waits_on_list": waits_on_list,
        "days_on_list": np.where(is_case, days_on_list, nan),
        "allocation_to_close": closed_at - allocated_at,
        "time_in_system": in_system,
        "allocation_target": alloc_target,
        "allocation_breach": is_case & (longest_wait > alloc_target + 1e-9),
        "completion_target": comp_target,
        "enquiry_done_at": enquiry_done_at,
        "completion_breach": late,
        "team_wait_days": np.where(is_case, team_wait, nan),
        "late_waiting_for_team": late_for_team,
        "steps_planned": np.array([len(p) for p in plans], dtype=np.int64),
        "steps_done": steps_done,
        "failures": failures,
        "effort_hours": effort,
        "holders": holders,
        "allocations": allocations,
        "closed_unworked": unworked,
        "path_truncated": np.array(cut, dtype=bool),
    }
    names = list(scenario.pathways)
    counts = np.zeros((2, len(names), n), dtype=np.int64)
    where = {name: i for i, name in enumerate(names)}
    for k, (plan, done) in enumerate(zip(plans, steps_done.tolist(), strict=True)):
        if not plan:
            continue  # closed at the door: no steps
        for name, (planned, completed) in _entries(plan, done).items():
            counts[0, where[name], k], counts[1, where[name], k] = planned, completed
    for i, name in enumerate(names):
        frame_[f"n_{name}"] = counts[0, i]
        frame_[f"done_{name}"] = counts[1, i]
    return pd.DataFrame(frame_)


def team_wait_days(
    sp: Columns, work: Columns, arrival: np.ndarray, until: np.ndarray, horizon: float
) -> np.ndarray:
    """Working days each case waited for the team between its referral and ``until`` (the
    enquiry's end): at the duty desk, on the unallocated list, and with a task of its own
    ready in a worker's queue (not yet started, or put back until started again), times
    that overlap counted once. The rest of its time is the pathway's: lead times (waiting
    on others) and the work itself.
    """
    n = len(arrival)
    waiting = (sp["place"] == ev.TRIAGE) | (sp["place"] == ev.LIST)
    cases = [sp["case"][waiting].astype(np.int64)]
    starts = [sp["start"][waiting].astype(float)]
    ends = [np.where(np.isnan(e := sp["end"][waiting].astype(float)), horizon, e)]
    mine = (work["case"] >= 0) & np.isin(work["kind"], CASE_WORK)
    if mine.any():
        started = work["started"][mine].astype(float)
        task = work["task"][mine].astype(np.int64)
        order = np.lexsort((np.where(np.isnan(started), np.inf, started), task))
        task, started = task[order], started[order]
        finished = work["finished"][mine].astype(float)[order]
        first = np.ones(len(order), dtype=bool)
        first[1:] = task[1:] != task[:-1]
        ready = np.where(first, work["queued_at"][mine].astype(float)[order], np.roll(finished, 1))
        cases.append(work["case"][mine].astype(np.int64)[order])
        starts.append(ready)
        ends.append(np.where(np.isnan(started), horizon, started))
    case = np.concatenate(cases)
    lo = np.maximum(np.concatenate(starts), arrival[case])
    hi = np.minimum(np.concatenate(ends), until[case])
    keep = hi > lo
    case, lo, hi = case[keep], lo[keep], hi[keep]
    if not len(case):
        return np.zeros(n)
    # the union's length per case: sorted by start, each interval adds what reaches past
    # the furthest end before it in the same case
    order = np.lexsort((lo, case))
    case, lo, hi = case[order], lo[order], hi[order]
    new_case = np.ones(len(case), dtype=bool)
    new_case[1:] = case[1:] != case[:-1]
    shift = 2.0 * (horizon + 1.0)  # separates the cases in one running maximum
    reach = np.maximum.accumulate(hi + case * shift) - case * shift
    before = np.where(new_case, -np.inf, np.roll(reach, 1))
    added = np.clip(hi - np.maximum(lo, before), 0.0, None)
    return np.bincount(case, weights=added, minlength=n)[:n]


def first_wait_spells(sp: Columns) -> np.ndarray:
    """Per spell: True for a list spell before its case's first allocation (its first wait).

    The log writes a case's spells in the order they happen (each when it ends), so a
    list spell is part of the first wait exactly when it comes before the case's first
    spell with a worker; one that starts the instant the case was first allocated is not
    a second wait by coming at the same time.
    """
    case = sp["case"].astype(np.int64)
    n = int(case.max()) + 1 if len(case) else 0
    order = np.arange(len(case))
    held = sp["place"] == ev.WORKER
    first_held = np.full(n, len(case))
    np.minimum.at(first_held, case[held], order[held])
    return (sp["place"] == ev.LIST) & (order < first_held[case])


def _last_own_step(plan, pathway: str) -> int:
    """Index of the last step of the case's own pathway in its plan (-1: none)."""
    for i in range(len(plan) - 1, -1, -1):
        if plan[i].pathway == pathway:
            return i
    return -1


def _entries(plan, steps_done: int) -> dict[str, tuple[int, int]]:
    """Per pathway: times the case's path entered it, and how many entries were completed.

    An entry begins at the pathway's first step; it is complete when its last
    step (the last step of that pathway before its next entry) was done.
    """
    first: dict[str, str] = {}
    last_of: dict[str, list[int]] = {}
    for i, step in enumerate(plan):
        name = step.pathway
        lasts = last_of.get(name)
        if lasts is None:
            first[name], lasts = step.step, []
            last_of[name] = lasts
        if step.step == first[name]:
            lasts.append(i)
        else:
            lasts[-1] = i
    return {name: (len(v), sum(1 for i in v if i < steps_done)) for name, v in last_of.items()}
