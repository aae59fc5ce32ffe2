"""Sick-leave cover: who does an absent worker's work, and when.

Policies combine; each is off when its day count is null:

- nothing set: cases wait for the worker's return;
- ``urgent_to_colleagues_after_days`` N: from day N of an absence, the absent
  worker's queued tasks for urgent cases go to the present colleague with the
  least queued work, who records them as cover hours;
- ``reallocate_after_days`` M: on day M, all the absent worker's cases go back on
  the unallocated list (each reallocation counts another worker for the person);
- ``agency_cover_after_days`` K: on day K of a sickness absence, agency cover is
  requested; it arrives after the fill delay and takes over the cases until the
  worker returns, then hands them back.
"""

from __future__ import annotations

from heapq import heapify, heappop, heapreplace
from typing import TYPE_CHECKING

from ..scenario import CoverSpec
from .worker import Worker

if TYPE_CHECKING:
    from .workforce import Workforce

URGENT_RANK = 0  # the most urgent level of the scenario's urgency list


class Cover:
    def __init__(self, spec: CoverSpec, workforce: Workforce) -> None:
        self.spec = spec
        self.workforce = workforce
        self.sim = workforce.sim
        self.requested: set[int] = set()  # worker ids with agency cover asked for
        self.reallocated: set[int] = set()  # worker ids whose cases went back this absence
        self.covering: dict[int, Worker] = {}  # absent worker id -> their agency cover
        self._queue_day = -1  # the day _by_queue was built for
        self._by_queue: list = []

    def apply(self, worker: Worker, day: int) -> None:
        """Apply the policies to one absent worker on working day ``day``."""
        spec = self.spec
        days_away = day - worker.away_since
        n = spec.urgent_to_colleagues_after_days
        if n is not None and days_away >= n:
            self._urgent_to_colleagues(worker, day)
        m = spec.reallocate_after_days
        if m is not None and days_away >= m and worker.id not in self.reallocated:
            self.reallocated.add(worker.id)
            for case in list(worker.held):
                self.sim.move_case(case)
        k = spec.agency_cover_after_days
        if (
            k is not None
            and worker.away == "sick"
            and days_away >= k
            and worker.id not in self.requested
        ):
            self.requested.add(worker.id)
            delay = self.workforce.draw_days(spec.agency_cover_fill_days, "cover.fill")
            self.workforce.schedule(day + delay, lambda d, w=worker: self._arrive(w, d))

    def back(self, worker: Worker) -> None:
        """The worker is back: cover hands their cases back and goes."""
        self.requested.discard(worker.id)
        self.reallocated.discard(worker.id)
        cover = self.covering.pop(worker.id, None)
        if cover is not None:
            for case in list(cover.held):
                self.sim.move_case(case, to=worker)
            self.workforce.let_go(cover, "end of sickness cover")

    def _urgent_to_colleagues(self, worker: Worker, day: int) -> None:
        tasks = worker.take_urgent_tasks(URGENT_RANK)
        if not tasks:
            return
        others = self._colleagues_by_queue(day)
        if not others:
            for task in tasks:  # nobody to give them to: they stay where they were
                worker.add_task_tuple(task)
            return
        for task in tasks:
            colleague = self._least_queued(others)
            if colleague is None:
                worker.add_task_tuple(task)
                continue
            colleague.add_task_tuple(task)
            colleague.cover_hours += task[3]
            heapreplace(others, (colleague.queued_hours(), colleague.id, colleague, True))

    def _colleagues_by_queue(self, day: int) -> list:
        """Present workers as heap entries (queued hours or a lower bound, number, worker,
        exact?), built once a day rather than a min over the team for every task moved
        (which grew with the square of the team). An empty queue is exactly 0 h; the
        others are summed only if they come to the top (most never do)."""
        if self._queue_day != day:
            self._queue_day = day
            self._by_queue = [
                (0.0, w.id, w, w.queued_tasks == 0) for w in self.workforce.in_post if w.present
            ]
            heapify(self._by_queue)
        return self._by_queue

    @staticmethod
    def _least_queued(heap: list) -> Worker | None:
        """The colleague with the least queued work (ties to the lowest number).

        An entry is used only once its hours are exact and still true: a lower bound
        that comes to the top is summed and put back, and so is an entry found out of
        date. The daily pass changes no colleague's queue but by the tasks given here
        (each is put back after it), so work added elsewhere cannot mislead it."""
        while heap:
            hours, number, colleague, exact = heap[0]
            if not colleague.present:
                heappop(heap)
                continue
            now = colleague.queued_hours()
            if exact and now == hours:
                return colleague
            heapreplace(heap, (now, number, colleague, True))
        return None

    def _arrive(self, absent: Worker, day: int) -> None:
        if absent.away != "sick" or absent.left_at is not None:
            self.requested.discard(absent.id)
            return  # back (or gone) before cover came: the request lapses
        cover = self.workforce.hire(-1, "agency", ramp=True)
        self.covering[absent.id] = cover
        for case in list(absent.held):
            self.sim.move_case(case, to=cover)
