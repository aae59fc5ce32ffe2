"""Turnover, agency share, vacancy rate and assessment timeliness, checked independently.

Three checks for each metric: a hand-made tiny world whose answer is arithmetic (four
posts, one falls vacant on a known day, agency cover after a fixed delay, a recruit
after a fixed delay); the metrics recomputed here from the raw event log of a normal
run with this file's own loops (joins, terms, states, posts, referrals, spells, steps);
and the censored median on a hand-made table.
"""

from __future__ import annotations

import datetime as dt
import math

import holidays
import numpy as np
import pandas as pd
import pytest

from workload_sim.model import events as ev
from workload_sim.model.simulation import Simulation
from workload_sim.records import tables_of
from workload_sim.records.metrics import (
    ASSESSMENT_TIMESCALE_DAYS,
    LEAVING_REASONS,
    METRICS,
    SHARE,
    _assessments,
    metric_kind,
    rep_metrics,
)
from workload_sim.scenario import TYPE
from workload_sim.scenario.loading import load_scenario

from .conftest import DEFAULT

NEW = (
    "turnover_permanent_pct_year",
    "agency_share_pct",
    "vacancy_rate_pct",
    "assessment_duration_median_days",
    "assessment_within_45_days_share",
)
START = dt.date(2026, 4, 1)  # the default calendar's start date
WARMUP, HORIZON, AGENCY_FILL, PERMANENT_FILL = 20, 120, 10, 40
TINY = [
    "absence.sickness_days=0",
    "absence.annual_leave_days=0",
    "workforce.permanent.leaving_rate_per_year=0",
    "workforce.newly_qualified.leaving_rate_per_year=0",
    "workforce.agency.leaving_rate_per_year=0",
    "workforce.permanent.fte=1.0",
    "workforce.agency.fte=1.0",
    "team.permanent=4",
    "team.newly_qualified=0",
    "team.agency=0",
    "team.vacant=0",
    "demand.referrals_per_week=10",
    "warm_start.cases_per_worker=4",
    f"warmup_days={WARMUP}",
    f"horizon_days={HORIZON}",
    "events=[{kind: post_vacant, worker: permanent 4, date: 2026-06-15}]",
    f"recruitment.permanent_fill_days={PERMANENT_FILL}",
    f"recruitment.agency_fill_days={AGENCY_FILL}",
    "recruitment.agency_instead_of_vacancy=true",
    "recruitment.agency_cap_share=0.5",
    "recruitment.newly_qualified_share=0",
]


def _metrics(overrides: list[str]) -> tuple[Simulation, dict]:
    sc = load_scenario(DEFAULT, overrides)
    sim = Simulation(sc, 0, sc.seed).run()
    t = tables_of(sim)
    m = rep_metrics(
        t.timeseries,
        t.cases,
        t.workers,
        sc.warmup_days,
        sc.team.contract_day_hours,
        sim.calendar.working_days_per_year,
        waits=t.waits,
    )
    return sim, m


def test_the_five_metrics_are_listed_with_their_kinds():
    for name in NEW:
        assert name in METRICS
    assert metric_kind("assessment_within_45_days_share") == SHARE
    assert {metric_kind(n) for n in NEW[:4]} == {"non-negative"}
    assert ASSESSMENT_TIMESCALE_DAYS == 45


# --- (a) a tiny world worked out by hand -------------------------------------------------


def test_a_post_vacant_then_agency_then_recruited_gives_the_rates_by_arithmetic():
    hols = list(holidays.country_holidays("GB", subdiv="ENG", years=[2026, 2027]))
    d = int(np.busday_count(START, dt.date(2026, 6, 15), holidays=hols))
    assert WARMUP <= d and d + PERMANENT_FILL <= WARMUP + HORIZON
    sim, m = _metrics(TINY)
    # the story the arithmetic assumes: the leaver, the agency interim, the recruit
    joins = [(j[1], j[2], j[3]) for j in sim.log.joins if j[1] > 0]
    assert joins == [(d + AGENCY_FILL, "agency", 3), (d + PERMANENT_FILL, "permanent", 3)]
    left = sorted((s[1], s[3]) for s in sim.log.states if s[2] == ev.LEFT)
    assert left == [(d, "left (planned)"), (d + PERMANENT_FILL, "end of assignment (post filled)")]
    per_year = sim.calendar.working_days_per_year
    # post 4 has no permanent holder for PERMANENT_FILL days of HORIZON, of 4 posts
    assert m["vacancy_rate_pct"] == pytest.approx(100 * PERMANENT_FILL / (4 * HORIZON), abs=1e-9)
    # agency FTE-days: PERMANENT_FILL - AGENCY_FILL; permanent FTE-days: 4H - PERMANENT_FILL
    agency = PERMANENT_FILL - AGENCY_FILL
    assert m["agency_share_pct"] == pytest.approx(
        100 * agency / (agency + 4 * HORIZON - PERMANENT_FILL), abs=1e-9
    )
    # one permanent leaver (1 FTE) over a mean of (4H - fill) / H permanent FTE, a year
    mean_fte = (4 * HORIZON - PERMANENT_FILL) / HORIZON
    assert m["turnover_permanent_pct_year"] == pytest.approx(
        100 * 1 / mean_fte * per_year / HORIZON, abs=1e-9
    )


def test_a_quiet_full_team_has_no_turnover_agency_or_vacancy():
    _, m = _metrics([*TINY[:-6], "events=[]"])
    assert m["turnover_permanent_pct_year"] == 0.0
    assert m["agency_share_pct"] == 0.0
    assert m["vacancy_rate_pct"] == 0.0


# --- (b) recomputed from the raw event log of a normal run --------------------------------


def _in_post(log, n_days: int) -> dict[int, tuple[float, float]]:
    """Each worker's [joined, left) with left = inf while in post."""
    span = {j[0]: [j[1], math.inf] for j in log.joins}
    for w, t, state, _reason in log.states:
        if state == ev.LEFT:
            span[w][1] = t
    return {w: (a, b) for w, (a, b) in span.items()}


def _post_of(log, worker: int, time: float) -> int:
    post = next(j[3] for j in log.joins if j[0] == worker)
    for w, t, *_rest, p in log.terms:
        if w == worker and t <= time:
            post = p
    return post


def _from_log(sim: Simulation) -> dict:
    log, sc = sim.log, sim.scenario
    n, warm = log.n_days, sc.warmup_days
    kind = {j[0]: j[2] for j in log.joins}
    fte = {j[0]: j[4] for j in log.joins}
    is_agency = {w: TYPE[k].agency for w, k in kind.items()}
    span = _in_post(log, n)
    perm = agency = posts_fte = without = 0.0
    post_rows: dict[int, list] = {}
    for p, t, vacant, f in log.posts:
        post_rows.setdefault(p, []).append((t, vacant, f))
    for day in range(warm, n):
        mid = day + 0.5
        here = [w for w, (a, b) in span.items() if a <= mid < b]
        perm += sum(fte[w] for w in here if not is_agency[w])
        agency += sum(fte[w] for w in here if is_agency[w])
        held_by_staff = {_post_of(log, w, mid) for w in here if not is_agency[w]}
        for p, rows in post_rows.items():
            now = [r for r in rows if r[0] <= mid]
            if not now:
                continue
            posts_fte += now[-1][2]
            without += 0.0 if p in held_by_staff else now[-1][2]
    days = n - warm
    leavers = sum(
        fte[w]
        for w, t, state, reason in log.states
        if state == ev.LEFT and t >= warm and reason in LEAVING_REASONS and not is_agency[w]
    )
    per_year = sim.calendar.working_days_per_year
    out = {
        "turnover_permanent_pct_year": 100 * leavers / (perm / days) * per_year / days,
        "agency_share_pct": 100 * agency / (agency + perm),
        "vacancy_rate_pct": 100 * without / posts_fte,
    }
    # the first pathway: referral to the completion of the last step of the case's own
    # pathway in its plan; cases opened after warm-up, triaged by the horizon; the 45-day
    # share only for cases whose pathway's own standard is the 45-day one
    awaiting = {s[0] for s in log.spells if s[1] == ev.TRIAGE and math.isnan(s[4])}
    done_at = {(c, step): t for c, step, t in log.steps}
    took, chance, within = [], 0, 0
    for r in log.referrals:
        case, arrival, outcome, pathway, plan, warm_start = r[0], r[1], r[2], r[4], r[8], r[10]
        standard = r[7]
        if outcome != "open_case" or warm_start or arrival < warm or case in awaiting:
            continue
        own = [i for i, step in enumerate(plan) if step.pathway == pathway]
        if not own:
            continue
        finished = done_at.get((case, own[-1]))
        length = (n if finished is None else finished) - arrival
        took.append(length)
        if standard == 45 and arrival <= n - 45:
            chance += 1
            within += finished is not None and length <= 45 + 1e-9
    out["assessment_duration_median_days"] = float(np.median(took))
    out["assessment_within_45_days_share"] = within / chance if chance else math.nan
    return out


BUSY = [  # leavers of every kind, a vacant post, agency interims and sickness cover, and
    # (seed 1) a sickness cover worker staying on as a leaver's post's interim (a terms row)
    "horizon_days=150",
    "warmup_days=30",
    "seed=1",
    "team.agency=2",
    "team.newly_qualified=1",
    "team.vacant=1",
    "workforce.permanent.leaving_rate_per_year=1.5",
    "workforce.newly_qualified.leaving_rate_per_year=1.5",
    "workforce.agency.leaving_rate_per_year=1.0",
    "absence.sickness_days=40",
    "cover.agency_cover_after_days=3",
    "cover.agency_cover_fill_days=2",
    "recruitment.agency_cap_share=0.5",
    "overtime.personal_limit_spread=0",  # one limit for all: the world picked on seed 1
    "overtime.personal_limit_scale=1",
]


@pytest.mark.parametrize(
    "overrides",
    [
        # the enquiry on the 45-day standard, so that the 45-day share is there to recount
        ["horizon_days=150", "warmup_days=30", "pathways.s42_enquiry.completion_target_days=45"],
        BUSY,
    ],
    ids=["default", "busy"],
)
def test_the_metrics_equal_a_recount_from_the_raw_event_log(overrides):
    sim, m = _metrics(overrides)
    if overrides is BUSY:  # the cases the recount has to get right are there
        assert any(j[3] < 0 for j in sim.log.joins)  # sickness cover
        assert any(t[6] >= 0 for t in sim.log.terms)  # cover staying on as interim
        reasons = {s[3] for s in sim.log.states if s[2] == ev.LEFT}
        assert {"left (turnover)", "end of sickness cover"} <= reasons
    expected = _from_log(sim)
    for name, value in expected.items():
        assert m[name] == pytest.approx(value, abs=1e-9, nan_ok=True), name


# --- (c) the censored median by hand -----------------------------------------------------


def _opened(arrival: list[float], done: list[float]) -> pd.DataFrame:
    k = len(arrival)
    return pd.DataFrame(
        {
            "arrival": arrival,
            "enquiry_done_at": done,
            "completion_target": [45.0] * k,  # on the 45-day standard
            "pathway": ["safeguarding"] * k,
            "n_safeguarding": [1] * k,
        }
    )


def test_the_median_counts_unfinished_cases_up_to_the_horizon():
    nan = float("nan")
    # finished after 10, 20, 30 days; two unfinished, at least 70 and 90 by the horizon:
    # every censored bound lies above the median, so the median (30) is exact
    got = _assessments(_opened([0, 10, 20, 30, 10], [10, 30, 50, nan, nan]), horizon=100.0)
    assert got["assessment_duration_median_days"] == 30.0
    # an unfinished case only 5 days old counts as 5: the median of {5, 10, 20, 30, 90}
    # is 20, a lower bound (the true one lies between 20 and 30)
    got = _assessments(_opened([0, 10, 20, 95, 10], [10, 30, 50, nan, nan]), horizon=100.0)
    assert got["assessment_duration_median_days"] == 20.0
    # within 45 days: of the four referred by day 55 (not the one at 95), the three done
    # within 45; the one still unfinished at the horizon is a miss
    assert got["assessment_within_45_days_share"] == pytest.approx(3 / 4)


def test_a_case_with_no_step_of_its_own_pathway_is_left_out():
    frame = _opened([0, 0], [10, float("nan")])
    frame.loc[1, "n_safeguarding"] = 0
    got = _assessments(frame, horizon=100.0)
    assert got["assessment_duration_median_days"] == 10.0
    assert got["assessment_within_45_days_share"] == 1.0
