"""Working hours: who stays on past contract, decided each evening.

At the end of each working day every worker at work decides whether to stay
on. A worker is **behind** when the ready work in their hands (their queue and
what is left of the task in hand) is more than ``behind_when_queued_days`` days
of their own case work; a worker who is behind works on, through their work in
order, until it is done or they reach their limit: ``max_hours_per_day`` that
evening and ``max_hours_per_week`` over any five working days. A worker who is
not behind goes home. Those hours are unpaid (social workers are salaried), so
the model records them as overtime against the day that ended.

The limits are **personal**: people differ in how long they stay on. Each
worker draws a factor once, when first seen (in the order workers join, from
the stream ``overtime.personal_limits``), from a gamma distribution with mean
``personal_limit_scale`` and coefficient of variation ``personal_limit_spread``;
their own limits are ``max_hours_per_day`` and ``max_hours_per_week`` times that
factor. With a spread of 0 everyone has the same limits (no draw is made). With
a spread near 1 many workers rarely stay on long and a few work long evenings,
the long tail the surveys report (docs/model.md, "Hours beyond contract").

Sustained unpaid hours are workload pressure: ``recent_unpaid_per_week`` (the
last four weeks' average) feeds ``absence.pressure``, raising that worker's
sickness and leaving (the reinforcing loop of the Munro review's system model).

>>> from workload_sim.scenario import OvertimeSpec
>>> one_limit = dict(personal_limit_scale=1.0, personal_limit_spread=0.0)
>>> hours = WorkingHours(OvertimeSpec(max_hours_per_day=2.0, max_hours_per_week=9.0, **one_limit))
>>> hours.allowance_left([2.0] * WINDOW, 10, 2.0, 9.0)  # 8 h in the four evenings before
1.0
>>> hours.personal_limits(0)  # no spread: the team's limits
(2.0, 9.0)
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..scenario import OvertimeSpec
from .worker import Worker

WINDOW = 20  # working days remembered (Worker.late_hours): four weeks
WEEK = 5


def recent_unpaid_per_week(worker: Worker) -> float:
    """Unpaid hours a week over the last four working weeks."""
    return sum(worker.late_hours) * WEEK / WINDOW


class WorkingHours:
    """The evening decision for a whole team, with each worker's personal limits."""

    def __init__(self, spec: OvertimeSpec, rng: np.random.Generator | None = None) -> None:
        self.spec = spec
        self.active = spec.enabled and spec.max_hours_per_day > 0 and spec.max_hours_per_week > 0
        self._rng = rng
        self._factors: list[float] = []  # worker id -> personal factor, drawn in id order
        self._limits: dict[int, tuple[float, float]] = {}  # worker id -> personal_limits

    def factor(self, worker_id: int) -> float:
        """Worker ``worker_id``'s personal factor: the k-th draw goes to the k-th worker, so a
        worker's factor does not depend on when the others are first seen."""
        spec = self.spec
        if spec.personal_limit_spread <= 0.0 or spec.personal_limit_scale <= 0.0:
            return spec.personal_limit_scale
        if self._rng is None:
            raise ValueError("personal limits with a spread need a random stream")
        shape = 1.0 / spec.personal_limit_spread**2
        while len(self._factors) <= worker_id:
            draw = self._rng.gamma(shape, spec.personal_limit_scale / shape)
            self._factors.append(float(draw))
        return self._factors[worker_id]

    def personal_limits(self, worker_id: int) -> tuple[float, float]:
        """(most hours one evening, most in any five working days) for this worker."""
        f = self.factor(worker_id)
        return self.spec.max_hours_per_day * f, self.spec.max_hours_per_week * f

    def allowance_left(self, late: list[float], day: int, daily: float, weekly: float) -> float:
        """Hours still allowed on the evening of ``day``: the daily limit, and the weekly
        limit less the four evenings before (``late`` is indexed by day % WINDOW)."""
        # the four evenings before, added in the order sum() over k = 1..4 adds them
        earlier = (
            late[(day - 1) % WINDOW]
            + late[(day - 2) % WINDOW]
            + late[(day - 3) % WINDOW]
            + late[(day - 4) % WINDOW]
        )
        return max(0.0, min(daily, weekly - earlier))

    def evening(self, team: Iterable[Worker], day: int) -> None:
        """The end of working day ``day``: each worker at work stays on or goes home."""
        slot = day % WINDOW
        active, behind_days = self.active, self.spec.behind_when_queued_days
        limits = self._limits
        for w in team:
            worked = 0.0
            # w.present and self.behind(w), inlined: this runs for every worker every day
            if (
                active
                and w.away is None
                and w.left_at is None
                and w.hours_in_hand() > behind_days * w.rate + 1e-9
            ):
                daily, weekly = limits.get(w.id) or self._limits_of(w.id)
                worked = w.work_late(self.allowance_left(w.late_hours, day, daily, weekly))
            w.late_hours[slot] = worked

    def _limits_of(self, worker_id: int) -> tuple[float, float]:
        limits = self._limits[worker_id] = self.personal_limits(worker_id)
        return limits

    def behind(self, w: Worker) -> bool:
        return w.hours_in_hand() > self.spec.behind_when_queued_days * w.rate + 1e-9
