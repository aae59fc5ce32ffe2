"""A run that starts from a team's recorded state (start_state): day 0 is the team as it was.

Checked against the raw event log, not the tables built from it: who holds what on day 0,
who waits, in what order the waiting cases are allocated (oldest referral first), and that
a case recorded part-way through its pathway starts at its recorded step.
"""

from __future__ import annotations

import pytest
import yaml
from typer.testing import CliRunner

from workload_sim.cli import app
from workload_sim.model import events as ev
from workload_sim.model.simulation import Simulation
from workload_sim.scenario import Scenario

runner = CliRunner()
WAITING = [10, 3, 8, 1, 6]  # working days each waiting case has been on the list


def _team(cases: list[dict], **extra) -> Scenario:
    return Scenario.model_validate(_doc(cases, **extra))


def _doc(cases: list[dict], **extra) -> dict:
    """The scenario file's content (what a user or the import writes)."""
    return {
        "name": "recorded",
        "calendar": {"start_date": "2026-04-01"},
        "horizon_days": 40,
        # a referral in a hundred weeks: the recorded cases are (almost) all the work
        "demand": {"referrals_per_week": 0.01},
        "team": {"permanent": 2, "newly_qualified": 0, "agency": 0, "vacant": 0},
        "workforce": {"permanent": {"caseload_cap": 20, "leaving_rate_per_year": 0.0}},
        "start_state": {"as_of": "2026-04-01", "source": "test records", "cases": cases},
        **extra,
    }


def _full_team_and_a_list() -> list[dict]:
    held = [
        {
            "pathway": "s42_enquiry",
            "step": "protection_plan",
            "days_open": 30,
            "urgency": "standard",
            "holder": post,
        }
        for post in (1, 2)
        for _ in range(20)
    ]
    waiting = [
        {"pathway": "s42_enquiry", "days_open": w + 2, "urgency": "standard", "waiting_days": w}
        for w in WAITING
    ]
    return held + waiting


def test_day_0_is_the_recorded_team_and_the_oldest_wait_is_allocated_first():
    sim = Simulation(_team(_full_team_and_a_list()), rep=0, seed=7)
    ids = [w.id for w in sim.workers]
    sim.run()
    spells = sim.log.spells
    at_start = [s for s in spells if s[3] == 0.0]
    # 20 cases on each post's worker (both at their cap of 20), 5 on the list
    for post, worker in enumerate(ids, start=1):
        held = {s[0] for s in at_start if s[1] == ev.WORKER and s[2] == worker}
        assert len(held) == 20, (post, len(held))
    listed = sorted({s[0] for s in at_start if s[1] == ev.LIST})
    assert listed == list(range(40, 45))
    # a full team: nobody is allocated until a held case closes; then oldest first
    first_allocation = {}
    for s in spells:
        if s[0] in listed and s[1] == ev.LIST and s[5] == ev.ALLOCATED:
            first_allocation.setdefault(s[0], s[4])
    assert len(first_allocation) == len(WAITING), "the list did not clear in 40 days"
    assert min(first_allocation.values()) > 0.0
    order = sorted(first_allocation, key=first_allocation.get)
    by_age = sorted(listed, key=lambda c: -WAITING[c - 40])
    assert order == by_age


def test_a_case_starts_at_its_recorded_step_and_its_clock_at_its_referral():
    sim = Simulation(_team(_full_team_and_a_list()), rep=0, seed=7).run()
    referrals = {r[0]: r for r in sim.log.referrals}
    for case in range(40):
        ref = referrals[case]
        assert ref[1] == -30.0  # arrival: 30 working days before day 0
        plan, first = ref[8], ref[11]
        assert plan[first].step == "protection_plan"  # a step every enquiry has
        assert all(p.step != "initial_contact" for p in plan[first:])
    done = [(s[0], s[1]) for s in sim.log.steps if s[0] < 40]
    assert done and all(step >= referrals[c][11] for c, step in done)


@pytest.mark.parametrize(
    "change, words",
    [
        ({"pathway": "s99"}, "start_state.cases[0].pathway 's99' is not in pathways"),
        ({"step": "coffee"}, "start_state.cases[0].step 'coffee' is not a step of s42_enquiry"),
        ({"urgency": "soon"}, "start_state.cases[0].urgency 'soon' is not in triage.urgency"),
        ({"holder": 3}, "start_state.cases[0].holder 3 is not a filled post: the team has 2"),
        ({"holder": None, "waiting_days": 9}, "waiting_days 9 is more than days_open 5"),
    ],
)
def test_a_state_the_run_cannot_start_from_is_refused_in_one_line(tmp_path, change, words):
    case = {"pathway": "s42_enquiry", "days_open": 5, "urgency": "high", "holder": 1}
    doc = _doc([{**case, **change}])
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(doc))
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code != 0
    assert words in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) <= 2, result.output


def test_the_state_must_be_of_the_start_date_and_replaces_the_warm_start():
    case = [{"pathway": "s42_enquiry", "days_open": 5, "urgency": "high", "holder": 1}]
    with pytest.raises(ValueError, match="must equal calendar.start_date"):
        _team(case, calendar={"start_date": "2026-04-02"})
    with pytest.raises(ValueError, match="start_state and warm_start both give"):
        _team(case, warm_start={"cases_per_worker": 5})


def test_the_report_says_the_run_started_from_the_records(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(_doc(_full_team_and_a_list())))
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(path), "--reps", "2", "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    page = (out / "report.html").read_text()
    assert "records on 2026-04-01: 45 open cases, 5 of them waiting" in page.replace("&#x27;", "'")
    assert "measuring started with the team empty" not in page
