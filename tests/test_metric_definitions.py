"""Each metric computed as its documentation defines it, checked against a hand count.

Every test here builds a small log (or a tiny scenario, or a known distribution) whose
answer is arithmetic, writes that arithmetic out, and failed on the code before its fix:
the allocation breach measured from referral, waits counted once, an interval that does
not collapse when every replication is zero, integer fields spread evenly by Latin
hypercube and Sobol designs, caseload per case-holding FTE at work, the 45-day timescale
applied to children's assessments only, and a warm start whose plans can be empty.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from workload_sim.model import events as ev
from workload_sim.model.events import EventLog
from workload_sim.model.simulation import Simulation
from workload_sim.records import build_tables
from workload_sim.records.metrics import _assessments, _waits
from workload_sim.records.summary import interval

from .test_mechanisms import world

NAN = math.nan
TARGET = 5.0  # the urgency's allocation target in these logs, working days


def _scenario(**extra):
    return world([{"name": "a", "effort_hours": 1.0}], warmup_days=0, **extra)


def _referral(case, arrival, *, target=TARGET, completion=None, pathway="p"):
    """A referral row of the log (events.py): an opened case with an empty plan."""
    return (case, arrival, "open_case", 0, pathway, 1.0, target, completion, [], False, False, 0)


def _log(n_days, referrals, spells, joins=(), states=()):
    log = EventLog(n_days)
    log.referrals.extend(referrals)
    log.spells.extend(spells)
    log.joins.extend(joins)
    log.states.extend(states)
    return log


def _tables(log, sc):
    dates = np.arange(log.n_days).astype("datetime64[D]")
    return build_tables(log, sc, dates, ["standard"], 0)


# --- the allocation breach and the waits, from a five-case log ---------------------------

T, L, W = ev.TRIAGE, ev.LIST, ev.WORKER
HORIZON = 20
FIVE_CASES = _log(
    HORIZON,
    [_referral(0, 0.0), _referral(1, 0.0), _referral(2, 2.0), _referral(3, 10.0), _referral(4, 1)],
    # in log order: a spell is written when it ends, still-open ones at the horizon
    [
        (0, T, 0, 0.0, 3.0, ev.TRIAGED),  # case 0: 3 days in triage,
        (1, T, 0, 0.0, 1.0, ev.TRIAGED),
        (2, T, 0, 2.0, 2.0, ev.TRIAGED),
        (2, L, -1, 2.0, 2.0, ev.ALLOCATED),  # case 2: listed and allocated the same instant
        (4, T, 0, 1.0, 2.0, ev.TRIAGED),
        (1, L, -1, 1.0, 4.0, ev.ALLOCATED),
        (4, L, -1, 2.0, 5.0, ev.CLOSED_UNWORKED),  # case 4: closed unworked after 4 days
        (1, W, 0, 4.0, 6.0, ev.LEAVER),  # case 1: its worker leaves, it waits again
        (0, L, -1, 3.0, 7.0, ev.ALLOCATED),  # case 0: then 4 on the list: 7 from referral
        (2, W, 0, 2.0, 10.0, ev.CLOSED),
        (3, T, 0, 10.0, 11.0, ev.TRIAGED),
        (1, L, -1, 6.0, 12.0, ev.ALLOCATED),  # case 1: the second wait, 6 days
        (0, W, 0, 7.0, NAN, ev.OPEN),
        (1, W, 0, 12.0, NAN, ev.OPEN),
        (3, L, -1, 11.0, NAN, ev.OPEN),  # case 3: still waiting, 10 days at the horizon
    ],
    joins=[(0, 0.0, "permanent", 0, 1.0, 20.0, 7.4, 7.4, 200.0, True, 0.0, 1.0)],
)


def test_the_allocation_breach_runs_from_referral_and_counts_every_wait():
    cases = _tables(FIVE_CASES, _scenario()).cases.set_index("id")
    # by hand, against the 5-day target:
    #   case 0: referral 0 -> allocated 7 (3 in triage, 4 on the list): 7 > 5, breach
    #   case 1: referral 0 -> allocated 4; put back at 6, allocated 12: waited 6 > 5, breach
    #   case 2: allocated the instant it was listed: 0, no breach
    #   case 3: referral 10, still waiting at the horizon 20: 10 > 5, breach
    #   case 4: referral 1, closed unworked at 5 without an allocation: 4, no breach
    assert cases["allocation_breach"].tolist() == [True, True, False, True, False]
    assert cases["allocation_breach"].mean() == pytest.approx(3 / 5)


def test_a_case_listed_and_allocated_at_the_same_instant_is_one_wait():
    t = _tables(FIVE_CASES, _scenario())
    done, every = _waits(t.cases, t.waits, float(HORIZON))
    # completed waits: first waits 7 (case 0), 4 (case 1), 0 (case 2); case 1's second, 6
    assert sorted(done.tolist()) == [0.0, 4.0, 6.0, 7.0]
    assert float(np.mean(done)) == pytest.approx(17 / 4)
    # with the still-waiting and the closed unworked up to then: + case 3's 10, case 4's 4
    assert sorted(every.tolist()) == [0.0, 4.0, 4.0, 6.0, 7.0, 10.0]


# --- caseload per case-holding FTE at work ----------------------------------------------


def _join(worker, kind, fte):
    return (worker, 0.0, kind, worker, fte, 20.0 * fte, 7.4 * fte, 7.4 * fte, 200.0, True, 0.0, 1)


def test_caseload_mean_is_cases_per_case_holding_fte_at_work():
    # three workers over 5 days: w0 (1.0 FTE) holds 4 cases, w1 (0.5 FTE) 3, w2 (1.0 FTE)
    # 2; w2 is off sick on days 2 and 3 (the 0.5 in the states row is the daily tick)
    holds = [(0, 4), (1, 3), (2, 2)]
    referrals, spells, case = [], [], 0
    for worker, k in holds:
        for _ in range(k):
            referrals.append(_referral(case, 0.0))
            spells.append((case, W, worker, 0.0, NAN, ev.OPEN))
            case += 1
    log = _log(
        5,
        referrals,
        spells,
        joins=[_join(0, "permanent", 1.0), _join(1, "permanent", 0.5), _join(2, "agency", 1.0)],
        states=[(2, 2.0, "sick", "sick"), (2, 4.0, ev.PRESENT, "back")],
    )
    ts = _tables(log, _scenario()).timeseries
    # days 0, 1, 4: 9 cases held by 2.5 FTE at work; days 2, 3: w2 away, so its 2 cases
    # and its FTE are out: 7 cases over 1.5 FTE
    per_day = [9 / 2.5, 9 / 2.5, 7 / 1.5, 7 / 1.5, 9 / 2.5]
    assert ts["caseload_mean"].tolist() == pytest.approx(per_day)


# --- the 45-day timescale belongs to children's assessments ------------------------------


def test_the_45_day_share_counts_only_cases_whose_standard_is_45_days():
    # two children's assessments (standard 45 days) and two adult s42 enquiries (their own
    # standard, 28 days), all referred on day 0 and finished on day 30 or 40; horizon 100
    opened = pd.DataFrame(
        {
            "arrival": [0.0, 0.0, 0.0, 0.0],
            "enquiry_done_at": [30.0, 50.0, 30.0, 40.0],
            "completion_target": [45.0, 45.0, 28.0, 28.0],
            "pathway": ["assessment", "assessment", "s42_enquiry", "s42_enquiry"],
            "n_assessment": [1, 1, 0, 0],
            "n_s42_enquiry": [0, 0, 1, 1],
        }
    )
    got = _assessments(opened, horizon=100.0)
    # assessments: 30 within 45, 50 not: 1 of 2; the enquiries are not judged against 45
    assert got["assessment_within_45_days_share"] == pytest.approx(1 / 2)
    # the median duration still covers every first pathway: 30, 30, 40, 50
    assert got["assessment_duration_median_days"] == pytest.approx(35.0)
    # an adult team alone has no 45-day timescale at all
    assert math.isnan(
        _assessments(opened.iloc[2:], horizon=100.0)["assessment_within_45_days_share"]
    )


# --- intervals when every replication is zero ----------------------------------------------


def test_a_count_at_zero_in_every_replication_keeps_an_upper_bound():
    # n replications all 0: the exact bound for a Poisson mean with a total count of 0,
    # two-sided 95% (2.5% in the upper tail): -ln(0.025) / n
    mean, _, lo, hi, n = interval([0.0] * 10, "non-negative")
    assert (mean, lo, n) == (0.0, 0.0, 10)
    assert hi == pytest.approx(-math.log(0.025) / 10)
    # a share at 0 (or 1) in every replication: each replication a trial that showed
    # nothing, so the exact binomial (Clopper-Pearson) bound 1 - 0.025^(1/n)
    _, _, lo, hi, _ = interval([0.0] * 10, "share")
    assert lo == 0.0 and hi == pytest.approx(1 - 0.025 ** (1 / 10))
    _, _, lo, hi, _ = interval([1.0] * 10, "share")
    assert hi == 1.0 and lo == pytest.approx(0.025 ** (1 / 10))


@pytest.mark.parametrize("n", [5, 10, 30])
def test_a_rare_count_is_covered_at_least_95_percent_of_the_time(n):
    # Poisson(0.3) counts (a leaver, a NAAS failure): with 10 replications all are 0 in
    # e^-3 = 5% of runs; an interval of [0, 0] there missed the true mean every time
    sims, true_mean = 4000, 0.3
    rng = np.random.default_rng(2024)
    hits = 0
    for _ in range(sims):
        _, _, lo, hi, _ = interval(rng.poisson(true_mean, n).astype(float), "non-negative")
        hits += lo <= true_mean <= hi
    cover = hits / sims
    assert cover >= 0.95 - 3 * math.sqrt(0.95 * 0.05 / sims), f"coverage {cover:.3f}"


def test_a_rare_share_is_covered_at_least_95_percent_of_the_time():
    # a breach share from 40 cases a replication, each breaching with chance 1 in 400:
    # all 10 replications read 0 in (1 - 1/400)^400 = e^-1, about 37% of runs
    sims, p = 4000, 1 / 400
    rng = np.random.default_rng(7)
    hits = 0
    for _ in range(sims):
        _, _, lo, hi, _ = interval(rng.binomial(40, p, 10) / 40, "share")
        hits += lo <= p <= hi
    cover = hits / sims
    assert cover >= 0.95 - 3 * math.sqrt(0.95 * 0.05 / sims), f"coverage {cover:.3f}"


# --- integer fields in Latin hypercube and Sobol designs -----------------------------------


def _sweep(tmp_path, design, points):
    from workload_sim.experiments.sweep import load_sweep

    from .conftest import DEFAULT

    path = tmp_path / f"{design}.yaml"
    path.write_text(
        f"name: t\nbase: {DEFAULT}\ndesign: {design}\npoints: {points}\nreps: 1\n"
        "fields:\n  team.permanent: {low: 1, high: 6}\n"
    )
    return load_sweep(path)


def test_a_latin_hypercube_gives_each_whole_number_the_same_weight(tmp_path):
    # 600 points, one in each 1/600 of [0, 1); values 1..6 each own a sixth of it, so each
    # appears exactly 100 times (rounding lo + u (hi - lo) gave the ends 60, the rest 120)
    design = _sweep(tmp_path, "lhs", 600).design
    counts = design["team.permanent"].value_counts().sort_index()
    assert counts.to_dict() == {v: 100 for v in range(1, 7)}


def test_a_sobol_design_gives_each_whole_number_about_the_same_weight(tmp_path):
    # 256 base points x (1 field + 2) = 768; Sobol' points fill [0, 1) evenly, so each of
    # the six values gets 768 / 6 = 128 give or take a few (the ends had half that)
    design = _sweep(tmp_path, "sobol", 256).design
    counts = design["team.permanent"].value_counts().sort_index()
    assert list(counts.index) == [1, 2, 3, 4, 5, 6]
    assert (abs(counts - 128) <= 8).all(), counts.to_dict()


# --- a warm start when a pathway's plan can be empty -------------------------------------


def test_a_warm_start_with_an_all_optional_pathway_runs():
    # the only step happens with chance 0: every plan is empty. Two workers start with
    # two cases each and nothing arrives: four warm-start cases, each closed at once
    sc = world(
        [{"name": "a", "effort_hours": 1.0, "probability": 0.0}],
        workers=2,
        cap=5,
        days=10,
        warm_start={"cases_per_worker": 2},
    )
    sim = Simulation(sc, 0).run()
    warm = [r for r in sim.log.referrals if r[10]]
    assert len(warm) == 4 and all(r[8] == [] for r in warm)
    assert all(c.closed_at == 0.0 for c in sim.cases)


# --- lateness split: waiting for the team against the pathway -----------------------------


def test_a_breach_is_the_teams_when_the_days_waiting_for_it_made_the_difference():
    from workload_sim.model.pathway import PlannedStep

    plan = [PlannedStep("p", "a", 0.0, 1.0, ()), PlannedStep("p", "b", 0.0, 1.0, ())]

    def referral(case, arrival, completion):
        return (case, arrival, "open_case", 0, "p", 1.0, TARGET, completion, plan, False, False, 0)

    def work(task, case, queued, started, finished, status=ev.DONE, kind=ev.CASE_TASK):
        return (0, task, case, kind, 1, 1, False, queued, started, finished, 0.5, 0.5, 0.0, status)

    log = _log(
        HORIZON,
        [referral(0, 0.0, 10), referral(1, 0.0, 10), referral(2, 0.0, 10), referral(3, 2.0, 3)],
        [
            (0, T, 0, 0.0, 1.0, ev.TRIAGED),
            (1, T, 0, 0.0, 0.5, ev.TRIAGED),
            (2, T, 0, 0.0, 1.0, ev.TRIAGED),
            (3, T, 0, 2.0, 3.0, ev.TRIAGED),
            (1, L, -1, 0.5, 1.0, ev.ALLOCATED),
            (2, L, -1, 1.0, 1.0, ev.ALLOCATED),
            (0, L, -1, 1.0, 4.0, ev.ALLOCATED),
            (2, W, 0, 1.0, 7.0, ev.RELISTED),
            (2, L, -1, 7.0, 9.0, ev.ALLOCATED),  # after its enquiry was done: not counted
            (0, W, 0, 4.0, NAN, ev.OPEN),
            (1, W, 0, 1.0, NAN, ev.OPEN),
            (2, W, 0, 9.0, NAN, ev.OPEN),
            (3, L, -1, 3.0, NAN, ev.OPEN),  # still waiting at the horizon
        ],
        joins=[(0, 0.0, "permanent", 0, 1.0, 20.0, 7.4, 7.4, 200.0, True, 0.0, 1.0)],
    )
    log.work.extend(
        [
            work(7, 0, 4.0, 6.0, 6.5),  # case 0: ready 4, started 6: 2 days in the queue
            work(8, 0, 8.0, 9.0, 9.2, ev.PUT_BACK),  # ready 8, started 9, put back at 9.2,
            work(8, 0, 8.0, 11.0, 11.5),  # started again at 11: queued 8-9 and 9.2-11
            work(10, 0, 8.5, 10.0, 10.5, kind=ev.COVER_TASK),  # queued 8.5-10: overlaps
            work(9, 1, 1.0, 1.5, 2.0),  # case 1: half a day in the queue
        ]
    )
    log.steps.extend([(0, 1, 15.0), (1, 1, 14.0), (2, 1, 5.0)])  # the enquiries' last steps
    cases = _tables(log, _scenario()).cases.set_index("id")
    # by hand: case 0: triage 1 + list 3 + queue 2 + the union of [8, 9], [8.5, 10] and
    # [9.2, 11] = 3: 9 days; done at 15 against 10: late, but 15 - 9 = 6 would have met it
    # case 1: 0.5 + 0.5 + 0.5 = 1.5; done at 14: late, and 14 - 1.5 = 12.5 still is
    # case 2: triage 1 (its later wait on the list comes after the enquiry); on time
    # case 3: triage 1 + 17 on the list to the horizon 20; 18 against 3: late; 18 - 18 = 0
    assert cases["team_wait_days"].tolist() == pytest.approx([9.0, 1.5, 1.0, 18.0])
    assert cases["completion_breach"].tolist() == [True, True, False, True]
    assert cases["late_waiting_for_team"].tolist() == [True, False, False, True]
