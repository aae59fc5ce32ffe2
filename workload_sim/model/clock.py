"""The simulation clock: SimPy's Environment with a lean loop for callback timers.

The model schedules nothing but timeouts with callbacks (docs/engine.md), so
the general machinery of ``Environment.run`` (an "until" event, a ``step()``
call and an exception handler per event) is pure overhead on its hot path.
:class:`Clock` keeps SimPy's event queue exactly as it is, entries
``(time, priority, event id, event)`` popped in the same order, and only
processes them in one tight loop; :meth:`Clock.call_in` schedules a callback
as SimPy's ``Timeout`` does, without the constructor's two calls. A run gives
the same events in the same order as on a plain ``Environment`` (tests check
it): the results are identical, only sooner.
"""

from __future__ import annotations

from collections.abc import Callable
from heapq import heappop, heappush

import simpy
from simpy.events import NORMAL, Timeout

_new_timeout = Timeout.__new__


class Clock(simpy.Environment):
    """One replication's clock (one unit = one working day)."""

    def call_in(self, delay: float, callback: Callable) -> Timeout:
        """Call ``callback(event)`` ``delay`` from now: ``env.timeout(delay)`` with the
        callback attached, built in one step; returns the event (a plain Timeout)."""
        if delay < 0:
            raise ValueError(f"Negative delay {delay}")
        event = _new_timeout(Timeout)
        event.env = self
        event.callbacks = [callback]
        event._value = None
        event._delay = delay
        event._ok = True
        heappush(self._queue, (self._now + delay, NORMAL, next(self._eid), event))
        return event

    def run_until(self, until: float) -> None:
        """Process every event before time ``until``, then set the clock to ``until``.

        As ``Environment.run(until=...)``: that puts an urgent stop event at
        ``until``, ahead of the timeouts due then, so those are left unprocessed
        here too. A failed event raises as in ``Environment.step``.
        """
        if until <= self._now:
            raise ValueError(f"until ({until}) must be greater than the current simulation time")
        queue = self._queue
        while queue and queue[0][0] < until:
            self._now, _, _, event = heappop(queue)
            callbacks, event.callbacks = event.callbacks, None
            for callback in callbacks:
                callback(event)
            if not event._ok and not hasattr(event, "_defused"):
                exc = type(event._value)(*event._value.args)
                exc.__cause__ = event._value
                raise exc
        self._now = until
