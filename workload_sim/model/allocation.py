"""The unallocated list and the rule that gives a waiting case to a worker.

The list is served strictly in urgency order, then oldest first. A case can
go only to a worker whose weighted caseload plus the case's weight stays
within their cap. If the case at the head of the list fits nobody, the list
waits (head-of-line: a manager does not skip an urgent case for an easier one).

Which worker, among those with room, is the allocation *policy*, a plain
function chosen by name in the scenario:

- ``least_loaded``: lowest caseload relative to cap, ties to the lowest number;
- ``round_robin``: the next worker in turn after the last one given a case;
- ``first_available``: the lowest-numbered worker with room.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from heapq import heapify, heappop, heappush

from .case import Case
from .worker import _EPS, Worker

_INF = float("inf")
Policy = Callable[[Sequence[Worker], Case, dict], "Worker | None"]


def least_loaded(workers: Sequence[Worker], case: Case, state: dict) -> Worker | None:
    best, best_load = None, 0.0
    w = case.weight - _EPS
    for worker in workers:
        if worker.caseload + w <= worker.limit:  # has_room, inlined: the hottest loop
            load = worker.caseload / worker.cap
            if best is None or load < best_load:
                best, best_load = worker, load
    return best


def round_robin(workers: Sequence[Worker], case: Case, state: dict) -> Worker | None:
    n = len(workers)
    start = state.get("next", 0)
    for k in range(n):
        worker = workers[(start + k) % n]
        if worker.has_room(case.weight):
            state["next"] = (start + k + 1) % n
            return worker
    return None


def first_available(workers: Sequence[Worker], case: Case, state: dict) -> Worker | None:
    for worker in workers:
        if worker.has_room(case.weight):
            return worker
    return None


POLICIES: dict[str, Policy] = {
    "least_loaded": least_loaded,
    "round_robin": round_robin,
    "first_available": first_available,
}


class UnallocatedList:
    """Waiting cases in urgency order, and the allocation of them to workers."""

    def __init__(
        self, policy: str, n_ranks: int, on_allocate: Callable[[Case, Worker], None]
    ) -> None:
        self._policy = POLICIES[policy]
        self.by_rank = [0] * n_ranks  # waiting cases per urgency rank, kept as they move
        self._state: dict = {}
        self.heap: list = []
        self._seq = 0
        self._on_allocate = on_allocate
        self.workers: list[Worker] = []
        # Weight of a head case that fitted nobody; until capacity changes, a head at
        # least as heavy cannot fit either, so allocation is skipped (a hot-path saving).
        self.blocked_weight = _INF

    def __len__(self) -> int:
        return len(self.heap)

    def add(self, case: Case) -> None:
        self._seq += 1
        heappush(self.heap, (case.rank, case.arrival, self._seq, case))
        self.by_rank[case.rank] += 1

    def waiting(self) -> list[Case]:
        return [item[3] for item in self.heap]

    def remove_if(self, test: Callable[[Case], bool]) -> list[Case]:
        """Take out and return the waiting cases for which ``test`` is true."""
        gone = [item[3] for item in self.heap if test(item[3])]
        if gone:
            self.heap[:] = [item for item in self.heap if not test(item[3])]
            heapify(self.heap)
            for case in gone:
                self.by_rank[case.rank] -= 1
        return gone

    def choose(self, case: Case) -> Worker | None:
        """The worker the policy would give ``case`` to now, or None if nobody has room."""
        return self._policy(self.workers, case, self._state)

    def capacity_changed(self) -> None:
        """A worker's room grew (a case closed, someone joined): allocate afresh."""
        self.blocked_weight = _INF
        self.allocate()

    def allocate(self) -> None:
        """Give waiting cases to workers with room until the head of the list fits nobody."""
        heap = self.heap
        while heap:
            case = heap[0][3]
            if case.weight >= self.blocked_weight:
                return
            worker = self._policy(self.workers, case, self._state)
            if worker is None:
                self.blocked_weight = case.weight
                return
            heappop(heap)
            self.by_rank[case.rank] -= 1
            self._on_allocate(case, worker)
