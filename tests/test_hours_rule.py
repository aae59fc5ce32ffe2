"""Hours beyond contract as a decision each evening: grows with the load, feeds pressure.

The evening's arithmetic (behind or not, daily and weekly limits) is checked by hand in
tests/test_mechanisms.py; the per worker-day limits on every library scenario and on
generated worlds in tests/test_invariants.py. Here: the hours follow the load (common
random numbers, paired intervals), unpaid hours raise a worker's pressure exactly as
docs/model.md says, and the per worker-day table agrees with the raw log.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import simpy

import workload_sim
from workload_sim.model.absence import pressure, pressure_multiplier
from workload_sim.model.events import EventLog
from workload_sim.model.simulation import Simulation
from workload_sim.model.worker import Worker
from workload_sim.records import tables_of
from workload_sim.records.summary import t_interval
from workload_sim.scenario import AbsenceSpec

from .conftest import DEFAULT

LOADS = (18, 28, 40)  # referrals a week: light, the shipped team's, heavy


def test_unpaid_hours_grow_with_the_load():
    runs = {
        n: workload_sim.run(DEFAULT, reps=8, overrides=[f"demand.referrals_per_week={n}"])
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
    env = simpy.Environment()
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


def test_the_hours_table_agrees_with_the_raw_log():
    sim = Simulation(workload_sim.load_scenario(DEFAULT), 0).run()
    hours = tables_of(sim).hours
    late: dict[tuple[int, int], float] = {}
    for row in sim.log.work:  # the test's own reading of the evening rows
        if row[12] > 0:
            key = (row[0], math.ceil(row[9]) - 1)
            late[key] = late.get(key, 0.0) + row[12]
    table = {(w, d): u for w, d, u in hours[["worker", "day", "unpaid_hours"]].to_numpy()}
    assert sum(late.values()) == pytest.approx(sum(table.values()))
    for key, value in late.items():
        assert table[key] == pytest.approx(value)  # every evening on a day at work
    contract = {j[0]: j[7] for j in sim.log.joins}
    assert np.allclose(hours["contracted_hours"], [contract[w] for w in hours["worker"]])
