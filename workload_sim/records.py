"""Monitors used during a run, turned into plain tables for one replication.

Levels (backlog, open cases, caseload) are recorded as time-weighted averages
(area under the curve per working day) as well as end-of-day values, so a
backlog that spikes and clears within a day is not missed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

AWAITING = "awaiting_triage"  # referrals still in the duty worker's queue at the horizon


def levels_by_day(
    starts: np.ndarray, ends: np.ndarray, n_days: int, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Daily area and end-of-day level of a count made of intervals [start, end).

    ``ends`` may be NaN for intervals still open at the horizon. Returns
    ``(area, level)``: ``area[d]`` is the integral of the level over working day
    ``d`` (its time-weighted mean, a day being one unit), ``level[d]`` its value
    at the end of day ``d``. Exact, and computed after the run, so monitoring
    costs nothing while the simulation runs.
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


class DailyLedger:
    """Per-day accumulators (hours) and per-day snapshots (levels) for one run."""

    def __init__(self, n_days: int, urgencies: list[str]) -> None:
        self.n_days = n_days
        self.urgencies = urgencies
        zeros = lambda: np.zeros(n_days)  # noqa: E731
        # Hot accumulators are Python lists: numpy scalar indexing costs ~5x more per event.
        # Every task started, and when: kept as they are (no new objects on the hot path).
        self.started_tasks: list[tuple] = []
        self.started_at: list[float] = []
        self.case_hours = [0.0] * n_days
        self.overtime_hours = [0.0] * n_days
        self.contract_hours = zeros()
        self.case_hours_available = zeros()
        self.workers = zeros()
        self.fte_present = zeros()
        self.fte_leave = zeros()
        self.fte_sick = zeros()
        self.fte_naas = zeros()
        self.fte_vacant = zeros()
        self.fte_agency = zeros()
        self.staff_cost = zeros()
        self.agency_premium = zeros()
        self.naas_cost = zeros()

    def add_work(self, start: float, end: float, rate: float) -> None:
        """Credit case hours worked between clock times ``start`` and ``end`` at ``rate`` h/day."""
        day = int(start)
        if end <= day + 1.0:  # the usual case: within one day
            if day < self.n_days:
                self.case_hours[day] += (end - start) * rate
            return
        last = self.n_days - 1
        while start < end and day <= last:
            stop = day + 1.0
            if end < stop:
                stop = end
            self.case_hours[day] += (stop - start) * rate
            start = stop
            day += 1

    def add_overtime(self, day: int, hours: float) -> None:
        if day < self.n_days:
            self.case_hours[day] += hours
            self.overtime_hours[day] += hours


def timeseries_table(sim, cases: pd.DataFrame) -> pd.DataFrame:
    """One row per working day of one replication; levels come from logged intervals."""
    led = sim.ledger
    n = led.n_days
    nan = float("nan")
    opened = cases[cases["triage_outcome"] == "open_case"]
    start = opened["triaged_at"].to_numpy()
    closed = opened["closed_at"].to_numpy()
    open_area, open_end = levels_by_day(start, closed, n)
    # spells on the list and spells held, still-open ones included
    waits = sim.wait_log + [(c.rank, c.waiting_since, nan) for c in sim.unallocated.waiting()]
    w_rank, w_from, w_to = _columns(waits, 3)
    waiting_area, waiting_end = levels_by_day(w_from, w_to, n)
    team = sim.workforce.everyone
    holds = sim.hold_log + [
        (w.id, c.weight, c.held_since, nan) for w in sim.workforce.in_post for c in w.held
    ]
    h_who, h_weight, h_from, h_to = _columns(holds, 4)
    held_area, _ = levels_by_day(h_from, h_to, n, h_weight)
    workers = np.asarray(led.workers)
    days = np.arange(n)
    loads = np.full((len(team), n), np.nan)
    for i, w in enumerate(team):
        mine = h_who == w.id
        level = levels_by_day(h_from[mine], h_to[mine], n, h_weight[mine])[1]
        left = n if w.left_at is None else w.left_at
        in_post = (days + 1 > w.joined_at) & (days < left)
        loads[i, in_post] = level[in_post]
    waiting = [t for w in team for t in w.waiting_tasks()]
    q_at = np.array([t[1] for t in led.started_tasks] + [t[0] for t in waiting], dtype=float)
    started = np.array(led.started_at + [np.nan] * len(waiting), dtype=float)
    hours = np.array([t[3] for t in led.started_tasks] + [t[1] for t in waiting], dtype=float)
    _, tasks_end = levels_by_day(q_at, started, n)
    work_area, work_end = levels_by_day(q_at, started, n, hours)
    cols = {
        "rep": np.full(n, sim.rep, dtype=np.int64),
        "day": np.arange(n, dtype=np.int64),
        "date": sim.calendar.dates.astype("datetime64[ms]"),  # Parquet's timestamp unit
        "warmup": np.arange(n) < sim.scenario.warmup_days,
        "referrals": np.bincount(
            cases.loc[~cases["warm_start"], "arrival"].to_numpy().astype(np.int64), minlength=n
        )[:n],
        "unallocated": waiting_end,
        "unallocated_mean": waiting_area,
    }
    for rank, name in enumerate(sim.urgencies):
        mine = w_rank == rank
        cols[f"unallocated_{name}"] = levels_by_day(w_from[mine], w_to[mine], n)[1]
    cols.update(
        open_cases=open_end,
        open_cases_mean=open_area,
        caseload_mean=np.divide(held_area, workers, out=np.full(n, np.nan), where=workers > 0),
        caseload_max=np.nanmax(loads, axis=0, initial=0.0),
        caseload_sd=np.nan_to_num(np.nanstd(loads, axis=0)),
        tasks_waiting=tasks_end,
        work_waiting_hours=work_end,
        work_waiting_hours_mean=work_area,
        workers=workers,
        hours_worked=led.contract_hours + np.asarray(led.overtime_hours),
        case_hours=np.asarray(led.case_hours),
        case_hours_available=led.case_hours_available,
        overtime_hours=np.asarray(led.overtime_hours),
        fte_present=led.fte_present,
        fte_leave=led.fte_leave,
        fte_sick=led.fte_sick,
        fte_naas=led.fte_naas,
        fte_vacant=led.fte_vacant,
        fte_agency=led.fte_agency,
        staff_cost=led.staff_cost,
        agency_premium=led.agency_premium,
        naas_cost=led.naas_cost,
    )
    return pd.DataFrame(cols)


def _columns(rows: list[tuple], width: int) -> tuple[np.ndarray, ...]:
    if not rows:
        return tuple(np.zeros(0) for _ in range(width))
    return tuple(np.array(col, dtype=float) for col in zip(*rows, strict=True))


def cases_table(sim) -> pd.DataFrame:
    """One row per referral of one replication, open cases at the horizon included."""
    cases = sim.cases
    nan = float("nan")

    def col(get):
        return [get(c) for c in cases]

    arrival = np.array(col(lambda c: c.arrival))
    allocated = np.array(col(lambda c: nan if c.allocated_at is None else c.allocated_at))
    triaged = np.array(col(lambda c: nan if c.triaged_at is None else c.triaged_at))
    closed = np.array(col(lambda c: nan if c.closed_at is None else c.closed_at))
    end = float(sim.n_days)
    is_case = np.array(col(lambda c: c.outcome == "open_case"))
    alloc_target = np.array(col(lambda c: c.allocation_target if c.outcome == "open_case" else nan))
    comp_target = np.array(
        col(lambda c: nan if c.completion_target is None else c.completion_target)
    )
    wait = allocated - arrival
    waited_so_far = np.where(np.isnan(allocated), end - arrival, wait)
    in_system = closed - triaged
    so_far = np.where(np.isnan(closed), end - arrival, closed - arrival)
    day_index = np.clip(arrival.astype(np.int64), 0, sim.n_days - 1)
    frame = {
        "rep": np.full(len(cases), sim.rep, dtype=np.int64),
        "id": np.array(col(lambda c: c.id), dtype=np.int64),
        "warm_start": np.array(col(lambda c: c.warm_start)),
        "arrival": arrival,
        "arrival_date": sim.calendar.dates[day_index].astype("datetime64[ms]"),
        "warmup": (arrival < sim.scenario.warmup_days) | np.array(col(lambda c: c.warm_start)),
        "triage_outcome": col(lambda c: c.outcome if c.triaged_at is not None else AWAITING),
        "urgency": col(lambda c: c.urgency or None),
        "pathway": col(lambda c: c.pathway or None),
        "weight": np.array(col(lambda c: c.weight)),
        "worker": np.array(col(lambda c: -1 if c.worker is None else c.worker.id), dtype=np.int64),
        "triaged_at": triaged,
        "allocated_at": allocated,
        "closed_at": closed,
        "open_at_end": is_case & np.isnan(closed),
        "wait_for_triage": triaged - arrival,
        "wait_to_allocation": wait,
        "allocation_to_close": closed - allocated,
        "time_in_system": in_system,
        "allocation_target": alloc_target,
        "allocation_breach": is_case & (waited_so_far > alloc_target + 1e-9),
        "completion_target": comp_target,
        "completion_breach": is_case & (so_far > comp_target + 1e-9),
        "steps_planned": np.array(col(lambda c: len(c.plan)), dtype=np.int64),
        "steps_done": np.array(col(lambda c: c.step), dtype=np.int64),
        "failures": np.array(col(lambda c: c.failures), dtype=np.int64),
        "effort_hours": np.array(col(lambda c: c.effort_hours)),
        "holders": np.array(col(lambda c: c.holders), dtype=np.int64),
        "closed_unworked": np.array(col(lambda c: c.closed_unworked)),
        "path_truncated": np.array(col(lambda c: c.truncated)),
    }
    for name in sim.scenario.pathways:
        frame[f"n_{name}"] = np.array(col(lambda c, p=name: _entries(c.plan, p)), dtype=np.int64)
    return pd.DataFrame(frame)


def _entries(plan, pathway: str) -> int:
    """Times a case's path entered ``pathway`` (its first step appears once per entry)."""
    first = None
    count = 0
    for step in plan:
        if step.pathway == pathway:
            if first is None:
                first = step.step
            if step.step == first:
                count += 1
    return count


def workers_table(sim) -> pd.DataFrame:
    """One row per worker who was ever in the team in one replication (leavers included)."""
    rows = [
        {
            "rep": sim.rep,
            "worker": w.id,
            "post": w.post,
            "kind": w.kind,
            "fte": w.fte,
            "caseload_cap": w.cap,
            "case_hours_per_day": w.rate,
            "joined_at": w.joined_at,
            "left_at": np.nan if w.left_at is None else w.left_at,
            "leave_reason": w.leave_reason or None,
            "caseload_end": w.caseload,
            "cases_end": w.cases,
            "peak_caseload": w.peak_caseload,
            "cases_allocated": w.cases_allocated,
            "tasks_done": w.tasks_done,
            "case_hours": w.case_hours,
            "overtime_hours": w.overtime_hours,
            "cover_hours": w.cover_hours,
            "naas_prep_hours": w.naas_hours,
            "leave_days": w.days_away["leave"],
            "sick_days": w.days_away["sick"],
            "naas_days": w.days_away["naas"],
            "naas_attempts": w.naas_attempts,
            "naas_passed": w.naas_passed,
            "tasks_queued_end": w.queued_tasks,
        }
        for w in sim.workforce.everyone
    ]
    return pd.DataFrame(rows)
