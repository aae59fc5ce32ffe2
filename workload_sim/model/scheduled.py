"""Scheduled events: what the team leader already knows, put on the simulation's clock.

Each event of the scenario's ``events:`` list becomes an action at the start of
a working day (``Workforce.schedule``), carried out with the same methods as
the random absences and leavers, so the event log records it like any other:

- ``off_sick``: the worker named goes away sick (``Worker.go_away``) from the
  first working day on or after the date until the first working day on or
  after date + weeks; the cover policy applies as to any sickness. The absence
  belongs to the person who held the post on day 0: if they have left by then it
  does not happen (the log shows when they left). Already away sick on the day:
  the absence runs to the later of the two returns. On annual leave: the leave is
  cut short and its remaining days are taken on return, as UK law allows.
- ``post_vacant``: whoever holds the post on the day leaves
  (``Workforce.let_go``, reason ``left (planned)``); the post is recruited to by
  the usual rules. A post already vacant that day (its holder left earlier, or an
  agency interim holds it while recruitment runs) has nothing more to lose.
- ``agency_leaves``: the agency worker named (or the one in the lowest-numbered
  post) leaves, reason ``left (planned)``; the agency post is refilled as usual.
- ``demand_change``: multiplies the daily referral rate from the date on;
  :func:`demand_changes` gives ``daily_rates`` the factors.

Nothing here draws a random number, so every other stream keeps its draws
(common random numbers): a scenario with events differs from one without only
by what the events do.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np

from ..scenario import TYPE, AgencyLeaves, DemandChange, OffSick, PostVacant
from ..scenario.scheduled import post_index
from .calendar import WorkCalendar
from .roles import Team
from .worker import Worker

PLANNED_LEAVING = "left (planned)"


def day_of(calendar: WorkCalendar, date: dt.date) -> int:
    """The working day of ``date``, or of the first working day after it (n_days: none)."""
    return int(np.searchsorted(calendar.dates, np.datetime64(date, "D")))


def demand_changes(events: Sequence, calendar: WorkCalendar) -> list[tuple[int, float]]:
    """(first working day, factor) of each demand change, for ``daily_rates``."""
    return [(day_of(calendar, e.date), e.factor) for e in events if isinstance(e, DemandChange)]


class Scheduled:
    """The scenario's worker events, turned into actions on the workforce's day list."""

    def __init__(self, events: Sequence, workforce: Team) -> None:
        self.workforce = workforce
        team = workforce.scenario.team
        cal = workforce.sim.calendar
        self._actions = []
        for event in events:
            if isinstance(event, DemandChange):
                continue  # in the referral rates already
            day = day_of(cal, event.date)
            post = None if event.worker is None else post_index(event.worker, team)
            if isinstance(event, OffSick):
                person = workforce.posts[post].holder  # the day-0 holder, named
                until = day_of(cal, event.back)
                if day == 0:  # off now: away before the warm start's waiting list is allocated
                    self._off_sick(person, until)
                else:
                    self._actions.append((day, lambda d, w=person, u=until: self._off_sick(w, u)))
            elif isinstance(event, PostVacant):
                self._actions.append((day, lambda d, p=post: self._vacate(p)))
            elif isinstance(event, AgencyLeaves):
                self._actions.append((day, lambda d, p=post: self._agency_leaves(p)))
        self.active = bool(self._actions) or any(w.away for w in workforce.in_post)

    def start(self) -> None:
        for day, action in self._actions:
            self.workforce.schedule(day, action)

    def _off_sick(self, worker: Worker, until: int) -> None:
        if worker is None or worker.left_at is not None:
            return  # the person named has left: their absence goes with them
        wf = self.workforce
        if worker.away == "sick":
            worker.away_until = max(worker.away_until, until)
            return
        if worker.away == "leave" and worker.post >= 0:
            # sick on leave: the leave days not yet taken are taken on return
            rest = worker.away_until - int(wf.env.now)
            wf.absence.owed[worker.post] = wf.absence.owed.get(worker.post, 0) + rest
        worker.go_away("sick", until)  # the day's tick then passes on their duty triage

    def _vacate(self, post: int) -> None:
        wf = self.workforce
        holder = wf.posts[post].holder
        if holder is None or wf.posts[post].recruiting:
            return  # already vacant (an earlier leaver); recruitment is under way
        wf.let_go(holder, PLANNED_LEAVING)

    def _agency_leaves(self, post: int | None) -> None:
        wf = self.workforce
        if post is None:
            held = [p for p in wf.posts if p.holder is not None and TYPE[p.holder.kind].agency]
            held.sort(key=lambda p: (not TYPE[p.target].agency, p.index))  # agency posts first
            target = held[0].holder if held else None
        else:
            target = wf.posts[post].holder
        if target is not None and TYPE[target.kind].agency:
            wf.let_go(target, PLANNED_LEAVING)
