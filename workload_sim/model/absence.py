"""Absence: annual leave booked through the year, sickness, and workload pressure.

Leave is booked per post in blocks, spread over each year of the run. Sickness
episodes (short and long term) start at random on days a worker is present,
at rates set so that a worker loses ``sickness_days`` a year on average, and
these rates rise with the worker's **pressure**: the largest of caseload/cap,
queued case work / (``backlog_days_at_full_pressure`` days of their work) and
unpaid hours a week over the last four weeks / ``overtime.unpaid_hours_at_full_pressure``. Above
``pressure_threshold`` the hazard is multiplied by
``1 + effect x (pressure - threshold) / (1 - threshold)``, up to ``1 + effect`` at
full pressure (no further): the reinforcing loop
of the Munro review's system model, acting worker by worker.

Each post has its own random streams and draws one number per day whatever
happens, so scenarios stay on common random numbers. A leave block due on a day
the worker is away (sick, at a NAAS assessment) is not lost: it starts on their
first day back. A year is the calendar's count of working days from the start.
"""

from __future__ import annotations

import math

import numpy as np

from ..scenario import AbsenceSpec
from ..scenario.distributions import Sampler
from .streams import Streams
from .worker import Worker
from .working_hours import recent_unpaid_per_week

_NO_LEAVE: dict[int, int] = {}  # a post with no leave booked (never written to)


def pressure(worker: Worker, spec: AbsenceSpec, unpaid_at_full: float = math.inf) -> float:
    """How stretched a worker is: 1.0 means at their cap, a full backlog, or the unpaid
    hours a week that count as full pressure, sustained over four weeks."""
    load = worker.caseload / worker.cap if worker.cap > 0 else 0.0
    backlog = worker.queued_hours() / (spec.backlog_days_at_full_pressure * worker.rate)
    return max(load, backlog, recent_unpaid_per_week(worker) / unpaid_at_full)


def pressure_multiplier(p: float, threshold: float, effect: float) -> float:
    """1 at or below the threshold, rising in a line to 1 + effect at full pressure (1.0)
    and no further: what full pressure does is the parameter, and a runaway backlog
    must not turn a sickness rate into a certainty within days."""
    if effect <= 0.0 or p <= threshold:
        return 1.0
    return 1.0 + effect * min(1.0, (p - threshold) / max(1e-9, 1.0 - threshold))


class Uniforms:
    """One uniform number per call from a dedicated stream, drawn in blocks."""

    __slots__ = ("_rng", "_buf", "_i")

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng, self._buf, self._i = rng, [], 0

    def __call__(self) -> float:
        if self._i == len(self._buf):
            self._buf, self._i = self._rng.random(256).tolist(), 0
        self._i += 1
        return self._buf[self._i - 1]


class Absence:
    """Leave calendars and sickness draws for every post of the team."""

    def __init__(
        self,
        spec: AbsenceSpec,
        streams: Streams,
        n_posts: int,
        n_days: int,
        days_per_year: int,
        years: list[tuple[int, int]] | None = None,
    ):
        self.spec = spec
        self.n_days = n_days
        self.days_per_year = days_per_year
        # (first working day, working days) of each leave year
        self.years = years or [(s, days_per_year) for s in range(0, n_days, days_per_year)]
        self.active = spec.annual_leave_days > 0 or spec.sickness_days > 0
        present_days = max(1.0, days_per_year - spec.annual_leave_days - spec.sickness_days)
        short, long_ = spec.short_term_episode_days, spec.long_term_episode_days
        self.p_short = spec.sickness_days * (1 - spec.long_term_share) / short.mean() / present_days
        self.p_long = spec.sickness_days * spec.long_term_share / long_.mean() / present_days
        self._streams = streams
        self._sick: dict[int, Uniforms] = {}
        self._lengths: dict[int, tuple[Sampler, Sampler]] = {}
        self.leave_starts: dict[int, dict[int, int]] = {}  # post -> {start day: length}
        self.owed: dict[int, int] = {}  # post -> leave days put off while away, taken on return
        for post in range(n_posts):
            self.add_post(post)

    def add_post(self, post: int) -> None:
        s = self._streams
        self._sick[post] = Uniforms(s.get(f"absence.sickness.post{post}"))
        self._lengths[post] = (
            Sampler(self.spec.short_term_episode_days, s.get(f"absence.short_length.post{post}")),
            Sampler(self.spec.long_term_episode_days, s.get(f"absence.long_length.post{post}")),
        )
        self.leave_starts[post] = self._book_leave(s.get(f"absence.leave.post{post}"))

    def _book_leave(self, rng: np.random.Generator) -> dict[int, int]:
        """Leave blocks for each leave year of the run, in distinct weeks chosen at random."""
        block = self.spec.leave_block_days
        total = int(round(self.spec.annual_leave_days))
        lengths = [block] * (total // block) + ([total % block] if total % block else [])
        starts: dict[int, int] = {}
        for year_start, year_days in self.years:
            if not lengths:
                break
            slots = max(1, year_days // block)
            chosen = rng.choice(slots, size=min(len(lengths), slots), replace=False)
            for slot, length in zip(sorted(chosen.tolist()), lengths, strict=False):
                starts[year_start + slot * block] = length
        return starts

    def leave_today(self, post: int, day: int) -> int:
        """Days of leave starting today for this post (0: none), with any put off."""
        return self.leave_starts.get(post, _NO_LEAVE).get(day, 0) + self.owed.pop(post, 0)

    def put_off_leave(self, post: int, day: int) -> None:
        """The worker is away on a block's first day: they take it when back."""
        length = self.leave_starts.get(post, _NO_LEAVE).get(day, 0)
        if length:
            self.owed[post] = self.owed.get(post, 0) + length

    def sickness_today(self, post: int, multiplier: float, present: bool = True) -> int:
        """Length of a sickness episode starting today (0: none).

        Draws once a day for the post whether or not its holder is at work, so an
        absence in one scenario does not shift the post's later draws against another
        (common random numbers); only a worker at work can fall sick.
        """
        u = self._sick[post]()
        short, long_ = self._lengths[post]
        # the day's episode lengths are drawn every day too, so one episode more or
        # less in one scenario cannot shift the lengths of the post's later episodes
        short_days, long_days = short(), long_()
        if not present:
            return 0
        if u < self.p_short * multiplier:
            return max(1, int(round(short_days)))
        if u < (self.p_short + self.p_long) * multiplier:
            return max(1, int(math.ceil(long_days)))
        return 0
