"""The scenario: one validated object holding every parameter of a run.

Scenarios are data (YAML) checked by pydantic. Every field has a unit (in its
name or description), a default, and a ``source``: a published figure from
``CALIBRATION.md`` or the word "assumption". Unknown keys are errors, so a typo
never silently falls back to a default. Scenario objects are frozen: a run
can never mutate the scenario it was given.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from importlib import resources
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .distributions import Distribution, Fixed

ASSUMPTION = "assumption"
RUN_SETTING = "run setting (a choice about the experiment, not the world)"
_TOL = 1e-6


def F(default: Any, description: str, unit: str = "", source: str = ASSUMPTION, **kw: Any) -> Any:
    """A field with its unit and source recorded for docs and the assumptions table."""
    extra = {"unit": unit, "source": source}
    return Field(default, description=description, json_schema_extra=extra, **kw)


Probability = Annotated[float, Field(ge=0.0, le=1.0)]


class Strict(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False
    )


def _sums_to_one(table: dict[str, float], what: str) -> dict[str, float]:
    total = sum(table.values())
    if abs(total - 1.0) > _TOL:
        raise ValueError(f"{what} must sum to 1 (they sum to {total:g})")
    return table


# --- calendar and demand -------------------------------------------------------------


class CalendarSpec(Strict):
    start_date: dt.date = F(
        dt.date(2026, 4, 1),
        "First calendar date of the run (start of a financial year)",
        "date",
        RUN_SETTING,
    )
    country: str = F("GB", "Country whose public holidays are skipped (ISO code)", "code")
    subdivision: str | None = F("ENG", "Holiday subdivision (ENG, WLS, SCT, NIR)", "code")


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
        return _sums_to_one(v, "case_mix probabilities")

    @model_validator(mode="after")
    def _outcomes(self) -> TriageSpec:
        _sums_to_one(
            {"nfa": self.no_further_action, "sp": self.signpost, "open": self.open_case},
            "no_further_action + signpost + open_case",
        )
        if not self.urgency:
            raise ValueError("urgency needs at least one level")
        _sums_to_one({k: u.share for k, u in self.urgency.items()}, "urgency shares")
        return self


# --- pathways: the work on a case, as data -------------------------------------------


class FailureSpec(Strict):
    probability: float = F(
        0.0,
        "Chance an attempt at the step fails (missed call, cancelled visit)",
        "fraction",
        ge=0,
        le=0.95,
    )
    reschedule_delay_days: Distribution = F(
        Fixed(value=2.0), "Wait before the step is tried again", "working days"
    )
    wasted_effort_hours: Distribution = F(
        Fixed(value=0.5), "Worker time lost on the failed attempt", "hours"
    )


class BranchSpec(Strict):
    probability: Probability = F(0.0, "Chance the case takes this branch", "fraction")
    pathway: str = F(..., "Pathway whose steps run next (then the chain resumes)", "name")


class StepSpec(Strict):
    name: str = F(..., "Step name", "name")
    effort_hours: Distribution = F(Fixed(value=0.0), "Worker time the step takes", "hours")
    lead_time_days: Distribution = F(
        Fixed(value=0.0),
        "Waiting on others before the step can be done (no worker time)",
        "working days",
    )
    failure: FailureSpec = F(FailureSpec(), "How attempts at the step fail and are retried", "")
    branches: list[BranchSpec] = F([], "Alternative sub-pathways after this step", "")
    source: str = F(ASSUMPTION, "Where this step's figures come from", "")

    @field_validator("branches")
    @classmethod
    def _branch_total(cls, v: list[BranchSpec]) -> list[BranchSpec]:
        total = sum(b.probability for b in v)
        if total > 1 + _TOL:
            raise ValueError(f"branch probabilities sum to {total:g}; they must sum to <= 1")
        return v


class PathwaySpec(Strict):
    description: str = F("", "What this pathway is", "")
    weight: float = F(1.0, "Weighted-caseload units one case counts for", "cases", gt=0)
    completion_target_days: float | None = F(
        None, "Standard from referral to completion (none: no standard)", "working days", ge=0
    )
    steps: list[StepSpec] = F(..., "The ordered chain of steps", "", min_length=1)

    @field_validator("steps")
    @classmethod
    def _unique_names(cls, v: list[StepSpec]) -> list[StepSpec]:
        names = [s.name for s in v]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"step names must be unique within a pathway; repeated: {dup}")
        return v


@lru_cache(maxsize=1)
def default_pathways() -> dict[str, PathwaySpec]:
    """The built-in adult safeguarding pathways (package data, each figure sourced there)."""
    text = resources.files("workload_sim").joinpath("data/pathways.yaml").read_text("utf-8")
    return {k: PathwaySpec.model_validate(v) for k, v in yaml.safe_load(text).items()}


# --- the team ------------------------------------------------------------------------


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


class WorkforceSpec(Strict):
    permanent: WorkerTypeSpec = F(WorkerTypeSpec(), "Permanent experienced social workers", "")
    newly_qualified: WorkerTypeSpec = F(
        WorkerTypeSpec(caseload_cap=14.0, non_case_fraction=0.40),
        "Newly qualified (ASYE) workers: protected, lower caseload",
        "",
    )
    agency: WorkerTypeSpec = F(WorkerTypeSpec(), "Agency social workers", "")


WORKER_TYPES = ("permanent", "newly_qualified", "agency")


class TeamSpec(Strict):
    permanent: int = F(
        9, "Permanent experienced social workers in post", "headcount", ge=0, le=10_000
    )
    newly_qualified: int = F(
        1, "Newly qualified (ASYE) social workers in post", "headcount", ge=0, le=10_000
    )
    agency: int = F(0, "Agency social workers in post", "headcount", ge=0, le=10_000)
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
    )
    unallocated: int = F(0, "Cases already waiting for allocation on day 0", "cases", ge=0)


class Scenario(Strict):
    """Every parameter of one scenario."""

    name: str = F("scenario", "Short name, used for output folders", "")
    description: str = F("", "The question this scenario answers", "")
    seed: int = F(20261123, "Seed for all random streams", "", RUN_SETTING, ge=0, lt=2**63)
    replications: int = F(
        10, "Independent replications to run", "runs", RUN_SETTING, ge=1, le=100_000
    )
    horizon_days: int = F(
        253,
        "Working days measured after warm-up (253 ~ one year)",
        "working days",
        RUN_SETTING,
        ge=1,
        le=100_000,
    )
    warmup_days: int = F(
        0,
        "Working days run first and excluded from statistics",
        "working days",
        RUN_SETTING,
        ge=0,
        le=100_000,
    )
    calendar: CalendarSpec = F(CalendarSpec(), "Dates and holidays", "")
    demand: DemandSpec = F(DemandSpec(), "Referral arrivals", "")
    triage: TriageSpec = F(TriageSpec(), "Front-door screening", "")
    pathways: dict[str, PathwaySpec] = F(
        None,
        "Case pathways by name (default: the built-in adult safeguarding set)",
        "",
        validate_default=True,
    )
    team: TeamSpec = F(TeamSpec(), "Who is in the team", "")
    workforce: WorkforceSpec = F(WorkforceSpec(), "Contract terms by worker type", "")
    allocation: AllocationSpec = F(AllocationSpec(), "Allocation of cases to workers", "")
    overtime: OvertimeSpec = F(OvertimeSpec(), "Work beyond contracted hours", "")
    warm_start: WarmStartSpec = F(WarmStartSpec(), "The team does not start empty", "")
    sources: dict[str, str] = F({}, "Your own source notes for values you set, by field path", "")

    @field_validator("pathways", mode="before")
    @classmethod
    def _default_pathways(cls, v: Any) -> Any:
        return default_pathways() if v is None else v

    @model_validator(mode="after")
    def _references(self) -> Scenario:
        names = set(self.pathways)
        for key in self.triage.case_mix:
            if key not in names:
                raise ValueError(
                    f"triage.case_mix names pathway {key!r}, which is not in pathways "
                    f"(known: {sorted(names)})"
                )
        for pname, path in self.pathways.items():
            for step in path.steps:
                for b in step.branches:
                    if b.pathway not in names:
                        raise ValueError(
                            f"pathways.{pname} step {step.name!r} branches to unknown "
                            f"pathway {b.pathway!r} (known: {sorted(names)})"
                        )
        return self

    @property
    def total_days(self) -> int:
        return self.warmup_days + self.horizon_days
