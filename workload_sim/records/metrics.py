"""Outcome metrics of one replication, computed from its plain tables.

Only the measured period counts: referrals that arrived during warm-up and
cases open on day 0 are excluded from waits; levels, hours, cover, NAAS and
costs are summed or averaged over the days after warm-up. Open cases at the
horizon are counted, never dropped. Waits for allocation count every spell on
the list (a case put back on the list waits again); the first wait is kept as
its own metric.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..scenario import TYPE
from .hours import hours_metrics

LEAVING_REASONS = ("left (turnover)", "left rather than take NAAS", "left (planned)")
# DfE's statutory timescale for a children's assessment: 45 working days from referral
# (Working Together to Safeguard Children); applied to the cases whose first pathway
# carries that standard (completion_target_days: 45, the children's assessment), never to
# adult enquiries, which are judged against their own standard (completion_breach_share)
ASSESSMENT_TIMESCALE_DAYS = 45

# the few metrics that answer "is this workload safe?", for tables that cannot show all
KEY_METRICS = (
    "wait_to_allocation_days",
    "allocation_breach_share",
    "unallocated_mean",
    "backlog_growth_per_week",
    "caseload_mean",
    "unpaid_hours_per_worker_week",
)

# metric name -> (unit, plain-English meaning); the order is the report order.
METRICS: dict[str, tuple[str, str]] = {
    "referrals": ("referrals", "Referrals received in the measured period"),
    "opened": ("cases", "Referrals opened as cases"),
    "closed": ("cases", "Cases opened in the period and closed with the work done by the horizon"),
    "wait_to_allocation_days": (
        "working days",
        "Mean wait on the list for a worker, every wait counted (first and after being put back)",
    ),
    "wait_to_allocation_p90": ("working days", "90th percentile of those waits"),
    "first_allocation_wait_days": ("working days", "Mean wait from referral to first allocation"),
    "wait_incl_still_waiting_days": (
        "working days",
        "Mean wait counting cases still waiting at the horizon up to then (a lower bound "
        "that cannot hide a runaway list)",
    ),
    "wait_incl_still_waiting_p90": (
        "working days",
        "90th percentile of that wait, still-waiting cases counted up to the horizon",
    ),
    "time_in_system_days": ("working days", "Mean time from opening to closure (closed cases)"),
    "assessment_duration_median_days": (
        "working days",
        "Median time from referral to the end of the case's first pathway (the assessment, "
        "the s42 enquiry); cases unfinished at the horizon counted up to it (a lower bound)",
    ),
    "assessment_within_45_days_share": (
        "fraction",
        "Children's assessments (first pathways with the 45-working-day standard) that "
        "ended within 45 working days of referral (DfE's timescale), of those referred at "
        "least 45 working days before the horizon; none in an adult team",
    ),
    # the target is judged on each wait: from referral to the first allocation (triage
    # included), and each later wait after being put back on the list (docs/model.md)
    "allocation_breach_share": ("fraction", "Cases not allocated within their urgency target"),
    "completion_breach_share": (
        "fraction",
        "Cases whose enquiry was not completed within its standard (long-term work after it "
        "not counted)",
    ),
    "completion_breach_team_share": (
        "fraction",
        "Cases whose enquiry breached its standard because it waited for the team: without "
        "the days at the duty desk, on the list or in a worker's queue it would have met it "
        "(capacity)",
    ),
    "completion_breach_pathway_share": (
        "fraction",
        "Cases whose enquiry breached its standard even leaving out every day it waited for "
        "the team: the pathway's lead times and work alone exceed the standard (not capacity)",
    ),
    "unallocated_mean": ("cases", "Mean unallocated list (time-weighted)"),
    "unallocated_end": ("cases", "Unallocated list at the horizon (need still waiting)"),
    "backlog_growth_per_week": ("cases/week", "Slope of the unallocated list over time"),
    "work_waiting_hours_mean": (
        "hours",
        "Mean hours of allocated work queued with workers, not yet started",
    ),
    "work_waiting_growth_per_week": ("hours/week", "Slope of that queued work over time"),
    "open_cases_mean": ("cases", "Mean open cases, allocated or not (time-weighted)"),
    "open_cases_end": ("cases", "Open cases at the horizon"),
    "tasks_overdue_mean": ("tasks", "Mean tasks outstanding past their case's standard"),
    # DfE's caseload per case-holding FTE, of the workers at work each day (docs/model.md)
    "caseload_mean": ("cases", "Mean weighted caseload per case-holding FTE at work"),
    "caseload_max": ("cases", "Highest weighted caseload any worker held at a day's end"),
    "case_hours_per_worker_week": ("hours/week", "Hours on case work per worker per week"),
    "overtime_hours_per_worker_week": (
        "hours/week",
        "Hours beyond contract per worker per week in post (weeks away included)",
    ),
    "hours_worked_per_worker_week": (
        "hours/week",
        "Hours worked in a week at work: contract plus unpaid hours (dfe-long-2021: 40-43)",
    ),
    "contracted_hours_per_worker_week": ("hours/week", "Contracted hours in a week at work"),
    "unpaid_hours_per_worker_week": (
        "hours/week",
        "Unpaid hours beyond contract in a week at work (dfe-long-2021: about 6)",
    ),
    "unpaid_over_5h_share": (
        "fraction",
        "Workers whose unpaid hours average more than 5 a week at work",
    ),
    "weeks_beyond_contract_share": (
        "fraction",
        "Working weeks in which a worker could not finish within contract (basw-2022: 72%)",
    ),
    "utilisation": ("fraction", "Case hours worked / case hours available in contract"),
    "fte_present_mean": ("FTE", "Mean FTE at work"),
    "fte_sick_mean": ("FTE", "Mean FTE off sick"),
    "fte_leave_mean": ("FTE", "Mean FTE on annual leave"),
    "fte_vacant_mean": ("posts", "Mean vacant posts"),
    "fte_agency_mean": ("FTE", "Mean agency FTE in the team"),
    "sickness_days_per_fte_year": ("days/FTE/year", "Sickness absence per FTE per year"),
    "leavers": ("people", "Workers who left in the measured period"),
    "leavers_rather_than_naas": ("people", "Of whom left rather than take NAAS"),
    "turnover_permanent_pct_year": (
        "%/year",
        "Permanent and newly qualified leavers' FTE a year as a % of their mean FTE in post "
        "(DfE / Skills for Care turnover; agency workers not counted)",
    ),
    "agency_share_pct": (
        "%",
        "Agency FTE (sickness cover included) as a % of all social worker FTE in post",
    ),
    "vacancy_rate_pct": (
        "%",
        "Posts with no permanent or newly qualified holder (agency-held included), as a % of "
        "all funded posts by FTE (DfE's vacancy rate)",
    ),
    "cover_hours_per_worker_week": ("hours/week", "Hours covering absent colleagues' tasks"),
    "naas_worker_days": ("worker-days", "Days away for NAAS plus preparation hours / contract day"),
    "staff_cost_gbp": ("GBP", "Staff cost over the measured period"),
    "agency_premium_gbp": ("GBP", "Agency cost above the permanent rate for the same FTE"),
    "naas_cost_gbp": ("GBP", "NAAS testing cost"),
    "naas_attempts": ("attempts", "NAAS assessments sat, retakes included"),
    "naas_passes": ("people", "Workers who passed NAAS"),
    "unmet_closed_unworked": ("cases", "Cases closed without the work done (waited too long)"),
    "unmet_not_allocated_in_target": ("cases", "Cases not allocated within their target"),
    "capacity_assessments": (
        "assessments",
        "Mental Capacity Act assessments completed (cases opened in the period)",
    ),
    "best_interest_meetings": ("meetings", "Best-interest meetings completed, repeats included"),
    "best_interest_repeats": ("meetings", "Completed best-interest meetings that were repeats"),
    "workers_per_case": ("workers", "Different workers who held each closed case (continuity)"),
}

# How a metric can vary decides its confidence interval (docs/statistics.md): shares lie
# in [0, 1], slopes and differences take either sign, everything else is a non-negative
# count, level, wait, cost or rate (utilisation can pass 1 with overtime, so it is one).
NON_NEGATIVE, SHARE, SIGNED = "non-negative", "share", "signed"
SHARES = frozenset(
    {
        "allocation_breach_share",
        "completion_breach_share",
        "completion_breach_team_share",
        "completion_breach_pathway_share",
        "assessment_within_45_days_share",
        "unpaid_over_5h_share",
        "weeks_beyond_contract_share",
    }
)
SLOPES = frozenset({"backlog_growth_per_week", "work_waiting_growth_per_week"})


def metric_kind(name: str) -> str:
    """NON_NEGATIVE, SHARE or SIGNED; a name not in METRICS is SIGNED (no range assumed)."""
    if name in SHARES:
        return SHARE
    if name in SLOPES or name not in METRICS:
        return SIGNED
    return NON_NEGATIVE


def slope_per_week(days: np.ndarray, values: np.ndarray) -> float:
    """Least-squares slope of ``values`` against working day, per 5-day week."""
    if len(days) < 2:
        return 0.0
    d = days - days.mean()
    denom = float((d * d).sum())
    return float((d * (values - values.mean())).sum() / denom * 5.0) if denom else 0.0


def rep_metrics(
    timeseries: pd.DataFrame,
    cases: pd.DataFrame,
    workers: pd.DataFrame,
    warmup_days: int,
    contract_day_hours: float = 7.4,
    days_per_year: float = 253.0,
    waits: pd.DataFrame | None = None,
    hours: pd.DataFrame | None = None,
) -> dict:
    """The metrics of :data:`METRICS` for one replication.

    ``waits`` holds every spell on the list (case, start, end); without it the
    waits fall back to each case's first wait. ``hours`` is the per worker-day
    hours table (records/hours.py); without it the hours metrics are NaN.
    """
    ts = timeseries[timeseries["day"] >= warmup_days]
    measured = cases[~cases["warmup"].to_numpy()]
    opened = measured[measured["triage_outcome"] == "open_case"]
    first = opened["wait_to_allocation"].dropna()
    horizon = float(timeseries["day"].max() + 1)
    done_waits, all_waits = _waits(opened, waits, horizon)
    closed = opened["time_in_system"][opened["closed_at"].notna() & ~opened["closed_unworked"]]
    worker_weeks = float(ts["workers"].sum()) / 5.0
    available = float(ts["case_hours_available"].sum())
    nan = float("nan")
    return {
        "referrals": float(len(measured)),
        "opened": float(len(opened)),
        "closed": float(len(closed)),
        "wait_to_allocation_days": float(done_waits.mean()) if len(done_waits) else nan,
        "wait_to_allocation_p90": (
            float(np.percentile(done_waits, 90)) if len(done_waits) else nan
        ),
        "first_allocation_wait_days": float(first.mean()) if len(first) else nan,
        "wait_incl_still_waiting_days": float(all_waits.mean()) if len(all_waits) else nan,
        "wait_incl_still_waiting_p90": (
            float(np.percentile(all_waits, 90)) if len(all_waits) else nan
        ),
        "time_in_system_days": float(closed.mean()) if len(closed) else nan,
        "allocation_breach_share": float(opened["allocation_breach"].mean())
        if len(opened)
        else nan,
        "completion_breach_share": (
            float(opened["completion_breach"].mean()) if len(opened) else nan
        ),
        "completion_breach_team_share": (
            float(opened["late_waiting_for_team"].mean()) if len(opened) else nan
        ),
        "completion_breach_pathway_share": (
            float((opened["completion_breach"] & ~opened["late_waiting_for_team"]).mean())
            if len(opened)
            else nan
        ),
        "unallocated_mean": float(ts["unallocated_mean"].mean()),
        "unallocated_end": float(ts["unallocated"].iloc[-1]),
        "backlog_growth_per_week": slope_per_week(
            ts["day"].to_numpy(float), ts["unallocated_mean"].to_numpy()
        ),
        "work_waiting_hours_mean": float(ts["work_waiting_hours_mean"].mean()),
        "work_waiting_growth_per_week": slope_per_week(
            ts["day"].to_numpy(float), ts["work_waiting_hours_mean"].to_numpy()
        ),
        "open_cases_mean": float(ts["open_cases_mean"].mean()),
        "open_cases_end": float(ts["open_cases"].iloc[-1]),
        "tasks_overdue_mean": float(ts["tasks_overdue"].mean()),
        "caseload_mean": float(ts["caseload_mean"].mean()),
        "caseload_max": float(ts["caseload_max"].max()),
        "case_hours_per_worker_week": _per(ts["case_hours"].sum(), worker_weeks),
        "overtime_hours_per_worker_week": _per(ts["overtime_hours"].sum(), worker_weeks),
        **hours_metrics(hours, warmup_days),
        "utilisation": float(ts["case_hours"].sum()) / available if available else nan,
        **_people(ts, workers, warmup_days, contract_day_hours, worker_weeks, days_per_year),
        **_workforce(ts, workers, warmup_days, days_per_year),
        **_assessments(opened, horizon),
        **_unmet_and_work(opened),
    }


def _per(total, weeks: float) -> float:
    return float(total) / weeks if weeks else float("nan")


def _waits(opened: pd.DataFrame, waits: pd.DataFrame | None, horizon: float):
    """(completed waits, every wait with the still-waiting counted up to the horizon).

    A case's first wait runs from referral to its first allocation (triage
    included); each time it is put back on the list after that, it waits again.
    ``waits["first"]`` marks the list spells that belong to the first wait (in the
    log's order, before the case's first worker), so a case listed and allocated at
    the same instant is one wait of 0, not two.
    """
    allocated = opened["allocated_at"].to_numpy(float)
    arrival = opened["arrival"].to_numpy(float)
    ended = np.where(np.isnan(allocated), opened["closed_at"].fillna(horizon), allocated)
    first_all = ended - arrival
    first_done = first_all[~np.isnan(allocated)]
    if waits is None or not len(waits):
        return first_done, first_all
    mine = waits[waits["case"].isin(opened["id"].to_numpy())]
    again = mine[~mine["first"].to_numpy(bool)]  # the first wait is counted once, above
    end = again["end"].to_numpy(float)
    length = np.where(np.isnan(end), horizon, end) - again["start"].to_numpy(float)
    done = (again["reason"] == "allocated").to_numpy()
    return np.concatenate([first_done, length[done]]), np.concatenate([first_all, length])


def _people(ts, workers, warmup_days, day_hours, worker_weeks, days_per_year) -> dict:
    in_post_fte = (ts["fte_present"] + ts["fte_sick"] + ts["fte_leave"] + ts["fte_naas"]).sum()
    left = workers[workers["left_at"] >= warmup_days]
    return {
        "fte_present_mean": float(ts["fte_present"].mean()),
        "fte_sick_mean": float(ts["fte_sick"].mean()),
        "fte_leave_mean": float(ts["fte_leave"].mean()),
        "fte_vacant_mean": float(ts["fte_vacant"].mean()),
        "fte_agency_mean": float(ts["fte_agency"].mean()),
        "sickness_days_per_fte_year": (
            float(ts["fte_sick"].sum()) / float(in_post_fte) * days_per_year if in_post_fte else 0.0
        ),
        "leavers": float(left["leave_reason"].isin(LEAVING_REASONS).sum()),
        "leavers_rather_than_naas": float(
            (left["leave_reason"] == "left rather than take NAAS").sum()
        ),
        "cover_hours_per_worker_week": _per(ts["cover_hours"].sum(), worker_weeks),
        "naas_worker_days": float(ts["naas_days"].sum() + ts["naas_prep_hours"].sum() / day_hours),
        "staff_cost_gbp": float(ts["staff_cost"].sum()),
        "agency_premium_gbp": float(ts["agency_premium"].sum()),
        "naas_cost_gbp": float(ts["naas_cost"].sum()),
        "naas_attempts": float(ts["naas_attempts"].sum()),
        "naas_passes": float(ts["naas_passes"].sum()),
    }


def _unmet_and_work(opened: pd.DataFrame) -> dict:
    def done(name: str) -> pd.Series:
        col = f"done_{name}"
        return opened[col] if col in opened else pd.Series(dtype=float)

    bi = done("best_interest")
    closed = opened[opened["closed_at"].notna() & ~opened["closed_unworked"]]
    return {
        "unmet_closed_unworked": float(opened["closed_unworked"].sum()),
        "unmet_not_allocated_in_target": float(opened["allocation_breach"].sum()),
        "capacity_assessments": float(done("capacity_assessment").sum()),
        "best_interest_meetings": float(bi.sum()),
        "best_interest_repeats": float((bi - 1).clip(lower=0).sum()),
        "workers_per_case": float(closed["holders"].mean()) if len(closed) else float("nan"),
    }


def _workforce(ts: pd.DataFrame, workers: pd.DataFrame, warmup_days: int, per_year: float) -> dict:
    """Turnover, agency share and vacancy rate as DfE and Skills for Care define them.

    Over the measured days (``ts``): turnover is the FTE of permanent and newly
    qualified workers who left (``LEAVING_REASONS``; agency assignments and cover
    ending are not turnover) over their mean FTE in post, scaled to a year of
    ``per_year`` working days. The agency share is agency FTE in post (present or
    away, sickness cover included) over all FTE in post. The vacancy rate is the
    FTE of posts with no permanent or newly qualified holder (vacant or held by
    agency) over the FTE of all funded posts. Levels are time-weighted: sums of
    daily levels over sums of daily denominators (the mean of the daily ratios
    whenever the denominator is constant, as the establishment is).
    """
    nan = float("nan")
    days = len(ts)
    perm_days = float(ts["fte_permanent"].sum())
    agency_days = float(ts["fte_agency"].sum())
    posts_days = float(ts["fte_posts"].sum())
    staff = ~workers["kind"].map(lambda k: TYPE[k].agency).astype(bool)
    left = workers[
        staff & (workers["left_at"] >= warmup_days) & workers["leave_reason"].isin(LEAVING_REASONS)
    ]
    left_fte = float(left["fte"].sum())
    return {
        "turnover_permanent_pct_year": (
            100.0 * left_fte / (perm_days / days) * per_year / days if perm_days else nan
        ),
        "agency_share_pct": (
            100.0 * agency_days / (agency_days + perm_days) if agency_days + perm_days else nan
        ),
        "vacancy_rate_pct": (
            100.0 * float(ts["fte_posts_without_permanent"].sum()) / posts_days
            if posts_days
            else nan
        ),
    }


def _assessments(opened: pd.DataFrame, horizon: float) -> dict:
    """How long the first pathway took (the assessment; the s42 enquiry), from referral.

    A case's first pathway ends at ``enquiry_done_at``, the last step of its own
    pathway (long-term work after it not counted); a case whose plan has no step
    of its own pathway has none and is left out. The median counts a case
    unfinished at the horizon at ``horizon - arrival``, a lower bound on its
    duration: that can only raise the median, and the median is exact whenever
    every censored case's bound lies above it (fewer than half the cases are
    censored and none below the median). The 45-day share counts only the cases
    whose first pathway carries the 45-day standard (``completion_target`` equal to
    ``ASSESSMENT_TIMESCALE_DAYS``: the children's assessment) and were referred at
    least that long before the horizon, so each had the chance; an unfinished one
    among them is a miss. Other pathways (an adult s42 enquiry, 28 days by default)
    are judged against their own standard in ``completion_breach_share``; with none
    on the 45-day standard the share is NaN.
    """
    nan = float("nan")
    has = np.zeros(len(opened), dtype=bool)
    pathway = opened["pathway"].to_numpy()
    for name in pd.unique(pathway):
        col = f"n_{name}"
        if col in opened:
            mine = pathway == name
            has[mine] = opened[col].to_numpy()[mine] > 0
    arrival = opened["arrival"].to_numpy(float)[has]
    done = opened["enquiry_done_at"].to_numpy(float)[has]
    took = np.where(np.isnan(done), horizon, done) - arrival
    limit = ASSESSMENT_TIMESCALE_DAYS
    standard = opened["completion_target"].to_numpy(float)[has]
    chance = np.isclose(standard, limit) & (arrival <= horizon - limit)
    within = ~np.isnan(done[chance]) & (took[chance] <= limit + 1e-9)
    return {
        "assessment_duration_median_days": float(np.median(took)) if len(took) else nan,
        "assessment_within_45_days_share": float(within.mean()) if chance.any() else nan,
    }
