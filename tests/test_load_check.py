"""The load check (fluid and caseload-cap bounds) against independent figures.

- hand computations on tiny scenarios: geometric failures summed term by term,
  visits 1/(1-p) of a self-loop, working days counted from the holidays library;
- the real planner: the mean work of many planned cases lies within its CI of
  the expected work per case;
- the simulation: with overtime off, the referral rate at which the simulated
  backlog slope's 95% CI first lies above 0 sits within 5% of the contract-hours
  bound, on the M/M/c validation scenario and on a small default team, and within
  5% of the caseload-cap bound where the caps bind (M/G/c on lead times only).
"""

from __future__ import annotations

import datetime as dt
import math

import holidays
import numpy as np
import pandas as pd
import pytest
from scipy import stats

import workload_sim
from workload_sim import ScenarioError
from workload_sim.model.pathway import PathwayPlanner
from workload_sim.model.streams import Streams
from workload_sim.report.load_check_block import load_check_block
from workload_sim.theory.team_load import compare_with_simulation

from .conftest import DEFAULT, MMC, SCENARIOS

CHILDREN = SCENARIOS / "children_in_need_team.yaml"
START = dt.date(2026, 4, 1)


def tiny(steps: list, **over) -> dict:
    """One pathway ``job``, every referral opened, two permanent workers."""
    sc = {
        "demand": {"referrals_per_week": 10},
        "triage": {
            "effort_hours": 0.25,
            "no_further_action": 0,
            "signpost": 0,
            "open_case": 1,
            "case_mix": {"job": 1.0},
        },
        "pathways": {"job": {"steps": steps}},
        "team": {"permanent": 2, "newly_qualified": 0, "agency": 0},
        "workforce": {"permanent": {"non_case_fraction": 0.3, "leaving_rate_per_year": 0}},
        "absence": {"annual_leave_days": 10, "sickness_days": 5},
        "overtime": {"enabled": True, "max_hours_per_day": 1.0},
        "cover": {"reallocate_after_days": None, "urgent_to_colleagues_after_days": None},
    }
    for key, value in over.items():
        sc[key] = {**sc.get(key, {}), **value} if isinstance(value, dict) else value
    return sc


def working_days_in_year(start: dt.date) -> int:
    """Counted here from the holidays library and numpy, not the model's calendar."""
    end = start.replace(year=start.year + 1)
    hols = holidays.country_holidays("GB", subdiv="ENG", years=range(start.year, end.year + 1))
    return int(np.busday_count(start, end, holidays=list(hols)))


# --- hand computations -----------------------------------------------------------


@pytest.mark.parametrize("p", [0.3, 0.95])
def test_failures_cost_the_geometric_sum_up_to_the_planners_cap(p):
    steps = [
        {
            "name": "visit",
            "effort_hours": 2.0,
            "failure": {"probability": p, "wasted_effort_hours": 0.5},
        }
    ]
    check = workload_sim.load_check(
        tiny(steps, pathways={"job": {"recording_share": 0.1, "steps": steps}})
    )
    # a failure is drawn again after each failure, at most 50 in all (the planner's cap)
    failures = sum(p**k for k in range(1, 51))
    per_case = 2.0 * 1.1 + 0.5 * failures
    assert check.hours_per_case == pytest.approx(per_case, rel=1e-12)
    assert check.opened_per_day == pytest.approx(2.0)  # 10 a week, all opened
    assert check.demand_hours_per_day == pytest.approx(2.0 * 0.25 + 2.0 * per_case, rel=1e-12)
    days = working_days_in_year(START)
    available = 2 * 7.4 * 0.7 * (1 - 15 / days)
    assert check.working_days_per_year == days
    assert check.available_hours_per_day == pytest.approx(available, rel=1e-12)
    assert check.available_with_overtime_per_day == pytest.approx(
        available + 2 * 1.0 * (1 - 15 / days), rel=1e-12
    )
    assert check.load_contract == pytest.approx(check.demand_hours_per_day / available)
    if p == 0.95:  # the cap matters: uncapped it would be 19 failures
        assert failures < 0.95 / 0.05 - 1


def test_a_vacancy_agency_covers_while_recruiting_counts_as_an_agency_worker():
    # two permanent workers and one vacant post: covered by agency (the model asks for
    # cover at once, within a cap of 1 agency worker of 3 posts) it gives an agency
    # worker's hours; with no agency cover, or a cap of none, it gives nothing
    steps = [{"name": "a", "effort_hours": 2.0}]
    days = working_days_in_year(START)
    present = 1 - 15 / days
    agency = {"non_case_fraction": 0.2, "fte": 1.0, "leaving_rate_per_year": 0}
    base = {"team": {"permanent": 2, "newly_qualified": 0, "agency": 0, "vacant": 1}}
    covered = workload_sim.load_check(
        tiny(steps, **base, workforce={"agency": agency}, recruitment={"agency_cap_share": 0.34})
    )
    assert covered.available_hours_per_day == pytest.approx(
        (2 * 7.4 * 0.7 + 7.4 * 0.8) * present, rel=1e-12
    )
    assert any("1 vacant post(s) counted as agency cover" in n for n in covered.notes)
    for rec in ({"agency_instead_of_vacancy": False}, {"agency_cap_share": 0.3}):
        bare = workload_sim.load_check(tiny(steps, **base, recruitment=rec))
        assert bare.available_hours_per_day == pytest.approx(2 * 7.4 * 0.7 * present, rel=1e-12)


@pytest.mark.parametrize("p", [0.6, 0.9])
def test_a_self_loop_is_visited_one_over_one_minus_p_times(p):
    steps = [
        {"name": "review", "effort_hours": 1.0, "branches": [{"probability": p, "pathway": "job"}]}
    ]
    sc = tiny(steps)
    check = workload_sim.load_check(sc)
    # the planner nests at most 25 visits: 1 + p + ... + p^24, short of 1/(1-p) by p^25/(1-p)
    capped = sum(p**d for d in range(25))
    assert check.hours_per_case == pytest.approx(capped, rel=1e-12)
    assert check.hours_per_case == pytest.approx(1 / (1 - p), rel=1.01 * p**25)
    # and the real planner agrees: mean plan length within its 99% CI
    planner = PathwayPlanner(workload_sim.load_scenario(sc).pathways, Streams(5, 0))
    lengths = np.array([len(planner.plan("job")[0]) for _ in range(20_000)])
    half = stats.t.ppf(0.995, len(lengths) - 1) * lengths.std(ddof=1) / math.sqrt(len(lengths))
    assert abs(lengths.mean() - capped) < half


def test_optional_steps_and_a_branch_into_another_pathway():
    sc = tiny([])
    sc["pathways"] = {
        "job": {
            "steps": [
                {
                    "name": "a",
                    "probability": 0.8,
                    "effort_hours": 1.0,
                    "lead_time_days": 2.0,
                    "branches": [{"probability": 0.3, "pathway": "extra"}],
                },
                {
                    "name": "c",
                    "probability": 0.4,
                    "effort_hours": 5.0,
                    "failure": {"probability": 0.5, "wasted_effort_hours": 1.0},
                },
            ]
        },
        "extra": {
            "steps": [{"name": "b", "probability": 0.5, "effort_hours": 2.0, "lead_time_days": 4.0}]
        },
    }
    check = workload_sim.load_check(sc)
    failures = sum(0.5**k for k in range(1, 51))  # each wasting 1 h and a 2-day delay
    hours = 0.8 * (1.0 + 0.3 * 0.5 * 2.0) + 0.4 * (5.0 + failures * 1.0)
    assert check.hours_per_case == pytest.approx(hours)
    pace = check.available_hours_per_day / 2  # an average worker's case hours a day
    held = 0.8 * (2.0 + 0.3 * 0.5 * 4.0) + 0.4 * failures * 2.0 + hours / pace
    assert check.held_days_per_case == pytest.approx(held)
    assert check.caseload_needed == pytest.approx(2.0 * held)  # 2 opened a day, weight 1
    assert check.caseload_capacity == pytest.approx(2 * 20)
    assert check.visits_per_case == pytest.approx({"job": 1.0, "extra": 0.8 * 0.3})


@pytest.mark.parametrize(
    "pathways, where",
    [
        (
            {
                "job": {
                    "steps": [
                        {"name": "again", "branches": [{"probability": 1.0, "pathway": "job"}]}
                    ]
                }
            },
            "pathways.job.again.branches",
        ),
        (
            {
                "job": {
                    "steps": [{"name": "x", "branches": [{"probability": 1.0, "pathway": "other"}]}]
                },
                "other": {
                    "steps": [{"name": "y", "branches": [{"probability": 1.0, "pathway": "job"}]}]
                },
            },
            "pathways.other.y.branches",
        ),
    ],
)
def test_a_loop_that_never_ends_is_refused_naming_its_branches(pathways, where):
    sc = tiny([])
    sc["pathways"] = pathways
    with pytest.raises(ScenarioError) as err:
        workload_sim.load_check(sc)
    # scenario validation refuses it first, naming a pathway of the loop; the load check
    # itself (given specs that skipped validation) names the branches, ``where``
    msg = str(err.value)
    assert "infinite" in msg
    assert where in msg or any(f"pathways.{name}:" in msg for name in pathways)
    assert "\n" not in str(err.value)


def test_the_referral_rate_averages_the_profiles_over_the_calendar_year():
    sc = tiny(
        [{"name": "a", "effort_hours": 1.0}],
        demand={
            "referrals_per_week": 10,
            "weekday_profile": {"monday": 2.0},
            "month_profile": {"dec": 0.5},
            "annual_growth": 0.1,
        },
    )
    check = workload_sim.load_check(sc)
    end = START.replace(year=START.year + 1)
    hols = holidays.country_holidays("GB", subdiv="ENG", years=[2026, 2027])
    days = [
        START + dt.timedelta(n)
        for n in range((end - START).days)
        if np.is_busday(START + dt.timedelta(n), holidays=list(hols))
    ]
    wk = np.array([2.0, 1, 1, 1, 1]) / 1.2
    mo = np.array([1.0] * 11 + [0.5]) / (11.5 / 12)
    factor = np.mean([wk[d.weekday()] * mo[d.month - 1] for d in days])
    assert check.referrals_per_day == pytest.approx(2.0 * factor, rel=1e-12)


def test_handovers_from_turnover_on_a_fixed_hold():
    # a case held exactly 20 working days (lead time only), its worker leaving at 0.5 a year
    steps = [{"name": "wait", "lead_time_days": 20.0}, {"name": "close", "effort_hours": 0.0}]
    sc = tiny(
        steps,
        workforce={"permanent": {"leaving_rate_per_year": 0.5}},
        absence={"annual_leave_days": 0, "sickness_days": 0},
        recruitment={"handover_hours": 3.0},
    )
    check = workload_sim.load_check(sc)
    days = working_days_in_year(START)
    assert check.handovers_per_case == pytest.approx(20 * 0.5 / days)
    assert check.handover_hours_per_day == pytest.approx(2.0 * 3.0 * 20 * 0.5 / days)


def test_the_caseload_bound_on_the_mginf_scenario_is_takacs_mean():
    # header of mginf.yaml: lambda 2 a day, mean time open 25 working days, L = 50
    check = workload_sim.load_check(SCENARIOS / "validation" / "mginf.yaml")
    assert check.held_days_per_case == pytest.approx(25.0)
    assert check.caseload_needed == pytest.approx(50.0)
    assert check.demand_hours_per_day == 0.0


def test_the_adult_team_before_calibration_needs_more_than_its_contract_hours():
    # issue 9: "the adult team's case work needs ~45.8 h a day against ~43.5 h available",
    # figures for the team as it was shipped then: 9 experienced, no vacancy, sickness 10.7
    before = ["team.permanent=9", "team.vacant=0", "absence.sickness_days=10.7"]
    check = workload_sim.load_check(DEFAULT, before)
    assert check.demand_hours_per_day == pytest.approx(45.8, abs=0.5)
    assert check.available_hours_per_day == pytest.approx(43.5, abs=0.5)
    assert check.load_contract > 1 > check.load_with_overtime
    assert "overtime is carrying the difference" in check.sentence()


# --- the real planner ------------------------------------------------------------


@pytest.mark.parametrize("path", [DEFAULT, CHILDREN])
def test_planned_cases_cost_what_the_load_check_expects(path):
    from workload_sim.theory.case_effort import case_effort

    sc = workload_sim.load_scenario(path)
    starts = list(sc.triage.case_mix)
    expected = case_effort(sc.pathways, starts)
    planner = PathwayPlanner(sc.pathways, Streams(99, 0))
    n = 20_000
    for start in starts:
        hours, lead, visits = np.empty(n), np.empty(n), np.empty(n)
        for i in range(n):
            plan, _ = planner.plan(start)
            hours[i] = sum(s.effort + sum(w for _, w in s.failures) for s in plan)
            lead[i] = sum(s.lead_time + sum(d for d, _ in s.failures) for s in plan)
            visits[i] = sum(1 for s in plan if s.step == sc.pathways[s.pathway].steps[0].name)
        want = expected.per_case(start)
        first_steps_taken = sum(
            expected.visits[start][k] * sc.pathways[k].steps[0].probability for k in sc.pathways
        )
        for name, x, mu in [
            ("hours", hours, want.hours),
            ("lead days", lead, want.lead_days),
            ("first steps", visits, first_steps_taken),
        ]:
            half = stats.t.ppf(0.995, n - 1) * x.std(ddof=1) / math.sqrt(n)
            assert abs(x.mean() - mu) < half, f"{path.name} {start} {name}: {x.mean()} vs {mu}"


# --- words -------------------------------------------------------------------------


def _summary(mean: float, lo: float, hi: float) -> pd.DataFrame:
    return pd.DataFrame(
        [{"metric": "backlog_growth_per_week", "mean": mean, "ci_low": lo, "ci_high": hi}]
    )


def test_sentences_and_disagreements():
    slack = workload_sim.load_check(MMC)  # 90% loaded, no overtime
    assert slack.sentence().startswith("The team's case work needs 33.3 h a day; it has 37.0 h")
    assert "90% loaded: there is slack" in slack.sentence()
    assert "DISAGREES" in compare_with_simulation(slack, _summary(0.5, 0.2, 0.8))
    assert "agrees" in compare_with_simulation(slack, _summary(0.0, -0.1, 0.1))
    over = workload_sim.load_check(MMC, ["demand.referrals_per_week=30"])
    assert "120% loaded; with no overtime, work must pile up" in over.sentence()
    assert "DISAGREES" in compare_with_simulation(over, _summary(0.1, -0.2, 0.4))
    assert "agrees" in compare_with_simulation(over, _summary(5.0, 4.0, 6.0))
    carried = workload_sim.load_check(DEFAULT)  # overtime carries it, below the tipping point
    assert "agrees" in compare_with_simulation(carried, _summary(0.0, -0.1, 0.1))
    close = compare_with_simulation(carried, _summary(1.0, 0.5, 1.5))
    assert "DISAGREES" in close and "close to its tipping point" in close
    assert "tipping point at 32.0 referrals a week" in close
    capped = workload_sim.load_check(MGINF, CAPPED)  # 50 places needed, 40 given, no hours
    assert "need 50 caseload places held at once and the caps give 40 (125%)" in capped.sentence()
    assert "before hours run out" in capped.sentence()
    assert "DISAGREES" in compare_with_simulation(capped, _summary(0.0, -0.5, 0.5))
    both = workload_sim.load_check(DEFAULT, SMALL_TEAM)  # 294% on hours, 163% on caps
    assert "caps are overrun too" in both.sentence()


def test_slack_is_never_said_beside_a_growing_list():
    """The children's team at 10 a week is 87% loaded on contract hours; a 2-year run on
    an unseen seed read GROWING beside 'there is slack'."""
    check = workload_sim.load_check(CHILDREN)
    assert check.load_contract < 1.0
    growing = _summary(0.03, 0.005, 0.059)
    assert "slack" not in check.sentence(simulated_growing=True)
    assert "slack" not in check.sentence()  # over 90% of its tipping point: not slack either
    said = compare_with_simulation(check, growing)
    assert "slack" not in said and "close to its tipping point" in said
    block = load_check_block(check, growing)
    assert "slack" not in block
    from workload_sim.report.verdict import load_sentences
    from workload_sim.scenario.loading import load_scenario

    resolved = load_scenario(CHILDREN).model_dump(mode="json")
    assert not any("slack" in line for line in load_sentences(resolved, growing))
    relaxed = workload_sim.load_check(CHILDREN, ["demand.referrals_per_week=7"])
    assert "there is slack" in relaxed.sentence()
    assert "slack" not in relaxed.sentence(simulated_growing=True)


def test_the_report_block_escapes_user_text():
    name = "<b>job</b>"
    steps = [
        {"name": "r", "effort_hours": 1.0, "branches": [{"probability": 0.95, "pathway": name}]}
    ]
    sc = tiny([])
    sc["pathways"] = {name: {"steps": steps}}
    sc["triage"]["case_mix"] = {name: 1.0}
    check = workload_sim.load_check(sc)
    assert any(name in n for n in check.notes)  # the depth cap cuts 20 visits to 14.5
    block = load_check_block(check, _summary(0.0, -1.0, 1.0))
    assert "<b>" not in block and "&lt;b&gt;job&lt;/b&gt;" in block
    assert block.startswith("<section") and block.endswith("</section>")


# --- the simulation's tipping point --------------------------------------------------

MGINF = SCENARIOS / "validation" / "mginf.yaml"
CAPPED = ["workforce.permanent.caseload_cap=40"]  # 40 places; a case is held 25 days
SMALL_TEAM = [  # the default team, three experienced workers, nothing that moves capacity
    "team.permanent=3",
    "team.newly_qualified=0",
    "team.vacant=0",
    "absence.annual_leave_days=0",
    "absence.sickness_days=0",
    "workforce.permanent.leaving_rate_per_year=0",
    "warm_start.cases_per_worker=0",
    "demand.annual_growth=0",
    "overtime.enabled=false",
]


def _growing(path, rate: float, fixed: list[str], reps: int) -> bool:
    res = workload_sim.run(
        path, reps=reps, seed=11, overrides=[*fixed, f"demand.referrals_per_week={rate}"]
    )
    row = res.summary.set_index("metric").loc["backlog_growth_per_week"]
    return bool(row["ci_low"] > 0)


def simulated_tipping_point(path, bound: float, fixed: list[str], reps: int) -> float:
    """Referrals a week where the backlog slope's CI first lies above 0: a scan up from
    95% of the bound in 10% steps, then bisection to 1.25% (same seed: common random
    numbers, so the slope moves smoothly with the rate)."""
    lo = 0.95
    assert not _growing(path, lo * bound, fixed, reps), "growing already at 95% of the bound"
    hi = lo + 0.1
    while not _growing(path, hi * bound, fixed, reps):
        lo, hi = hi, hi + 0.1
        assert hi < 1.5, "no growth up to 150% of the bound"
    while hi - lo > 0.0125:
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if _growing(path, mid * bound, fixed, reps) else (mid, hi)
    return hi * bound


@pytest.mark.parametrize(
    "path, fixed, reps, bound_kind",
    [
        (MMC, ["horizon_days=500", "warmup_days=100"], 5, "contract"),
        (DEFAULT, [*SMALL_TEAM, "horizon_days=750", "warmup_days=300"], 10, "contract"),
        (MGINF, [*CAPPED, "horizon_days=1500", "warmup_days=100"], 5, "caseload"),
    ],
    ids=["mmc", "small_default_team", "mginf_with_caps"],
)
def test_simulated_tipping_point_matches_the_binding_bound(path, fixed, reps, bound_kind):
    """Overtime off: hours bind on the first two, the caseload caps on the third (an
    M/G/c queue whose servers are the 40 caseload places and whose service is the time
    a case is held, waiting on others only)."""
    check = workload_sim.load_check(path, fixed)
    assert not check.overtime_enabled
    loads = {"contract": check.load_contract, "caseload": check.load_caseload}
    assert max(loads, key=loads.get) == bound_kind  # the bound tested is the binding one
    bound = check.tipping_referrals_per_week(bound_kind)
    found = simulated_tipping_point(path, bound, fixed, reps)
    assert abs(found / bound - 1) <= 0.05, f"simulated {found:.2f} vs bound {bound:.2f} a week"


OVERTIME_ON = [
    "overtime.enabled=true",
    "overtime.max_hours_per_day=2",
    "overtime.max_hours_per_week=10",
    "overtime.behind_when_queued_days=0",  # anyone with work left stays: the most it can give
    "overtime.personal_limit_scale=1",  # everyone at the team's limits, as the bound assumes
    "overtime.personal_limit_spread=0",
]


@pytest.mark.parametrize(
    "path, fixed, reps",
    [
        (DEFAULT, [*SMALL_TEAM, *OVERTIME_ON, "horizon_days=750", "warmup_days=300"], 10),
        (MMC, [*OVERTIME_ON, "horizon_days=500", "warmup_days=100"], 5),
    ],
    ids=["small_default_team", "mmc"],
)
def test_with_overtime_the_tipping_point_lies_between_the_two_bounds(path, fixed, reps):
    """Overtime on: the backlog tips above the contract-hours bound (evenings carry some
    of the work) and no later than the bound with everyone working to their limit."""
    check = workload_sim.load_check(path, fixed)
    assert check.overtime_enabled
    contract = check.tipping_referrals_per_week("contract")
    most = check.tipping_referrals_per_week("overtime")
    assert most > contract * 1.1  # the two bounds are told apart
    found = simulated_tipping_point(path, contract, fixed, reps)
    assert contract * 1.0125 < found <= most * 1.0125, (
        f"simulated {found:.2f} a week; bounds {contract:.2f} (contract) and {most:.2f}"
    )


def test_a_team_with_nobody_in_post_gets_a_load_check_not_a_crash():
    # found by the before-stop extreme run: every post vacant (no agency cover within a
    # 25% cap of one post) divided by the number of workers in post
    check = workload_sim.load_check(DEFAULT, ["team.permanent=0", "team.newly_qualified=0"])
    assert check.available_hours_per_day == 0.0
    assert check.load_contract == math.inf
    # the work itself is what the full team's would be: only the hours are missing
    full = workload_sim.load_check(DEFAULT)
    assert check.demand_hours_per_day == pytest.approx(full.demand_hours_per_day, rel=0.05)
    assert "nobody is in post on day 0, so it has no hours until someone joins" in (
        check.sentence()
    )


# --- the predicted tipping point on the shipped teams (the fixed point at saturation) ---

TWO_YEARS = ["horizon_days=506"]
UNSEEN_SEED = 101  # not a seed any calibration or tipping measurement used


HIGH = (
    "predicted 10.9 a week, but the list already grows at 95% of it: with personal limits "
    "(mean factor 1.2) the saturated bound counts every worker at their own limit, while "
    "in the simulation only those behind stay on (a known gap, issue 16 left open)"
)


@pytest.mark.parametrize(
    "name",
    [
        "adult_safeguarding_team",
        pytest.param("children_in_need_team", marks=pytest.mark.xfail(strict=True, reason=HIGH)),
        "long_term_sickness",
        "agency_heavy",
    ],
)
def test_the_predicted_tipping_point_is_within_5_percent_of_the_simulated_one(name):
    """Two runs on common random numbers (an unseen seed, 20 replications, two years):
    at 95% of the predicted tipping point the backlog slope's 95% CI is not above 0, at
    105% it is (docs/model.md gives the predicted and bisected tipping points)."""
    path = SCENARIOS / f"{name}.yaml"
    tip = workload_sim.load_check(path, TWO_YEARS).predicted_tipping_point

    def growing(rate: float) -> bool:
        res = workload_sim.run(
            path,
            reps=20,
            seed=UNSEEN_SEED,
            overrides=[*TWO_YEARS, f"demand.referrals_per_week={rate:.3f}"],
        )
        row = res.summary.set_index("metric").loc["backlog_growth_per_week"]
        return bool(row["ci_low"] > 0)

    assert not growing(0.95 * tip), f"growing at 95% of the predicted {tip:.2f} a week"
    assert growing(1.05 * tip), f"not growing at 105% of the predicted {tip:.2f} a week"


def test_a_team_with_almost_no_hours_tips_at_almost_no_referrals():
    # 0.001 contracted hours a week (the before-stop extreme run): the saturated team closes
    # next to nothing, so the tipping point is next to 0 referrals a week; the bisection
    # used to halve its upper end for ever (a relative stop only) and hung the report
    check = workload_sim.load_check(DEFAULT, ["team.contract_hours_per_week=0.001"])
    assert 0.0 < check.predicted_tipping_point < 0.01
