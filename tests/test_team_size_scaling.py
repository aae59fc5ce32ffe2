"""A large team costs the same per worker-year: no choice walks the whole team per event.

The fast structures (the caseload board behind ``least_loaded``, the daily
ordering of colleagues for urgent cover) must give exactly the choices of the
plain rules they replace: checked choice by choice against the plain rule, on
the default team and on teams with absence, cover and agency.
"""

from __future__ import annotations

import random

import pytest

from workload_sim.model import allocation, cover
from workload_sim.model.allocation import BoardedWorker, CaseloadBoard, least_loaded
from workload_sim.model.clock import Clock
from workload_sim.model.events import EventLog
from workload_sim.model.simulation import Simulation
from workload_sim.model.worker import Worker
from workload_sim.scenario.loading import load_scenario

from .conftest import DEFAULT, SCENARIOS

SHORT = ["horizon_days=120", "warmup_days=20"]
WITH_COVER = [  # sickness with every cover policy on, and more demand than the team has room for
    "cover.agency_cover_after_days=5",
    "cover.urgent_to_colleagues_after_days=1",
    "absence.sickness_days=30",
    "absence.long_term_share=0.8",
    "demand.referrals_per_week=34",
]


class _Case:
    def __init__(self, weight: float) -> None:
        self.weight = weight


def test_board_agrees_with_the_plain_rule_through_random_changes():
    """Caps of several sizes, weights that round (0.1 steps), absences, new terms."""
    rng = random.Random(7)
    env = Clock()
    ledger = EventLog(10)
    board = CaseloadBoard()
    team = []
    for i in range(25):
        cap = rng.choice([7.0, 14.0, 20.0, 16.0, 10.5])
        team.append(BoardedWorker(board, env, ledger, i, "permanent", 1.0, cap, 5.0, 7.0, 0.0))
    checked = 0
    for _ in range(4000):
        w = rng.choice(team)
        op = rng.random()
        if op < 0.45:
            if w.has_room(0.1):
                w.take_case(_Case(rng.choice([0.1, 0.3, 1.0, 1.5, 2.0])))
        elif op < 0.8:
            if w.held:
                w.release_case(rng.choice(list(w.held)))
        elif op < 0.9:
            if w.away is None:
                w.go_away("sick", 5)
            else:
                w.come_back()
        else:
            w.set_cap(rng.choice([7.0, 14.0, 20.0]), 5.0)
        for weight in (0.1, 1.0, 2.0, 6.5):
            case = _Case(weight)
            assert board.least_loaded(weight) is least_loaded(team, case, {})
            checked += 1
    assert checked == 16000


def test_board_finds_room_among_equal_loads():
    """Two caseloads that divide to the same load: the lower-numbered worker has no
    room, the other has (by one unit in the last place): the other gets the case."""
    env = Clock()
    ledger = EventLog(10)
    board = CaseloadBoard()
    a = BoardedWorker(board, env, ledger, 0, "permanent", 1.0, 2.1, 5.0, 7.0, 0.0)
    b = BoardedWorker(board, env, ledger, 1, "permanent", 1.0, 2.1, 5.0, 7.0, 0.0)
    a.take_case(_Case(1.6))
    b.take_case(_Case(1.5999999999999999))
    weight = 0.5000000010000002
    assert a.caseload / a.cap == b.caseload / b.cap  # the tie the board must see through
    w = weight - 1e-9  # least_loaded's test of room
    assert a.caseload + w > a.limit and b.caseload + w <= b.limit
    assert least_loaded([a, b], _Case(weight), {}) is b
    assert board.least_loaded(weight) is b


def _checked(monkeypatch) -> dict:
    """Check every board and cover choice of the runs that follow against the plain rules."""
    counts = {"allocations": 0, "cover": 0}
    choose = allocation.UnallocatedList.choose

    def choose_and_check(self, case):
        got = choose(self, case)
        assert got is least_loaded(self.workers, case, {})
        counts["allocations"] += 1
        return got

    least_queued = cover._least_queued
    team: list = []

    def least_queued_and_check(heap):
        got = least_queued(heap)
        present = [w for w in team[0].in_post if w.present]
        assert got is min(present, key=lambda w: (w.queued_hours(), w.id))
        counts["cover"] += 1
        return got

    init = cover.Cover.__init__

    def init_and_remember(self, spec, workforce, *rest):
        init(self, spec, workforce, *rest)
        team[:] = [workforce]

    monkeypatch.setattr(allocation.UnallocatedList, "walk_up_to", 0)  # the board, always
    monkeypatch.setattr(allocation.UnallocatedList, "choose", choose_and_check)
    monkeypatch.setattr(cover, "_least_queued", least_queued_and_check)
    monkeypatch.setattr(cover.Cover, "__init__", init_and_remember)
    return counts


@pytest.mark.parametrize(
    "source, overrides",
    [
        (DEFAULT, []),
        (DEFAULT, WITH_COVER),
        (SCENARIOS / "agency_heavy.yaml", []),
        (SCENARIOS / "long_term_sickness.yaml", []),
    ],
    ids=["default", "sickness_and_cover", "agency_heavy", "long_term_sickness"],
)
def test_fast_choices_are_the_plain_rules_choices(monkeypatch, source, overrides):
    counts = _checked(monkeypatch)
    sc = load_scenario(source, [*SHORT, *overrides])
    Simulation(sc, rep=0, seed=sc.seed).run()
    assert counts["allocations"] > 50
    if overrides:
        assert counts["cover"] > 5


def test_choosing_a_worker_never_walks_the_team():
    """The old rule looked at every worker for every case: a team of N cost N^2."""

    class NotToBeWalked(list):
        def __iter__(self):
            raise AssertionError("allocation walked the whole team")

        __getitem__ = __iter__

    sc = load_scenario(DEFAULT, ["horizon_days=60", "team.permanent=60", *SHORT[1:]])
    sim = Simulation(sc, rep=0, seed=sc.seed)
    allocated = sum(c.allocated_at is not None for c in sim.cases)
    sim.unallocated.workers = NotToBeWalked(sim.workers)  # its length may be read
    sim.run()
    assert sum(c.allocated_at is not None for c in sim.cases) > allocated + 100


def test_urgent_cover_looks_at_the_team_once_a_day(monkeypatch):
    """Colleagues' queued hours are summed once a day, not once per task moved (the old
    min over the team for every task cost N per task, N^2 a day in a large team)."""
    seen = {"calls": 0, "moved": 0, "days": set(), "inside": False}
    queued_hours = Worker.queued_hours
    urgent = cover.UrgentToColleagues.on_day
    take = Worker.take_urgent_tasks

    def counted(self):
        seen["calls"] += seen["inside"]
        return queued_hours(self)

    def counted_take(self, rank):
        tasks = take(self, rank)
        seen["moved"] += len(tasks)
        return tasks

    def watched(self, worker, day, days_away):
        seen["inside"] = True
        moved = seen["moved"]
        urgent(self, worker, day, days_away)
        if seen["moved"] > moved:
            seen["days"].add(day)
        seen["inside"] = False

    monkeypatch.setattr(Worker, "queued_hours", counted)
    monkeypatch.setattr(Worker, "take_urgent_tasks", counted_take)
    monkeypatch.setattr(cover.UrgentToColleagues, "on_day", watched)
    sc = load_scenario(
        DEFAULT, ["team.permanent=40", "demand.referrals_per_week=120", *WITH_COVER[1:4], *SHORT]
    )
    sim = Simulation(sc, rep=0, seed=sc.seed).run()
    team = len(sim.workforce.everyone)
    assert seen["moved"] > 2 * len(seen["days"]) > 0  # days with several tasks moved
    # once per colleague on each day with tasks to move, then one per task given
    assert seen["calls"] <= len(seen["days"]) * team + 2 * seen["moved"]
