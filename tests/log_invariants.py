"""Invariants of a run, each computed straight from the raw event log.

Every check here reads ``sim.log`` (the plain tuples the model appended) with
its own small computation in plain Python; none calls ``workload_sim.records``,
because the tables built there are part of what is under test. Each check
returns a list of violations, one readable line each (empty: the invariant
holds), so a failing test says what went wrong, where and when.

Row layouts are those documented in ``workload_sim/model/events.py``.
"""

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
T_WORKER, T_TIME, T_CASE_RATE = 0, 1, 4


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
        if finish <= start:  # an empty stretch must carry no hours
            if w[W_CONTRACT] + w[W_OVERTIME] > HOURS_EPS:
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
    events = []  # (time, order, what): posts, joins and states in time order
    for k, p in enumerate(log.posts):
        events.append((p[1], 0, k, ("post", p)))
    for k, j in enumerate(log.joins):
        events.append((j[J_TIME], 1, k, ("join", j)))
    for k, s in enumerate(log.states):
        events.append((s[1], 2, k, ("state", s)))
    events.sort(key=lambda e: e[:3])
    post_fte: dict[int, float] = {}
    state: dict[int, str] = {}  # worker -> present / away reason (left: removed)
    bad = []
    for n, (time, _o, _k, (what, row)) in enumerate(events):
        if what == "post":
            post_fte[row[0]] = row[3]
        elif what == "join":
            state[row[J_WORKER]] = ev.PRESENT
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
            post, fte = joins[worker][J_POST], joins[worker][J_FTE]
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


# --- 4. where each case is -------------------------------------------------------------


def cases_in_one_place(log) -> list[str]:
    """A case's spells follow on from each other without gaps, overlaps or a second open one."""
    arrival = {r[R_CASE]: (0.0 if r[R_WARM] else r[R_ARRIVAL]) for r in log.referrals}
    by_case = _spells_by_case(log)
    bad = []
    for case in arrival:
        rows = [log.spells[i] for i in by_case.get(case, ())]
        if not rows:
            bad.append(f"case {case} has no spell at all")
            continue
        if rows[0][S_START] != arrival[case]:
            bad.append(f"case {case} first spell starts {rows[0][S_START]}, not {arrival[case]}")
        for a, b in zip(rows, rows[1:], strict=False):
            if b[S_START] != a[S_END]:
                bad.append(f"case {case}: spell {b} does not start where {a} ended")
        for s in rows:
            if not _end(s[S_END]) >= s[S_START]:
                bad.append(f"case {case}: spell ends before it starts {s}")
        still = [s for s in rows if _isnan(s[S_END])]
        if len(still) > 1 or (still and still[0] is not rows[-1]):
            bad.append(f"case {case}: {len(still)} spells open at the horizon or not last")
    return bad


def _listed(log) -> list[tuple[float, float]]:
    return [(s[S_START], _end(s[S_END])) for s in log.spells if s[S_PLACE] == ev.LIST]


def list_never_negative(log) -> list[str]:
    """The number of cases on the list, from LIST spells, is never below zero."""
    listed = _listed(log)
    changes = sorted([(a, 1) for a, _ in listed] + [(b, -1) for _, b in listed if b < math.inf])
    level = 0
    for n, (t, step) in enumerate(changes):
        level += step
        if n + 1 < len(changes) and changes[n + 1][0] == t:
            continue  # the level once everything at this instant has happened
        if level < 0:
            return [f"t={t:g}: {level} cases on the list"]
    return []


def list_matches_recorder(log, unallocated_by_day) -> list[str]:
    """The recorder's ``unallocated`` at each day's end equals the count of LIST spells."""
    listed = _listed(log)
    bad = []
    for day, recorded in enumerate(unallocated_by_day):
        t = day + 1.0  # the end of working day ``day``
        mine = sum(1 for a, b in listed if a <= t < b)
        if mine != recorded:
            bad.append(f"day {day}: {mine} on the list from the spells, timeseries says {recorded}")
    if len(unallocated_by_day) != log.n_days:
        bad.append(f"{len(unallocated_by_day)} days recorded, the run had {log.n_days}")
    return bad


# --- 5. hours --------------------------------------------------------------------------


def _hours_by_worker_day(log) -> tuple[dict, dict]:
    """In-contract hours (each stretch spread evenly over its clock time) and overtime
    (counted on the day the stretch started, whose end it ran into) per (worker, day)."""
    contract: dict[tuple[int, int], float] = defaultdict(float)
    overtime: dict[tuple[int, int], float] = defaultdict(float)
    for w in log.work:
        start, finish = w[W_STARTED], w[W_FINISHED]
        if _isnan(start):
            continue
        who = w[W_WORKER]
        overtime[who, int(start)] += w[W_OVERTIME]
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


def hours_within_contract(log, overtime_cap: float) -> list[str]:
    """Per worker-day: in-contract hours <= the contract day, overtime <= the allowance."""
    contract_day = {j[J_WORKER]: j[J_CONTRACT] for j in log.joins}
    contract, overtime = _hours_by_worker_day(log)
    bad = [
        f"worker {w} day {d}: {h:.6f} h in contract > contract day {contract_day[w]:g}"
        for (w, d), h in sorted(contract.items())
        if h > contract_day[w] + HOURS_EPS
    ]
    bad += [
        f"worker {w} day {d}: {h:.6f} h overtime > allowance {overtime_cap:g}"
        for (w, d), h in sorted(overtime.items())
        if h > overtime_cap + HOURS_EPS
    ]
    return bad


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


# --- 6. every referral accounted for ----------------------------------------------------


def referrals_accounted_for(log) -> tuple[dict[str, int], list[str]]:
    """Each referral ends in exactly one outcome; closure is final and happens once.

    Outcome from the last spell: closed (work done), closed unworked, closed at
    the door, or still open at the horizon (awaiting triage, on the list, with a
    worker). A case closed with the work done completed every planned step once;
    a case closed unworked has no work and no step after its closure.
    """
    by_case = _spells_by_case(log)
    counts: dict[str, int] = defaultdict(int)
    closed_at: dict[int, float] = {}
    bad = []
    steps_done: dict[int, list[int]] = defaultdict(list)
    step_times: dict[int, list[float]] = defaultdict(list)
    for case, step, time in log.steps:
        steps_done[case].append(step)
        step_times[case].append(time)
    for r in log.referrals:
        case = r[R_CASE]
        rows = [log.spells[i] for i in by_case.get(case, ())]
        ends = [s for s in rows if s[S_REASON] in ENDED]
        if len(ends) > 1:
            bad.append(f"case {case} closed {len(ends)} times: {[s[S_REASON] for s in ends]}")
        if ends and ends[0] is not rows[-1]:
            bad.append(f"case {case} moved on after it was closed ({ends[0][S_REASON]})")
        last = rows[-1] if rows else None
        if last is None:
            bad.append(f"case {case}: no spell, so no outcome")
            continue
        if last[S_REASON] == ev.OPEN:
            outcome = {ev.TRIAGE: "awaiting triage", ev.LIST: "on the list"}.get(
                last[S_PLACE], "with a worker"
            )
        elif last[S_REASON] in ENDED:
            outcome = last[S_REASON]
        else:
            bad.append(f"case {case}: last spell ended {last[S_REASON]!r} and nothing followed")
            continue
        counts[outcome] += 1
        if outcome == ev.CLOSED:
            planned = list(range(r[R_FIRST], len(r[R_PLAN])))
            if sorted(steps_done[case]) != planned:
                bad.append(f"case {case} closed with steps {steps_done[case]} of {planned}")
        if ends and ends[0][S_REASON] == ev.CLOSED_UNWORKED:
            closed_at[case] = ends[0][S_END]
    for w in log.work:  # closing unworked is final: nobody works on it again
        t = closed_at.get(w[W_CASE])
        if t is not None and not _isnan(w[W_STARTED]) and w[W_FINISHED] > t:
            bad.append(f"case {w[W_CASE]} closed unworked at {t:g} but worked until {w}")
    for case, t in closed_at.items():
        later = [x for x in step_times[case] if x > t]
        if later:
            bad.append(f"case {case} closed unworked at {t:g} but steps done at {later}")
    if sum(counts.values()) != len(log.referrals):
        bad.append(
            f"outcomes {dict(counts)} add up to {sum(counts.values())}, "
            f"not the {len(log.referrals)} referrals"
        )
    return dict(counts), bad


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
