"""Scenario sections for the team: worker types, headcount, allocation, overtime."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import model_validator

from .fields import DAY_LIMIT, F, Strict

WORKER_TYPES = ("permanent", "newly_qualified", "agency")


class WorkerTypeSpec(Strict):
    fte: float = F(1.0, "Full-time equivalent of one worker of this type", "FTE", gt=0, le=1.5)
    caseload_cap: float = F(
        20.0,
        "Most weighted cases one worker holds (at 1.0 FTE; scaled by FTE)",
        "cases",
        "Social Work Scotland 'Setting the Bar' 2022: indicative 20-25 adult cases",
        gt=0,
    )
    non_case_fraction: float = F(
        0.30,
        "Share of contracted hours not available for case work "
        "(supervision, team meetings, training, duty admin)",
        "fraction",
        ge=0,
        lt=1,
    )
    leaving_rate_per_year: float = F(
        0.145,
        "Chance per year that a worker leaves, before pressure (turnover rate)",
        "fraction/year",
        "Skills for Care 2023: council adult social workers, 14.5% turnover a year",
        ge=0,
        le=20,
    )
    day_cost_gbp: float = F(
        256.0,
        "Cost of one worker-day at 1.0 FTE (salary and on-costs, or agency charge)",
        "GBP/day",
        "St Helens Council 2025: about GBP 1,280 a week for a permanent social worker",
        ge=0,
    )
    paid_when_absent: bool = F(True, "Paid while on leave or sick (agency: not)", "")
    ramp_up_days: int = F(
        0, "Working days after arrival at reduced productivity", "working days", ge=0, le=500
    )
    ramp_up_productivity: float = F(
        1.0, "Share of normal case work done while ramping up", "fraction", gt=0, le=1
    )


_AGENCY_COST = "St Helens Council 2025: about GBP 1,800 a week for an agency social worker (1.4x)"


class WorkforceSpec(Strict):
    permanent: WorkerTypeSpec = F(WorkerTypeSpec(), "Permanent experienced social workers", "")
    newly_qualified: WorkerTypeSpec = F(
        WorkerTypeSpec(caseload_cap=14.0, non_case_fraction=0.40, day_cost_gbp=230.0),
        "Newly qualified (ASYE) workers: protected, lower caseload, lower grade",
        "",
    )
    agency: WorkerTypeSpec = F(
        WorkerTypeSpec(
            leaving_rate_per_year=2.0,
            day_cost_gbp=360.0,
            paid_when_absent=False,
            ramp_up_days=20,
            ramp_up_productivity=0.6,
        ),
        "Agency social workers: short tenure, ramp-up on arrival, higher day rate. "
        "Day cost: " + _AGENCY_COST + "; tenure and ramp-up: assumption",
        "",
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
        "ASYE is one year (Assessed and Supported Year in Employment)",
        ge=0,
        le=DAY_LIMIT,
    )


class TeamSpec(Strict):
    permanent: int = F(
        9, "Permanent experienced social workers in post", "headcount", ge=0, le=10_000
    )
    newly_qualified: int = F(
        1, "Newly qualified (ASYE) social workers in post", "headcount", ge=0, le=10_000
    )
    agency: int = F(0, "Agency social workers in post", "headcount", ge=0, le=10_000)
    vacant: int = F(
        0, "Funded posts empty on day 0 (recruitment under way)", "posts", ge=0, le=10_000
    )
    contract_hours_per_week: float = F(
        37.0,
        "Contracted hours per week at 1.0 FTE (a contract day is a fifth of it)",
        "hours/week",
        "DfE longitudinal study of child and family social workers 2021: 35-37 h contracted",
        gt=0,
        le=60,
    )

    @model_validator(mode="after")
    def _someone(self) -> TeamSpec:
        if self.permanent + self.newly_qualified + self.agency < 1:
            raise ValueError("the team needs at least one worker")
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
    )
    close_unallocated_after_days: int | None = F(
        None,
        "Close cases left unallocated this long without the work done, recorded as unmet "
        "need (null: never; some councils do this under pressure)",
        "working days",
        ge=1,
        le=DAY_LIMIT,
    )


class OvertimeSpec(Strict):
    enabled: bool = F(True, "Workers finish the task in hand past the end of their day", "")
    max_hours_per_day: float = F(
        1.2,
        "Most hours beyond contract one worker works in a day",
        "hours/day",
        "DfE longitudinal study 2019-22: about 6 h a week unpaid overtime (= 1.2 h a day)",
        ge=0,
        le=8,
    )


class WarmStartSpec(Strict):
    cases_per_worker: float = F(
        0.0,
        "Open cases per worker on day 0, part-way through their steps "
        "(any beyond a worker's caseload cap start on the unallocated list)",
        "cases",
        ge=0,
        le=200,  # Input limits: ten times the heaviest caseload cap in use
    )
    unallocated: int = F(
        0, "Cases already waiting for allocation on day 0", "cases", ge=0, le=20_000
    )
    case_mix: dict[str, float] | None = F(
        None,
        "Pathways of the day-0 cases (null: as triage.case_mix)",
        "fraction",
    )
