"""Each engine mechanism does what it says, on small worlds whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import workload_sim
from workload_sim.model.simulation import Simulation
from workload_sim.records import levels_by_day, tables_of
from workload_sim.records.summary import t_interval
from workload_sim.scenario.loading import validate

Z = stats.norm.ppf(0.9995)


def world(steps, *, workers=1, cap=1, per_week=0.001, overtime=0.0, days=30, **extra):
    """A one-pathway scenario: workers of 7.4 case hours a day, no non-case time."""
    data = {
        "name": "mini",
        "horizon_days": days,
        "demand": {"referrals_per_week": per_week},
        "triage": {
            "effort_hours": 0,
            "no_further_action": 0,
            "signpost": 0,
            "open_case": 1,
            "case_mix": {"p": 1},
            "urgency": {"standard": {"share": 1, "allocation_target_days": 5}},
        },
        "pathways": {"p": {"steps": steps}},
        "team": {"permanent": workers, "newly_qualified": 0, "agency": 0},
        "workforce": {
            "permanent": {
                "fte": 1,
                "caseload_cap": cap,
                "non_case_fraction": 0,
                "leaving_rate_per_year": 0,
            }
        },
        "overtime": {  # one limit for everyone: the arithmetic below is by hand
            "enabled": overtime > 0,
            "max_hours_per_day": overtime,
            "personal_limit_scale": 1.0,
            "personal_limit_spread": 0.0,
        },
        "absence": {"annual_leave_days": 0, "sickness_days": 0},
    }
    for key, value in extra.items():
        node = data
        *path, last = key.split("__")
        for k in path:
            node = node.setdefault(k, {})
        node[last] = value
    return validate(data)


def one_case(sc):
    """Run with a single case waiting on day 0 (warm start) and no arrivals."""
    sc = validate({**sc.model_dump(by_alias=True), "warm_start": {"unallocated": 1}})
    return Simulation(sc, 0).run()


def test_a_worker_behind_stays_on_and_finishes_the_task():
    # behind_when_queued_days 0: any ready work left at the end of the day keeps them on
    sc = world(
        [{"name": "a", "effort_hours": 8.4}], overtime=1.2, overtime__behind_when_queued_days=0
    )
    sim = one_case(sc)
    assert sim.cases[0].closed_at == pytest.approx(1.0)  # 7.4 h in day 0, 1 h that evening
    t = tables_of(sim)
    assert t.workers["overtime_hours"][0] == pytest.approx(1.0)
    assert t.timeseries["overtime_hours"][0] == pytest.approx(1.0)  # day 0's evening
    assert t.timeseries["case_hours"][0] == pytest.approx(8.4)
    assert t.hours["unpaid_hours"][0] == pytest.approx(1.0)
    assert t.hours["hours_worked"][0] == pytest.approx(7.4 + 1.0)


def test_a_worker_not_behind_goes_home():
    # 1 h left at the end of the day is less than half a day (3.7 h) of their work
    sc = world(
        [{"name": "a", "effort_hours": 8.4}], overtime=1.2, overtime__behind_when_queued_days=0.5
    )
    sim = one_case(sc)
    assert sim.cases[0].closed_at == pytest.approx(1.0 + 1.0 / 7.4)
    assert tables_of(sim).workers["overtime_hours"][0] == 0.0


def test_a_worker_stays_on_only_to_their_daily_limit():
    sc = world(
        [{"name": "a", "effort_hours": 9.0}], overtime=1.2, overtime__behind_when_queued_days=0
    )
    sim = one_case(sc)
    assert sim.cases[0].closed_at == pytest.approx(1.0 + 0.4 / 7.4)  # 7.4 + 1.2, then 0.4
    t = tables_of(sim)
    assert t.workers["overtime_hours"][0] == pytest.approx(1.2)
    assert t.timeseries["case_hours"].tolist()[:2] == pytest.approx([8.6, 0.4])


def test_the_weekly_limit_counts_the_four_evenings_before():
    # 2 h an evening, 7 h in any five working days, a 60 h task worked by one person:
    # evenings 2, 2, 2, 1 (7 reached), 0, then 2 (days 1-4 gave 5) ... by hand
    sc = world(
        [{"name": "a", "effort_hours": 60.0}],
        overtime=2.0,
        overtime__max_hours_per_week=7.0,
        overtime__behind_when_queued_days=0,
    )
    sim = one_case(sc)
    worked = [7.4 + e for e in (2, 2, 2, 1, 0, 2)]  # days 0-5: 53.4 h; 6.6 h on day 6
    assert sum(worked) == pytest.approx(53.4)
    assert sim.cases[0].closed_at == pytest.approx(6.0 + 6.6 / 7.4)
    evenings = tables_of(sim).timeseries["overtime_hours"].tolist()[:7]
    assert evenings == pytest.approx([2, 2, 2, 1, 0, 2, 0])


def test_lead_time_holds_the_case_open_without_worker_time():
    steps = [{"name": "wait", "lead_time_days": 5, "effort_hours": 3.7}]
    sim = one_case(world(steps))
    assert sim.cases[0].closed_at == pytest.approx(5.5)
    hours = tables_of(sim).timeseries["case_hours"]
    assert hours.sum() == pytest.approx(3.7) and hours[5] == pytest.approx(3.7)


def test_unallocated_list_is_served_most_urgent_first():
    sc = world(
        [{"name": "a", "effort_hours": {"dist": "exponential", "mean": 7.4}}],
        workers=3,
        per_week=12,
        days=120,
        triage__urgency={
            "urgent": {"share": 0.3, "allocation_target_days": 1},
            "standard": {"share": 0.7, "allocation_target_days": 5},
        },
    )
    sim = Simulation(sc, 0).run()
    allocated = sorted(
        (c for c in sim.cases if c.allocated_at is not None), key=lambda c: c.allocated_at
    )
    # whenever a standard case was allocated, no urgent case that had arrived was waiting
    for c in allocated:
        if c.urgency == "standard":
            waiting_urgent = [
                u
                for u in sim.cases
                if u.urgency == "urgent"
                and u.arrival < c.allocated_at
                and (u.allocated_at is None or u.allocated_at > c.allocated_at)
            ]
            assert not waiting_urgent
    # and urgent cases waited less on average
    wait = lambda u: np.mean([c.allocated_at - c.arrival for c in allocated if c.urgency == u])  # noqa: E731
    assert wait("urgent") < wait("standard")


@pytest.mark.parametrize("policy", ["least_loaded", "round_robin", "first_available"])
def test_allocation_policies_respect_caps(policy):
    sc = world(
        [{"name": "a", "effort_hours": 3.0, "lead_time_days": 2}],
        workers=4,
        cap=3,
        per_week=30,
        days=60,
        allocation__policy=policy,
    )
    sim = Simulation(sc, 0).run()
    workers = tables_of(sim).workers
    assert (workers["peak_caseload"] <= 3).all() and workers["peak_caseload"].max() == 3
    got = workers["cases_allocated"].tolist()
    if policy == "first_available":
        assert got[0] == max(got)  # the lowest number fills first
    if policy == "round_robin":
        assert max(got) - min(got) <= 1  # turns: nobody more than one ahead


def test_failures_repeat_the_step_geometrically_with_delay_and_wasted_effort():
    p = 0.4
    steps = [
        {
            "name": "visit",
            "effort_hours": 1.0,
            "failure": {"probability": p, "reschedule_delay_days": 2, "wasted_effort_hours": 0.5},
        }
    ]
    sc = world(steps, workers=5, cap=50, per_week=100, days=200)
    cases = workload_sim.run(sc, reps=1).cases
    done = cases[cases["closed_at"].notna()]
    n = len(done)
    expected = p / (1 - p)  # mean failed attempts before success
    sd = np.sqrt(p) / (1 - p)
    assert abs(done["failures"].mean() - expected) < Z * sd / np.sqrt(n)
    assert np.allclose(done["effort_hours"], 1.0 + 0.5 * done["failures"])
    # each failure adds its 2-day delay to the time in system
    assert (done["time_in_system"] >= 2.0 * done["failures"]).all()


def test_branches_are_taken_with_their_probability_and_repeat():
    sc = workload_sim.load_scenario(
        "scenarios/adult_safeguarding_team.yaml",
        [
            "team.permanent=30",
            "demand.referrals_per_week=60",
            "horizon_days=400",
            "warmup_days=0",
            "warm_start.cases_per_worker=0",
        ],
    )
    cases = workload_sim.run(sc, reps=1).cases
    s42 = cases[cases["pathway"] == "s42_enquiry"]
    n = len(s42)
    share = (s42["n_capacity_assessment"] > 0).mean()
    assert abs(share - 0.30) < Z * np.sqrt(0.3 * 0.7 / n)
    ca = s42[s42["n_capacity_assessment"] > 0]
    # best interest: 0.6 after an assessment, then repeated with 0.2 -> 0.6 / 0.8 = 0.75
    bi = ca["n_best_interest"]
    assert abs(bi.mean() - 0.75) < Z * bi.std() / np.sqrt(len(ca))


def test_triage_takes_duty_worker_time_and_closes_nfa_at_triage():
    sc = workload_sim.load_scenario(
        "scenarios/adult_safeguarding_team.yaml", ["horizon_days=60", "warmup_days=0"]
    )
    cases = workload_sim.run(sc, reps=1).cases
    arrived = cases[~cases["warm_start"]]
    triaged = arrived.dropna(subset=["triaged_at"])
    assert (triaged["triaged_at"] > triaged["arrival"]).mean() > 0.99
    nfa = triaged[triaged["triage_outcome"] == "no_further_action"]
    assert (nfa["closed_at"] == nfa["triaged_at"]).all()


def test_warm_start_fills_caseloads_and_spills_to_the_list():
    sc = world(
        [{"name": "a", "effort_hours": 1, "lead_time_days": 50}],
        workers=3,
        cap=4,
        warm_start={"cases_per_worker": 6},
        days=20,
    )
    sim = Simulation(sc, 0).run()
    assert [w.cases for w in sim.workers] == [4, 4, 4]
    waiting = [c for c in sim.cases if c.allocated_at is None]
    assert len(waiting) == 3 * (6 - 4)
    assert all(c.warm_start for c in sim.cases)


def test_busy_team_grows_a_backlog_and_idle_team_does_not():
    grow = world([{"name": "a", "effort_hours": 7.4}], workers=2, cap=1, per_week=15, days=200)
    steady = world([{"name": "a", "effort_hours": 7.4}], workers=4, cap=1, per_week=15, days=200)
    g = workload_sim.run(grow, reps=4).per_rep["backlog_growth_per_week"]
    s = workload_sim.run(steady, reps=4).per_rep["backlog_growth_per_week"]
    _, _, lo, _, _ = t_interval(g)
    assert lo > 0.5  # lambda 3/day vs capacity 2/day: about +5 a week
    assert abs(s.mean()) < 0.2


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0, 9.99), st.floats(0, 12) | st.none(), st.floats(0.5, 3)),
        max_size=25,
    )
)
def test_levels_by_day_matches_brute_force(intervals):
    n = 10
    starts = np.array([s for s, _, _ in intervals], dtype=float)
    ends = np.array([np.nan if d is None else s + d for s, d, _ in intervals], dtype=float)
    w = np.array([x for _, _, x in intervals], dtype=float)
    area, level = levels_by_day(starts, ends, n, w)
    for day in range(n):
        exp_area = exp_level = 0.0
        for s, e, x in zip(starts, ends, w, strict=True):
            e2 = np.inf if np.isnan(e) else e
            exp_area += x * max(0.0, min(e2, day + 1) - max(s, day))
            exp_level += x * (s <= day + 1 < e2)
        assert area[day] == pytest.approx(exp_area, abs=1e-9)
        assert level[day] == pytest.approx(exp_level, abs=1e-9)


def test_work_waiting_counts_queued_hours_exactly():
    # two cases, one worker with room for both: 7.4 h each, so the second waits a day
    sc = world([{"name": "a", "effort_hours": 7.4}], cap=2, days=5)
    sc = validate({**sc.model_dump(by_alias=True), "warm_start": {"unallocated": 2}})
    res = workload_sim.run(sc, reps=1)
    ts = res.timeseries
    assert ts.loc[0, "work_waiting_hours_mean"] == pytest.approx(7.4)  # queued all of day 0
    assert ts.loc[0, "work_waiting_hours"] == 0.0  # started at the end of day 0
    assert ts.loc[0, "tasks_waiting"] == 0
    assert (ts.loc[1:, "work_waiting_hours_mean"] == 0).all()


def test_a_run_makes_almost_no_cyclic_garbage():
    """The run pauses the cyclic GC; that is safe only if events free themselves."""
    import gc

    sc = workload_sim.load_scenario("scenarios/adult_safeguarding_team.yaml")
    gc.collect()
    sim = Simulation(sc, 0)
    gc.disable()
    try:
        sim.run()
        leftover = gc.collect()
    finally:
        gc.enable()
    assert gc.isenabled()
    assert leftover < 50, leftover  # vs ~30,000 live objects the run holds


def test_optional_steps_happen_with_their_probability_and_recording_scales_effort():
    steps = [
        {"name": "visit", "effort_hours": 2.0},
        {"name": "police", "probability": 0.25, "effort_hours": 1.0},
    ]
    sc = world(steps, workers=5, cap=50, per_week=100, days=200, pathways__p__recording_share=0.5)
    cases = workload_sim.run(sc, reps=1).cases
    done = cases[cases["closed_at"].notna()]
    with_police = done["steps_planned"] == 2
    share = with_police.mean()
    assert abs(share - 0.25) < Z * np.sqrt(0.25 * 0.75 / len(done))
    # recording adds half of each step's direct work
    assert np.allclose(done.loc[~with_police, "effort_hours"], 3.0)
    assert np.allclose(done.loc[with_police, "effort_hours"], 4.5)
