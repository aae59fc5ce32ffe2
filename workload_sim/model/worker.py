"""A social worker: contract, caseload, a queue of ready tasks, hours and overtime.

A worker does the ready tasks of the cases they hold (and duty tasks such as
triage) one at a time, most urgent first, then oldest first. Ranks, first
served first: triage on duty (-1), case work by urgency (0 = most urgent ...),
NAAS preparation (after case work of every urgency; see ``naas``). Case work
proceeds at the worker's case hours per working day (contract day x FTE x
(1 - non-case share)); clock time and hours convert at that rate.

Overtime rule: when a task would run past the end of the working day and
the hours still needed fit in what is left of the day's overtime allowance,
the worker keeps going and finishes it that day; the hours are recorded as
overtime. Otherwise the task carries over to the next day.
"""

from __future__ import annotations

from collections.abc import Callable
from heapq import heapify, heappop, heappush
from typing import TYPE_CHECKING

import simpy

if TYPE_CHECKING:
    from ..records import DailyLedger

_EPS = 1e-9


class Worker:
    """One member of the team: their contract, caseload, task queue and hours.

    ``limit`` is the caseload cap while the worker can take new cases, and -1
    while they cannot (away, or leaving): allocation reads only ``limit``.
    """

    def __init__(
        self,
        env: simpy.Environment,
        ledger: DailyLedger,
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
        self.ledger = ledger
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
        self.days_away = {"leave": 0, "sick": 0, "naas": 0}
        self.cover_hours = 0.0
        self.naas_hours = 0.0
        self.naas_attempts = 0
        self.naas_passed = False
        self.caseload = 0.0  # weighted
        # the cases this worker holds: a dict as an insertion-ordered set, so every walk
        # over them (handover, reallocation) runs in the same order on every run
        self.held: dict = {}
        self.peak_caseload = 0.0
        self.cases_allocated = 0
        self.tasks_done = 0
        self.case_hours = 0.0
        self.overtime_hours = 0.0
        self._ot_day = -1
        self._ot_used = 0.0
        self._queue: list = []
        self._seq = 0
        self._current: tuple | None = None  # the task in hand
        self._current_event: simpy.Event | None = None
        self._current_start = 0.0
        self._current_end = 0.0
        self._current_rate = 0.0
        self._current_overtime = 0.0  # overtime hours the task in hand is due to use today
        self._on_finished = self._finished  # bound once: attached to every task's Timeout
        self._log_task = ledger.started_tasks.append
        self._log_start = ledger.started_at.append

    @property
    def present(self) -> bool:
        return self.away is None and self.left_at is None

    def has_room(self, weight: float) -> bool:
        return self.caseload + weight <= self.limit + _EPS

    def take_case(self, case) -> None:
        self.held[case] = None
        self.caseload += case.weight
        self.cases_allocated += 1
        if self.caseload > self.peak_caseload:
            self.peak_caseload = self.caseload

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
        self._interrupt()

    def come_back(self) -> None:
        self.away = None
        self.limit = self.cap
        if self._current is None and self._queue:
            self._start(heappop(self._queue))

    def leave_job(self, reason: str) -> list:
        """Leave the team; returns every unfinished task (current one included)."""
        self._interrupt()
        self.left_at, self.leave_reason, self.limit = self.env.now, reason, -1.0
        tasks, self._queue = self._queue, []
        return tasks

    def set_cap(self, cap: float, rate: float) -> None:
        """New terms (a newly qualified worker completing their protected year)."""
        self.cap, self.rate = cap, rate
        if self.present:
            self.limit = cap

    def _interrupt(self) -> None:
        """Put the task in hand back in the queue with the hours not yet worked."""
        task = self._current
        if task is None:
            return
        now = self.env.now
        left = (self._current_end - now) * self._current_rate
        if left <= _EPS:
            return  # finishes at this very moment: let it
        self._current = self._current_event = None
        self.ledger.add_work(now, self._current_end, -self._current_rate)
        ot = self._current_overtime
        if ot > 0.0:  # stopped before the evening: the overtime it counted on is not worked
            self._ot_used -= ot
            self.overtime_hours -= ot
            self.ledger.add_overtime(int(now), -ot)
            left += ot
        self.case_hours -= left
        # correct the queued-work log: only the part done was taken off the queue at start
        self._log_task((task[0], task[1], task[2], -left, None, None))
        self._log_start(self._current_start)
        heappush(self._queue, (task[0], task[1], task[2], left, task[4], task[5]))

    def take_tasks_of(self, item) -> list:
        """Remove and return the queued tasks that belong to ``item`` (a case moving on)."""
        if self._current is not None and self._current[5] is item:
            self._interrupt()
        mine = [t for t in self._queue if t[5] is item]
        if mine:
            self._queue = [t for t in self._queue if t[5] is not item]
            heapify(self._queue)
        return mine

    def carry_on(self) -> None:
        """Start the next queued task if present and idle (a task was taken away)."""
        if self._current is None and self._queue and self.away is None and self.left_at is None:
            self._start(heappop(self._queue))

    def take_duty_tasks(self) -> list:
        """Remove and return queued duty tasks (triage: the only negative rank)."""
        duty = [t for t in self._queue if t[0] < 0]
        if duty:
            self._queue = [t for t in self._queue if t[0] >= 0]
            heapify(self._queue)
        return duty

    def take_urgent_tasks(self, rank: int) -> list:
        """Remove and return queued case tasks at urgency ``rank`` or higher."""
        moved = [t for t in self._queue if 0 <= t[0] <= rank]
        if moved:
            self._queue = [t for t in self._queue if not 0 <= t[0] <= rank]
            heapify(self._queue)
        return moved

    def queued_hours(self) -> float:
        return sum(t[3] for t in self._queue)

    def add_task(self, rank: int, hours: float, on_done: Callable, item) -> None:
        """Queue ``hours`` of work; ``on_done(item)`` is called when it is finished."""
        self._seq += 1
        task = (rank, self.env.now, self._seq, hours, on_done, item)
        if self._current is None and self.away is None and self.left_at is None:
            if not self._queue:
                self._start(task)  # idle with nothing queued: no need to pass through the heap
                return
            heappush(self._queue, task)
            self._start(heappop(self._queue))
        else:
            heappush(self._queue, task)

    def add_task_tuple(self, task: tuple) -> None:
        """Queue a task taken from someone else, keeping its priority and age.

        Its original queued time keeps its place among tasks of the same rank; a new
        sequence number keeps heap order total (numbers are per worker).
        """
        self._seq += 1
        moved = (task[0], task[1], self._seq, task[3], task[4], task[5])
        heappush(self._queue, moved)
        if self._current is None and self.away is None and self.left_at is None:
            self._start(heappop(self._queue))

    def end_ramp(self) -> None:
        """The ramp-up is over: the task in hand goes on at the full rate from now."""
        task = self._current
        if task is None or self.away is not None or self.left_at is not None:
            return
        self._interrupt()
        if self._current is not None:
            return  # it finishes at this very moment
        queue = self._queue
        i = next(k for k, t in enumerate(queue) if t[2] == task[2])
        resumed = queue[i]
        queue[i] = queue[-1]
        queue.pop()
        heapify(queue)
        self._start(resumed)

    @property
    def queued_tasks(self) -> int:
        return len(self._queue)

    def waiting_tasks(self) -> list[tuple[float, float]]:
        """(queued at, hours) of each task not yet started."""
        return [(task[1], task[3]) for task in self._queue]

    def _finish_time(self, now: float, hours: float) -> float:
        rate = self.rate if now >= self.ramp_until else self.rate * self.ramp
        self._current_rate = rate
        end = now + hours / rate
        day = int(now)
        self._current_overtime = 0.0
        if end <= day + 1.0:  # the usual case: done within the day
            if day < self.ledger.n_days:
                self.ledger.case_hours[day] += hours
            return end
        if self.overtime_cap > 0.0:
            needed = (end - day - 1.0) * rate
            if day != self._ot_day:
                self._ot_day, self._ot_used = day, 0.0
            if needed <= self.overtime_cap - self._ot_used + _EPS:
                self._ot_used += needed
                self._current_overtime = needed
                self.overtime_hours += needed
                self.ledger.add_overtime(day, needed)
                self.ledger.add_work(now, day + 1.0, rate)
                return day + 1.0
        self.ledger.add_work(now, end, rate)
        return end

    def _start(self, task: tuple) -> None:
        # Event callbacks rather than a generator process: one Timeout per task and no
        # wake-up events, which is most of the engine's speed on large runs.
        hours = task[3]
        now = self.env.now
        self._log_task(task)  # its queue time and hours are inside it
        self._log_start(now)
        end = self._finish_time(now, hours)
        self.case_hours += hours
        self._current = task
        self._current_start, self._current_end = now, end
        event = self._current_event = self.env.timeout(end - now)
        event.callbacks.append(self._on_finished)

    def _finished(self, event) -> None:
        if event is not self._current_event:
            return  # the task was interrupted and put back; this timeout is stale
        task = self._current
        self._current = self._current_event = None
        self.tasks_done += 1
        task[4](task[5])
        if self._current is None and self._queue and self.away is None and self.left_at is None:
            self._start(heappop(self._queue))
