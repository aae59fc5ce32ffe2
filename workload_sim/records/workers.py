"""The workers table: one row per person who was ever in the team, leavers included."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..model import events as ev
from .log_frames import Columns
from .team import LEAVE, NAAS, SICK, TeamDays


def workers_table(log, rep: int, team: TeamDays, work: Columns, spells: Columns):
    n = len(log.joins)
    f = team.final
    weight = np.array([r[5] for r in log.referrals], dtype=float)
    held = spells["place"] == ev.WORKER
    who = spells["worker"][held].astype(np.int64)
    case = spells["case"][held].astype(np.int64)
    start, end = spells["start"][held].astype(float), spells["end"][held].astype(float)
    open_ = np.isnan(end)
    caseload_end = np.bincount(who[open_], weights=weight[case[open_]], minlength=n)
    peak = _peak_caseload(who, start, end, weight[case], n)
    wk_who = work["worker"].astype(np.int64)
    mine = wk_who >= 0
    hours = (work["contract_hours"] + work["overtime_hours"]).astype(float)
    kind = work["kind"]
    status = work["status"]

    def per_worker(mask: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        m = mask & mine
        return np.bincount(wk_who[m], weights=None if weights is None else weights[m], minlength=n)[
            :n
        ]

    naas = log.naas
    naas_who = np.array([r[0] for r in naas], dtype=np.int64)
    passed = np.array([r[3] for r in naas], dtype=bool)
    in_post = team.in_post
    return pd.DataFrame(
        {
            "rep": np.full(n, rep, dtype=np.int64),
            "worker": np.arange(n, dtype=np.int64),
            "post": f["post"],
            "kind": f["kind"],
            "fte": f["fte"],
            "caseload_cap": f["cap"],
            "case_hours_per_day": f["rate"],
            "joined_at": team.joined_at,
            "left_at": team.left_at,
            "leave_reason": team.leave_reason,
            "caseload_end": caseload_end,
            "cases_end": np.bincount(who[open_], minlength=n),
            "peak_caseload": peak,
            "cases_allocated": np.bincount(who, minlength=n),
            "tasks_done": per_worker(status == ev.DONE),
            "case_hours": per_worker(np.ones(len(work), bool), hours),
            "overtime_hours": per_worker(
                np.ones(len(work), bool), work["overtime_hours"].astype(float)
            ),
            "cover_hours": per_worker(kind == ev.COVER_TASK, hours),
            "naas_prep_hours": per_worker(kind == ev.NAAS_PREP_TASK, hours),
            "leave_days": (in_post & (team.state == LEAVE)).sum(axis=1),
            "sick_days": (in_post & (team.state == SICK)).sum(axis=1),
            "naas_days": (in_post & (team.state == NAAS)).sum(axis=1),
            "naas_attempts": np.bincount(naas_who, minlength=n)[:n],
            "naas_passed": np.bincount(naas_who[passed], minlength=n)[:n] > 0,
            "tasks_queued_end": per_worker(
                (status == ev.UNFINISHED) & np.isnan(work["started"].astype(float))
            ),
        }
    )


def _peak_caseload(who, start, end, weight, n: int) -> np.ndarray:
    """Each worker's highest weighted caseload at any moment (cases taken before released)."""
    peak = np.zeros(n)
    if not len(who):
        return peak
    t = np.concatenate([start, np.where(np.isnan(end), np.inf, end)])
    w = np.concatenate([weight, -weight])
    k = np.concatenate([who, who])
    # at equal times a release comes first: a case closed and another taken at once
    order = np.lexsort((w > 0, t, k))
    k, w = k[order], w[order]
    level = np.cumsum(w)
    bounds = np.flatnonzero(np.diff(k)) + 1
    base = np.concatenate(([0.0], level[bounds - 1]))
    starts = np.concatenate(([0], bounds))
    level = level - np.repeat(base, np.diff(np.concatenate((starts, [len(k)]))))
    np.maximum.at(peak, k, level)
    return peak
