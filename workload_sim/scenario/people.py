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
        "assumption: 25-30 days is typical of council contracts (no published national "
        "figure); 27 is mid-range; vary 25-30",
        ge=0,
        le=60,
    )
    leave_block_days: int = F(
        5,
        "Leave is booked in blocks of this many working days, spread through the year",
        "working days",
        "assumption: leave taken a week at a time; vary 1-10",
        ge=1,
        le=30,
    )
    sickness_days: float = F(
        10.7,
        "Sickness absence per 1.0 FTE per year, short and long term together",
        "days/FTE/year",
        "nhsd-pss-2020: mean 10.7 days a year, all council adult-services staff (no figure "
        "for social workers alone)",
        ge=0,
        le=120,
    )
    long_term_share: Probability = F(
        0.5,
        "Share of sickness days in long-term episodes",
        "fraction",
        "assumption: half of sickness days fall in long episodes; no published split for "
        "social workers (nhsd-pss-2020: 44.6% had no absence, so days are concentrated); "
        "vary 0.3-0.7",
    )
    short_term_episode_days: Distribution = F(
        Triangular(dist="triangular", low=1, mode=1, high=6),
        "Length of a short-term sickness episode",
        "working days",
        "assumption: short spells of 1-6 working days, mostly 1 (self-certified, under a week)",
    )
    long_term_episode_days: Distribution = F(
        Triangular(dist="triangular", low=20, mode=40, high=150),
        "Length of a long-term sickness episode",
        "working days",
        "assumption: long spells of 4 weeks to 7 months (20-150 working days), most often "
        "about 8 weeks; no published distribution; vary it",
    )
    pressure_threshold: float = F(
        0.85,
        "Workload pressure (caseload/cap, or queued work/backlog_days) above which "
        "sickness and leaving rise",
        "fraction",
        "assumption: pressure starts to tell at 85% of the caseload cap; no published "
        "threshold; vary 0.7-1.0",
        ge=0,
        le=2,
    )
    backlog_days_at_full_pressure: float = F(
        10.0,
        "Days of queued case work that count as full pressure",
        "working days",
        "assumption: two weeks of queued case work is full pressure; vary 5-20",
        gt=0,
    )
    sickness_pressure_effect: float = F(
        1.0,
        "Extra sickness hazard at full pressure (1.0 = doubles at pressure 1 past threshold)",
        "multiplier",
        "assumption: sickness doubles at full pressure, the reinforcing loop of "
        "lane-munro-2016 acting per worker; no published size; vary 0-3",
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
        "assumption: urgent work moves to colleagues after 3 days; a common local rule",
        ge=0,
        le=DAY_LIMIT,
    )
    reallocate_after_days: int | None = F(
        20,
        "After this many days of absence, all the absent worker's cases are reallocated "
        "(null: never)",
        "working days",
        "assumption: all cases are reallocated after 4 weeks' absence; a local rule, vary it",
        ge=0,
        le=DAY_LIMIT,
    )
    agency_cover_after_days: int | None = F(
        None,
        "After this many days of absence, agency cover is requested (null: never)",
        "working days",
        "assumption: no agency cover for sickness unless the council's policy says so",
        ge=0,
        le=DAY_LIMIT,
    )
    agency_cover_fill_days: Distribution = F(
        Fixed(value=10.0),
        "Time for requested agency cover to arrive",
        "working days",
        "assumption: two weeks to get agency cover; no published figure; vary 5-30",
    )


class RecruitmentSpec(Strict):
    replace_leavers: bool = F(
        True,
        "A leaver's post is recruited to (else it stays vacant)",
        "",
        "assumption: leavers' posts are advertised again (no recruitment freeze)",
    )
    permanent_fill_days: Distribution = F(
        Triangular(dist="triangular", low=40, mode=65, high=130),
        "Time to fill a permanent vacancy (advert to start)",
        "working days",
        "assumption: 2 to 6 months from advert to start, most often about 3 (notice periods "
        "and checks); no published figure; vary it",
    )
    newly_qualified_share: Probability = F(
        0.25,
        "Share of recruits to permanent posts who are newly qualified (ASYE)",
        "fraction",
        "assumption: a quarter of recruits are newly qualified; no published figure for "
        "adult teams; vary 0-0.5",
    )
    agency_instead_of_vacancy: bool = F(
        True,
        "Fill a vacancy with agency while recruiting",
        "",
        "dfe-cswf-2025: 74-80% of children's social work vacancies were covered by agency "
        "workers (2023, 2025): modelled as every vacancy covered (true)",
    )
    agency_fill_days: Distribution = F(
        Fixed(value=10.0),
        "Time for an agency worker to start in a vacancy",
        "working days",
        "assumption: two weeks for an agency worker to start; vary 5-20",
    )
    agency_cap_share: Probability = F(
        0.25,
        "Most agency workers as a share of posts (a council's agency cap)",
        "fraction",
        "assumption: a council cap of 25% of posts, above the 17.8% peak children's agency "
        "rate (dfe-cswf-2025, 2023); vary it",
    )
    handover_hours: float = F(
        2.0,
        "Worker time to take over a case from someone else",
        "hours",
        "assumption: two hours to read a case and meet the person; vary 1-4",
        ge=0,
        le=100,
    )
    leaving_pressure_effect: float = F(
        1.0,
        "Extra leaving hazard at full pressure (as for sickness)",
        "multiplier",
        "assumption: leaving doubles at full pressure, the reinforcing loop of "
        "lane-munro-2016 acting per worker; no published size; vary 0-3",
        ge=0,
        le=20,
    )


class NaasRoundSpec(Strict):
    date: Date = F(
        ...,
        "Assessment date of this round",
        "date",
        "assumption: the council's planned date (NAAS ran from 2018 until it ended in 2022: "
        "naas-record-2022)",
    )
    share_tested: Probability = F(
        0.5,
        "Share of permanent and newly qualified workers put forward",
        "fraction",
        "assumption: half the eligible staff in a round; only about 5% of the workforce was "
        "ever accredited (naas-record-2022); vary 0.05-1",
    )
    prep_hours: float = F(
        12.0,
        "Preparation per worker, spread over the weeks before",
        "hours",
        "assumption: no published preparation time (naas-record-2022); 12 h, about two "
        "working days; sweep 5-30",
        ge=0,
        le=200,
    )
    prep_weeks: int = F(
        6,
        "Weeks over which preparation is spread",
        "weeks",
        "assumption: preparation spread over the six weeks before the test; vary 2-12",
        ge=1,
        le=52,
    )
    assessment_days: float = F(
        1.0,
        "Days away from cases for the assessment (a ~4 h centre day plus travel)",
        "working days",
        "naas-record-2022: the assessment day is about 4 hours at an external centre; with "
        "travel the model takes 1 whole working day away from cases",
        ge=0,
        le=10,
    )
    pass_rate: Probability = F(
        0.8,
        "Chance of passing",
        "fraction",
        "assumption: 4 in 5 pass; no published pass rate (naas-record-2022); sweep 0.5-0.95",
    )
    retake_after_days: int = F(
        60,
        "Retake after a fail, this much later",
        "working days",
        "assumption: about three months to the next sitting; vary 20-120",
        ge=1,
        le=DAY_LIMIT,
    )
    retake_prep_hours: float = F(
        16.0,
        "Extra preparation for a retake",
        "hours",
        "assumption: a third more preparation than the first attempt; sweep with prep_hours",
        ge=0,
        le=200,
    )
    max_attempts: int = F(
        2,
        "Attempts before a worker is left unaccredited",
        "attempts",
        "assumption: one retake after a fail, then the worker stays unaccredited; vary 1-3",
        ge=1,
        le=20,
    )
    leave_instead_probability: Probability = F(
        0.05,
        "Chance an experienced worker leaves rather than take the test",
        "fraction",
        "assumption: 1 in 20 experienced workers leaves rather than sit the test, the union's "
        "concern in seed-lswg-naas ('the final straw for many experienced employees'); no "
        "published rate; sweep 0-0.2",
    )
    cost_per_worker_gbp: float = F(
        1000.0,
        "Cost to the council per worker tested",
        "GBP",
        "naas-record-2022: some councils paid staff up to GBP 1,000 to take part, taken as "
        "the cost per worker tested: 1000 (the national scheme's GBP 24m by March 2020 for "
        "~1,700 accredited, ~GBP 14,000 each, is not charged to the council)",
        ge=0,
    )


class NaasSpec(Strict):
    rounds: list[NaasRoundSpec] = F(
        [],
        "NAAS testing rounds (none: no NAAS)",
        "",
        "assumption: no NAAS round (the scheme ended in 2022: naas-record-2022)",
    )

    @model_validator(mode="after")
    def _ordered(self) -> NaasSpec:
        dates = [r.date for r in self.rounds]
        if dates != sorted(dates):
            raise ValueError("NAAS rounds must be listed in date order")
        return self
