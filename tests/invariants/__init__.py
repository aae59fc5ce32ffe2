"""Invariants of a run, each computed straight from the raw event log.

Every check reads ``sim.log`` (the plain tuples the model appended) with its
own small computation in plain Python; none calls ``workload_sim.records``,
because the tables built there are part of what is under test. Each check
returns a list of violations, one readable line each (empty: the invariant
holds), so a failing test says what went wrong, where and when.

``people``: caps, presence, establishment; ``cases``: where each case is and
how it ends; ``hours``: hours per worker-day and per task.
"""

from .cases import (
    cases_in_one_place,
    list_matches_recorder,
    list_never_negative,
    referrals_accounted_for,
)
from .hours import hours_within_contract, work_conserved, work_within_case_hours
from .people import caps_respected, fte_within_establishment, work_only_when_present

__all__ = [
    "caps_respected",
    "cases_in_one_place",
    "fte_within_establishment",
    "hours_within_contract",
    "list_matches_recorder",
    "list_never_negative",
    "referrals_accounted_for",
    "work_conserved",
    "work_only_when_present",
    "work_within_case_hours",
]
