"""Who is on the unallocated list at the end: the identity, shown on the shipped default.

A case is on the list at the horizon exactly when it is open and nobody holds it.
That is not the same as "never allocated": on the shipped default (absence on,
cover reallocating after 20 days, turnover) cases whose worker left or was away
too long go back on the list and wait again.
"""

from __future__ import annotations

import pytest

import workload_sim
from workload_sim.scenario.loading import load_scenario

from .conftest import DEFAULT


@pytest.fixture(scope="module")
def shipped_default():
    """The default scenario exactly as shipped (its own reps, seed and horizon)."""
    return workload_sim.run(DEFAULT)


def test_the_shipped_default_has_absence_and_cover_on():
    sc = load_scenario(DEFAULT)
    assert sc.absence.sickness_days > 0 and sc.absence.annual_leave_days > 0
    assert sc.cover.reallocate_after_days is not None
    assert sc.cover.urgent_to_colleagues_after_days is not None


def test_unallocated_at_the_end_are_the_open_cases_nobody_holds(shipped_default):
    res = shipped_default
    relisted_waiting = 0
    for rep, cases in res.cases.groupby("rep"):
        end = res.timeseries[res.timeseries["rep"] == rep].iloc[-1]
        opened = cases[cases["triage_outcome"] == "open_case"]
        on_list = opened["closed_at"].isna() & (opened["worker"] < 0)
        assert end["unallocated"] == on_list.sum(), rep
        for urgency, group in opened[on_list].groupby("urgency"):
            assert end[f"unallocated_{urgency}"] == len(group), (rep, urgency)
        # and the rest of the open cases are held: per worker, as the workers table counts
        # them (the cases table's worker column is the last holder, so open cases only)
        held = opened[opened["closed_at"].isna() & (opened["worker"] >= 0)]
        team = res.workers[res.workers["rep"] == rep].set_index("worker")["cases_end"]
        assert held.groupby("worker").size().to_dict() == team[team > 0].to_dict(), rep
        relisted_waiting += int((on_list & opened["allocated_at"].notna()).sum())
    # the identity that was tested before, list at the end == never allocated, is false
    # here: re-listed cases are waiting again at the horizon
    assert relisted_waiting > 0
