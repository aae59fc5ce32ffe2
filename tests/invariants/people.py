"""People: caseload caps, work only when present, FTE within the establishment."""

from __future__ import annotations

import math
from collections import defaultdict

from workload_sim.model import events as ev

from ._log import (
    EPS,
    HOURS_EPS,
    J_CAP,
    J_FTE,
    J_POST,
    J_TIME,
    J_WORKER,
    R_CASE,
    R_WEIGHT,
    S_END,
    S_PLACE,
    S_REASON,
    T_POST,
    T_TIME,
    T_WORKER,
    W_CASE,
    W_CONTRACT,
    W_FINISHED,
    W_KIND,
    W_OVERTIME,
    W_STARTED,
    W_TASK,
    W_WORKER,
    _changes_at,
    _isnan,
    _presence,
    _spells_by_case,
)

# --- 1. caps -------------------------------------------------------------------------


def caps_respected(log) -> list[str]:
    """Each worker's weighted caseload, just after every case reaches them, is within cap.

    Caseloads are rebuilt from WORKER spells in the order the model made the
    moves (a spell starts at the log row that ended the case's previous spell,
    and ends at its own row), so a case closed and a case allocated at the same
    instant are taken in the order they happened. Every breach is reported with
    how the case came (allocated, cover, ...): exceptions are counted, not hidden.
    """
    weight = {r[R_CASE]: r[R_WEIGHT] for r in log.referrals}
    cap_changes: dict[int, list] = defaultdict(list)
    for j in log.joins:
        cap_changes[j[J_WORKER]].append((j[J_TIME], j[J_CAP]))
    for worker, time, _kind, cap, *_ in log.terms:
        cap_changes[worker].append((time, cap))
    moves = []  # (position in the log, 0 = leaves a worker / 1 = reaches one, row)
    for rows in _spells_by_case(log).values():
        for k, i in enumerate(rows):
            s = log.spells[i]
            if s[S_PLACE] != ev.WORKER:
                continue
            moves.append((rows[k - 1] if k else -1, 1, i))
            if not _isnan(s[S_END]):
                moves.append((i, 0, i))
    moves.sort()
    load: dict[int, float] = defaultdict(float)
    bad = []
    for pos, reaches, i in moves:
        case, _place, worker, start, _end_, _reason = log.spells[i]
        if not reaches:
            load[worker] -= weight[case]
            continue
        load[worker] += weight[case]
        cap = _changes_at(cap_changes, worker, start, math.nan)
        if not load[worker] <= cap + EPS:
            how = log.spells[pos][S_REASON] if pos >= 0 else "warm start"
            bad.append(
                f"worker {worker} holds {load[worker]:g} > cap {cap:g} at t={start:.3f} "
                f"when case {case} reached them ({how})"
            )
    return bad


# --- 2. nobody absent or gone works ----------------------------------------------------


def work_only_when_present(log) -> list[str]:
    """Every stretch of work lies inside one period when its worker was present."""
    periods = _presence(log)
    bad = []
    for w in log.work:
        start, finish = w[W_STARTED], w[W_FINISHED]
        if _isnan(start):
            continue  # never started
        if finish <= start:  # an empty stretch carries no hours, but for an evening's
            # overtime, logged at the instant its day ends by a worker present that day
            evening = finish == int(finish) and any(
                a < finish <= b for a, b in periods.get(w[W_WORKER], ())
            )
            if w[W_CONTRACT] > HOURS_EPS or (w[W_OVERTIME] > HOURS_EPS and not evening):
                bad.append(f"zero-length stretch with hours: {w}")
            continue
        who = w[W_WORKER]
        if not any(a <= start and finish <= b for a, b in periods.get(who, ())):
            state = [s[2] for s in log.states if s[0] == who and s[1] <= start]
            bad.append(
                f"worker {who} worked [{start:.3f}, {finish:.3f}) on {w[W_KIND]} task "
                f"{w[W_TASK]} (case {w[W_CASE]}), not present (last state: "
                f"{state[-1] if state else 'not yet joined'})"
            )
    return bad


# --- 3. FTE at work within establishment plus cover ----------------------------------


def fte_within_establishment(log) -> list[str]:
    """At every instant: one holder per post, FTE at work <= posts + cover, cover <= sick.

    Sickness cover (workers with post -1) stands in for post-holders off sick,
    so the cover present can never outnumber the post-holders away sick.
    """
    joins = {j[J_WORKER]: j for j in log.joins}
    post_of = {w: j[J_POST] for w, j in joins.items()}  # cover may become a post's interim
    events = []  # (time, order, what): posts, joins, terms and states in time order
    for k, p in enumerate(log.posts):
        events.append((p[1], 0, k, ("post", p)))
    for k, j in enumerate(log.joins):
        events.append((j[J_TIME], 1, k, ("join", j)))
    for k, s in enumerate(log.states):
        events.append((s[1], 2, k, ("state", s)))
    for k, t in enumerate(log.terms):
        events.append((t[T_TIME], 3, k, ("terms", t)))
    events.sort(key=lambda e: e[:3])
    post_fte: dict[int, float] = {}
    state: dict[int, str] = {}  # worker -> present / away reason (left: removed)
    bad = []
    for n, (time, _o, _k, (what, row)) in enumerate(events):
        if what == "post":
            post_fte[row[0]] = row[3]
        elif what == "join":
            state[row[J_WORKER]] = ev.PRESENT
        elif what == "terms":
            post_of[row[T_WORKER]] = row[T_POST]
        elif row[2] == ev.LEFT:
            state.pop(row[0], None)
        else:
            state[row[0]] = row[2]
        if n + 1 < len(events) and events[n + 1][0] == time:
            continue  # judge the team once everything at this instant has happened
        holders = defaultdict(list)
        at_work = cover = 0.0
        covers = sick = 0
        for worker, st in state.items():
            post, fte = post_of[worker], joins[worker][J_FTE]
            if post >= 0:
                holders[post].append(worker)
                sick += st == "sick"
            else:
                cover += fte if st == ev.PRESENT else 0.0
                covers += st == ev.PRESENT
            at_work += fte if st == ev.PRESENT else 0.0
        doubled = {p: ws for p, ws in holders.items() if len(ws) > 1}
        if doubled:
            bad.append(f"t={time:g}: posts held by more than one worker {doubled}")
        establishment = sum(post_fte.values())
        if at_work > establishment + cover + EPS:
            bad.append(
                f"t={time:g}: FTE at work {at_work:g} > establishment {establishment:g} "
                f"+ cover {cover:g}"
            )
        if covers > sick:
            bad.append(f"t={time:g}: {covers} sickness cover worker(s) for {sick} off sick")
    return bad
