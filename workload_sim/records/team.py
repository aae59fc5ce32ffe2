"""Who was in post, away or vacant on each working day, from the log's worker and post rows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..model import events as ev
from ..scenario import EXPERIENCED, TYPE
from .levels import state_by_day

PRESENT, LEAVE, SICK, NAAS = 0, 1, 2, 3
STATE_CODES = {ev.PRESENT: PRESENT, "leave": LEAVE, "sick": SICK, "naas": NAAS}


@dataclass
class TeamDays:
    """Per (worker, day) matrices, and per-day team columns."""

    in_post: np.ndarray  # bool [workers, days]
    state: np.ndarray  # int [workers, days]: PRESENT, LEAVE, SICK, NAAS
    columns: dict[str, np.ndarray]  # per-day team columns
    joined_at: np.ndarray
    left_at: np.ndarray  # NaN: still in post
    leave_reason: list
    final: dict[str, np.ndarray]  # kind, cap, case hours/day, day cost at the horizon


def team_by_day(log, scenario) -> TeamDays:
    n_days = log.n_days
    joins = log.joins
    n = len(joins)
    days = np.arange(n_days)
    joined_at = np.array([j[1] for j in joins], dtype=float)
    fte = np.array([j[4] for j in joins], dtype=float)
    contract = np.array([j[7] for j in joins], dtype=float)
    paid_away = np.array([j[9] for j in joins], dtype=bool)
    ramp_until = np.array([j[10] for j in joins], dtype=float)
    ramp = np.array([j[11] for j in joins], dtype=float)
    agency = np.array([TYPE[j[2]].agency for j in joins], dtype=bool)
    left_at = np.full(n, np.nan)
    leave_reason: list = [None] * n
    changes: dict[int, list] = {}
    for w, t, state, reason in log.states:
        if state == ev.LEFT:
            left_at[w], leave_reason[w] = t, reason
        else:
            changes.setdefault(w, []).append((t, STATE_CODES[state]))
    mid = days + 0.5
    in_post = (joined_at[:, None] <= mid) & ~(np.nan_to_num(left_at, nan=np.inf)[:, None] <= mid)
    state = np.zeros((n, n_days), dtype=np.int8)
    for w, rows in changes.items():
        times = np.array([r[0] for r in rows])
        state[w] = state_by_day(times, np.array([r[1] for r in rows]), n_days, PRESENT)
    # terms in force each day (a newly qualified worker's cap, rate and cost change)
    rate = np.repeat(np.array([j[6] for j in joins], dtype=float)[:, None], n_days, axis=1)
    cost = np.repeat(np.array([j[8] for j in joins], dtype=float)[:, None], n_days, axis=1)
    kind = [j[2] for j in joins]
    cap = np.array([j[5] for j in joins], dtype=float)
    post = np.array([j[3] for j in joins], dtype=np.int64)
    for w, t, k, c, r, dc, p in log.terms:
        after = days + 0.5 >= t
        rate[w, after], cost[w, after] = r, dc
        kind[w], cap[w], post[w] = k, c, p
    present = in_post & (state == PRESENT)
    ramping = days[None, :] < ramp_until[:, None]
    paid = in_post & (present | paid_away[:, None])
    perm_cost = getattr(scenario.workforce, EXPERIENCED).day_cost_gbp
    columns = {
        "workers": in_post.sum(axis=0).astype(float),
        "fte_present": fte @ present,
        "fte_leave": fte @ (in_post & (state == LEAVE)),
        "fte_sick": fte @ (in_post & (state == SICK)),
        "fte_naas": fte @ (in_post & (state == NAAS)),
        "naas_days": (in_post & (state == NAAS)).sum(axis=0).astype(float),
        "fte_vacant": _post_fte(log.posts, n_days, vacant_only=True),
        "fte_agency": (fte * agency) @ in_post,
        # permanent and newly qualified workers in post (present or away), and the FTE of
        # every funded post (held or vacant): the workforce rates' denominators
        "fte_permanent": (fte * ~agency) @ in_post,
        "fte_posts": _post_fte(log.posts, n_days, vacant_only=False),
        "contract_hours": contract @ present,
        "case_hours_available": (rate * np.where(ramping, ramp[:, None], 1.0) * present).sum(0),
        "staff_cost": (cost * fte[:, None] * paid).sum(axis=0),
        "agency_premium": ((cost - perm_cost) * (fte * agency)[:, None] * paid).sum(axis=0),
    }
    final = {
        "kind": kind,
        "cap": cap,
        "rate": rate[:, -1] if n_days else rate[:, 0],
        "day_cost": cost[:, -1] if n_days else cost[:, 0],
        "fte": fte,
        "post": post,
    }
    return TeamDays(in_post, state, columns, joined_at, left_at, leave_reason, final)


def _post_fte(posts: list[tuple], n_days: int, vacant_only: bool) -> np.ndarray:
    """FTE of the posts vacant each day (``vacant_only``), or of every post, held or not.

    A post's FTE is the one its latest row gives: the worker type it funds when
    vacant, its holder's type when filled.
    """
    out = np.zeros(n_days)
    by_post: dict[int, list] = {}
    for post, t, vacant, fte in posts:
        by_post.setdefault(post, []).append((t, fte if vacant or not vacant_only else 0.0))
    for rows in by_post.values():
        times = np.array([r[0] for r in rows])
        out += state_by_day(times, np.array([r[1] for r in rows]), n_days, 0.0)
    return out
