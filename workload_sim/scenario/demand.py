"""Scenario sections for dates, referral demand and front-door triage."""

from __future__ import annotations

import datetime as dt
import difflib

from pydantic import field_validator, model_validator

from .distributions import Distribution, Fixed
from .fields import DAY_LIMIT, RUN_SETTING, Date, F, Probability, Strict, sums_to_one


class CalendarSpec(Strict):
    start_date: Date = F(
        dt.date(2026, 4, 1),
        "First calendar date of the run (start of a financial year)",
        "date",
        RUN_SETTING,
    )
    country: str = F(
        "GB",
        "Country whose public holidays are skipped (ISO code), or 'none' for no public "
        "holidays (every weekday a working day)",
        "code",
        "assumption: an English council, as every published figure used is England's",
    )
    subdivision: str | None = F(
        "ENG",
        "Holiday subdivision (ENG, WLS, SCT, NIR)",
        "code",
        "assumption: England's bank holidays; set WLS, SCT or NIR for a team elsewhere",
    )

    @model_validator(mode="after")
    def _known_calendar(self) -> CalendarSpec:
        import holidays  # the maintained holiday tables: what it does not know, no run can use

        if self.country.lower() == "none":  # no holidays: validation designs use it
            if self.subdivision is not None:
                raise ValueError("subdivision: must be null when country is 'none'")
            return self
        known = holidays.list_supported_countries()
        if self.country not in known:
            near = difflib.get_close_matches(self.country.upper(), list(known), n=3)
            like = f", e.g. {', '.join(near)}" if near else ""
            raise ValueError(
                f"country {self.country!r} is not a country the holidays library "
                f"knows; use an ISO code such as GB, or 'none'{like}"
            )
        subdivisions = known[self.country]
        if self.subdivision is not None and self.subdivision not in subdivisions:
            allowed = ", ".join(subdivisions) if subdivisions else "none (use null)"
            raise ValueError(
                f"subdivision {self.subdivision!r} is not a subdivision of "
                f"{self.country}; allowed: {allowed}"
            )
        return self


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


class DemandSpec(Strict):
    referrals_per_week: float = F(
        32.0,
        "Mean safeguarding concerns reaching the team per working week",
        "referrals/week",
        "dhsc-sac-2025: 640,240 concerns in 2024-25 / 153 councils = ~4,185 a year per "
        "council = ~80 a week; the team is assumed to take ~40% of them: ~32 a week",
        gt=0,
        le=100_000,
    )
    weekday_profile: dict[str, float] = F(
        {d: 1.0 for d in WEEKDAYS},
        "Relative referral rate by weekday (rescaled to average 1)",
        "ratio",
        "assumption: referrals spread evenly over the week (no published weekday pattern); "
        "vary it, e.g. a Monday peak after the weekend",
    )
    month_profile: dict[str, float] = F(
        {m: 1.0 for m in MONTHS},
        "Relative referral rate by month (rescaled to average 1)",
        "ratio",
        "assumption: no seasonal pattern (no published monthly figures used); vary it",
    )
    annual_growth: float = F(
        0.0,
        "Year-on-year growth in the referral rate (0.04 = +4% a year)",
        "fraction/year",
        "assumption: no growth by default (a one-year run); dhsc-sac-2025 shows +4.0% a year "
        "(615,530 -> 640,240 concerns, 2023-24 to 2024-25): set 0.04 to follow it",
        ge=-0.5,
        le=2.0,
    )

    @field_validator("weekday_profile")
    @classmethod
    def _weekdays(cls, v: dict[str, float]) -> dict[str, float]:
        return _profile(v, WEEKDAYS)

    @field_validator("month_profile")
    @classmethod
    def _months(cls, v: dict[str, float]) -> dict[str, float]:
        return _profile(v, MONTHS)


def _profile(v: dict[str, float], keys: tuple[str, ...]) -> dict[str, float]:
    unknown = sorted(set(v) - set(keys))
    if unknown:
        raise ValueError(f"unknown key(s) {unknown}; use {list(keys)}")
    if any(x <= 0 for x in v.values()):
        raise ValueError("every relative rate must be > 0")
    return {k: float(v.get(k, 1.0)) for k in keys}


# --- triage and urgency --------------------------------------------------------------


class UrgencySpec(Strict):
    share: Probability = F(
        1.0,
        "Share of opened cases at this urgency",
        "fraction",
        "assumption: one urgency level takes every case unless shares are given",
    )
    allocation_target_days: float = F(
        5.0,
        "Target from referral to allocation to a named worker",
        "working days",
        "assumption: a local standard of a working week; councils set their own",
        ge=0,
        le=DAY_LIMIT,
    )


class TriageSpec(Strict):
    effort_hours: Distribution = F(
        Fixed(value=0.5),
        "Duty worker time to screen one referral",
        "hours",
        "assumption: half an hour of duty time per referral (no published time study); "
        "vary 0.25-1.5",
    )
    team_per_duty_worker: int = F(
        10,
        "Workers in post for each worker on duty on a given day: the rota puts "
        "max(1, in post // this) on duty, and each referral goes to the one with the "
        "fewest queued tasks",
        "workers",
        "assumption: one duty worker a day in a team of about ten (the default teams); a "
        "larger team runs a larger rota; vary 5-20",
        ge=1,
        le=1000,
    )
    no_further_action: Probability = F(
        0.5,
        "Share of referrals closed at triage with no further action",
        "fraction",
        "assumption: most of the 71% of concerns not opened as an enquiry (dhsc-sac-2025) "
        "close with no further action; no published split; vary it with signpost",
    )
    signpost: Probability = F(
        0.21,
        "Share of referrals signposted to other services",
        "fraction",
        "assumption: the rest of the 71% not opened (dhsc-sac-2025): 0.71 - 0.5 = 0.21; "
        "no published split",
    )
    open_case: Probability = F(
        0.29,
        "Share of referrals opened as a case (section 42 enquiry)",
        "fraction",
        "dhsc-sac-2025: 185,270 s42 enquiries / 640,240 concerns in 2024-25 = 28.9% -> 0.29",
    )
    case_mix: dict[str, Probability] = F(
        {"s42_enquiry": 1.0},
        "Which pathway an opened case follows (names from pathways)",
        "fraction",
        "assumption: in an adult safeguarding team every opened case is a section 42 enquiry",
    )
    urgency: dict[str, UrgencySpec] = F(
        {
            "urgent": UrgencySpec(share=0.15, allocation_target_days=1),
            "high": UrgencySpec(share=0.35, allocation_target_days=2),
            "standard": UrgencySpec(share=0.50, allocation_target_days=5),
        },
        "Urgency levels, most urgent first; served in this order",
        "",
        {
            "urgent.share": "assumption: 15% of enquiries need allocation the same or next "
            "day; no published split; vary 0.05-0.3",
            "high.share": "assumption: 35% need allocation within 2 days; no published split",
            "standard.share": "assumption: the other half can wait up to a week",
            "urgent.allocation_target_days": "assumption: a local standard (allocate the "
            "next working day); councils set their own",
            "high.allocation_target_days": "assumption: a local standard of 2 working days",
            "standard.allocation_target_days": "assumption: a local standard of 5 working "
            "days (a working week)",
        },
    )

    @field_validator("case_mix")
    @classmethod
    def _mix(cls, v: dict[str, float]) -> dict[str, float]:
        return sums_to_one(v, "case_mix probabilities")

    @model_validator(mode="after")
    def _outcomes(self) -> TriageSpec:
        sums_to_one(
            {"nfa": self.no_further_action, "sp": self.signpost, "open": self.open_case},
            "no_further_action + signpost + open_case",
        )
        if not self.urgency:
            raise ValueError("urgency needs at least one level")
        sums_to_one({k: u.share for k, u in self.urgency.items()}, "urgency shares")
        return self


# --- pathways: the work on a case, as data -------------------------------------------
