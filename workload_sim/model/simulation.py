"""Build the SimPy world from a Scenario and run ONE replication.

A referral arrives, is triaged (by the day's duty worker when triage takes
time), and if opened joins the unallocated list. Allocation gives it to a
worker with room; its planned steps then run one after another: wait the
step's lead time, queue its effort with the worker, and on a failed attempt
wait the reschedule delay and try again. After the last step the case closes,
the worker's caseload falls and the list is allocated again.

Every step of that chain is written to the event log (``self.log``): where each
case was and why it moved on, each stretch of work, each step completed. The
records are built from the log after the run; see docs/engine.md.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager

from ..scenario import Scenario
from . import events as ev
from .allocation import UnallocatedList
from .calendar import WorkCalendar
from .case import OPEN, Case
from .clock import Clock
from .demand import Arrivals, Triage, daily_rates
from .pathway import PathwayPlanner
from .scheduled import demand_changes
from .start_state import open_recorded_cases
from .streams import Streams
from .task import log_waiting, new_task
from .worker import Worker
from .workforce import Workforce

INF = float("inf")
NAN = float("nan")
DUTY_RANK = -1  # triage comes before any case task in the duty worker's queue


class Simulation:
    """One replication of one scenario: the world, its event handlers and its records."""

    def __init__(self, scenario: Scenario, rep: int = 0, seed: int | None = None) -> None:
        self.scenario = scenario
        self.rep = rep
        self.seed = scenario.seed if seed is None else seed
        self.n_days = scenario.total_days
        self.env = env = Clock()
        streams = Streams(self.seed, rep)
        self.streams = streams
        cal = scenario.calendar
        self.calendar = WorkCalendar(cal.start_date, self.n_days, cal.country, cal.subdivision)
        self.triage = Triage(scenario.triage, streams)
        self.urgencies = self.triage.urgency_names
        self.log = log = ev.EventLog(self.n_days)
        self._log_spell = log.spells.append
        self._log_step = log.steps.append
        self.planner = PathwayPlanner(scenario.pathways, streams)
        self.pathway_terms = {
            k: (p.weight, p.completion_target_days) for k, p in scenario.pathways.items()
        }
        self.cases: list[Case] = []
        self._on_attempt_done = self._attempt_done  # bound once: it is passed with every task
        self.unallocated = UnallocatedList(
            scenario.allocation.policy, len(self.urgencies), self._allocated
        )
        self.handover_hours = scenario.recruitment.handover_hours
        self.workforce = Workforce(self, streams)
        self.workers = self.workforce.in_post  # the live team; allocation reads the same list
        self.unallocated.workers = self.workers
        changes = demand_changes(scenario.events, self.calendar)
        self.rates = daily_rates(scenario.demand, self.calendar, changes)
        self._warm_start(streams)
        open_recorded_cases(self, streams)
        Arrivals(env, self.rates, streams.get("demand.arrivals"), self._referral)
        self.workforce.start()

    # --- the start ------------------------------------------------------------------

    def _warm_start(self, streams: Streams) -> None:
        """Cases already open on day 0: own streams, so they never shift arrivals' draws."""
        ws = self.scenario.warm_start
        if ws.cases_per_worker <= 0 and ws.unallocated <= 0:
            return
        planner = PathwayPlanner(self.scenario.pathways, streams, prefix="warm_start.")
        progress = streams.get("warm_start.progress")
        pick = Triage(self.scenario.triage, streams, prefix="warm_start.", case_mix=ws.case_mix)
        held = []
        for worker in self.workers:
            n = int(round(ws.cases_per_worker))
            load = worker.caseload
            for _ in range(n):
                case = self._open_case(pick, planner, arrival=0.0, progress=progress)
                if load + case.weight <= worker.cap:
                    load += case.weight
                    held.append((case, worker))
        for _ in range(ws.unallocated):
            self._open_case(pick, planner, arrival=0.0)
        for case, worker in held:
            self._allocated(case, worker)
        for case in self.cases:
            if case.allocated_at is None:
                self._wait(case)
        self.unallocated.allocate()

    # --- referrals and triage -------------------------------------------------------

    def _open_case(
        self, triage: Triage, planner: PathwayPlanner, arrival: float, progress=None
    ) -> Case:
        """A case open at the start (warm start): part way through its plan if ``progress``."""
        case = Case(len(self.cases), arrival)
        self.cases.append(case)
        case.outcome = OPEN
        case.triaged_at = arrival
        case.warm_start = True
        self._describe(case, triage, planner)
        if progress is not None and case.plan:  # an empty plan has no progress to draw
            case.step = int(progress.integers(len(case.plan)))
        self._register(case)
        return case

    def _register(self, case: Case) -> None:
        self.log.referrals.append(
            (
                case.id,
                case.arrival,
                case.outcome,
                case.rank,
                case.pathway,
                case.weight,
                case.allocation_target,
                case.completion_target,
                case.plan,
                case.truncated,
                case.warm_start,
                case.step,
            )
        )

    def _spell(self, case: Case, place: str | None, worker: int, reason: str) -> None:
        """End the case's current spell (for ``reason``) and start one at ``place``."""
        now = self.env.now
        if case.place is not None:
            self._log_spell((case.id, case.place, case.place_worker, case.since, now, reason))
        case.place, case.place_worker, case.since = place, worker, now

    def _describe(self, case: Case, triage: Triage, planner: PathwayPlanner) -> None:
        case.urgency = urgency = triage.urgency()
        case.rank, case.allocation_target = triage.urgency_terms[urgency]
        case.pathway = pathway = triage.pathway()
        case.weight, case.completion_target = self.pathway_terms[pathway]
        case.plan, case.truncated = planner.plan(pathway)

    def _referral(self) -> None:
        now = self.env.now
        case = Case(len(self.cases), now)
        self.cases.append(case)
        triage = self.triage
        case.outcome = triage.outcome()
        effort = triage.effort_fixed if triage.effort is None else triage.effort()
        if case.outcome == OPEN:
            self._describe(case, triage, self.planner)
        self._register(case)
        case.place, case.place_worker, case.since = ev.TRIAGE, -1, now
        if effort > 0.0:
            self.workforce.to_duty(
                new_task(
                    DUTY_RANK,
                    now,
                    self.log.next_task(),
                    effort,
                    self._triaged,
                    case,
                    ev.TRIAGE_TASK,
                    case.id,
                    -1,
                    0,
                    False,
                )
            )
        else:
            self._triaged(case)

    def _triaged(self, case: Case) -> None:
        now = self.env.now
        case.triaged_at = now
        if case.outcome != OPEN:
            case.closed_at = now
            self._spell(case, None, -1, ev.AT_DOOR)
            return
        self._spell(case, None, -1, ev.TRIAGED)
        waiting = self.unallocated
        if not waiting.heap:  # nobody ahead in the list: straight to a worker if one has room
            worker = waiting.choose(case)
            if worker is not None:
                self._allocated(case, worker)
                return
        self._wait(case)
        waiting.allocate()

    # --- allocation and the steps of a case -----------------------------------------

    def _wait(self, case: Case) -> None:
        case.waiting_since = self.env.now
        if case.place != ev.LIST:
            self._spell(case, ev.LIST, -1, ev.RELISTED)
        self.unallocated.add(case)

    def _allocated(self, case: Case, worker: Worker, reason: str = ev.ALLOCATED) -> None:
        now = self.env.now
        case.waiting_since = None
        self._spell(case, ev.WORKER, worker.id, reason)
        case.worker = worker
        worker.take_case(case)
        case.holders += 1
        if case.holders == 1:
            case.allocated_at = now
            self._advance(case)
            return
        # a case taken over from someone else: read in, then carry on where it was
        if self.handover_hours > 0.0:
            worker.add_task(
                case.rank, self.handover_hours, _handover_done, case, ev.HANDOVER_TASK, case.id
            )
        pending, case.pending = case.pending, None
        for task in pending or ():
            if task.on_done is not _handover_done:  # an unread handover is replaced, not added
                worker.add_task_tuple(task)

    def move_case(self, case: Case, to: Worker | None = None, reason: str = ev.RELISTED) -> None:
        """Take a case from its worker: to ``to``, or back on the unallocated list."""
        holder = case.worker
        tasks = holder.take_tasks_of(case)
        holder.release_case(case)
        case.worker = None
        case.pending = tasks
        if to is None:
            self._spell(case, ev.LIST, -1, reason)
            self._wait(case)
        else:
            self._allocated(case, to, reason)

    def close_unworked(self, case: Case) -> None:
        """Close a waiting case without the work done: unmet need, recorded as such."""
        now = self.env.now
        case.waiting_since = None
        case.closed_at = now
        case.closed_unworked = True
        self._spell(case, None, -1, ev.CLOSED_UNWORKED)
        case.pending = None
        # final: a task of it still queued with a colleague (urgent cover) is dropped
        for worker in self.workers:
            if worker.take_tasks_of(case):
                worker.carry_on()

    def _advance(self, case: Case) -> None:
        if case.step >= len(case.plan):
            self._close(case)
            return
        planned = case.plan[case.step]
        if planned.lead_time > 0.0:
            self.env.call_in(planned.lead_time, lambda _ev: self._ready(case))
        elif planned.effort > 0.0 and not planned.failures and case.worker is not None:
            case.worker.add_task(
                case.rank,
                planned.effort,
                self._on_attempt_done,
                case,
                ev.CASE_TASK,
                case.id,
                case.step,
            )
        else:
            self._ready(case)

    def _ready(self, case: Case) -> None:
        if case.closed_unworked:
            return  # closed as unmet need while its lead time ran: nothing follows
        planned = case.plan[case.step]
        a = case.attempt
        fails = a < len(planned.failures)
        hours = planned.failures[a][1] if fails else planned.effort
        if hours <= 0.0:
            self._attempt_done(case)
        else:
            task = new_task(
                case.rank,
                self.env.now,
                self.log.next_task(),
                hours,
                self._on_attempt_done,
                case,
                ev.CASE_TASK,
                case.id,
                case.step,
                a,
                fails,
            )
            if case.worker is None:  # between workers: the task waits for whoever takes it
                case.pending = [*(case.pending or ()), task]
            else:
                case.worker.add_task_tuple(task)

    def _attempt_done(self, case: Case) -> None:
        if case.closed_unworked:
            return  # closing as unmet need is final (tasks in hand are taken back, so rare)
        planned = case.plan[case.step]
        a = case.attempt
        if a < len(planned.failures):
            delay, _wasted = planned.failures[a]
            case.attempt = a + 1
            if delay > 0.0:
                self.env.call_in(delay, lambda _ev: self._ready(case))
            else:
                self._ready(case)
            return
        self._log_step((case.id, case.step, self.env.now))
        case.step += 1
        case.attempt = 0
        self._advance(case)

    def _close(self, case: Case) -> None:
        now = self.env.now
        case.closed_at = now
        worker = case.worker
        self._spell(case, None, -1, ev.CLOSED)
        if worker is None:
            # finished by a colleague covering an urgent task while the case was back on
            # the list: it leaves the list done
            self.unallocated.remove_if(lambda c: c is case)
            case.waiting_since = None
            return
        worker.release_case(case)
        if self.unallocated.heap:
            self.unallocated.capacity_changed()
        else:  # nothing waiting: only forget that the list was blocked
            self.unallocated.blocked_weight = INF

    def run(self) -> Simulation:
        """Run to the end of the last working day; returns self for chaining."""
        with cyclic_gc_paused():
            self.env.run_until(float(self.n_days))
            if self.workforce.active:  # the last day's evening
                self.workforce.hours.evening(list(self.workforce.in_post), self.n_days - 1)
        self._log_horizon()
        return self

    def _log_horizon(self) -> None:
        """Close the log at the horizon: spells still open, work unfinished."""
        for case in self.cases:
            if case.place is not None:
                self._log_spell((case.id, case.place, case.place_worker, case.since, NAN, ev.OPEN))
            for task in case.pending or ():
                log_waiting(self.log.work.append, -1, task)
        for worker in self.workforce.in_post:
            worker.log_unfinished()
        for task in self.workforce.front_door:  # triage waiting for anyone to be at work
            log_waiting(self.log.work.append, -1, task)


def _handover_done(case: Case) -> None:
    """Reading a case in leaves its steps where they were."""


@contextmanager
def cyclic_gc_paused():
    """Pause Python's cyclic garbage collector while events run.

    A run keeps every case, plan and task alive, so the collector's periodic
    full passes rescan an ever larger heap: measured, they cost more than half
    the run time. Events free themselves by reference counting (SimPy drops an
    event's callbacks once processed), so the run makes almost no cyclic garbage
    (tests check it); the one collection after the run frees the finished world.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
