"""The scenario: one validated object holding every parameter of a run.

Scenarios are data (YAML) checked by pydantic. Every field has a unit (in its
name or description), a default, and a ``source``: a publication's id from
``docs/sources.md`` and the figure taken, "assumption: why", or "run setting".
Unknown keys are errors, so a typo never silently falls back to a default. Scenario
objects are frozen: a run can never mutate the scenario it was given.

The sections live in modules named after the part of the world they describe.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import field_validator, model_validator

from .demand import MONTHS, WEEKDAYS, CalendarSpec, DemandSpec, TriageSpec, UrgencySpec
from .fields import ASSUMPTION, DAY_LIMIT, RUN_SETTING, F, Probability, Strict
from .pathways import (
    MAX_EXPECTED_STEPS,
    BranchSpec,
    FailureSpec,
    PathwaySpec,
    StepSpec,
    default_pathways,
    expected_steps,
)
from .people import AbsenceSpec, CoverSpec, NaasRoundSpec, NaasSpec, RecruitmentSpec
from .scheduled import (
    EVENT_KINDS,
    AgencyLeaves,
    DemandChange,
    OffSick,
    PostVacant,
    ScheduledEvent,
    check_events,
)
from .start_state import RecordedCase, StartStateSpec
from .team import (
    AGENCY,
    EXPERIENCED,
    NEWLY_QUALIFIED,
    TYPE,
    TYPES,
    WORKER_TYPES,
    AllocationSpec,
    OvertimeSpec,
    TeamSpec,
    WarmStartSpec,
    WorkerType,
    WorkerTypeSpec,
    WorkforceSpec,
)
from .verdict import VerdictSpec

DEMAND_LIMIT = 100_000  # referrals per week: demand.referrals_per_week's own bound
MAX_DAYS = DAY_LIMIT  # Input limits: warm-up plus horizon, 20 years of working days
WORKING_DAYS_PER_YEAR = 253


class Scenario(Strict):
    """Every parameter of one scenario."""

    name: str = F(
        "scenario", "Short name, used for output folders", "", min_length=1, max_length=100
    )
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
        le=MAX_DAYS,
    )
    warmup_days: int = F(
        0,
        "Working days run first and excluded from statistics",
        "working days",
        RUN_SETTING,
        ge=0,
        le=MAX_DAYS,
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
    start_state: StartStateSpec = F(
        StartStateSpec(), "The team's open cases on the start date, from its own records", ""
    )
    absence: AbsenceSpec = F(AbsenceSpec(), "Annual leave, sickness, pressure", "")
    cover: CoverSpec = F(CoverSpec(), "Who does an absent worker's work", "")
    recruitment: RecruitmentSpec = F(RecruitmentSpec(), "Leavers, vacancies, agency fill", "")
    naas: NaasSpec = F(NaasSpec(), "NAAS accreditation testing rounds", "")
    events: list[ScheduledEvent] = F(
        [],
        "Scheduled events a team leader already knows of: named absences (off_sick), posts "
        "falling vacant (post_vacant), agency workers leaving (agency_leaves), demand "
        "changes (demand_change); see docs/model.md, Scheduled events",
        "",
        "assumption: no scheduled events, only the model's random absences, leavers and "
        "demand; add the ones you know of",
        max_length=1000,
    )
    verdict: VerdictSpec = F(VerdictSpec(), "When a trend or a difference counts as shown", "")
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
        check_events(self.events, self.team)
        filled = self.team.permanent + self.team.newly_qualified + self.team.agency
        state = self.start_state
        state.check(self.calendar.start_date, self.pathways, self.triage.urgency, filled)
        if state.active and (self.warm_start.cases_per_worker > 0 or self.warm_start.unallocated):
            raise ValueError(
                "start_state and warm_start both give the cases open on day 0; keep the "
                "recorded state and set warm_start.cases_per_worker and unallocated to 0"
            )
        return self

    @field_validator("name")
    @classmethod
    def _printable_name(cls, v: str) -> str:
        """A name goes into folders, pages, SUMMARY.md and commands: no NUL, no line break."""
        if not v.isprintable():
            raise ValueError(
                "has a control character (such as NUL, a tab or a line break); use letters, "
                "digits, spaces and punctuation"
            )
        return v

    @model_validator(mode="after")
    def _runnable(self) -> Scenario:
        """Limits a run needs that no single field can state (docs/model.md, Input limits)."""
        if self.total_days > MAX_DAYS:
            raise ValueError(
                f"warmup_days + horizon_days = {self.total_days} is over the limit of "
                f"{MAX_DAYS} working days (20 years); shorten one of them"
            )
        # working days to calendar days: 7/5, plus holidays (twice is a safe bound); and the
        # calendar counts the working days of the year from the start
        room = 2 * self.total_days + 400
        if (dt.date.max - self.calendar.start_date).days < room:
            latest = dt.date.max - dt.timedelta(days=room)
            raise ValueError(
                f"calendar.start_date: {self.calendar.start_date} leaves no room for "
                f"warmup_days + horizon_days = {self.total_days} working days before the "
                f"calendar ends (9999-12-31); use a date before {latest}"
            )
        years = self.total_days / WORKING_DAYS_PER_YEAR
        peak = self.demand.referrals_per_week * (1 + self.demand.annual_growth) ** years
        for event in self.events:  # demand changes compound (their order does not matter)
            if isinstance(event, DemandChange) and event.factor > 1:
                peak *= event.factor
        if peak > DEMAND_LIMIT:
            raise ValueError(
                f"demand.annual_growth {self.demand.annual_growth:g} over {years:.0f} years "
                "and the demand_change events take "
                f"demand.referrals_per_week to {peak:,.0f}, over its limit of {DEMAND_LIMIT:,}; "
                "lower the growth or the changes, or shorten horizon_days"
            )
        for name, steps in expected_steps(self.pathways).items():
            if steps > MAX_EXPECTED_STEPS:
                size = "infinite" if steps == float("inf") else f"{steps:,.0f}"
                raise ValueError(
                    f"pathways.{name}: a case is expected to plan {size} steps (limit "
                    f"{MAX_EXPECTED_STEPS}): branches lead back into it too often; lower "
                    "their probabilities"
                )
        return self

    @model_validator(mode="after")
    def _dates_in_window(self) -> Scenario:
        """A dated event outside the run would silently do nothing: refuse it instead."""
        dated = [(f"naas.rounds[{i}].date", r.date) for i, r in enumerate(self.naas.rounds)]
        dated += [(f"events[{i}].date", e.date) for i, e in enumerate(self.events)]
        if not dated:
            return self
        first, last = self.window
        for field, date in dated:
            if not first <= date <= last:
                raise ValueError(
                    f"{field}: {date} is outside the simulated window {first} to {last} "
                    f"(calendar.start_date to the last working day of warmup_days + "
                    f"horizon_days = {self.total_days} working days); move the date or "
                    "change the window"
                )
        return self

    @property
    def window(self) -> tuple[dt.date, dt.date]:
        """First and last calendar dates of the run (its first and last working days)."""
        from ..model.calendar import WorkCalendar  # here: the model imports this package

        cal = self.calendar
        days = WorkCalendar(cal.start_date, self.total_days, cal.country, cal.subdivision)
        return cal.start_date, days.date_of(self.total_days - 1)

    @property
    def total_days(self) -> int:
        return self.warmup_days + self.horizon_days


__all__ = [
    "EVENT_KINDS",
    "AgencyLeaves",
    "DemandChange",
    "OffSick",
    "PostVacant",
    "ScheduledEvent",
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
    "TYPES",
    "TYPE",
    "AGENCY",
    "EXPERIENCED",
    "NEWLY_QUALIFIED",
    "WorkerType",
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
    "VerdictSpec",
    "WarmStartSpec",
    "StartStateSpec",
    "RecordedCase",
    "WorkerTypeSpec",
    "WorkforceSpec",
    "default_pathways",
]
