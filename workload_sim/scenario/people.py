"""Scenario sections for what happens to people: absence, cover, turnover, NAAS."""

from __future__ import annotations

from pydantic import model_validator

from .distributions import Distribution, Fixed, Triangular
from .fields import DAY_LIMIT, Date, F, Probability, Strict


class AbsenceSpec(Strict):
    annual_leave_days: float = F(
        27.0,
        "Annual leave per 1.0 FTE per year, excluding bank holidays",
        "days/FTE/year",
        "CALIBRATION.md: 25-30 days is typical of council contracts (assumption within it)",
        ge=0,
        le=60,
    )
    leave_block_days: int = F(
        5,
        "Leave is booked in blocks of this many working days, spread through the year",
        "working days",
        ge=1,
        le=30,
    )
    sickness_days: float = F(
        10.7,
        "Sickness absence per 1.0 FTE per year, short and long term together",
        "days/FTE/year",
        "NHS Digital PSS staff 2020: council adult-services staff, mean 10.7 days a year",
        ge=0,
        le=120,
    )
    long_term_share: Probability = F(
        0.5, "Share of sickness days in long-term episodes", "fraction"
    )
    short_term_episode_days: Distribution = F(
        Triangular(dist="triangular", low=1, mode=1, high=6),
        "Length of a short-term sickness episode",
        "working days",
    )
    long_term_episode_days: Distribution = F(
        Triangular(dist="triangular", low=20, mode=40, high=150),
        "Length of a long-term sickness episode",
        "working days",
    )
    pressure_threshold: float = F(
        0.85,
        "Workload pressure (caseload/cap, or queued work/backlog_days) above which "
        "sickness and leaving rise",
        "fraction",
        ge=0,
        le=2,
    )
    backlog_days_at_full_pressure: float = F(
        10.0, "Days of queued case work that count as full pressure", "working days", gt=0
    )
    sickness_pressure_effect: float = F(
        1.0,
        "Extra sickness hazard at full pressure (1.0 = doubles at pressure 1 past threshold)",
        "multiplier",
        "assumption: the reinforcing loop of Lane, Munro & Husemann (2016), acting per worker",
        ge=0,
        le=20,
    )


class CoverSpec(Strict):
    """Sick-leave cover; leave every rule empty (null) for 'cases wait for return'."""

    urgent_to_colleagues_after_days: int | None = F(
        3,
        "After this many days of a worker's absence, their urgent cases' tasks go to "
        "present colleagues (null: never)",
        "working days",
        ge=0,
        le=DAY_LIMIT,
    )
    reallocate_after_days: int | None = F(
        20,
        "After this many days of absence, all the absent worker's cases are reallocated "
        "(null: never)",
        "working days",
        ge=0,
        le=DAY_LIMIT,
    )
    agency_cover_after_days: int | None = F(
        None,
        "After this many days of absence, agency cover is requested (null: never)",
        "working days",
        ge=0,
        le=DAY_LIMIT,
    )
    agency_cover_fill_days: Distribution = F(
        Fixed(value=10.0), "Time for requested agency cover to arrive", "working days"
    )


class RecruitmentSpec(Strict):
    replace_leavers: bool = F(True, "A leaver's post is recruited to (else it stays vacant)", "")
    permanent_fill_days: Distribution = F(
        Triangular(dist="triangular", low=40, mode=65, high=130),
        "Time to fill a permanent vacancy (advert to start)",
        "working days",
    )
    newly_qualified_share: Probability = F(
        0.25,
        "Share of recruits to permanent posts who are newly qualified (ASYE)",
        "fraction",
        "assumption: no published figure for adult teams; vary it",
    )
    agency_instead_of_vacancy: bool = F(
        True,
        "Fill a vacancy with agency while recruiting",
        "",
        "DfE workforce census 2023/2025: 74-80% of vacancies covered by agency workers",
    )
    agency_fill_days: Distribution = F(
        Fixed(value=10.0), "Time for an agency worker to start in a vacancy", "working days"
    )
    agency_cap_share: Probability = F(
        0.25, "Most agency workers as a share of posts (a council's agency cap)", "fraction"
    )
    handover_hours: float = F(
        2.0, "Worker time to take over a case from someone else", "hours", ge=0, le=100
    )
    leaving_pressure_effect: float = F(
        1.0, "Extra leaving hazard at full pressure (as for sickness)", "multiplier", ge=0, le=20
    )


class NaasRoundSpec(Strict):
    date: Date = F(..., "Assessment date of this round", "date")
    share_tested: Probability = F(
        0.5, "Share of permanent and newly qualified workers put forward", "fraction"
    )
    prep_hours: float = F(
        12.0,
        "Preparation per worker, spread over the weeks before",
        "hours",
        "assumption: no published figure (CALIBRATION.md); sweep it",
        ge=0,
        le=200,
    )
    prep_weeks: int = F(6, "Weeks over which preparation is spread", "weeks", ge=1, le=52)
    assessment_days: float = F(
        1.0,
        "Days away from cases for the assessment (a ~4 h centre day plus travel)",
        "working days",
        "CALIBRATION.md: assessment day about 4 hours at an external centre",
        ge=0,
        le=10,
    )
    pass_rate: Probability = F(
        0.8, "Chance of passing", "fraction", "assumption: no published pass rate; sweep it"
    )
    retake_after_days: int = F(
        60, "Retake after a fail, this much later", "working days", ge=1, le=DAY_LIMIT
    )
    retake_prep_hours: float = F(16.0, "Extra preparation for a retake", "hours", ge=0, le=200)
    max_attempts: int = F(
        2, "Attempts before a worker is left unaccredited", "attempts", ge=1, le=20
    )
    leave_instead_probability: Probability = F(
        0.05,
        "Chance an experienced worker leaves rather than take the test",
        "fraction",
        "assumption: the union concern in the seed text; no published figure",
    )
    cost_per_worker_gbp: float = F(
        1000.0,
        "Cost to the council per worker tested",
        "GBP",
        "CALIBRATION.md: some councils paid staff up to GBP 1,000 to take part "
        "(national scheme cost GBP 24m by 2020 for ~1,700 accredited)",
        ge=0,
    )


class NaasSpec(Strict):
    rounds: list[NaasRoundSpec] = F([], "NAAS testing rounds (none: no NAAS)", "")

    @model_validator(mode="after")
    def _ordered(self) -> NaasSpec:
        dates = [r.date for r in self.rounds]
        if dates != sorted(dates):
            raise ValueError("NAAS rounds must be listed in date order")
        return self
