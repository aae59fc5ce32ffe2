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

The functions below state each rule plainly over the whole team. Walking the
team for every case makes a large team's run grow with the square of its size,
so ``least_loaded`` (the default) is answered from a :class:`CaseloadBoard`
instead: the workers ordered by how full they are, kept up to date as each one's
caseload or cap changes. The board gives exactly the worker the plain rule would
(tests check it, choice by choice).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from heapq import heapify, heappop, heappush
from typing import TYPE_CHECKING

from .case import Case
from .worker import _EPS, Worker

if TYPE_CHECKING:
    from ..records import DailyLedger
    from .clock import Clock

_INF = float("inf")
# Two caseloads that divide to the same load differ by a few units in the last place
# (~1e-15 relatively); a worker short of room by more than this much is truly full.
_ROUNDING = 1e-12
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


class CaseloadBoard:
    """The team ordered by how full each worker is, for ``least_loaded``.

    Workers with the same cap and the same limit share a heap keyed by (caseload /
    cap, worker number). Within one such group a lower load means a lower caseload
    and so more room: if the least loaded cannot take a case, nobody in the group
    can. The answer is the best of the groups' least loaded (a handful of groups:
    one per contract type and FTE), so a choice costs a few heap operations
    instead of a walk over the team. A worker whose caseload, cap or limit changes
    is marked (by :class:`BoardedWorker`) and re-entered before the next choice;
    their old entry is recognised as stale by its stamp and dropped when met.
    """

    def __init__(self) -> None:
        self._groups: dict[tuple[float, float], list] = {}  # (cap, limit) -> heap
        self._stamp: dict[int, int] = {}  # worker id -> stamp of their live entry
        # workers whose caseload, cap or limit changed since the last choice, in order
        # (a dict as an ordered set: BoardedWorker writes to it directly, it is that hot)
        self.marked: dict[Worker, None] = {}
        self._entries = 0

    def least_loaded(self, weight: float) -> Worker | None:
        """Exactly :func:`least_loaded` over the boarded workers, for a case of ``weight``."""
        if self.marked:
            self._refresh()
        w = weight - _EPS
        best = None
        stamp = self._stamp
        for heap in self._groups.values():
            while heap and heap[0][2] != stamp[heap[0][1]]:
                heappop(heap)
                self._entries -= 1
            if not heap:
                continue
            top = heap[0]
            worker = top[3]
            over = worker.caseload + w - worker.limit  # > 0: no room, as in least_loaded
            if over > 0.0:
                if over > _ROUNDING * (worker.caseload + worker.limit + 1.0):
                    continue  # clearly full: so is everyone at this load or above
                top = self._equal_load_with_room(heap, w)
                if top is None:
                    continue
            if best is None or top[:2] < best[:2]:
                best = top
        return None if best is None else best[3]

    def _equal_load_with_room(self, heap: list, w: float) -> tuple | None:
        """The first entry at the top load that has room (rounding can give two
        different caseloads the same load; a higher load never has more room)."""
        load, popped, found = heap[0][0], [], None
        while heap and heap[0][0] == load:
            entry = heappop(heap)
            if entry[2] != self._stamp[entry[1]]:
                self._entries -= 1
                continue
            popped.append(entry)
            if entry[3].caseload + w <= entry[3].limit:
                found = entry
                break
        for entry in popped:
            heappush(heap, entry)
        return found

    def _refresh(self) -> None:
        stamp, groups = self._stamp, self._groups
        for worker in self.marked:
            n = stamp[worker.id] = stamp.get(worker.id, 0) + 1
            if worker.limit < 0.0:  # away or leaving: off the board until back
                continue
            key = (worker.cap, worker.limit)
            heap = groups.get(key)
            if heap is None:
                heap = groups[key] = []
            heappush(heap, (worker.caseload / worker.cap, worker.id, n, worker))
            self._entries += 1
        self.marked.clear()
        if self._entries > 4 * len(stamp) + 64:  # mostly stale entries: rebuild
            self._groups = {k: [e for e in h if e[2] == stamp[e[1]]] for k, h in groups.items()}
            for heap in self._groups.values():
                heapify(heap)
            self._entries = sum(len(h) for h in self._groups.values())


class BoardedWorker(Worker):
    """A worker who tells the caseload board whenever their room for cases changes."""

    def __init__(
        self, board: CaseloadBoard | None, env: Clock, ledger: DailyLedger, *args, **kw
    ) -> None:
        super().__init__(env, ledger, *args, **kw)
        # marking is a dict write (the board's set of changed workers), or nothing
        self._mark = _ignore if board is None else board.marked.__setitem__
        self._mark(self, None)

    # take_case and release_case: Worker's, then the mark (spelt out: once per case each)
    def take_case(self, case) -> None:
        self.held[case] = None
        self.caseload += case.weight
        self._mark(self, None)

    def release_case(self, case) -> None:
        self.held.pop(case, None)
        self.caseload -= case.weight
        self._mark(self, None)

    def go_away(self, reason: str, until: int) -> None:
        super().go_away(reason, until)
        self._mark(self, None)

    def come_back(self) -> None:
        super().come_back()
        self._mark(self, None)

    def leave_job(self, reason: str) -> list:
        tasks = super().leave_job(reason)
        self._mark(self, None)
        return tasks

    def set_cap(self, cap: float, rate: float) -> None:
        super().set_cap(cap, rate)
        self._mark(self, None)


def _ignore(worker: Worker, value: None) -> None:
    """No board to tell (a policy other than least_loaded)."""


POLICIES: dict[str, Policy] = {
    "least_loaded": least_loaded,
    "round_robin": round_robin,
    "first_available": first_available,
}


class UnallocatedList:
    """Waiting cases in urgency order, and the allocation of them to workers."""

    # Up to this many workers, walking the team is cheaper than reading the board
    # (measured: the board pays from about 16); either way the choice is the same.
    walk_up_to = 16

    def __init__(
        self, policy: str, n_ranks: int, on_allocate: Callable[[Case, Worker], None]
    ) -> None:
        self._policy = POLICIES[policy]
        # least_loaded reads the board; workers are put on it as they are hired
        self.board = CaseloadBoard() if policy == "least_loaded" else None
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
        if self.board is not None and len(self.workers) > self.walk_up_to:
            return self.board.least_loaded(case.weight)
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
            worker = self.choose(case)
            if worker is None:
                self.blocked_weight = case.weight
                return
            heappop(heap)
            self.by_rank[case.rank] -= 1
            self._on_allocate(case, worker)
