"""Scenario sections for the team: worker types, headcount, allocation, overtime."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import model_validator

from .fields import DAY_LIMIT, F, Strict


@dataclass(frozen=True)
class WorkerType:
    """What a kind of worker is, as data the model, records and pages read.

    Each type's terms (FTE, caseload cap, non-case time, cost, leaving rate,
    ramp-up) are a ``WorkerTypeSpec`` in the scenario's ``workforce`` section, and
    its headcount a field of ``team``, both named by ``key``.
    """

    key: str
    words: str  # plural, for sentences: "permanent social workers"
    agency: bool  # supplied by an agency: agency posts, day rate, no NAAS, sickness cover
    protected_year: bool  # newly qualified (ASYE): moves to experienced terms after it
    tested_by_naas: bool  # put forward for NAAS accreditation
    may_leave_rather_than_test: bool  # an experienced worker may leave instead of NAAS


TYPES = (
    WorkerType("permanent", "permanent social workers", False, False, True, True),
    WorkerType("newly_qualified", "newly qualified social workers", False, True, True, False),
    WorkerType("agency", "agency social workers", True, False, False, False),
)
WORKER_TYPES = tuple(t.key for t in TYPES)
TYPE = {t.key: t for t in TYPES}
EXPERIENCED = "permanent"  # what a newly qualified worker becomes; whom permanent posts fund
NEWLY_QUALIFIED = next(t.key for t in TYPES if t.protected_year)
AGENCY = next(t.key for t in TYPES if t.agency)


class WorkerTypeSpec(Strict):
    fte: float = F(
        1.0,
        "Full-time equivalent of one worker of this type",
        "FTE",
        "assumption: full-time posts; set a part-time team's FTE",
        gt=0,
        le=1.5,
    )
    caseload_cap: float = F(
        20.0,
        "Most weighted cases one worker holds (at 1.0 FTE; scaled by FTE)",
        "cases",
        "sws-bar-2022: indicative 20-25 adult cases for an experienced worker; the cap takes "
        "the lower end, 20",
        gt=0,
    )
    non_case_fraction: float = F(
        0.30,
        "Share of contracted hours not available for case work "
        "(supervision, team meetings, training, duty admin)",
        "fraction",
        "assumption: supervision, meetings, training and duty admin take 30% of contracted "
        "hours (case recording is counted in each step); ccn-newton-2022 found just under 20% "
        "of time with families; vary 0.2-0.4",
        ge=0,
        lt=1,
    )
    leaving_rate_per_year: float = F(
        0.145,
        "Chance per year that a worker leaves, before pressure (turnover rate)",
        "fraction/year",
        "sfc-asc-2023: council adult social workers, 14.5% turnover a year = 0.145",
        ge=0,
        le=20,
    )
    day_cost_gbp: float = F(
        256.0,
        "Cost of one worker-day at 1.0 FTE (salary and on-costs, or agency charge)",
        "GBP/day",
        "st-helens-2025: about GBP 1,280 a week for a permanent social worker / 5 days = "
        "GBP 256 a day",
        ge=0,
    )
    paid_when_absent: bool = F(
        True,
        "Paid while on leave or sick (agency: not)",
        "",
        "assumption: council employees have paid leave and sick pay",
    )
    ramp_up_days: int = F(
        0,
        "Working days after arrival at reduced productivity",
        "working days",
        "assumption: a council's own recruits are not slowed by learning local systems",
        ge=0,
        le=500,
    )
    ramp_up_productivity: float = F(
        1.0,
        "Share of normal case work done while ramping up",
        "fraction",
        "assumption: full productivity (no ramp-up) unless a worker type says otherwise",
        gt=0,
        le=1,
    )


class WorkforceSpec(Strict):
    permanent: WorkerTypeSpec = F(WorkerTypeSpec(), "Permanent experienced social workers", "")
    newly_qualified: WorkerTypeSpec = F(
        WorkerTypeSpec(caseload_cap=14.0, non_case_fraction=0.40, day_cost_gbp=230.0),
        "Newly qualified (ASYE) workers: protected, lower caseload, lower grade",
        "",
        {
            "caseload_cap": "assumption: the ASYE protected caseload at 70% of the experienced "
            "cap (20 x 0.7 = 14); no published ASYE cap (sws-bar-2022's 20-25 is for "
            "experienced adult workers); vary 10-16",
            "non_case_fraction": "assumption: ASYE adds supervision and training: 40% of "
            "hours off cases against 30% for experienced workers; vary 0.3-0.5",
            "day_cost_gbp": "assumption: a lower grade at about 90% of the experienced day "
            "cost (st-helens-2025 GBP 256 a day x 0.9 = GBP 230); use your pay scale",
            "leaving_rate_per_year": "sfc-asc-2023: 14.5% turnover a year = 0.145 (no "
            "separate figure for the newly qualified; dfe-cswf-2025: 70% of children's "
            "leavers in 2022 had under 5 years at the council, so this may be low)",
        },
    )
    agency: WorkerTypeSpec = F(
        WorkerTypeSpec(
            leaving_rate_per_year=2.0,
            day_cost_gbp=360.0,
            paid_when_absent=False,
            ramp_up_days=20,
            ramp_up_productivity=0.6,
        ),
        "Agency social workers: short tenure, ramp-up on arrival, higher day rate",
        "",
        {
            "leaving_rate_per_year": "assumption: agency placements last about 6 months on "
            "average (2 departures a year per agency post); no published tenure "
            "(seed-ray-jones: 'short-term come-and-go agency social workers'); vary 1-4",
            "day_cost_gbp": "st-helens-2025: about GBP 1,800 a week for an agency social "
            "worker / 5 days = GBP 360 a day (1.4x permanent); foi-managed-team-2022 gives "
            "GBP 350 a day",
            "paid_when_absent": "assumption: the council pays an agency worker only for days "
            "worked (no paid leave or sick pay)",
            "ramp_up_days": "assumption: about a month (20 working days) to learn local "
            "systems and cases; no published figure; vary 10-40",
            "ramp_up_productivity": "assumption: 60% of normal case work while ramping up; "
            "vary 0.4-0.8",
        },
    )

    @model_validator(mode="before")
    @classmethod
    def _merge_over_type_defaults(cls, data: Any) -> Any:
        # A partly given type keeps this section's defaults for the rest (an agency entry
        # that only sets fte must not silently take the permanent day rate).
        if not isinstance(data, dict):
            return data
        merged = dict(data)
        for kind in WORKER_TYPES:
            given = data.get(kind)
            if isinstance(given, dict):
                default = cls.model_fields[kind].default.model_dump(by_alias=True)
                merged[kind] = {**default, **given}
        return merged

    asye_days: int = F(
        253,
        "Working days a newly qualified worker stays protected before counting as experienced",
        "working days",
        "assumption: the ASYE (Assessed and Supported Year in Employment) is by its name "
        "one year: 253 working days",
        ge=0,
        le=DAY_LIMIT,
    )


class TeamSpec(Strict):
    permanent: int = F(
        9,
        "Permanent experienced social workers in post",
        "headcount",
        "assumption: a team of 10 (9 experienced); set your own team",
        ge=0,
        le=10_000,
    )
    newly_qualified: int = F(
        1,
        "Newly qualified (ASYE) social workers in post",
        "headcount",
        "assumption: one newly qualified worker in a team of 10; set your own team",
        ge=0,
        le=10_000,
    )
    agency: int = F(
        0,
        "Agency social workers in post",
        "headcount",
        "assumption: no agency staff on day 0 (sfc-asc-2023: about 10% of council adult "
        "social workers are agency; see scenarios/agency_heavy.yaml)",
        ge=0,
        le=10_000,
    )
    vacant: int = F(
        0,
        "Funded posts empty on day 0 (recruitment under way)",
        "posts",
        "assumption: every funded post filled on day 0 (sfc-asc-2023: vacancy rate 10.5%; "
        "see scenarios/vacancies_unfilled.yaml)",
        ge=0,
        le=10_000,
    )
    contract_hours_per_week: float = F(
        37.0,
        "Contracted hours per week at 1.0 FTE (a contract day is a fifth of it)",
        "hours/week",
        "dfe-long-2021: 35-37 h a week contracted (children's social workers; no adult "
        "figure); the model takes the top of the range, 37",
        gt=0,
        le=60,
    )

    @model_validator(mode="after")
    def _someone(self) -> TeamSpec:
        # every post vacant is a team (referrals wait at the front door until someone
        # joins); no post at all is not
        if self.permanent + self.newly_qualified + self.agency + self.vacant < 1:
            raise ValueError(
                "the team needs at least one post (a worker or a vacant post): set "
                "team.permanent, team.newly_qualified, team.agency or team.vacant"
            )
        return self

    @property
    def contract_day_hours(self) -> float:
        return self.contract_hours_per_week / 5.0


class AllocationSpec(Strict):
    policy: Literal["least_loaded", "round_robin", "first_available"] = F(
        "least_loaded",
        "How an unallocated case picks a worker with room under their cap: least_loaded "
        "(lowest caseload/cap), round_robin (next in turn), first_available (lowest number)",
        "",
        "assumption: a team leader gives new work to whoever has most room; compare policies",
    )
    close_unallocated_after_days: int | None = F(
        None,
        "Close cases left unallocated this long without the work done, recorded as unmet "
        "need (null: never; some councils do this under pressure)",
        "working days",
        "assumption: no case is closed unworked by default; seed-barnet: unmet need should be "
        "recorded, not defined away",
        ge=1,
        le=DAY_LIMIT,
    )


class OvertimeSpec(Strict):
    """Hours beyond contract: a decision each evening (model/working_hours.py)."""

    enabled: bool = F(
        True,
        "Workers who are behind at the end of their day stay on past contract",
        "",
        "basw-2022: 72% of social workers cannot finish within contracted hours; "
        "dfe-long-2021: 40-43 h worked for 35-37 contracted",
    )
    max_hours_per_day: float = F(
        2.0,
        "Most hours beyond contract one worker works in an evening (their personal limit)",
        "hours/day",
        "assumption: a personal limit above the average it must produce (dfe-long-2021: about "
        "6 h a week unpaid, 1.2 h a day on average, more for some): 2 h an evening; vary 1-3",
        ge=0,
        le=8,
    )
    max_hours_per_week: float = F(
        10.0,
        "Most hours beyond contract one worker works in any five working days",
        "hours/week",
        "assumption: a weekly limit above the 6 h average (dfe-long-2021) so the average is "
        "an outcome, not the cap; 10 h; vary 6-15",
        ge=0,
        le=40,
    )
    personal_limit_scale: float = F(
        1.0,
        "Mean of each worker's personal factor: their own daily and weekly limits are "
        "max_hours_per_day and max_hours_per_week times a factor drawn once when they join",
        "factor",
        "assumption: on average the team's limits (1.0), as the load check's bound with "
        "everyone at their limit assumes; the shipped teams raise it (1.1, 1.2) so their mean "
        "stays at about 6 h a week unpaid (dfe-long-2021) once limits differ; vary 0.8-1.5",
        ge=0,
        le=5,
    )
    personal_limit_spread: float = F(
        0.7,
        "Coefficient of variation of the personal factor (gamma distributed; 0: everyone "
        "has the team's limits): some stay on rarely, a few work long evenings",
        "CV",
        "assumption: people differ in how long they stay on; set so that, on the shipped "
        "teams, the share of workers averaging 10 h or more a week beyond contract matches "
        "basw-2022 (24% of the 72% who cannot finish within contract: 17%); vary 0-1.5",
        ge=0,
        le=3,
    )
    behind_when_queued_days: float = F(
        0.5,
        "A worker is behind, and stays on, when the ready work in their hands at the end "
        "of the day exceeds this many days of their own case work",
        "working days",
        "assumption: half a day of ready work still in hand is what keeps a worker at "
        "their desk; calibrated with the overtime figure (dfe-long-2021); vary 0-3",
        ge=0,
        le=60,
    )
    unpaid_hours_at_full_pressure: float = F(
        10.0,
        "Unpaid hours a week, averaged over the last four weeks, that count as full "
        "workload pressure (raising sickness and leaving like a full caseload)",
        "hours/week",
        "assumption: sustained unpaid hours feed the pressure loop of lane-munro-2016; full "
        "pressure at 10 h a week, so the 6 h average (dfe-long-2021) is 0.6; vary 6-20",
        gt=0,
        le=80,
    )


class WarmStartSpec(Strict):
    cases_per_worker: float = F(
        0.0,
        "Open cases per worker on day 0, part-way through their steps "
        "(any beyond a worker's caseload cap start on the unallocated list)",
        "cases",
        "assumption: an empty start unless set; a standing caseload of about 15 matches "
        "dfe-cswf-2025 (15.2-16.6 per case-holding FTE, 2022-2025)",
        ge=0,
        le=200,  # Input limits: ten times the heaviest caseload cap in use
    )
    unallocated: int = F(
        0,
        "Cases already waiting for allocation on day 0",
        "cases",
        "assumption: no waiting list on day 0 unless set; give your own list's length",
        ge=0,
        le=20_000,
    )
    case_mix: dict[str, float] | None = F(
        None,
        "Pathways of the day-0 cases (null: as triage.case_mix)",
        "fraction",
        "assumption: the standing caseload is made of the cases triage opens",
    )
