"""Scenario sections for dates, referral demand and front-door triage."""

from __future__ import annotations

import datetime as dt
import difflib

from pydantic import field_validator, model_validator

from .distributions import Distribution, Fixed
from .fields import RUN_SETTING, Date, F, Probability, Strict, sums_to_one


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
    )
    subdivision: str | None = F("ENG", "Holiday subdivision (ENG, WLS, SCT, NIR)", "code")

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
        "DHSC Safeguarding Adults collection 2024-25: 640,240 concerns / 153 councils = "
        "~4,200 a year per council (~81/week); team assumed to cover ~40% of a council",
        gt=0,
        le=100_000,
    )
    weekday_profile: dict[str, float] = F(
        {d: 1.0 for d in WEEKDAYS},
        "Relative referral rate by weekday (rescaled to average 1)",
        "ratio",
    )
    month_profile: dict[str, float] = F(
        {m: 1.0 for m in MONTHS}, "Relative referral rate by month (rescaled to average 1)", "ratio"
    )
    annual_growth: float = F(
        0.0,
        "Year-on-year growth in the referral rate (0.04 = +4% a year)",
        "fraction/year",
        "DHSC Safeguarding Adults: concerns 615,530 -> 640,240 (+4.0%), 2023-24 to 2024-25",
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
    share: Probability = F(1.0, "Share of opened cases at this urgency", "fraction")
    allocation_target_days: float = F(
        5.0, "Target from referral to allocation to a named worker", "working days", ge=0
    )


class TriageSpec(Strict):
    effort_hours: Distribution = F(
        Fixed(value=0.5), "Duty worker time to screen one referral", "hours"
    )
    no_further_action: Probability = F(
        0.5, "Share of referrals closed at triage with no further action", "fraction"
    )
    signpost: Probability = F(0.21, "Share of referrals signposted to other services", "fraction")
    open_case: Probability = F(
        0.29,
        "Share of referrals opened as a case (section 42 enquiry)",
        "fraction",
        "DHSC Safeguarding Adults 2024-25: 185,270 s42 enquiries / 640,240 concerns = 28.9%",
    )
    case_mix: dict[str, Probability] = F(
        {"s42_enquiry": 1.0},
        "Which pathway an opened case follows (names from pathways)",
        "fraction",
    )
    urgency: dict[str, UrgencySpec] = F(
        {
            "urgent": UrgencySpec(share=0.15, allocation_target_days=1),
            "high": UrgencySpec(share=0.35, allocation_target_days=2),
            "standard": UrgencySpec(share=0.50, allocation_target_days=5),
        },
        "Urgency levels, most urgent first; served in this order",
        "",
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
