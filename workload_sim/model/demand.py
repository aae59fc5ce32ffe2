"""Referral arrivals and front-door triage.

Arrivals are a Poisson process whose rate is constant within a working day
and set per day by weekday, month and yearly growth. Arrival times are drawn
exactly by inverting the cumulative rate (each gap is one unit-exponential
draw spent across days at their own rates), so no candidate is thrown away.

Triage decides, from its own streams and in arrival order, whether a referral
is closed with no further action, signposted, or opened as a case, and if
opened its urgency and pathway.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ..scenario import MONTHS, WEEKDAYS, DemandSpec, TriageSpec
from ..scenario.distributions import Choice, Sampler
from .calendar import WorkCalendar
from .case import NFA, OPEN, SIGNPOST
from .clock import Clock
from .streams import Streams


def daily_rates(
    demand: DemandSpec,
    calendar: WorkCalendar,
    changes: Sequence[tuple[int, float]] = (),
) -> np.ndarray:
    """Expected referrals on each working day of the run.

    Each calendar week brings ``referrals_per_week``, spread over its working days
    in proportion to their weekday weights: a bank holiday's share falls on the
    rest of its week (concerns still arrive) instead of being lost. ``changes``
    are scheduled demand changes, (first working day, factor): each multiplies the
    rate from its day on, on top of growth and profiles.
    """
    wk = np.array([demand.weekday_profile[d] for d in WEEKDAYS])
    mo = np.array([demand.month_profile[m] for m in MONTHS])
    wk, mo = wk / wk.mean(), mo / mo.mean()
    monday = calendar.dates - calendar.weekdays.astype("timedelta64[D]")
    week_days = monday[:, None] + np.arange(len(WEEKDAYS)).astype("timedelta64[D]")
    open_days = ~np.isin(week_days, calendar.holidays)
    week_weight = open_days @ wk  # 5 in a full week (weights average 1)
    growth = (1.0 + demand.annual_growth) ** calendar.years_elapsed
    for day, factor in changes:
        growth[day:] *= factor  # a fresh array: the calendar's cached ones stay untouched
    return (
        demand.referrals_per_week * wk[calendar.weekdays] / week_weight * mo[calendar.months]
    ) * growth


class Arrivals:
    """Calls ``on_arrival()`` at each referral until the last working day ends.

    Arrival times come in blocks: unit-exponential gaps are summed onto the
    cumulative rate and mapped back to clock time through it (vectorised
    inversion). Each referral is then one Timeout with a callback.
    """

    BLOCK = 1024

    def __init__(
        self,
        env: Clock,
        rates: np.ndarray,
        rng: np.random.Generator,
        on_arrival: Callable[[], None],
    ) -> None:
        self.env = env
        self._rates = np.asarray(rates, dtype=float)
        self._cum = np.concatenate(([0.0], np.cumsum(self._rates)))  # expected arrivals by day
        self._rng = rng
        self._on_arrival = on_arrival
        self._on_fire = self._fire  # bound once: attached to every arrival's Timeout
        self._level = float(np.interp(env.now, np.arange(len(self._cum)), self._cum))
        self._times: list[float] = []
        self._k = 0
        self._schedule_next()

    def _refill(self) -> None:
        levels = self._level + np.cumsum(self._rng.standard_exponential(self.BLOCK))
        self._level = float(levels[-1])
        levels = levels[levels < self._cum[-1]]  # beyond the last day: never happens
        day = np.searchsorted(self._cum, levels, side="right") - 1
        self._times = (day + (levels - self._cum[day]) / self._rates[day]).tolist()
        self._k = 0

    def _schedule_next(self) -> None:
        if self._k == len(self._times):
            if self._level >= self._cum[-1]:
                return
            self._refill()
            if not self._times:
                return
        t = self._times[self._k]
        self._k += 1
        self.env.call_in(t - self.env.now, self._on_fire)

    def _fire(self, _event) -> None:
        self._on_arrival()
        self._schedule_next()


class Triage:
    """Front-door decisions for each referral, drawn in arrival order."""

    def __init__(
        self,
        spec: TriageSpec,
        streams: Streams,
        prefix: str = "",
        case_mix: dict[str, float] | None = None,
    ) -> None:
        self.spec = spec
        self.outcome = Choice(
            {NFA: spec.no_further_action, SIGNPOST: spec.signpost, OPEN: spec.open_case},
            streams.get(prefix + "triage.outcome"),
        )
        self.urgency_names = list(spec.urgency)
        self.urgency = Choice(
            {k: u.share for k, u in spec.urgency.items()}, streams.get(prefix + "triage.urgency")
        )
        # urgency -> (rank in the list, 0 = most urgent; allocation target in working days)
        self.urgency_terms = {
            k: (i, u.allocation_target_days) for i, (k, u) in enumerate(spec.urgency.items())
        }
        mix = spec.case_mix if case_mix is None else case_mix
        self.pathway = Choice(dict(mix), streams.get(prefix + "triage.case_mix"))
        eff = spec.effort_hours
        # A fixed effort needs no call per referral: ``effort`` is None and the value is here.
        self.effort_fixed = eff.value if eff.is_fixed else 0.0
        self.effort: Sampler | None = (
            None if eff.is_fixed else Sampler(eff, streams.get(prefix + "triage.effort"))
        )
