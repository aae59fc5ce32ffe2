"""A social worker: contract, caseload, a queue of ready tasks, hours and overtime.

A worker does the ready tasks of the cases they hold (and duty tasks such as
triage) one at a time, most urgent first, then oldest first. Case work
proceeds at the worker's case hours per working day (contract day x FTE x
(1 - non-case share)); clock time and hours convert at that rate.

Overtime rule: when a task would run past the end of the working day and
the hours still needed fit in what is left of the day's overtime allowance,
the worker keeps going and finishes it that day; the hours are recorded as
overtime. Otherwise the task carries over to the next day.
"""

from __future__ import annotations

from collections.abc import Callable
from heapq import heappop, heappush
from typing import TYPE_CHECKING

import simpy

if TYPE_CHECKING:
    from ..records import DailyLedger

_EPS = 1e-9


class Worker:
    """One member of the team and the SimPy process that does their work."""

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
    ) -> None:
        self.env = env
        self.ledger = ledger
        self.id = worker_id
        self.kind = kind
        self.fte = fte
        self.cap = cap
        self.rate = case_hours_per_day
        self.contract_hours_per_day = contract_hours_per_day
        self.overtime_cap = overtime_cap
        self.caseload = 0.0  # weighted
        self.cases = 0
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
        self._on_finished = self._finished  # bound once: attached to every task's Timeout
        self._log_task = ledger.started_tasks.append
        self._log_start = ledger.started_at.append

    def has_room(self, weight: float) -> bool:
        return self.caseload + weight <= self.cap + _EPS

    def take_case(self, weight: float) -> None:
        self.caseload += weight
        self.cases += 1
        self.cases_allocated += 1
        if self.caseload > self.peak_caseload:
            self.peak_caseload = self.caseload

    def release_case(self, weight: float) -> None:
        self.caseload -= weight
        self.cases -= 1

    def add_task(self, rank: int, hours: float, on_done: Callable, item) -> None:
        """Queue ``hours`` of work; ``on_done(item)`` is called when it is finished."""
        self._seq += 1
        task = (rank, self.env.now, self._seq, hours, on_done, item)
        if self._current is None and not self._queue:
            self._start(task)  # idle with nothing queued: no need to pass through the heap
        else:
            heappush(self._queue, task)
            if self._current is None:
                self._start(heappop(self._queue))

    @property
    def queued_tasks(self) -> int:
        return len(self._queue)

    def waiting_tasks(self) -> list[tuple[float, float]]:
        """(queued at, hours) of each task not yet started."""
        return [(task[1], task[3]) for task in self._queue]

    @property
    def busy(self) -> bool:
        return self._current is not None

    def _finish_time(self, now: float, hours: float) -> float:
        rate = self.rate
        end = now + hours / rate
        day = int(now)
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
        self.env.timeout(end - now).callbacks.append(self._on_finished)

    def _finished(self, _event) -> None:
        task = self._current
        self._current = None
        self.tasks_done += 1
        task[4](task[5])
        if self._current is None and self._queue:
            self._start(heappop(self._queue))
