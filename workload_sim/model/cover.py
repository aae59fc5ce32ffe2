"""Sick-leave cover: who does an absent worker's work, and when.

Cover policies are a registry, like allocation policies: each is a small class
switched on by its own day count in the scenario's ``cover`` section (null:
off), and they combine. Every working day, for each absent worker, the policies
are applied in registry order. Adding a policy means a class here, its entry in
``POLICIES`` and its field in ``scenario.CoverSpec``.

- nothing set: cases wait for the worker's return;
- ``urgent_to_colleagues_after_days`` N: from day N of an absence, the absent
  worker's queued tasks for urgent cases go to the present colleague with the
  least queued work, who records them as cover hours;
- ``reallocate_after_days`` M: on day M, all the absent worker's cases go back on
  the unallocated list (each reallocation counts another worker for the person);
- ``agency_cover_after_days`` K: on day K of a sickness absence, agency cover is
  requested; it arrives after the fill delay and takes over the cases until the
  worker returns. Then it hands back the worker's own cases, as many as fit the
  worker's cap; the rest (and any case the cover took from the list) go back on
  the unallocated list, and the cover goes. If the absent worker leaves instead,
  the cover goes too, unless it stays on as the vacant post's agency interim
  (see ``Workforce.let_go``).
"""

from __future__ import annotations

from heapq import heapify, heappop, heapreplace

from ..scenario import CoverSpec
from . import events as ev
from .roles import Team
from .worker import Worker

URGENT_RANK = 0  # the most urgent level of the scenario's urgency list


class CoverPolicy:
    """One way of covering an absence; ``after`` is its day count from the scenario."""

    def __init__(self, cover: Cover, after: int) -> None:
        self.cover, self.after = cover, after
        self.workforce, self.sim = cover.workforce, cover.workforce.sim

    def on_day(self, worker: Worker, day: int, days_away: int) -> None:
        """Called each working day of ``worker``'s absence."""

    def back(self, worker: Worker) -> None:
        """The worker is back at work."""

    def left(self, worker: Worker) -> Worker | None:
        """The absent worker left; returns a cover worker still in the team, if any."""
        return None


class UrgentToColleagues(CoverPolicy):
    def __init__(self, cover: Cover, after: int) -> None:
        super().__init__(cover, after)
        self._queue_day = -1
        self._by_queue: list = []

    def on_day(self, worker: Worker, day: int, days_away: int) -> None:
        if days_away < self.after:
            return
        tasks = worker.take_urgent_tasks(URGENT_RANK)
        if not tasks:
            return
        others = self._colleagues_by_queue(day)
        if not others:
            for task in tasks:  # nobody to give them to: they stay where they were
                worker.add_task_tuple(task)
            return
        for task in tasks:
            colleague = _least_queued(others)
            if colleague is None:
                worker.add_task_tuple(task)
                continue
            colleague.add_task_tuple(task._replace(kind=ev.COVER_TASK))
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


class ReallocateAll(CoverPolicy):
    def __init__(self, cover: Cover, after: int) -> None:
        super().__init__(cover, after)
        self.done: set[int] = set()  # worker ids whose cases went back this absence

    def on_day(self, worker: Worker, day: int, days_away: int) -> None:
        if days_away >= self.after and worker.id not in self.done:
            self.done.add(worker.id)
            for case in list(worker.held):
                self.sim.move_case(case, reason=ev.REALLOCATED)

    def back(self, worker: Worker) -> None:
        self.done.discard(worker.id)

    def left(self, worker: Worker) -> Worker | None:
        self.done.discard(worker.id)
        return None


class AgencyCover(CoverPolicy):
    def __init__(self, cover: Cover, after: int) -> None:
        super().__init__(cover, after)
        # worker id -> first day of the absence agency cover was asked for (a request
        # from an earlier absence must not bring a second cover)
        self.requested: dict[int, int] = {}
        self.own: dict[int, list] = {}  # absent worker id -> the cases the cover took over
        self.covering: dict[int, Worker] = {}  # absent worker id -> their agency cover

    def on_day(self, worker: Worker, day: int, days_away: int) -> None:
        if worker.away != "sick" or days_away < self.after or worker.id in self.requested:
            return
        since = self.requested[worker.id] = worker.away_since
        delay = self.workforce.draw_days(self.cover.spec.agency_cover_fill_days, "cover.fill")
        self.workforce.schedule(day + delay, lambda d, w=worker, s=since: self._arrive(w, s))

    def back(self, worker: Worker) -> None:
        """Cover hands back the worker's own cases, within their cap, and goes."""
        self.requested.pop(worker.id, None)
        cover = self.covering.pop(worker.id, None)
        if cover is None:
            return
        own = set(self.own.pop(worker.id, ()))
        for case in list(cover.held):
            if case in own and worker.has_room(case.weight):
                self.sim.move_case(case, to=worker, reason=ev.COVER)
            else:  # the cover's own intake, or more than the worker may hold: the list
                self.sim.move_case(case, reason=ev.COVER)
        self.workforce.let_go(cover, "end of sickness cover")

    def left(self, worker: Worker) -> Worker | None:
        self.requested.pop(worker.id, None)
        self.own.pop(worker.id, None)
        return self.covering.pop(worker.id, None)

    def _arrive(self, absent: Worker, since: int) -> None:
        if self.requested.get(absent.id) != since or absent.id in self.covering:
            return  # the absence it was asked for is over (a later one has its own)
        if absent.away != "sick" or absent.left_at is not None:
            del self.requested[absent.id]
            return  # back (or gone) before cover came: the request lapses
        cover = self.workforce.hire(-1, self.cover.agency_type, ramp=True)
        self.covering[absent.id] = cover
        self.own[absent.id] = list(absent.held)
        for case in list(absent.held):
            self.sim.move_case(case, to=cover, reason=ev.COVER)


# scenario field (cover.<field>: the day count that switches it on) -> policy, in the
# order they are applied each day
POLICIES: dict[str, type[CoverPolicy]] = {
    "urgent_to_colleagues_after_days": UrgentToColleagues,
    "reallocate_after_days": ReallocateAll,
    "agency_cover_after_days": AgencyCover,
}


class Cover:
    """The cover policies switched on in the scenario, applied to each absent worker."""

    def __init__(self, spec: CoverSpec, workforce: Team, agency_type: str) -> None:
        self.spec = spec
        self.workforce = workforce
        self.agency_type = agency_type  # the worker type an agency supplies as cover
        self.policies = [
            policy(self, getattr(spec, field))
            for field, policy in POLICIES.items()
            if getattr(spec, field) is not None
        ]

    def apply(self, worker: Worker, day: int) -> None:
        """Apply the policies to one absent worker on working day ``day``."""
        days_away = day - worker.away_since
        for policy in self.policies:
            policy.on_day(worker, day, days_away)

    def back(self, worker: Worker) -> None:
        for policy in self.policies:
            policy.back(worker)

    def absent_left(self, worker: Worker) -> Worker | None:
        """The absent worker left: forget their absence; returns their cover, if any."""
        found = None
        for policy in self.policies:
            found = policy.left(worker) or found
        return found
