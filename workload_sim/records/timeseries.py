"""The timeseries table: one row per working day, levels exact from logged intervals."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..model import events as ev
from .hours import evening_day
from .levels import end_of_day_levels, levels_by_day
from .log_frames import Columns
from .team import PRESENT, TeamDays


def timeseries_table(
    log,
    scenario,
    dates: np.ndarray,
    urgencies: list[str],
    rep: int,
    cases: pd.DataFrame,
    team: TeamDays,
    work: Columns,
    spells: Columns,
) -> pd.DataFrame:
    n = log.n_days
    rank = np.array([r[3] for r in log.referrals], dtype=np.int64)
    weight = np.array([r[5] for r in log.referrals], dtype=float)
    case = spells["case"].astype(np.int64)
    place = spells["place"]
    start, end = spells["start"].astype(float), spells["end"].astype(float)

    opened = cases[cases["triage_outcome"] == "open_case"]
    open_area, open_end = levels_by_day(
        opened["triaged_at"].to_numpy(), opened["closed_at"].to_numpy(), n
    )
    listed = place == ev.LIST
    waiting_area, waiting_end = levels_by_day(start[listed], end[listed], n)

    held = place == ev.WORKER
    h_who = spells["worker"].astype(np.int64)[held]
    h_w = weight[case[held]]
    workers = team.columns["workers"]
    held_at_work, fte_at_work = _held_at_work(team, h_who, start[held], end[held], h_w, n)
    loads = end_of_day_levels(h_who, start[held], end[held], h_w, len(team.joined_at), n)
    loads = np.where(team.in_post, loads, np.nan)

    waits_from, waits_to, waiting_hours = _waiting_work(work)
    _, tasks_end = levels_by_day(waits_from, waits_to, n)
    work_area, work_end = levels_by_day(waits_from, waits_to, n, waiting_hours)

    worked = _hours_by_day(work, n)
    cols = {
        "rep": np.full(n, rep, dtype=np.int64),
        "day": np.arange(n, dtype=np.int64),
        "date": dates.astype("datetime64[ms]"),  # Parquet's timestamp unit
        "warmup": np.arange(n) < scenario.warmup_days,
        "referrals": np.bincount(
            cases.loc[~cases["warm_start"], "arrival"].to_numpy().astype(np.int64), minlength=n
        )[:n],
        "unallocated": waiting_end,
        "unallocated_mean": waiting_area,
    }
    for r, name in enumerate(urgencies):
        mine = listed & (rank[case] == r)
        cols[f"unallocated_{name}"] = levels_by_day(start[mine], end[mine], n)[1]
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # days with nobody in post: NaN
        busiest = np.nanmax(np.where(team.in_post, loads, -np.inf), axis=0, initial=-np.inf)
        spread = np.nanstd(loads, axis=0) if len(loads) else np.zeros(n)
    t = team.columns
    cols.update(
        open_cases=open_end,
        open_cases_mean=open_area,
        # DfE's caseload per case-holding FTE, of the workers at work that day
        caseload_mean=np.divide(
            held_at_work, fte_at_work, out=np.full(n, np.nan), where=fte_at_work > 0
        ),
        caseload_max=np.maximum(busiest, 0.0),
        caseload_sd=np.nan_to_num(spread),
        tasks_waiting=tasks_end,
        tasks_overdue=_overdue(work, log, n),
        work_waiting_hours=work_end,
        work_waiting_hours_mean=work_area,
        workers=workers,
        hours_worked=t["contract_hours"] + worked["overtime"],
        case_hours=worked["all"],
        case_hours_available=t["case_hours_available"],
        overtime_hours=worked["overtime"],
        cover_hours=worked[ev.COVER_TASK],
        naas_prep_hours=worked[ev.NAAS_PREP_TASK],
        fte_present=t["fte_present"],
        fte_leave=t["fte_leave"],
        fte_sick=t["fte_sick"],
        fte_naas=t["fte_naas"],
        naas_days=t["naas_days"],
        fte_vacant=t["fte_vacant"],
        fte_agency=t["fte_agency"],
        fte_permanent=t["fte_permanent"],
        fte_posts=t["fte_posts"],
        # DfE's vacancy: a post with no permanent or newly qualified holder, agency-held
        # ones included (sickness cover holds no post, so it is not subtracted)
        fte_posts_without_permanent=t["fte_posts"] - t["fte_permanent"],
        contract_hours=t["contract_hours"],
        staff_cost=t["staff_cost"],
        agency_premium=t["agency_premium"],
        naas_cost=_naas_cost(log, n),
        **_naas_sittings(log, n),
    )
    return pd.DataFrame(cols)


def _held_at_work(team: TeamDays, who, starts, ends, weights, n: int):
    """(weighted cases held by case-holding workers at work, their FTE), per day.

    Cases are counted time-weighted over the day (as the list is); a worker away for
    the day (leave, sickness, NAAS) is left out with the cases they hold, so the ratio
    is the mean caseload per FTE of those at work. Every worker type holds cases
    (``caseload_cap`` > 0); the test stays so that a type which does not is left out.
    """
    at_work = team.in_post & (team.state == PRESENT) & (team.final["cap"] > 0)[:, None]
    held = np.zeros(n)
    for w in np.unique(who):
        mine = who == w
        area, _ = levels_by_day(starts[mine], ends[mine], n, weights[mine])
        held += np.where(at_work[w], area, 0.0)
    return held, team.final["fte"] @ at_work


def _waiting_work(work: Columns) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Intervals each task waited in a queue: from ready (or put back) to the next start."""
    started = work["started"].astype(float)
    order = np.lexsort((np.where(np.isnan(started), np.inf, started), work["task"]))
    task = work["task"].astype(np.int64)[order]
    prev_end = work["finished"].astype(float)[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = task[1:] != task[:-1]
    ready = np.where(first, work["queued_at"].astype(float)[order], np.roll(prev_end, 1))
    return ready, started[order], work["hours"].astype(float)[order]


def _hours_by_day(work: Columns, n: int) -> dict[str, np.ndarray]:
    """Hours worked each day: in contract (spread over each stretch) and overtime (on the
    day whose evening it was: an evening stretch is logged at the instant the day ends)."""
    out = {}
    started = work["started"].astype(float)
    ok = ~np.isnan(started)
    finished = work["finished"].astype(float)
    contract = work["contract_hours"].astype(float)
    overtime = work["overtime_hours"].astype(float)
    kind = work["kind"]
    ot_day = evening_day(np.where(ok, finished, 1.0))

    def spread(mask: np.ndarray) -> np.ndarray:
        m = mask & ok & (contract > 0.0)
        length = finished[m] - started[m]
        area, _ = levels_by_day(started[m], finished[m], n, contract[m] / length)
        ot = np.bincount(ot_day[mask & ok], weights=overtime[mask & ok], minlength=n + 1)[:n]
        return area + ot

    everyone = np.ones(len(work), dtype=bool)
    out["all"] = spread(everyone)
    out["overtime"] = np.bincount(ot_day[ok], weights=overtime[ok], minlength=n + 1)[:n]
    for k in (ev.COVER_TASK, ev.NAAS_PREP_TASK):
        out[k] = spread(kind == k)
    return out


def _overdue(work: Columns, log, n: int) -> np.ndarray:
    """Tasks outstanding at each day's end whose case is past its completion standard.

    A task is outstanding from when it was first queued until its last stretch
    is done; it is overdue from the case's deadline (arrival + completion
    standard) on. Triage is overdue past the referral's allocation target.
    """
    ref = log.referrals
    if not len(work):
        return np.zeros(n)
    deadline = np.array(
        [
            r[1] + (r[7] if r[7] is not None else r[6]) if r[2] == "open_case" else np.inf
            for r in ref
        ],
        dtype=float,
    )
    triage_deadline = np.array([r[1] + r[6] if r[2] == "open_case" else np.inf for r in ref])
    on_case = work["case"] >= 0
    task = work["task"][on_case].astype(np.int64)
    tasks, first = np.unique(task, return_index=True)  # a task keeps its queued time
    done = (work["status"] == ev.DONE)[on_case]
    to = np.full(len(tasks), np.nan)
    to[np.searchsorted(tasks, task[done])] = work["finished"][on_case].astype(float)[done]
    c = work["case"][on_case].astype(np.int64)[first]
    kind = work["kind"][on_case][first]
    due = np.where(kind == ev.TRIAGE_TASK, triage_deadline[c], deadline[c])
    frm = np.maximum(work["queued_at"][on_case].astype(float)[first], due)
    keep = np.isfinite(frm) & ~(to <= frm)
    return levels_by_day(frm[keep], to[keep], n)[1]


def _naas_sittings(log, n: int) -> dict[str, np.ndarray]:
    days = np.array([int(r[1]) for r in log.naas], dtype=np.int64)
    passed = np.array([r[3] for r in log.naas], dtype=bool)
    return {
        "naas_attempts": np.bincount(days, minlength=n + 1)[:n].astype(float),
        "naas_passes": np.bincount(days[passed], minlength=n + 1)[:n].astype(float),
    }


def _naas_cost(log, n: int) -> np.ndarray:
    rows = log.naas
    days = np.array([int(r[1]) for r in rows], dtype=np.int64)
    return np.bincount(days, weights=[r[4] for r in rows], minlength=n + 1)[:n].astype(float)
