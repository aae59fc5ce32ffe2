"""The predicted tipping point: the referral rate at which the unallocated list starts
to grow, with what the model does at saturation taken into account (a fixed point).

The contract-hours and overtime bounds of ``team_load`` are two extremes: nobody
stays late, or everyone works to their limit every evening with nothing else
changing. At the tipping point the team is at saturation: every worker's caseload
is at their cap (the list only grows once no worker has room), so

- **pressure** is full (caseload / cap = 1): sickness and leaving run at
  ``1 + effect`` times their base rates (``absence.pressure_multiplier``);
- more sickness takes hours out; more leaving leaves posts vacant while they are
  recruited to (covered by agency within the cap, after the agency's start delay),
  and every leaver's and every interim's cases are handed over, at
  ``recruitment.handover_hours`` each;
- each worker is a **closed queue**: ``N`` = cap / case weight cases circulate between
  waiting on others (lead times and reschedule delays: ``Z`` days a case, no worker
  time) and the worker's own queue of ready work (``D`` = hours a case / the
  worker's case-hours a day). The product-form solution (exact mean value analysis
  of the delay-and-one-server network) gives the cases a worker closes a day at
  cap, X(N) <= min(N / (Z + D), 1 / D): the caps bind through the lead times, the
  hours through D, and queueing behind one's own work in between;
- the **evening rule**: the same solution gives the chance that j tasks are in hand
  at the end of a day; a worker stays on when that work is more than
  ``behind_when_queued_days`` days of their case work, and works through it up to
  ``max_hours_per_day`` (a fifth of the weekly limit at most, on average). Those
  hours raise the worker's pace, which changes the queue, which changes the
  evenings: iterated to the self-consistent pace;
- triage, done by the duty worker first, takes its hours out of the case hours.

The tipping point is the referral rate at which the team's cases closed a day at
saturation equal the cases opened a day (bisection: more referrals bring more
triage, and nothing else in the saturated team depends on them). With yearly
demand growth the rate is the one reached half way through the measured period.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import gammaincc

from ..model.absence import pressure_multiplier
from ..scenario import AGENCY, TYPE, WORKER_TYPES, Scenario
from ..scenario.distributions import Fixed
from .team_load import _heads, _survival

YEARS_BEFORE_VACANCIES_SETTLE = 1.0  # a recruitment freeze: posts lost over this long


@dataclass(frozen=True)
class TippingPoint:
    """The saturated team and the referral rate at which its list starts to grow."""

    referrals_per_week: float  # predicted tipping point (the scenario's weekly rate)
    workers: float  # effective headcount at saturation (vacancies out, agency cover in)
    absence_share: float  # leave and sickness, sickness raised by full pressure
    leaving_per_year: float  # leavers a year at full pressure
    posts_vacant: float  # posts empty on average (recruiting, no agency cover yet)
    case_hours_per_worker_day: float  # contract case hours at work, triage out
    overtime_hours_per_worker_day: float  # from the evening rule at saturation
    handover_hours_per_day: float  # the team's, at saturation
    cases_per_worker: float  # the cap in cases
    lead_days_per_case: float  # Z
    hours_per_case: float  # D x pace
    closed_per_day: float  # the team's cases closed a day at saturation
    caps_bind: bool  # True: the caps (through lead times) limit more than the hours


def _mva(n_cases: float, z: float, d: float) -> tuple[float, list[float]]:
    """Throughput (cases a day) of ``n_cases`` cases circulating between a delay of
    ``z`` days and one server needing ``d`` days a case, and the chance of j cases at
    the server (j = 0..N). A fractional N interpolates between its neighbours."""
    lo = max(0, math.floor(n_cases))
    frac = n_cases - lo

    def solve(n: int) -> tuple[float, list[float]]:
        if n == 0:
            return 0.0, [1.0]
        if d <= 0:  # no worker time: only the lead times hold a case
            return (n / z if z > 0 else math.inf), [1.0]
        # product form: p(j) ∝ z^(n-j) / (n-j)! * d^j, in logs for large n
        logs = [
            j * math.log(d) + ((n - j) * math.log(z) - math.lgamma(n - j + 1) if z > 0 else 0.0)
            for j in range(n + 1)
        ]
        if z <= 0:
            logs = [-math.inf] * n + [0.0]
        top = max(logs)
        w = [math.exp(v - top) for v in logs]
        total = sum(w)
        p = [x / total for x in w]
        return (1.0 - p[0]) / d, p  # utilisation / demand

    x_lo, p_lo = solve(lo)
    if frac <= 1e-9:
        return x_lo, p_lo
    x_hi, p_hi = solve(lo + 1)
    p = [(1 - frac) * a for a in p_lo] + [0.0]
    p = [a + frac * b for a, b in zip(p, p_hi, strict=True)]
    return (1 - frac) * x_lo + frac * x_hi, p


def _evening_hours(p: list[float], task_hours: float, threshold: float, limit: float) -> float:
    """Expected hours worked late: with j tasks in hand (each exponential, mean
    ``task_hours``: an Erlang total W), a worker stays when W > threshold and works
    min(W, limit)."""
    if limit <= 0 or task_hours <= 0 or len(p) < 2:
        return 0.0
    j = np.arange(1, len(p))
    pj = np.asarray(p[1:])

    def sf(shape, x):  # P(Erlang(shape, task_hours) > x)
        return gammaincc(shape, x / task_hours)

    if threshold >= limit:
        return float(np.sum(pj * limit * sf(j, threshold)))
    # E[W; t < W < c] + c P(W > c), with E[W; W < x] = j h P(Erlang(j + 1) < x)
    part = j * task_hours * (sf(j + 1, threshold) - sf(j + 1, limit))
    return float(np.sum(pj * (part + limit * sf(j, limit))))


def tipping_point(sc: Scenario, check) -> TippingPoint:
    """The referral rate at which the saturated team's closures fall short of openings."""
    from .case_effort import case_effort
    from .team_load import _handover_rate, _ratio, working_days_per_year

    year = working_days_per_year(sc)
    ab, team, wf, rec, ot = sc.absence, sc.team, sc.workforce, sc.recruitment, sc.overtime
    m_sick = pressure_multiplier(1.0, ab.pressure_threshold, ab.sickness_pressure_effect)
    m_leave = pressure_multiplier(1.0, ab.pressure_threshold, rec.leaving_pressure_effect)
    absence = min(1.0, (ab.annual_leave_days + ab.sickness_days * m_sick) / year)

    # the posts and who holds them at full pressure: permanent posts fall vacant as
    # people leave and are recruited to, covered meanwhile by agency within the cap;
    # agency workers leave too (a gap until the next starts, then their ramp-up)
    posts = sum(getattr(team, k) for k in WORKER_TYPES) + team.vacant
    perm_posts = posts - team.agency
    rate_of = {k: getattr(wf, k).leaving_rate_per_year * m_leave for k in WORKER_TYPES}
    perm_rate = (
        _ratio(
            sum(getattr(team, k) * rate_of[k] for k in WORKER_TYPES if not TYPE[k].agency),
            sum(getattr(team, k) for k in WORKER_TYPES if not TYPE[k].agency),
        )
        or rate_of["permanent"]
    )
    agency_gap = rec.agency_fill_days.mean()  # working days a post waits for agency
    if rec.replace_leavers:
        perm_leavers = perm_posts * perm_rate  # a year
        recruiting = max(perm_leavers * rec.permanent_fill_days.mean() / year, team.vacant)
        slack = max(0.0, math.floor(rec.agency_cap_share * posts + 1e-9) - team.agency)
        covered = min(recruiting, slack) if rec.agency_instead_of_vacancy else 0.0
        agency = team.agency + covered
        agency_leavers = agency * rate_of[AGENCY]
        cover_share = covered / recruiting if recruiting > 0 else 0.0
        vacant = (
            recruiting - covered + (agency_leavers + perm_leavers * cover_share) * agency_gap / year
        )
        agency_hires = agency_leavers + perm_leavers * cover_share
        interim_ends = perm_leavers * cover_share  # the recruit takes over from agency
    else:  # a freeze: the posts lost over the first year stay empty
        perm_leavers = (posts - team.vacant) * perm_rate
        agency = team.agency
        agency_leavers = agency * rate_of[AGENCY]
        vacant = team.vacant + (perm_leavers + agency_leavers) * YEARS_BEFORE_VACANCIES_SETTLE
        agency_hires = interim_ends = recruiting = 0.0
    recruits = perm_leavers if rec.replace_leavers else 0.0
    ramp = agency_hires * _ramp_loss(wf.agency) + recruits * (
        rec.newly_qualified_share * _ramp_loss(wf.newly_qualified)
        + (1 - rec.newly_qualified_share) * _ramp_loss(wf.permanent)
    )
    leavers = perm_leavers + agency_leavers
    workers = max(0.0, posts - vacant - ramp / year)
    if workers <= 0:
        return _nothing(check)
    heads, _ = _heads(sc)

    # an average worker: case hours in contract, cap, overtime limit
    n = sum(heads.values()) or 1
    rate = (
        sum(
            heads[k]
            * getattr(wf, k).fte
            * team.contract_day_hours
            * (1 - getattr(wf, k).non_case_fraction)
            for k in WORKER_TYPES
        )
        / n
    )
    cap = sum(heads[k] * getattr(wf, k).caseload_cap * getattr(wf, k).fte for k in WORKER_TYPES) / n
    # each worker's own limits are the team's times a personal factor of mean
    # personal_limit_scale: at saturation everyone works to their own limit
    limit = (
        ot.personal_limit_scale * min(ot.max_hours_per_day, ot.max_hours_per_week / 5.0)
        if ot.enabled
        else 0.0
    )
    threshold = ot.behind_when_queued_days * rate

    tri = sc.triage
    mix = {k: p for k, p in tri.case_mix.items() if p > 0}
    effort = case_effort(sc.pathways, list(mix))
    lead = sum(p * effort.per_case(k).lead_days for k, p in mix.items())
    work = sum(p * effort.per_case(k).hours for k, p in mix.items())
    weight = sum(p * sc.pathways[k].weight for k, p in mix.items()) or 1.0
    tasks = sum(p * _tasks_per_case(sc, effort, k) for k, p in mix.items()) or 1.0
    cases = cap / weight

    # handovers a case-day at full pressure: leaving and absences raised; an interim
    # agency worker hands the cases on again when the recruit starts
    absences, _ = _handover_rate(sc, absence, year, m_sick, 0.0)  # no leavers in it
    moves = absences + (leavers + interim_ends) / (workers * year)
    handover = moves * rec.handover_hours  # hours a case-day held

    # a ready task of a case whose worker is away waits for their return (the rest of
    # the absence: length-biased), or, past cover.reallocate_after_days, on the list
    away_wait = _away_wait(sc, m_sick, year) * tasks

    # growth: the rate half way through the measured period, per unit of the base rate
    growth = (1.0 + sc.demand.annual_growth) ** ((sc.warmup_days + sc.horizon_days / 2) / year)
    opened_per_ref = (
        check.opened_per_day / check.referrals_per_day if check.referrals_per_day else 0
    )
    day_per_week = (
        check.referrals_per_day / check.referrals_per_week if check.referrals_per_week else 0.2
    )
    triage_hours = tri.effort_hours.mean()

    def saturated(per_week: float) -> tuple[float, float, float]:
        """(closed a day by the team, overtime per worker-day, case hours per worker-day)"""
        refs = per_week * day_per_week * growth
        base = rate * (1 - absence) - refs * triage_hours / workers
        overtime = 0.0
        for _ in range(200):
            pace = base + overtime - cases * handover
            if pace <= 0:
                return 0.0, overtime, pace
            # a worker's day: the time spent away stretches the lead-time clock too
            x, p = _mva(cases, lead + away_wait, work / pace)
            new = (1 - absence) * _evening_hours(p, work / tasks, threshold, limit)
            if abs(new - overtime) < 1e-5:
                break
            overtime = 0.5 * (overtime + new)
        return workers * x, overtime, pace

    def short(per_week: float) -> bool:
        refs = per_week * day_per_week * growth
        return saturated(per_week)[0] < refs * opened_per_ref

    lo, hi = 0.0, max(1.0, check.referrals_per_week)
    while not short(hi):
        lo, hi = hi, hi * 2
        if hi > 1e7:
            break
    # relative precision, and an absolute floor: a team with (almost) no hours tips at
    # (almost) no referrals, where a relative stop alone would halve hi for ever
    while hi - lo > max(1e-4 * hi, 1e-6):
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if short(mid) else (mid, hi)
    closed, overtime, pace = saturated(hi)
    return TippingPoint(
        referrals_per_week=hi,
        workers=workers,
        absence_share=absence,
        leaving_per_year=leavers,
        posts_vacant=vacant,
        case_hours_per_worker_day=pace - overtime,
        overtime_hours_per_worker_day=overtime,
        handover_hours_per_day=workers * cases * handover,
        cases_per_worker=cases,
        lead_days_per_case=lead,
        hours_per_case=work,
        closed_per_day=closed,
        caps_bind=work <= 0 or cases * work < (lead + away_wait) * pace + work,
    )


def _tasks_per_case(sc: Scenario, effort, start: str) -> float:
    """Tasks a case puts in its worker's queue: each step run, and each failed attempt."""
    from .case_effort import expected_failures

    visits = effort.visits[start]
    return sum(
        visits[name]
        * sum(s.probability * (1 + expected_failures(s.failure.probability)) for s in path.steps)
        for name, path in sc.pathways.items()
    )


def _ramp_loss(spec) -> float:
    """Working days of output a new arrival of this type loses while ramping up."""
    return spec.ramp_up_days * (1 - spec.ramp_up_productivity)


def _stall(dist, cut: float | None) -> float:
    """E[min(L, cut)^2] / (2 E[L]) for an absence of length L: times the share of days
    away, the mean days a task that becomes ready waits for its worker's return, or
    until day ``cut`` of the absence when it is moved on (a task ready at day e of an
    absence already moved on is not with them; episodes met are length-biased)."""
    mean = float(dist.mean())
    if mean <= 0:
        return 0.0
    top = float(cut) if cut is not None else float(dist.mean() + 10 * math.sqrt(dist.variance()))
    x = np.linspace(0.0, top, 801)
    sf = np.asarray(_survival(dist, x), dtype=float)
    second = float(np.trapezoid(2 * x * sf, x))  # E[min(L, cut)^2]
    return second / (2 * mean)


def _away_wait(sc: Scenario, m_sick: float, year: int) -> float:
    """Expected days a task that becomes ready waits because its worker is away: to
    their return, or to the day their cases are reallocated (cover), urgent tasks to
    the day they pass to colleagues."""
    ab, cover = sc.absence, sc.cover
    levels = list(sc.triage.urgency.values())
    urgent = levels[0].share if levels and cover.urgent_to_colleagues_after_days is not None else 0
    m, k = cover.reallocate_after_days, cover.urgent_to_colleagues_after_days
    cut_urgent = k if m is None else (m if k is None else min(k, m))
    sick = ab.sickness_days * m_sick / year
    episodes = [
        (ab.annual_leave_days / year, Fixed(value=float(ab.leave_block_days))),
        (sick * (1 - ab.long_term_share), ab.short_term_episode_days),
        (sick * ab.long_term_share, ab.long_term_episode_days),
    ]
    return sum(
        share * ((1 - urgent) * _stall(dist, m) + urgent * _stall(dist, cut_urgent))
        for share, dist in episodes
        if share > 0
    )


def _nothing(check) -> TippingPoint:
    return TippingPoint(
        0.0, 0.0, check.absence_share, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, False
    )
