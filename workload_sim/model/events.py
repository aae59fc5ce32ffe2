"""The event log: one plain tuple per event, appended while a replication runs.

Like Ciw's data records, the log is the single source of truth: every table
(timeseries, cases, workers, tasks) is built from it after the run by
``workload_sim.records``, never by reading the simulation's objects. Appending
a tuple to a list is the cheapest record Python has, so the log costs the hot
path one append per task segment, per case spell and per change of a worker's
state; no pandas, no objects.

Rows (times are working days on the simulation clock; NaN = still open at the
horizon; ids are plain ints):

``referrals``  (case, arrival, outcome, urgency rank, pathway, weight,
               allocation target, completion target, plan, truncated,
               warm start, first step)
               ``plan`` is the case's drawn path (a list of plain named tuples);
               ``first step`` is where a warm-start case's progress began.
``spells``     (case, place, worker, start, end, reason it ended)
               place is TRIAGE (with the duty worker), LIST (unallocated) or
               WORKER (held); the reasons are in ``SPELL_ENDS``.
``work``       (worker, task, case, kind, step, attempt, failed, queued at,
               started, finished, hours in contract, hours overtime, status)
               one row per stretch of work on one task by one worker: a task
               interrupted (absence, leaving, a move) and resumed gives two.
               ``status`` is DONE, PUT_BACK (interrupted, hours left over) or
               UNFINISHED (in hand or queued at the horizon; ``started`` NaN if
               never started). Hours past contract are worked in the evening
               (``working_hours``): those stretches have ``started`` ==
               ``finished`` == the instant the day ends, hours in contract 0,
               and belong to the day ending (day = ceil(finished) - 1).
``steps``      (case, step, time) each planned step completed.
``joins``      (worker, time, kind, post, fte, cap, case hours/day,
               contract hours/day, day cost, paid when absent, ramp until, ramp)
``terms``      (worker, time, kind, cap, case hours/day, day cost, post) new terms: a
               newly qualified worker's protected year ending, or sickness cover
               staying on as the post's interim (post -1 -> the post).
``states``     (worker, time, state, reason) state is PRESENT, one of
               ``AWAY_REASONS`` or LEFT (reason: why they left).
``posts``      (post, time, vacant: bool, fte)
``naas``       (worker, time, attempt, passed, cost)
"""

from __future__ import annotations

import itertools
import math

NAN = math.nan

# where a case is
TRIAGE, LIST, WORKER = "triage", "list", "worker"
# why a spell ended
TRIAGED = "triaged"  # triage done: on to the list, a worker, or closed at the door
ALLOCATED = "allocated"  # list -> a worker
REALLOCATED = "reallocated"  # worker -> the list (cover policy: reallocate after M days)
COVER = "cover"  # worker -> agency sick cover, or back from cover to the worker
LEAVER = "leaver handover"  # worker left: back on the list
RELISTED = "returned to list"  # any other move back to the list
CLOSED = "closed"  # the work done
CLOSED_UNWORKED = "closed unworked"  # unmet need: closed without the work done
AT_DOOR = "closed at the door"  # triage: no further action or signposted
OPEN = "open"  # still open at the horizon
SPELL_ENDS = (
    TRIAGED,
    ALLOCATED,
    REALLOCATED,
    COVER,
    LEAVER,
    RELISTED,
    CLOSED,
    CLOSED_UNWORKED,
    AT_DOOR,
    OPEN,
)

# kinds of task
TRIAGE_TASK, CASE_TASK, HANDOVER_TASK, NAAS_PREP_TASK, COVER_TASK = (
    "triage",
    "case",
    "handover",
    "naas_prep",
    "cover",
)
# how a stretch of work ended
DONE, PUT_BACK, UNFINISHED = "done", "put back", "unfinished"

# worker states
PRESENT, LEFT = "present", "left"
AWAY_REASONS = ("leave", "sick", "naas")


class EventLog:
    """The lists the model appends to; :mod:`workload_sim.records` reads them."""

    __slots__ = (
        "referrals",
        "spells",
        "work",
        "steps",
        "joins",
        "terms",
        "states",
        "posts",
        "naas",
        "n_days",
        "next_task",
    )

    def __init__(self, n_days: int) -> None:
        self.n_days = n_days
        self.referrals: list[tuple] = []
        self.spells: list[tuple] = []
        self.work: list[tuple] = []
        self.steps: list[tuple] = []
        self.joins: list[tuple] = []
        self.terms: list[tuple] = []
        self.states: list[tuple] = []
        self.posts: list[tuple] = []
        self.naas: list[tuple] = []
        # unique task numbers for the run: a task keeps its number when it moves
        self.next_task = itertools.count().__next__
