"""The unallocated list, end to end: most urgent first, then first in, first out.

docs/model.md and ``model/allocation.py`` say the list is served strictly in urgency
order, then oldest referral first, and that a head case that fits nobody holds the list.
This is checked on a whole run of a busy default team from the raw event log alone:
the log's spell rows are replayed in the order they were written, keeping the set of
cases waiting on the list; every case the list hands to a worker must be, at that
moment, of the most urgent rank waiting and the oldest referral of its rank. The
test's replay shares no code with the list (no heap, no keys): a last-in first-out
list within an urgency, or an urgency order reversed, breaks it.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

from workload_sim.model import events as ev
from workload_sim.model.simulation import Simulation
from workload_sim.scenario.loading import load_scenario

from .conftest import DEFAULT


def allocation_order(log) -> dict[str, int]:
    """Replay the list from ``log.spells``: counts of choices, and of each kind of breach.

    A LIST spell starts right after the case's previous spell row (triage done, or a
    worker's spell ended: the case went back on the list), or at the start for a warm-start
    case that waited from day 0; it ends at its own row.
    """
    arrival = {r[0]: r[1] for r in log.referrals}
    rank = {r[0]: r[3] for r in log.referrals}
    joins: dict[int, list[int]] = defaultdict(list)  # row index -> cases joining after it
    start: list[int] = []  # warm-start cases waiting from the beginning
    last_row: dict[int, int] = {}
    for i, (case, place, *_rest) in enumerate(log.spells):
        if place == ev.LIST:
            if case in last_row:
                joins[last_row[case]].append(case)
            else:
                start.append(case)
        last_row[case] = i
    waiting: dict[int, set[int]] = defaultdict(set)
    for case in start:
        waiting[rank[case]].add(case)
    out = {"choices": 0, "contested": 0, "older_skipped": 0, "more_urgent_skipped": 0}
    for i, (case, place, _w, _start, _end, reason) in enumerate(log.spells):
        if place == ev.LIST:
            same = waiting[rank[case]]
            same.discard(case)
            if reason == ev.ALLOCATED:
                out["choices"] += 1
                if any(arrival[c] != arrival[case] for c in same):
                    out["contested"] += 1  # another order would have chosen differently
                if any(arrival[c] < arrival[case] for c in same):
                    out["older_skipped"] += 1
                if any(waiting[r] for r in range(rank[case])):
                    out["more_urgent_skipped"] += 1
        for joiner in joins.pop(i, ()):
            waiting[rank[joiner]].add(joiner)
    return out


class _Row:
    """A spell row for the replay's hand-made logs."""

    def __init__(self, referrals, spells):
        self.referrals, self.spells = referrals, spells


def test_the_replay_by_hand():
    # cases 0, 1 (urgent, rank 0), 2 (rank 1); 0 arrives before 1
    refs = [(0, 1.0, "open_case", 0), (1, 2.0, "open_case", 0), (2, 0.5, "open_case", 1)]
    T, L, W = ev.TRIAGE, ev.LIST, ev.WORKER
    fifo = [
        (2, T, -1, 0.5, 0.6, ev.TRIAGED),  # 2 waits
        (0, T, -1, 1.0, 1.1, ev.TRIAGED),  # 0 waits
        (1, T, -1, 2.0, 2.1, ev.TRIAGED),  # 1 waits
        (0, L, -1, 1.1, 3.0, ev.ALLOCATED),  # oldest urgent first
        (1, L, -1, 2.1, 3.5, ev.ALLOCATED),
        (2, L, -1, 0.6, 4.0, ev.ALLOCATED),  # the less urgent last, though oldest
        (0, W, 1, 3.0, 9.0, ev.CLOSED),
    ]
    assert allocation_order(_Row(refs, fifo)) == {
        "choices": 3,
        "contested": 1,
        "older_skipped": 0,
        "more_urgent_skipped": 0,
    }
    lifo = [fifo[0], fifo[1], fifo[2], fifo[4], fifo[3], fifo[5]]
    assert allocation_order(_Row(refs, lifo))["older_skipped"] == 1
    urgent_last = [fifo[0], fifo[1], fifo[2], fifo[5], fifo[3], fifo[4]]
    assert allocation_order(_Row(refs, urgent_last))["more_urgent_skipped"] == 1
    # a case allocated before the other joined the list was not contested
    apart = [fifo[0], fifo[1], fifo[3], fifo[2], fifo[4], fifo[5]]
    assert allocation_order(_Row(refs, apart))["contested"] == 0


@pytest.fixture(scope="module")
def busy_log():
    """A year of the default team at 40 referrals a week: a list that is rarely empty."""
    overrides = ["horizon_days=253", "warmup_days=0", "demand.referrals_per_week=40"]
    return Simulation(load_scenario(DEFAULT, overrides), 0).run().log


def test_the_list_is_served_by_urgency_then_oldest_referral_first(busy_log):
    seen = allocation_order(busy_log)
    # informative: many choices had older and younger cases of one urgency waiting
    assert seen["contested"] > 200, seen
    assert seen["older_skipped"] == 0, seen
    assert seen["more_urgent_skipped"] == 0, seen
