"""Day 0 from a team's records: the cases open on the as-of date, where they are.

Each recorded case opens with its pathway, urgency and the time it has already been open
(its referral lies ``days_open`` working days before day 0, so waits and the enquiry's
standard count from the real referral). Its plan is drawn as a new case's would be, on
streams of its own (``start_state.``) so arrivals' draws never shift, and it starts at the
recorded step: the steps before it are done. A held case goes to its post's worker and
carries on from that step (the step's lead time starts again: the records do not say how
much of it is over); a waiting case joins the list as if it had been waiting since
``waiting_days`` before day 0, so the oldest are allocated first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .case import OPEN, Case
from .pathway import PathwayPlanner, PlannedStep

if TYPE_CHECKING:
    from .simulation import Simulation
    from .streams import Streams


def step_index(plan: list[PlannedStep], pathway: str, order: list[str], step: str | None) -> int:
    """Where in a drawn plan a case recorded at ``step`` of ``pathway`` stands: the first
    of its own pathway's steps at or after ``step`` (an optional step this plan skipped
    moves the case to the next one it has); past the end if none is left.

    >>> plan = [PlannedStep("p", "a", 0, 1, ()), PlannedStep("p", "c", 0, 1, ())]
    >>> step_index(plan, "p", ["a", "b", "c"], "b"), step_index(plan, "p", ["a", "b", "c"], None)
    (1, 0)
    """
    if step is None:
        return 0
    at = order.index(step)
    rank = {name: i for i, name in enumerate(order)}
    for i, planned in enumerate(plan):
        if planned.pathway == pathway and rank[planned.step] >= at:
            return i
    return len(plan)


def open_recorded_cases(sim: Simulation, streams: Streams) -> None:
    """Open every case of the scenario's ``start_state`` on day 0 (held or waiting)."""
    state = sim.scenario.start_state
    if not state.active:
        return
    planner = PathwayPlanner(sim.scenario.pathways, streams, prefix="start_state.")
    orders = {k: [s.name for s in p.steps] for k, p in sim.scenario.pathways.items()}
    terms = sim.triage.urgency_terms
    held, waiting = [], []
    for recorded in state.cases:
        case = Case(len(sim.cases), -float(recorded.days_open))
        sim.cases.append(case)
        case.outcome = OPEN
        case.triaged_at = case.arrival
        case.warm_start = True  # open before the run: not one of the period's referrals
        case.urgency = recorded.urgency
        case.rank, case.allocation_target = terms[recorded.urgency]
        case.pathway = recorded.pathway
        case.weight, case.completion_target = sim.pathway_terms[recorded.pathway]
        case.plan, case.truncated = planner.plan(recorded.pathway)
        order = orders[recorded.pathway]
        case.step = step_index(case.plan, recorded.pathway, order, recorded.step)
        sim._register(case)
        if recorded.holder is None:
            since = recorded.days_open if recorded.waiting_days is None else recorded.waiting_days
            waiting.append((case, -float(since)))
        else:
            held.append((case, sim.workers[recorded.holder - 1]))
    for case, worker in held:
        sim._allocated(case, worker)
    for case, since in waiting:
        sim._wait(case)
        case.waiting_since = since
    sim.unallocated.allocate()
