"""Scenario sections for the team: worker types, headcount, allocation, overtime."""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator

from .fields import F, Strict


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
