"""The Clock processes SimPy's event queue exactly as ``Environment.run`` does."""

from __future__ import annotations

import numpy as np
import pytest
import simpy

from workload_sim.model.clock import Clock


def _fire_order(
    env: simpy.Environment, schedule, until: float, simpy_run: bool = False
) -> list[tuple[float, int]]:
    """Timers at random delays, some scheduling more when they fire (ties included)."""
    rng = np.random.default_rng(3)
    fired: list[tuple[float, int]] = []
    delays = (rng.integers(0, 8, 400) / 2.0).tolist()  # many equal times: order by event id
    count = iter(range(10**6))

    def fire(_event, k: int) -> None:
        fired.append((env.now, k))
        if delays:
            d = delays.pop()
            n = next(count)
            schedule(env, d, lambda e, n=n: fire(e, n))

    for _ in range(20):
        n = next(count)
        schedule(env, delays.pop(), lambda e, n=n: fire(e, n))
    if isinstance(env, Clock) and not simpy_run:
        env.run_until(until)
    else:
        env.run(until=until)
    return fired


def _simpy_timeout(env, delay, callback):
    env.timeout(delay).callbacks.append(callback)


def test_clock_fires_the_same_events_in_the_same_order_as_simpy():
    plain = _fire_order(simpy.Environment(), _simpy_timeout, 30.0)
    for schedule in (_simpy_timeout, lambda env, d, cb: env.call_in(d, cb)):
        clock = Clock()
        assert _fire_order(clock, schedule, 30.0) == plain
        assert clock.now == 30.0  # the clock stops at ``until``, as SimPy's does
        # SimPy's own run on a Clock (tests drive workers that way): callbacks see the time
        assert _fire_order(Clock(), schedule, 30.0, simpy_run=True) == plain
    assert len(plain) > 100 and len({t for t, _ in plain}) < len(plain)  # ties were tested


def test_clock_leaves_events_due_at_until_unprocessed_and_refuses_bad_input():
    clock = Clock()
    fired = []
    clock.call_in(1.0, lambda e: fired.append(1.0))
    clock.call_in(2.0, lambda e: fired.append(2.0))
    clock.run_until(2.0)
    assert fired == [1.0] and clock.now == 2.0
    clock.run_until(3.0)
    assert fired == [1.0, 2.0]
    with pytest.raises(ValueError):
        clock.call_in(-1.0, lambda e: None)
    with pytest.raises(ValueError):
        clock.run_until(3.0)
