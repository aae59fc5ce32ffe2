"""Hours beyond contract as a decision each evening: grows with the load, feeds pressure.

The evening's arithmetic (behind or not, daily and weekly limits) is checked by hand in
tests/test_mechanisms.py; the per worker-day limits on every library scenario and on
generated worlds in tests/test_invariants.py. Here: the hours follow the load (common
random numbers, paired intervals), unpaid hours raise a worker's pressure exactly as
docs/model.md says, and the run's weekly hours agree with a computation from the raw log.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import workload_sim
from workload_sim.model.absence import pressure, pressure_multiplier
from workload_sim.model.clock import Clock
from workload_sim.model.events import EventLog
from workload_sim.model.simulation import Simulation
from workload_sim.model.worker import Worker
from workload_sim.records import tables_of
from workload_sim.records.hours import hours_metrics
from workload_sim.records.summary import t_interval
from workload_sim.scenario import AbsenceSpec

from .conftest import DEFAULT

LOADS = (18, 28, 40)  # referrals a week: light, the shipped team's, heavy


def test_unpaid_hours_grow_with_the_load():
    # 6 replications: each step up in load adds 3.5-3.9 h a week and the paired intervals
    # start at 1.9 and 3.0 h (8 gave 2.5 and 3.0; 4 left one at 0.5 h, too near 0)
    runs = {
        n: workload_sim.run(DEFAULT, reps=6, overrides=[f"demand.referrals_per_week={n}"])
        for n in LOADS
    }
    unpaid = {n: runs[n].per_rep["unpaid_hours_per_worker_week"].to_numpy() for n in LOADS}
    for lighter, heavier in zip(LOADS, LOADS[1:], strict=False):
        _, _, lo, _, _ = t_interval(unpaid[heavier] - unpaid[lighter])  # paired on CRN
        assert lo > 0, f"{heavier} vs {lighter} referrals a week: unpaid hours did not rise"
    # with one limit for everyone, never past it (10 h) averaged over weeks at work; with
    # personal limits each worker's own bound is checked from the log (tests/test_invariants.py)
    same = ["demand.referrals_per_week=40", "overtime.personal_limit_spread=0"]
    one_limit = workload_sim.run(
        DEFAULT, reps=4, overrides=[*same, "overtime.personal_limit_scale=1"]
    )
    assert one_limit.per_rep["unpaid_hours_per_worker_week"].max() <= 10.0


def test_unpaid_hours_raise_a_workers_pressure_as_documented():
    env = Clock()
    w = Worker(env, EventLog(30), 0, "permanent", 1.0, 20, 5.18, 7.4, 2.0)
    spec = AbsenceSpec()
    assert pressure(w, spec, 10.0) == 0.0  # no caseload, no queue, no evenings
    w.late_hours[:] = [2.0] * 20  # 2 h every evening for four weeks: 10 h a week
    assert pressure(w, spec, 10.0) == pytest.approx(1.0)  # full pressure
    w.late_hours[:] = [1.8] * 20  # 9 h a week: 0.9, past the 0.85 threshold
    p = pressure(w, spec, 10.0)
    assert p == pytest.approx(0.9)
    by_hand = 1 + 1.0 * (0.9 - 0.85) / (1 - 0.85)
    assert pressure_multiplier(p, 0.85, 1.0) == pytest.approx(by_hand)
    assert pressure_multiplier(3.0, 0.85, 1.0) == 2.0  # no further than full pressure


def days_at_work(log, n_days: int) -> dict[int, np.ndarray]:
    """Per worker, the days they were in post and at work, read from the raw ``joins`` and
    ``states`` rows: the daily tick changes a state at the start of a day, so a worker who
    goes away on day a and is back on day b is away on days a..b-1; one who joins on day j
    and leaves on day l is in post on days j..l-1."""
    out = {}
    for worker, joined, *_ in log.joins:
        at_work = np.zeros(n_days, dtype=bool)
        at_work[int(math.ceil(joined)) :] = True
        mine = sorted((r for r in log.states if r[0] == worker), key=lambda r: r[1])
        for (_, at, state, _), after in zip(mine, [*mine[1:], None][: len(mine)], strict=True):
            until = n_days if after is None else int(math.ceil(after[1]))
            if state != "present":  # away, or gone
                at_work[int(math.ceil(at)) : until] = False
        out[worker] = at_work
    return out


def test_days_at_work_by_hand():
    class Log:
        joins = [(0, 0.0), (1, 2.0)]
        states = [(0, 3.0, "sick", ""), (0, 5.0, "present", ""), (0, 8.0, "left", "x")]

    got = days_at_work(Log, 10)
    assert np.flatnonzero(got[0]).tolist() == [0, 1, 2, 5, 6, 7]
    assert np.flatnonzero(got[1]).tolist() == list(range(2, 10))


def test_weekly_hours_metrics_by_hand_from_the_raw_log():
    """The run's weekly hours, computed here from the raw log: unpaid hours are the evening
    stretches (logged at the instant their day ends) of days from the end of warm-up, per
    five days at work; contracted hours are each worker's contract day (their join row)
    per five days at work. Days at work come from the states rows (days_at_work), not the
    recorder's team table; and no evening falls on a day its worker was not at work."""
    sim = Simulation(workload_sim.load_scenario(DEFAULT), 0).run()
    n_days, warmup = sim.n_days, sim.scenario.warmup_days
    at_work = days_at_work(sim.log, n_days)
    contract = {j[0]: j[7] for j in sim.log.joins}
    days = sum(int(a[warmup:].sum()) for a in at_work.values())
    contracted = sum(contract[w] * a[warmup:].sum() for w, a in at_work.items())
    unpaid = 0.0
    evenings = 0
    for row in sim.log.work:
        worker, started, finished, contract_hours, overtime = row[0], *row[8:10], *row[11:13]
        if overtime <= 0:
            continue
        # the documented shape of an evening: an instant at a day's end, no contract hours
        assert started == finished == round(finished) >= 1 and contract_hours == 0, row
        day = int(finished) - 1
        assert at_work[worker][day], ("an evening on a day not at work", row)
        evenings += 1
        if day >= warmup:
            unpaid += overtime
    assert evenings > 100  # informative: the default team works evenings
    got = hours_metrics(tables_of(sim).hours, warmup)
    assert got["unpaid_hours_per_worker_week"] == pytest.approx(unpaid / days * 5, rel=1e-9)
    assert got["contracted_hours_per_worker_week"] == pytest.approx(contracted / days * 5, rel=1e-9)
