"""The invariant checks can fail: each catches a log doctored to break its invariant.

A check that passes on every run could simply be blind; here a clean log of a
small busy run (absence, overtime, warm start) is copied and one row changed
the way the matching model bug would change it.
"""

from __future__ import annotations

from functools import cache
from types import SimpleNamespace

import pytest

from workload_sim.model import events as ev
from workload_sim.model.simulation import Simulation
from workload_sim.scenario.loading import load_scenario

from . import invariants as inv
from .conftest import DEFAULT

OVERTIME_CAP = 1.2
LISTS = ("referrals", "spells", "work", "steps", "joins", "terms", "states", "posts", "naas")


@cache
def _clean_run() -> Simulation:
    sc = load_scenario(
        DEFAULT,
        [
            "horizon_days=40",
            "warmup_days=0",
            "absence.sickness_days=30",
            "demand.referrals_per_week=60",
            "team.permanent=6",
            "workforce.permanent.leaving_rate_per_year=0",
            f"overtime.max_hours_per_day={OVERTIME_CAP}",
            "overtime.personal_limit_spread=0",  # one limit for all: the checks take a number
            "overtime.personal_limit_scale=1",
        ],
    )
    return Simulation(sc, 0).run()


def _copy():
    log = _clean_run().log
    return SimpleNamespace(n_days=log.n_days, **{k: list(getattr(log, k)) for k in LISTS})


def _recorded_unallocated(log) -> list[int]:
    return [
        sum(1 for s in log.spells if s[1] == ev.LIST and s[3] <= d + 1 < _end(s[4]))
        for d in range(log.n_days)
    ]


def _end(x: float) -> float:
    return float("inf") if x != x else x


def _checks(log) -> dict[str, list[str]]:
    return {
        "caps": inv.caps_respected(log),
        "present": inv.work_only_when_present(log),
        "fte": inv.fte_within_establishment(log),
        "places": inv.cases_in_one_place(log),
        "negative": inv.list_never_negative(log),
        "contract": inv.hours_within_contract(log, OVERTIME_CAP),
        "case_hours": inv.work_within_case_hours(log),
        "referrals": inv.referrals_accounted_for(log)[1],
        "conserved": inv.work_conserved(log, 2.0),
    }


def _long_stretch(log) -> int:
    """Index of a stretch of worker 0's of at least a quarter-day, within one day."""
    for i, w in enumerate(log.work):
        s, f = w[8], w[9]
        if s == s and 0.25 <= f - s and int(s) == int(f - 1e-9) and w[0] == 0:
            return i
    raise AssertionError("no such stretch")


def test_the_clean_run_passes_every_check():
    log = _copy()
    assert {k: v[:2] for k, v in _checks(log).items() if v} == {}
    recorded = _recorded_unallocated(log)
    assert not inv.list_matches_recorder(log, recorded)
    assert max(recorded) > 5  # a list to judge


def _set(row: tuple, i: int, value) -> tuple:
    return (*row[:i], value, *row[i + 1 :])


def _over_cap(log):
    log.joins[0] = _set(log.joins[0], 5, 1.0)  # worker 0 capped at one case


def _away_while_working(log):
    w = log.work[_long_stretch(log)]
    log.states += [(0, w[8] - 0.01, "sick", ""), (0, w[9] + 0.01, ev.PRESENT, "")]
    log.states.sort(key=lambda s: s[1])


def _two_in_one_post(log):
    log.joins.append(_set(log.joins[0], 0, max(j[0] for j in log.joins) + 1))


def _gap_between_spells(log):
    i = next(i for i, s in enumerate(log.spells) if s[3] > 0 and s[4] == s[4])
    log.spells[i] = _set(log.spells[i], 3, log.spells[i][3] + 0.25)


def _list_spell_ends_before_it_starts(log):
    i = next(i for i, s in enumerate(log.spells) if s[1] == ev.LIST and s[4] == s[4])
    log.spells[i] = _set(log.spells[i], 4, log.spells[i][3] - 1.0)


def _ten_hours_in_a_day(log):
    i = _long_stretch(log)
    log.work[i] = _set(log.work[i], 11, 10.0)


def _six_case_hours(log):
    i = _long_stretch(log)
    log.work[i] = _set(log.work[i], 11, 6.0)  # within a 7.4 h contract, over 5.18 case hours


def _closed_twice(log):
    closed = next(s for s in log.spells if s[5] == ev.CLOSED)
    log.spells.append(closed)


def _more_hours_than_planned(log):
    i = next(i for i, w in enumerate(log.work) if w[13] == ev.DONE and w[3] == ev.CASE_TASK)
    log.work[i] = _set(log.work[i], 12, log.work[i][12] + 0.5)


def _overtime_past_allowance(log):
    i = next(i for i, w in enumerate(log.work) if w[8] == w[8] and w[3] == ev.CASE_TASK)
    log.work[i] = _set(log.work[i], 12, OVERTIME_CAP + 1)


@pytest.mark.parametrize(
    "doctor,caught",
    [
        (_over_cap, "caps"),
        (_away_while_working, "present"),
        (_two_in_one_post, "fte"),
        (_gap_between_spells, "places"),
        (_list_spell_ends_before_it_starts, "negative"),
        (_ten_hours_in_a_day, "contract"),
        (_six_case_hours, "case_hours"),
        (_closed_twice, "referrals"),
        (_more_hours_than_planned, "conserved"),
        (_overtime_past_allowance, "contract"),
    ],
)
def test_each_check_catches_its_broken_invariant(doctor, caught):
    log = _copy()
    doctor(log)
    assert _checks(log)[caught], f"{doctor.__name__} not caught by {caught}"


def test_recorder_comparison_catches_one_case_miscounted():
    log = _copy()
    recorded = _recorded_unallocated(log)
    recorded[5] += 1
    assert inv.list_matches_recorder(log, recorded) == [
        f"day 5: {recorded[5] - 1} on the list from the spells, timeseries says {recorded[5]}"
    ]
