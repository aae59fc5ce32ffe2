"""The load check: the work a team's referrals bring against the hours it has, from
the scenario alone (the fluid bound of queueing theory, no simulation).

Demand, in worker-hours per working day:
  referrals a day x triage effort
  + cases opened a day x (expected work per case: direct work, recording,
    failed attempts, optional steps, branches and repeats; see case_effort)
  + cases opened a day x expected handovers per case x handover hours.
Available, in case-hours per working day, for each worker type in post:
  headcount x FTE x contract day x (1 - non-case share) x (1 - absence share),
  absence share = (annual leave + sickness days) / working days in the year.
Vacant posts count for nothing, except those an agency covers while recruiting
(counted as agency workers, within the agency cap). With overtime added, everyone present also works
their daily overtime cap. Demand over available is the load: above 100% the work
waiting must grow whatever the rota, however it is organised.

The caseload-cap bound: a case is held from allocation to closure; when its work
is done the moment it is ready, at an average worker's available case-hours a
day, that takes (lead times + delays + hours / pace) working days. Cases opened a
day x weight x that time is the caseload the team must hold on average
(Little's law); the caps give what it can hold. Waiting behind other cases'
work only lengthens the hold, so this bound is optimistic too.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from ..model.calendar import WorkCalendar
from ..scenario import AGENCY, EXPERIENCED, MONTHS, WEEKDAYS, WORKER_TYPES, Scenario
from ..scenario.distributions import Exponential, Fixed, Gamma, Lognormal, Triangular, Uniform
from .case_effort import CaseEffort, case_effort

if TYPE_CHECKING:
    from .tipping import TippingPoint


@dataclass(frozen=True)
class LoadCheck:
    """The fluid bounds of one scenario; every figure per working day unless named."""

    referrals_per_week: float  # as given in the scenario
    referrals_per_day: float  # at the start (growth factor 1), profiles averaged over a year
    referrals_per_day_at_end: float  # with the yearly growth reached by the last day
    opened_per_day: float
    triage_hours_per_day: float
    case_hours_per_day: float  # direct work and recording of opened cases
    failure_hours_per_day: float  # worker time lost on failed attempts
    handover_hours_per_day: float
    hours_per_case: float  # expected worker-hours of one opened case (failures included)
    handovers_per_case: float
    available_hours_per_day: float  # case-hours in contract, absence taken out
    overtime_hours_per_day: float  # everyone present working to the overtime cap
    absence_share: float
    working_days_per_year: int
    held_days_per_case: float  # shortest mean time a case is held (working days)
    caseload_needed: float  # weighted cases held on average (Little's law)
    caseload_capacity: float  # sum of caps over the workers in post
    overtime_enabled: bool
    visits_per_case: dict[str, float] = field(default_factory=dict)  # runs of each pathway
    notes: tuple[str, ...] = field(default=())
    saturation: TippingPoint | None = None  # the fixed point at saturation (theory.tipping)

    @property
    def demand_hours_per_day(self) -> float:
        return (
            self.triage_hours_per_day
            + self.case_hours_per_day
            + self.failure_hours_per_day
            + self.handover_hours_per_day
        )

    @property
    def available_with_overtime_per_day(self) -> float:
        return self.available_hours_per_day + self.overtime_hours_per_day

    @property
    def load_contract(self) -> float:
        """Demand / case-hours in contract (1.0 = exactly full)."""
        return _ratio(self.demand_hours_per_day, self.available_hours_per_day)

    @property
    def load_with_overtime(self) -> float:
        return _ratio(self.demand_hours_per_day, self.available_with_overtime_per_day)

    @property
    def load_caseload(self) -> float:
        return _ratio(self.caseload_needed, self.caseload_capacity)

    @property
    def load_saturation(self) -> float:
        """Referrals over the predicted tipping point of the saturated team (1.0 = at it)."""
        tip = self.saturation.referrals_per_week if self.saturation is not None else 0.0
        return _ratio(self.referrals_per_week, tip)

    @property
    def predicted_tipping_point(self) -> float:
        """Referrals a week at which the unallocated list starts to grow (the fixed point)."""
        return self.tipping_referrals_per_week("saturation")

    def tipping_referrals_per_week(self, bound: str = "contract") -> float:
        """Referrals a week at which a bound reaches 100% (every demand scales with them;
        "saturation": the fixed point of theory.tipping, the load check's prediction)."""
        load = {
            "contract": self.load_contract,
            "overtime": self.load_with_overtime,
            "caseload": self.load_caseload,
            "saturation": self.load_saturation,
        }[bound]
        return self.referrals_per_week / load if load > 0 else math.inf

    @property
    def backlog_growth_per_week(self) -> float:
        """Cases a week the work waiting must grow by beyond the contract hours (0 if none)."""
        excess = self.demand_hours_per_day - self.available_hours_per_day
        per_case = self.demand_hours_per_day / self.opened_per_day if self.opened_per_day else 0
        return 5.0 * excess / per_case if excess > 0 and per_case > 0 else 0.0

    def sentence(self, simulated_growing: bool = False) -> str:
        """The load in plain words, as a team leader or union rep would say it.

        ``simulated_growing``: the simulation beside it shows the list growing; the
        sentence then never calls the team's margin slack (the comparison says why
        the two differ)."""
        need, have = self.demand_hours_per_day, self.available_hours_per_day
        if have <= 0.0:
            return (
                f"The team's case work needs {need:.1f} h a day; nobody is in post on day 0, "
                "so it has no hours until someone joins: work must pile up."
            )
        text = (
            f"The team's case work needs {need:.1f} h a day; it has {have:.1f} h: "
            f"{self.load_contract:.0%} loaded"
        )
        tip = self.predicted_tipping_point
        room = self.load_contract <= 1.0 and self.load_saturation < 0.9
        if self.load_contract <= 1.0 and room and not simulated_growing:
            text += ": there is slack"
        elif self.load_contract <= 1.0:
            text += " on contract hours"
        elif self.overtime_enabled and self.load_with_overtime <= 1.0:
            text += (
                f"; overtime is carrying the difference (with everyone working to the "
                f"overtime cap it has {self.available_with_overtime_per_day:.1f} h)"
            )
        elif self.overtime_enabled:
            text += (
                f"; even with everyone working to the overtime cap "
                f"({self.available_with_overtime_per_day:.1f} h) it cannot keep up: "
                "work must pile up"
            )
        else:
            text += "; with no overtime, work must pile up"
        text += "."
        if math.isfinite(tip) and tip > 0:
            where = (
                "below it"
                if self.load_saturation < 0.9
                else "close to it"
                if self.load_saturation < 1.0
                else "past it: the list grows"
            )
            text += (
                f" At saturation (caseloads at the caps, sickness and leaving raised by "
                f"pressure, evenings worked as the rule gives them, handovers) the list "
                f"starts to grow at about {tip:.1f} referrals a week; at "
                f"{self.referrals_per_week:g} the team is {where}."
            )
        if self.load_caseload > 1.0:
            text += (
                f" Its cases need {self.caseload_needed:.0f} caseload places held at once "
                f"and the caps give {self.caseload_capacity:.0f} ({self.load_caseload:.0%}): "
                + (
                    "the caseload caps hold the list back even before hours run out."
                    if self.load_caseload > self.load_contract
                    else "the caseload caps are overrun too."
                )
            )
        return text

    def rows(self) -> list[tuple[str, float, str, str]]:
        """(quantity, value, unit, how it is worked out) for a table."""
        return [
            ("Referrals", self.referrals_per_day, "a working day", "scenario rate, profiles"),
            ("Cases opened", self.opened_per_day, "a working day", "referrals x open share"),
            ("Triage", self.triage_hours_per_day, "h a day", "referrals x triage effort"),
            ("Case work and recording", self.case_hours_per_day, "h a day", "pathways"),
            ("Failed attempts", self.failure_hours_per_day, "h a day", "geometric retries"),
            ("Handovers", self.handover_hours_per_day, "h a day", "turnover, reallocation"),
            ("Work needed", self.demand_hours_per_day, "h a day", "sum of the above"),
            ("Case hours in contract", self.available_hours_per_day, "h a day", "absence out"),
            ("With overtime cap", self.available_with_overtime_per_day, "h a day", "days present"),
            ("Load on contract hours", 100 * self.load_contract, "%", "needed / in contract"),
            ("Load with overtime", 100 * self.load_with_overtime, "%", "needed / with overtime"),
            ("Case held (at least)", self.held_days_per_case, "working days", "no queueing"),
            ("Caseload needed", self.caseload_needed, "weighted cases", "Little's law"),
            ("Caseload caps", self.caseload_capacity, "weighted cases", "sum of caps"),
            ("Tipping point (contract)", self.tipping_referrals_per_week(), "referrals/week", ""),
            (
                "Tipping point (overtime cap)",
                self.tipping_referrals_per_week("overtime"),
                "referrals/week",
                "everyone to the limit",
            ),
            (
                "Tipping point (predicted)",
                self.predicted_tipping_point,
                "referrals/week",
                "saturated team, fixed point",
            ),
        ]


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else (math.inf if a > 0 else 0.0)


def _survival(dist, x):
    """P(value > x) for a scenario distribution (x a number or an array)."""
    if isinstance(dist, Fixed):
        return np.asarray(dist.value > np.asarray(x), dtype=float)
    if isinstance(dist, Exponential):
        frozen = stats.expon(scale=dist.mean())
    elif isinstance(dist, Lognormal):
        mu, sigma = dist._mu_sigma()
        frozen = stats.lognorm(s=sigma, scale=math.exp(mu))
    elif isinstance(dist, Gamma):
        shape = (dist.mean() / dist.sd) ** 2
        frozen = stats.gamma(shape, scale=dist.mean() / shape)
    elif isinstance(dist, Triangular):
        width = dist.high - dist.low
        frozen = stats.triang((dist.mode - dist.low) / width, loc=dist.low, scale=width)
    elif isinstance(dist, Uniform):
        frozen = stats.uniform(loc=dist.low, scale=dist.high - dist.low)
    else:  # pragma: no cover - every distribution of the schema is listed above
        raise TypeError(f"no survival function for {type(dist).__name__}")
    return frozen.sf(x)


def working_days_per_year(scenario: Scenario) -> int:
    """Working days in the year from the start date, from the scenario's calendar."""
    cal = scenario.calendar
    start = cal.start_date
    year_on = (
        start.replace(year=start.year + 1)
        if (start.month, start.day) != (2, 29)
        else (start + dt.timedelta(days=365))
    )
    return WorkCalendar(start, 1, cal.country, cal.subdivision).working_days_between(start, year_on)


def _referrals_per_day(scenario: Scenario, days: int) -> tuple[float, float]:
    """(at the start, at the end of the run): weekday and month profiles averaged over a
    year of working days (the calendar's own mix), growth 1 at the start."""
    d, cal = scenario.demand, scenario.calendar
    span = max(days, scenario.total_days)
    wc = WorkCalendar(cal.start_date, span, cal.country, cal.subdivision)
    wk = np.array([d.weekday_profile[w] for w in WEEKDAYS])
    mo = np.array([d.month_profile[m] for m in MONTHS])
    factor = (wk / wk.mean())[wc.weekdays[:days]] * (mo / mo.mean())[wc.months[:days]]
    base = d.referrals_per_week / 5.0 * float(factor.mean())
    end = (1.0 + d.annual_growth) ** float(wc.years_elapsed[scenario.total_days - 1])
    return base, base * end


def _handover_rate(
    scenario: Scenario,
    absence_share: float,
    year: int,
    sickness_multiplier: float = 1.0,
    leaving_multiplier: float = 1.0,
) -> tuple[float, str]:
    """Handovers per case per working day held, and how it was approximated (the
    multipliers: sickness and leaving raised by pressure, 1 for none)."""
    sc = scenario
    heads, _ = _heads(sc)  # the same team as the hours: agency covering a vacancy leaves too
    n = sum(heads.values())
    leaving = (
        _ratio(
            sum(heads[k] * getattr(sc.workforce, k).leaving_rate_per_year for k in WORKER_TYPES),
            n * year,
        )
        * leaving_multiplier
    )
    ab, cover = sc.absence, sc.cover
    sick = ab.sickness_days * sickness_multiplier
    present_days = max(1.0, year - ab.annual_leave_days - sick)
    episodes = {  # sickness episodes starting per present day, and their lengths
        "short": (
            sick * (1 - ab.long_term_share) / ab.short_term_episode_days.mean(),
            ab.short_term_episode_days,
        ),
        "long": (
            sick * ab.long_term_share / ab.long_term_episode_days.mean(),
            ab.long_term_episode_days,
        ),
    }
    m, k = cover.reallocate_after_days, cover.agency_cover_after_days
    cover_at = None if k is None else k + cover.agency_cover_fill_days.mean()
    moves = 0.0  # hand-overs per present worker-day from absences
    for per_year, length in episodes.values():
        rate = per_year / present_days
        if cover_at is not None and (m is None or cover_at < m):
            moves += 2 * rate * float(_survival(length, cover_at))  # to the cover and back
        elif m is not None:
            moves += rate * float(_survival(length, m))
    if m is not None and ab.leave_block_days > m:  # long leave blocks are reallocated too
        moves += ab.annual_leave_days / ab.leave_block_days / year
    how = (
        "handovers: each day a case is held, its worker leaves at the base turnover rate "
        "(no pressure) or starts an absence long enough for reallocation or agency cover "
        "(two handovers: to the cover and back); the hold used is the shortest, so this "
        "is a lower estimate"
    )
    return leaving + moves * (1 - absence_share), how


def _heads(sc: Scenario) -> tuple[dict[str, int], int]:
    """Headcount by type on day 0, with the vacant posts agency covers while recruiting."""
    team, rec = sc.team, sc.recruitment
    heads = {k: getattr(team, k) for k in WORKER_TYPES}
    covered = 0
    if team.vacant and rec.replace_leavers and rec.agency_instead_of_vacancy:
        cap = math.floor(rec.agency_cap_share * (sum(heads.values()) + team.vacant) + 1e-9)
        covered = max(0, min(team.vacant, cap - heads[AGENCY]))
    heads[AGENCY] += covered
    return heads, covered


def load_check(scenario: Scenario) -> LoadCheck:
    """The fluid bound and the caseload-cap bound of ``scenario`` (no simulation)."""
    sc = scenario
    year = working_days_per_year(sc)
    per_day, per_day_end = _referrals_per_day(sc, year)
    tri = sc.triage
    opened = per_day * tri.open_case
    mix = {k: p for k, p in tri.case_mix.items() if p > 0}
    effort: CaseEffort = case_effort(sc.pathways, list(mix))
    cost = {k: effort.per_case(k) for k in mix}
    direct = sum(p * (cost[k].effort_hours + cost[k].recording_hours) for k, p in mix.items())
    failed = sum(p * cost[k].failure_hours for k, p in mix.items())

    ab, team, wf = sc.absence, sc.team, sc.workforce
    absence = min(1.0, (ab.annual_leave_days + ab.sickness_days) / year)
    heads, covered = _heads(sc)
    available = sum(
        heads[k]
        * getattr(wf, k).fte
        * team.contract_day_hours
        * (1 - getattr(wf, k).non_case_fraction)
        * (1 - absence)
        for k in WORKER_TYPES
    )
    ot = sc.overtime  # everyone to their limit: the daily one, or a fifth of the weekly one
    # each worker's own limits are the team's times a personal factor of mean
    # personal_limit_scale: at saturation everyone works to their own limit
    ot_cap = (
        ot.personal_limit_scale * min(ot.max_hours_per_day, ot.max_hours_per_week / 5.0)
        if ot.enabled
        else 0.0
    )
    overtime = sum(heads.values()) * ot_cap * (1 - absence)
    capacity = sum(heads[k] * getattr(wf, k).caseload_cap * getattr(wf, k).fte for k in heads)

    # an average worker's case-hours a working day (with nobody in post, an experienced
    # worker's: how long a case is held depends on a worker's pace, not on the headcount)
    n = sum(heads.values())
    exp = getattr(wf, EXPERIENCED)
    pace = (
        available / n
        if n
        else exp.fte * team.contract_day_hours * (1 - exp.non_case_fraction) * (1 - absence)
    )
    held = {k: effort.held_days(k, pace) if pace > 0 else math.inf for k in mix}
    held_mean = sum(p * held[k] for k, p in mix.items())
    needed = opened * sum(p * sc.pathways[k].weight * held[k] for k, p in mix.items())
    rate, how = _handover_rate(sc, absence, year)
    handovers = rate * held_mean

    notes = [
        f"absence share ({ab.annual_leave_days:g} leave + {ab.sickness_days:g} sickness days)"
        f" / {year} working days = {absence:.1%}, before any rise with pressure",
        f"referrals at the start; with {sc.demand.annual_growth:.0%} yearly growth the last "
        f"day's rate is {per_day_end:.2f} a day",
        f"the team as it stands on day 0, {covered} vacant post(s) counted as agency cover: "
        "other vacancies give no hours; leavers' gaps, agency ramp-up, newly qualified "
        "workers gaining full terms and NAAS rounds are not in it",
        how,
    ]
    capped = {k: sum(effort.visits[k].values()) for k in mix}
    free = {k: sum(effort.visits_uncapped[k].values()) for k in mix}
    for k in mix:
        if free[k] > capped[k] * 1.01:
            notes.append(
                f"{k}: the planner's cap on nested branches cuts expected visits from "
                f"{free[k]:.2f} to {capped[k]:.2f} (the simulation uses the cap too)"
            )
    check = LoadCheck(
        referrals_per_week=sc.demand.referrals_per_week,
        referrals_per_day=per_day,
        referrals_per_day_at_end=per_day_end,
        opened_per_day=opened,
        triage_hours_per_day=per_day * tri.effort_hours.mean(),
        case_hours_per_day=opened * direct,
        failure_hours_per_day=opened * failed,
        handover_hours_per_day=opened * handovers * sc.recruitment.handover_hours,
        hours_per_case=direct + failed + handovers * sc.recruitment.handover_hours,
        handovers_per_case=handovers,
        available_hours_per_day=available,
        overtime_hours_per_day=overtime,
        absence_share=absence,
        working_days_per_year=year,
        held_days_per_case=held_mean,
        caseload_needed=needed,
        caseload_capacity=capacity,
        overtime_enabled=sc.overtime.enabled and ot_cap > 0,
        visits_per_case={
            name: sum(p * effort.visits[k][name] for k, p in mix.items()) for name in sc.pathways
        },
        notes=tuple(notes),
    )
    from .tipping import tipping_point

    return replace(check, saturation=tipping_point(sc, check))


def compare_with_simulation(
    check: LoadCheck, summary: pd.DataFrame, interval_words: str = "95% CI"
) -> str:
    """Say, in words, whether the simulated backlog agrees with the load check.

    The simulation's verdict is the backlog slope (``backlog_growth_per_week``):
    growing when its interval (95%, or a sequential run's look-adjusted level, named by
    ``interval_words``) lies above 0. The load check's: the list grows when the
    referrals reach the saturated team's predicted tipping point (theory.tipping), or
    a hard bound is passed (the most the team can give in hours, or the caps). They
    disagree when one says growing and the other does not; the sentence says why.
    """
    rows = summary.set_index("metric")
    if "backlog_growth_per_week" not in rows.index:
        return "The simulated backlog trend is missing, so the load check cannot be compared."
    r = rows.loc["backlog_growth_per_week"]
    mean, lo, hi = float(r["mean"]), float(r["ci_low"]), float(r["ci_high"])
    if not math.isfinite(mean):
        return "The simulated backlog trend could not be measured to compare with the load check."
    sim = f"{mean:+.2f} cases a week"
    if math.isfinite(lo):
        sim += f" ({interval_words} {lo:+.2f} to {hi:+.2f})"
    growing = math.isfinite(lo) and lo > 0
    most = check.load_with_overtime if check.overtime_enabled else check.load_contract
    tip, at = check.predicted_tipping_point, check.load_saturation
    # the prediction: the list grows past the saturated team's tipping point (or past a
    # hard bound: the most the team can give, or the caps)
    over = at >= 1.0 or most > 1.0 or check.load_caseload > 1.0
    point = (
        f"the load check puts the tipping point at {tip:.1f} referrals a week "
        f"(this team has {check.referrals_per_week:g}, {at:.0%} of it)"
    )
    if not over and growing:
        if at >= 0.85:
            why = (
                "The team is close to its tipping point, and the load check works with "
                "averages: referrals arriving in bunches, absences that fall together and "
                "the pressure loop on the busiest workers (sickness and leaving raised, "
                "their cases handed over) push the list up before the average team "
                "reaches it."
            )
        else:
            why = (
                "Something the load check leaves out holds the work back: vacant posts "
                "left unfilled, a start with a heavy caseload, a scheduled event, or "
                "uneven arrivals and absences piling up on a few workers."
            )
        return (
            f"The simulation DISAGREES with the load check: {point}, so the list should "
            f"not grow, yet the simulated unallocated list grows by {sim}. {why}"
        )
    if over and not growing:
        return (
            f"The simulation DISAGREES with the load check: {point} "
            f"({most:.0%} of the most it can give in hours, caseload caps "
            f"{check.load_caseload:.0%}), so the list should grow, yet the simulated "
            f"unallocated list changes by {sim}, not a clear rise. The run may be too "
            "short or have too few replications to show the rise, or the work may pile "
            "up elsewhere (queued with workers, or cases closed unworked)."
        )
    if over:
        return f"The simulation agrees: {point}, and the unallocated list grows by {sim}."
    return (
        f"The simulation agrees: {point}; the team keeps up, the unallocated list changes by {sim}."
    )
