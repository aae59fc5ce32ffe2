"""The scenario: one validated object holding every parameter of a run.

Scenarios are data (YAML) checked by pydantic. Every field has a unit (in its
name or description), a default, and a ``source``: a publication's id from
``docs/sources.md`` and the figure taken, "assumption: why", or "run setting".
Unknown keys are errors, so a typo never silently falls back to a default. Scenario
objects are frozen: a run can never mutate the scenario it was given.

The sections live in modules named after the part of the world they describe.
"""

from __future__ import annotations

from typing import Any

from pydantic import field_validator, model_validator

from .demand import MONTHS, WEEKDAYS, CalendarSpec, DemandSpec, TriageSpec, UrgencySpec
from .fields import ASSUMPTION, RUN_SETTING, F, Probability, Strict
from .pathways import BranchSpec, FailureSpec, PathwaySpec, StepSpec, default_pathways
from .people import AbsenceSpec, CoverSpec, NaasRoundSpec, NaasSpec, RecruitmentSpec
from .team import (
    WORKER_TYPES,
    AllocationSpec,
    OvertimeSpec,
    TeamSpec,
    WarmStartSpec,
    WorkerTypeSpec,
    WorkforceSpec,
)


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
        {  # the built-in pathways' own values; each step's note is in data/pathways.yaml
            "s42_enquiry.recording_share": "assumption: case notes add 30% to each step's "
            "direct work, on top of the recording steps; ccn-newton-2022 found about 50% of "
            "time on recording, admin and IT, so this may be low; vary 0.3-1.0",
            "s42_enquiry.completion_target_days": "assumption: a local standard of 28 working "
            "days to complete an enquiry (there is no national timescale); vary it",
        },
        validate_default=True,
    )
    team: TeamSpec = F(TeamSpec(), "Who is in the team", "")
    workforce: WorkforceSpec = F(WorkforceSpec(), "Contract terms by worker type", "")
    allocation: AllocationSpec = F(AllocationSpec(), "Allocation of cases to workers", "")
    overtime: OvertimeSpec = F(OvertimeSpec(), "Work beyond contracted hours", "")
    warm_start: WarmStartSpec = F(WarmStartSpec(), "The team does not start empty", "")
    absence: AbsenceSpec = F(AbsenceSpec(), "Annual leave, sickness, pressure", "")
    cover: CoverSpec = F(CoverSpec(), "Who does an absent worker's work", "")
    recruitment: RecruitmentSpec = F(RecruitmentSpec(), "Leavers, vacancies, agency fill", "")
    naas: NaasSpec = F(NaasSpec(), "NAAS accreditation testing rounds", "")
    sources: dict[str, str] = F({}, "Your own source notes for values you set, by field path", "")

    @field_validator("pathways", mode="before")
    @classmethod
    def _default_pathways(cls, v: Any) -> Any:
        return default_pathways() if v is None else v

    @model_validator(mode="after")
    def _references(self) -> Scenario:
        names = set(self.pathways)
        mixes = [("triage.case_mix", self.triage.case_mix)]
        if self.warm_start.case_mix is not None:
            mixes.append(("warm_start.case_mix", self.warm_start.case_mix))
        for label, mix in mixes:
            if abs(sum(mix.values()) - 1.0) > 1e-6:
                raise ValueError(f"{label} probabilities must sum to 1")
            for key in mix:
                if key not in names:
                    raise ValueError(
                        f"{label} names pathway {key!r}, which is not in pathways "
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


__all__ = [
    "AbsenceSpec",
    "CoverSpec",
    "NaasRoundSpec",
    "NaasSpec",
    "RecruitmentSpec",
    "ASSUMPTION",
    "MONTHS",
    "RUN_SETTING",
    "WEEKDAYS",
    "WORKER_TYPES",
    "AllocationSpec",
    "BranchSpec",
    "CalendarSpec",
    "DemandSpec",
    "F",
    "FailureSpec",
    "OvertimeSpec",
    "PathwaySpec",
    "Probability",
    "Scenario",
    "StepSpec",
    "Strict",
    "TeamSpec",
    "TriageSpec",
    "UrgencySpec",
    "WarmStartSpec",
    "WorkerTypeSpec",
    "WorkforceSpec",
    "default_pathways",
]
