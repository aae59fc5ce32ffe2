"""A social worker: contract, caseload, a queue of ready tasks, hours and overtime.

A worker does the ready tasks of the cases they hold (and duty tasks such as
triage) one at a time, most urgent first, then oldest first. Ranks, first
served first: triage on duty (-1), case work by urgency (0 = most urgent ...),
NAAS preparation (after case work of every urgency; see ``naas``). Case work
proceeds at the worker's case hours per working day (contract day x FTE x
(1 - non-case share)); clock time and hours convert at that rate.

Hours beyond contract are decided each evening (``working_hours``): a worker
who is behind works on in ``work_late``, through the task in hand and the
queue in order, up to the hours allowed; those stretches are logged at the
day's end (zero clock length, hours as overtime) and belong to the day ending.
"""

from __future__ import annotations

from collections.abc import Callable
from heapq import heapify, heappop, heappush, heappushpop
from operator import itemgetter
from typing import TYPE_CHECKING

from .events import CASE_TASK, DONE, LEFT, PRESENT, PUT_BACK, UNFINISHED
from .task import Task, log_waiting, with_hours, work_row

if TYPE_CHECKING:
    from simpy.events import Timeout

    from .clock import Clock
    from .events import EventLog

_EPS = 1e-9
_hours = itemgetter(3)  # Task.hours


class Worker:
    """One member of the team: their contract, caseload, task queue and hours.

    ``limit`` is the caseload cap while the worker can take new cases, and -1
    while they cannot (away, or leaving): allocation reads only ``limit``.
    Every stretch of work and every change of state goes to the event log.
    """

    def __init__(
        self,
        env: Clock,
        log: EventLog,
        worker_id: int,
        kind: str,
        fte: float,
        cap: float,
        case_hours_per_day: float,
        contract_hours_per_day: float,
        overtime_cap: float,
        post: int = -1,
        day_cost: float = 0.0,
        paid_when_absent: bool = True,
    ) -> None:
        self.env = env
        self.log = log
        self.id = worker_id
        self.post = post  # the establishment post held; -1 for sickness cover
        self.kind = kind
        self.fte = fte
        self.cap = cap
        self.limit = cap
        self.rate = case_hours_per_day
        self.contract_hours_per_day = contract_hours_per_day
        self.overtime_cap = overtime_cap
        self.day_cost = day_cost
        self.paid_when_absent = paid_when_absent
        self.joined_at = env.now
        self.left_at: float | None = None
        self.leave_reason = ""
        self.ramp_until = 0.0  # until then case work goes at rate x ramp
        self.ramp = 1.0
        self.away: str | None = None  # "leave", "sick", "naas" or None when present
        self.away_since = 0
        self.away_until = 0  # first working day back
        self.caseload = 0.0  # weighted
        # the cases this worker holds: a dict as an insertion-ordered set, so every walk
        # over them (handover, reallocation) runs in the same order on every run
        self.held: dict = {}
        self._late = False  # working on past contract this evening: no new stretch starts
        # unpaid hours of the last 20 evenings, indexed by day % 20 (working_hours keeps it)
        self.late_hours = [0.0] * 20
        self._queue: list[Task] = []
        self._current: Task | None = None  # the task in hand
        self._current_event: Timeout | None = None
        self._current_start = 0.0
        self._current_end = 0.0
        self._current_rate = 0.0
        self._on_finished = self._finished  # bound once: attached to every task's Timeout
        self._log_work = log.work.append
        self._next_seq = log.next_task

    def joined(self) -> None:
        """Record this worker's terms on joining (the workforce calls it once ramp is set)."""
        self.log.joins.append(
            (
                self.id,
                self.env.now,
                self.kind,
                self.post,
                self.fte,
                self.cap,
                self.rate,
                self.contract_hours_per_day,
                self.day_cost,
                self.paid_when_absent,
                self.ramp_until,
                self.ramp,
            )
        )

    @property
    def present(self) -> bool:
        return self.away is None and self.left_at is None

    @property
    def _free(self) -> bool:
        """At work with nothing in hand and not in an evening: may start a task now."""
        return (
            self._current is None and self.away is None and self.left_at is None and not self._late
        )

    def has_room(self, weight: float) -> bool:
        return self.caseload + weight <= self.limit + _EPS

    def take_case(self, case) -> None:
        self.held[case] = None
        self.caseload += case.weight

    def release_case(self, case) -> None:
        self.held.pop(case, None)
        self.caseload -= case.weight

    @property
    def cases(self) -> int:
        return len(self.held)

    # --- presence ---------------------------------------------------------------------

    def go_away(self, reason: str, until: int) -> None:
        """Stop work (leave, sickness, NAAS day) until working day ``until``."""
        self.away, self.away_since, self.away_until = reason, int(self.env.now), until
        self.limit = -1.0
        self.log.states.append((self.id, self.env.now, reason, ""))
        self._interrupt()

    def come_back(self) -> None:
        self.away = None
        self.limit = self.cap
        self.log.states.append((self.id, self.env.now, PRESENT, ""))
        if self._current is None and self._queue:
            self._start(heappop(self._queue))

    def leave_job(self, reason: str) -> list[Task]:
        """Leave the team; returns every unfinished task (current one included)."""
        self._interrupt()
        self.left_at, self.leave_reason, self.limit = self.env.now, reason, -1.0
        self.log.states.append((self.id, self.env.now, LEFT, reason))
        tasks, self._queue = self._queue, []
        return tasks

    def set_cap(self, cap: float, rate: float) -> None:
        """New terms (a newly qualified worker completing their protected year)."""
        self.cap, self.rate = cap, rate
        if self.present:
            self.limit = cap

    def new_terms(self, kind: str, cap: float, rate: float, day_cost: float) -> None:
        """Change kind, cap, case hours and cost (and record it)."""
        self.kind, self.day_cost = kind, day_cost
        self.set_cap(cap, rate)
        self.log.terms.append((self.id, self.env.now, kind, cap, rate, day_cost, self.post))

    def take_post(self, post: int) -> None:
        """Hold an establishment post from now (sickness cover staying on as the interim)."""
        self.post = post
        self.log.terms.append(
            (self.id, self.env.now, self.kind, self.cap, self.rate, self.day_cost, post)
        )

    def _interrupt(self) -> None:
        """Put the task in hand back in the queue with the hours not yet worked."""
        task = self._current
        if task is None:
            return
        now = self.env.now
        worked = (now - self._current_start) * self._current_rate
        left = task.hours - worked
        if now >= self._current_end or left <= _EPS:
            return  # finishes at this very moment: let it
        self._current = self._current_event = None
        self._log_work(work_row(self.id, task, self._current_start, now, worked, 0.0, PUT_BACK))
        heappush(self._queue, with_hours(task, left))

    def take_tasks_of(self, item) -> list[Task]:
        """Remove and return the queued tasks that belong to ``item`` (a case moving on)."""
        if self._current is not None and self._current.item is item:
            self._interrupt()
        mine = [t for t in self._queue if t.item is item]
        if mine:
            self._queue = [t for t in self._queue if t.item is not item]
            heapify(self._queue)
        return mine

    def carry_on(self) -> None:
        """Start the next queued task if present and idle (a task was taken away)."""
        if self._queue and self._free:
            self._start(heappop(self._queue))

    def take_duty_tasks(self) -> list[Task]:
        """Remove and return queued duty tasks (triage: the only negative rank)."""
        duty = [t for t in self._queue if t.rank < 0]
        if duty:
            self._queue = [t for t in self._queue if t.rank >= 0]
            heapify(self._queue)
        return duty

    def take_urgent_tasks(self, rank: int) -> list[Task]:
        """Remove and return queued case tasks at urgency ``rank`` or higher."""
        moved = [t for t in self._queue if 0 <= t.rank <= rank]
        if moved:
            self._queue = [t for t in self._queue if not 0 <= t.rank <= rank]
            heapify(self._queue)
        return moved

    def queued_hours(self) -> float:
        return sum(map(_hours, self._queue))  # sum(t.hours for t in queue), without a generator

    def hours_in_hand(self) -> float:
        """Ready work not yet done: the queue and what is left of the task in hand."""
        left = 0.0
        if self._current is not None:
            worked = (self.env.now - self._current_start) * self._current_rate
            left = max(0.0, self._current.hours - worked)
        return self.queued_hours() + left

    def work_late(self, allowance: float) -> float:
        """Work on past the end of the day: up to ``allowance`` hours on the task in hand,
        then the queue in order; returns the hours worked.

        Called at the instant the day ends (before the next day's events). Each
        stretch is logged with zero clock length and its hours as overtime; tasks
        finished in the evening move their cases on as usual, and follow-on work
        queues for tomorrow or, if ready now, is worked on this evening too.
        """
        if allowance <= _EPS or not self.present:
            return 0.0
        self._interrupt()
        now, budget = self.env.now, allowance
        self._late = True
        while budget > _EPS and self._queue:
            task = heappop(self._queue)
            if task.hours <= budget + _EPS:
                budget -= task.hours
                self._log_work(work_row(self.id, task, now, now, 0.0, task.hours, DONE))
                task.on_done(task.item)
            else:
                self._log_work(work_row(self.id, task, now, now, 0.0, budget, PUT_BACK))
                heappush(self._queue, with_hours(task, task.hours - budget))
                budget = 0.0
        self._late = False
        self.carry_on()
        return allowance - max(0.0, budget)

    def add_task(
        self,
        rank: int,
        hours: float,
        on_done: Callable,
        item,
        kind: str = CASE_TASK,
        case: int = -1,
        step: int = -1,
        attempt: int = 0,
        failed: bool = False,
    ) -> None:
        """Queue ``hours`` of work; ``on_done(item)`` is called when it is finished."""
        task = tuple.__new__(  # the named tuple, built ~3x faster than through its __new__
            Task,
            (
                rank,
                self.env.now,
                self._next_seq(),
                hours,
                on_done,
                item,
                kind,
                case,
                step,
                attempt,
                failed,
            ),
        )
        self.add_task_tuple(task)

    def add_task_tuple(self, task: Task) -> None:
        """Queue a task (new, or taken from someone else keeping its place in the order)."""
        # self._free, inlined (the hot path): at work, nothing in hand, not in an evening
        if self._current is None and self.away is None and self.left_at is None and not self._late:
            # the first of the queue and this task (keys are unique: the same task as
            # pushing it and popping the first)
            self._start(heappushpop(self._queue, task) if self._queue else task)
        else:
            heappush(self._queue, task)

    def end_ramp(self) -> None:
        """The ramp-up is over: the task in hand goes on at the full rate from now."""
        task = self._current
        if task is None or self.away is not None or self.left_at is not None:
            return
        self._interrupt()
        if self._current is not None:
            return  # it finishes at this very moment
        queue = self._queue
        i = next(k for k, t in enumerate(queue) if t.seq == task.seq)
        resumed = queue[i]
        queue[i] = queue[-1]
        queue.pop()
        heapify(queue)
        self._start(resumed)

    @property
    def queued_tasks(self) -> int:
        return len(self._queue)

    def _start(self, task: Task) -> None:
        # Event callbacks rather than a generator process: one Timeout per task and no
        # wake-up events, which is most of the engine's speed on large runs.
        env = self.env
        now = env.now
        rate = self.rate if now >= self.ramp_until else self.rate * self.ramp
        end = now + task.hours / rate
        self._current, self._current_rate = task, rate
        self._current_start, self._current_end = now, end
        self._current_event = env.call_in(end - now, self._on_finished)

    def _finished(self, event) -> None:
        if event is not self._current_event:
            return  # the task was interrupted and put back; this timeout is stale
        task = self._current
        self._current = self._current_event = None
        self._log_work(
            work_row(self.id, task, self._current_start, self.env.now, task.hours, 0.0, DONE)
        )
        task.on_done(task.item)
        queue = self._queue
        if (  # something queued and self._free, inlined
            queue
            and self._current is None
            and self.away is None
            and self.left_at is None
            and not self._late
        ):
            self._start(heappop(queue))

    def log_unfinished(self) -> None:
        """At the horizon: record the task in hand (worked so far) and the queue as unfinished."""
        now = self.env.now
        task = self._current
        if task is not None:
            worked = min(task.hours, (now - self._current_start) * self._current_rate)
            self._log_work(
                work_row(self.id, task, self._current_start, now, worked, 0.0, UNFINISHED)
            )
        for t in sorted(self._queue):
            log_waiting(self._log_work, self.id, t)
