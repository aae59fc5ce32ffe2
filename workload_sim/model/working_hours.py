"""Working hours: who stays on past contract, decided each evening.

At the end of each working day every worker at work decides whether to stay
on. A worker is **behind** when the ready work in their hands (their queue and
what is left of the task in hand) is more than ``behind_when_queued_days`` days
of their own case work; a worker who is behind works on, through their work in
order, until it is done or they reach their limit: ``max_hours_per_day`` that
evening and ``max_hours_per_week`` over any five working days. A worker who is
not behind goes home. Those hours are unpaid (social workers are salaried), so
the model records them as overtime against the day that ended.

Sustained unpaid hours are workload pressure: ``recent_unpaid_per_week`` (the
last four weeks' average) feeds ``absence.pressure``, raising that worker's
sickness and leaving (the reinforcing loop of the Munro review's system model).

>>> from workload_sim.scenario import OvertimeSpec
>>> hours = WorkingHours(OvertimeSpec(max_hours_per_day=2.0, max_hours_per_week=9.0))
>>> hours.allowance_left([2.0] * WINDOW, 10, 2.0)  # 8 h in the four evenings before
1.0
"""

from __future__ import annotations

from collections.abc import Iterable

from ..scenario import OvertimeSpec
from .worker import Worker

WINDOW = 20  # working days remembered (Worker.late_hours): four weeks
WEEK = 5


def recent_unpaid_per_week(worker: Worker) -> float:
    """Unpaid hours a week over the last four working weeks."""
    return sum(worker.late_hours) * WEEK / WINDOW


class WorkingHours:
    """The evening decision for a whole team."""

    def __init__(self, spec: OvertimeSpec) -> None:
        self.spec = spec
        self.active = spec.enabled and spec.max_hours_per_day > 0 and spec.max_hours_per_week > 0

    def allowance_left(self, late: list[float], day: int, daily_cap: float) -> float:
        """Hours still allowed on the evening of ``day``: the daily cap, and the weekly
        cap less the four evenings before (``late`` is indexed by day % WINDOW)."""
        earlier = sum(late[(day - k) % WINDOW] for k in range(1, WEEK))
        return max(0.0, min(daily_cap, self.spec.max_hours_per_week - earlier))

    def evening(self, team: Iterable[Worker], day: int) -> None:
        """The end of working day ``day``: each worker at work stays on or goes home."""
        slot = day % WINDOW
        for w in team:
            worked = 0.0
            if self.active and w.present and self.behind(w):
                worked = w.work_late(self.allowance_left(w.late_hours, day, w.overtime_cap))
            w.late_hours[slot] = worked

    def behind(self, w: Worker) -> bool:
        return w.hours_in_hand() > self.spec.behind_when_queued_days * w.rate + 1e-9
