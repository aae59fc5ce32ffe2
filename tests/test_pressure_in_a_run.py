"""Workload pressure raises sickness and leaving in a run, by the documented factor.

docs/model.md: above ``pressure_threshold`` a worker's daily sickness and leaving
hazards are multiplied by ``1 + effect x (pressure - threshold) / (1 - threshold)``, up to
``1 + effect`` at full pressure. Here a team is held at full pressure for the whole
measured period (demand far above what it can work, so every worker's caseload stays at
their cap, and no rule takes an absent worker's cases away), with the shipped effects
(1.0: the hazards double). What to expect, by hand, per day:

- a present worker falls sick with probability h (1 + e_s), h = S / (D - L - S) x
  ((1 - q) / m_short + q / m_long) (tests/test_theory_absence.py derives h; m are the
  triangular means, D = 253);
- a worker in post leaves (turnover) with probability r / D x (1 + e_l), r the kind's
  leaving rate a year.

Both counts are read from the raw event log (states and joins), not from any table, and
each day is a Bernoulli trial, so the count is binomial: the test asks the 95% binomial
interval around the expected count to hold the observed one, and the same interval at
the no-pressure rate to exclude it (with no pressure effect the test fails). One
replication, fixed seed.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest
from scipy import stats

from workload_sim.model import events as ev
from workload_sim.model.simulation import Simulation
from workload_sim.scenario.loading import load_scenario

from .conftest import SCENARIOS

ABSENCE = SCENARIOS / "validation" / "absence.yaml"
D = 253  # working days a year in the model's rates
WARMUP = 40  # days for the list to fill and every caseload to reach its cap
KINDS = ("permanent", "newly_qualified", "agency")
PRESSED = [
    "horizon_days=420",
    f"warmup_days={WARMUP}",
    "team.permanent=30",
    # every referral opens a case, at several times what the team can work: the list grows
    "demand.referrals_per_week=60",
    "triage.no_further_action=0",
    "triage.signpost=0",
    "triage.open_case=1",
    # an absent worker keeps their cases (no cover rules), so pressure stays while away
    "cover.urgent_to_colleagues_after_days=null",
    "cover.reallocate_after_days=null",
    # the shipped effects (docs/model.md): full pressure doubles both hazards
    "absence.sickness_pressure_effect=1.0",
    "recruitment.leaving_pressure_effect=1.0",
    *(f"workforce.{k}.leaving_rate_per_year=1.0" for k in KINDS),
]


def sickness_rate(spec) -> float:
    """h: the daily chance that a present worker falls sick, with no pressure."""

    def mean(d) -> float:
        return (d.low + d.mode + d.high) / 3

    present = D - spec.annual_leave_days - spec.sickness_days
    q = spec.long_term_share
    return (
        spec.sickness_days
        / present
        * ((1 - q) / mean(spec.short_term_episode_days) + q / mean(spec.long_term_episode_days))
    )


def trials(log, n_days: int, start: int) -> dict[str, dict[str, int]]:
    """Per kind of worker, from day ``start``: days in post, days present when the day's
    sickness draw is made, sickness onsets and turnover leavers.

    The draw comes after any return that day and before any departure that day: a worker
    away from day a until day b (they come back at b) misses the draws of days a+1..b-1;
    a worker in post from day j until they leave on day l is drawn on days j..l-1.
    """
    kind = {j[0]: j[2] for j in log.joins}
    rows = defaultdict(list)
    for row in log.states:
        rows[row[0]].append(row)
    out = {k: dict.fromkeys(("in_post", "present", "sick", "left"), 0) for k in KINDS}
    for worker, joined, *_ in log.joins:
        if kind[worker] not in out:
            continue
        mine = sorted(rows[worker], key=lambda r: r[1])
        left = next((r[1] for r in mine if r[2] == ev.LEFT), n_days)
        days = np.arange(int(np.ceil(joined)), int(np.ceil(left)))
        here = np.ones(len(days), dtype=bool)
        away = None
        for _, at, state, _reason in mine:
            if state in ev.AWAY_REASONS and away is None:
                away = at
            elif state == ev.PRESENT and away is not None:
                here[(days > away) & (days < at)] = False
                away = None
        if away is not None:
            here[days > away] = False
        counted = days >= start
        tally = out[kind[worker]]
        tally["in_post"] += int(counted.sum())
        tally["present"] += int((here & counted).sum())
        tally["sick"] += sum(1 for r in mine if r[2] == "sick" and r[1] >= start)
        tally["left"] += sum(
            1 for r in mine if r[2] == ev.LEFT and r[3] == "left (turnover)" and r[1] >= start
        )
    return out


def test_trials_by_hand():
    class Log:
        joins = [(0, 0.0, "permanent"), (1, 3.0, "agency")]
        states = [
            (0, 2.0, "sick", "sick"),  # drawn on day 2 (and fell sick)
            (0, 5.0, "present", ""),  # away days 3, 4; back for day 5's draw
            (0, 7.0, "leave", "leave"),  # drawn on day 7, away 8
            (0, 9.0, "present", ""),
            (1, 6.0, "left", "left (turnover)"),  # drawn on days 3, 4, 5
        ]

    got = trials(Log, 10, start=1)
    assert got["permanent"] == {"in_post": 9, "present": 6, "sick": 1, "left": 0}
    assert got["agency"] == {"in_post": 3, "present": 3, "sick": 0, "left": 1}


@pytest.fixture(scope="module")
def pressed():
    sc = load_scenario(ABSENCE, PRESSED)
    sim = Simulation(sc, 0).run()
    return sc, trials(sim.log, sim.n_days, WARMUP)


def _binomial_check(observed: int, n: int, p: float, p_without: float, what: str) -> None:
    lo, hi = stats.binom.interval(0.95, n, p)
    lo0, hi0 = stats.binom.interval(0.95, n, p_without)
    detail = (what, observed, (lo, hi), "without pressure", (lo0, hi0))
    assert lo <= observed <= hi, detail
    assert not lo0 <= observed <= hi0, detail  # informative: no effect would be seen


def test_full_pressure_doubles_the_chance_of_falling_sick(pressed):
    sc, seen = pressed
    h = sickness_rate(sc.absence)
    factor = 1 + sc.absence.sickness_pressure_effect
    present = sum(t["present"] for t in seen.values())
    sick = sum(t["sick"] for t in seen.values())
    assert present > 8000  # thousands of worker-days measured
    _binomial_check(sick, present, h * factor, h, "sickness onsets")


def test_full_pressure_doubles_the_chance_of_leaving(pressed):
    sc, seen = pressed
    factor = 1 + sc.recruitment.leaving_pressure_effect
    rate = {k: getattr(sc.workforce, k).leaving_rate_per_year / D for k in KINDS}
    assert len(set(rate.values())) == 1  # one rate for every kind, so the days pool
    in_post = sum(t["in_post"] for t in seen.values())
    left = sum(t["left"] for t in seen.values())
    _binomial_check(left, in_post, rate["permanent"] * factor, rate["permanent"], "leavers")
