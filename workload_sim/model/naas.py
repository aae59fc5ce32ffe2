"""NAAS testing rounds: preparation, assessment days, pass or retake, leaving instead.

For each round, ``prep_weeks`` before its date, permanent and newly qualified
workers in post are put forward with probability ``share_tested``. An
experienced worker put forward leaves instead with probability
``leave_instead_probability`` (the union's concern). Everyone else prepares:
``prep_hours`` of their time, in equal weekly tasks; then
spends ``assessment_days`` away from cases on the date. They pass with
``pass_rate``; a fail means a retake ``retake_after_days`` later with
``retake_prep_hours`` more preparation, up to ``max_attempts``. Each attempt
costs ``cost_per_worker_gbp``. A worker away sick on the date sits it at the
retake date instead, without it counting as an attempt.

Order of a worker's queue: triage on duty first, then case work by urgency
(most urgent first), then NAAS preparation: it is done when no case task is
waiting, so testing takes time from the worker's slack before it delays a
safeguarding enquiry (and may be squeezed out by a full queue).
"""

from __future__ import annotations

import math

import numpy as np

from ..scenario import TYPE, NaasRoundSpec, NaasSpec
from . import events as ev
from .roles import Team
from .streams import Streams
from .worker import Worker


class Naas:
    def __init__(self, spec: NaasSpec, workforce: Team, streams: Streams) -> None:
        self.workforce = workforce
        self.rounds = []
        cal = workforce.sim.calendar
        for i, rnd in enumerate(spec.rounds):
            day = int(np.searchsorted(cal.dates, np.datetime64(rnd.date, "D")))
            if day >= cal.n_days:
                continue  # after the horizon: nothing to simulate
            select = max(0, day - 5 * rnd.prep_weeks)
            self.rounds.append((i, rnd, select, day))
        self.active = bool(self.rounds)
        self.prep_rank = len(workforce.sim.urgencies)  # after case work of every urgency
        self._select = streams.get("naas.selection")
        self._leave = streams.get("naas.leave_instead")
        self._pass = streams.get("naas.outcome")

    def start(self) -> None:
        for _i, rnd, select, day in self.rounds:
            self.workforce.schedule(select, lambda d, r=rnd, a=day: self._put_forward(r, a))

    def _put_forward(self, rnd: NaasRoundSpec, assessment_day: int) -> None:
        wf = self.workforce
        for worker in sorted(wf.in_post, key=lambda w: w.post):
            if worker.post < 0 or not TYPE[worker.kind].tested_by_naas:
                continue
            if self._select.random() >= rnd.share_tested:
                continue
            kind = TYPE[worker.kind]
            if (
                kind.may_leave_rather_than_test
                and self._leave.random() < rnd.leave_instead_probability
            ):
                wf.let_go(worker, "left rather than take NAAS")
                continue
            self._prepare(worker, rnd.prep_hours, rnd.prep_weeks, assessment_day)
            wf.schedule(assessment_day, lambda d, w=worker, r=rnd: self._assess(w, r, d, 1))

    def _prepare(self, worker: Worker, hours: float, weeks: int, assessment_day: int) -> None:
        if hours <= 0:
            return
        first = max(int(self.workforce.sim.env.now), assessment_day - 5 * weeks)
        for k in range(weeks):
            day = first + 5 * k
            self.workforce.schedule(day, lambda d, w=worker, h=hours / weeks: self._prep(w, h))

    def _prep(self, worker: Worker, hours: float) -> None:
        if worker.left_at is None:
            worker.add_task(self.prep_rank, hours, _prep_done, None, ev.NAAS_PREP_TASK)

    def _assess(self, worker: Worker, rnd: NaasRoundSpec, day: int, attempt: int) -> None:
        if worker.left_at is not None:
            return
        retake = day + rnd.retake_after_days
        if worker.away is not None:  # off on the day: sits it at the retake date
            self.workforce.schedule(retake, lambda d: self._assess(worker, rnd, d, attempt))
            return
        days = max(1, math.ceil(rnd.assessment_days))
        worker.go_away("naas", day + days)
        passed = bool(self._pass.random() < rnd.pass_rate)
        self.workforce.log.naas.append(
            (worker.id, self.workforce.env.now, attempt, passed, rnd.cost_per_worker_gbp)
        )
        if passed:
            return
        if attempt < rnd.max_attempts:
            self._prepare(worker, rnd.retake_prep_hours, rnd.prep_weeks, retake)
            self.workforce.schedule(retake, lambda d: self._assess(worker, rnd, d, attempt + 1))


def _prep_done(_item) -> None:
    """Preparation done: nothing else follows from it."""
