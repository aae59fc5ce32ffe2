"""Scenario section for the verdict: how small a change is too small to matter."""

from __future__ import annotations

from .fields import F, Strict


class VerdictSpec(Strict):
    backlog_margin_cases_per_week: float = F(
        0.25,
        "A backlog trend inside +-this is STABLE, when the whole 95% CI lies inside it",
        "cases/week",
        "assumption: a quarter of a case a week is 13 cases over a year, about 3% of the "
        "~420 enquiries the default team opens a year: too small to plan staffing around",
        ge=0,
        le=1000,
    )
    equivalence_share: float = F(
        0.05,
        "In comparisons, a difference inside +-this share of the reference scenario's mean "
        "counts as no material difference, when its whole 95% CI lies inside it",
        "fraction",
        "assumption: a 5% change in a wait, caseload or list is within what a team "
        "absorbs month to month",
        ge=0,
        le=1,
    )
    completion_breach_alert_share: float = F(
        0.25,
        "The verdict names the share of cases that breached their completion standard "
        "when it is above this",
        "fraction",
        "assumption: one case in four late is a pattern, not an exception",
        ge=0,
        le=1,
    )
