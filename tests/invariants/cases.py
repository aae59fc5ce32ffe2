"""Cases: one place at a time, the list never negative, every referral accounted for."""

from __future__ import annotations

import math
from collections import defaultdict

from workload_sim.model import events as ev

from ._log import (
    ENDED,
    R_ARRIVAL,
    R_CASE,
    R_FIRST,
    R_PLAN,
    R_WARM,
    S_END,
    S_PLACE,
    S_REASON,
    S_START,
    W_CASE,
    W_FINISHED,
    W_STARTED,
    _end,
    _isnan,
    _spells_by_case,
)

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
