"""Scheduled events (issue 9, section 4): what a team leader knows about the year ahead.

Each check compares the model with something computed here independently: the
working days of an absence from numpy's business-day count and the holidays
library, the arrival counts with a Poisson confidence interval, the post's
vacancy from the raw event log with the fill delay given.
"""

from __future__ import annotations

import datetime as dt
import math

import holidays
import numpy as np
import pytest
from typer.testing import CliRunner

import workload_sim
from workload_sim.cli import app
from workload_sim.model import events as ev
from workload_sim.model.calendar import WorkCalendar
from workload_sim.model.demand import daily_rates
from workload_sim.model.simulation import Simulation
from workload_sim.scenario.loading import load_scenario

from .conftest import DEFAULT, SCENARIOS

runner = CliRunner()
START = dt.date(2026, 4, 1)  # the default calendar's start date
# A quiet team: no random absence, leaving, growth or NAAS, so every change is the event's.
QUIET = [
    "absence.sickness_days=0",
    "absence.annual_leave_days=0",
    "workforce.permanent.leaving_rate_per_year=0",
    "workforce.newly_qualified.leaving_rate_per_year=0",
    "workforce.agency.leaving_rate_per_year=0",
    "demand.referrals_per_week=20",
    "warm_start.cases_per_worker=8",
    "horizon_days=120",
]


def working_days_before(date: dt.date) -> int:
    """Working days from the start date to ``date`` (England's bank holidays out)."""
    hols = list(holidays.country_holidays("GB", subdiv="ENG", years=[2026, 2027]))
    return int(np.busday_count(START, date, holidays=hols))


def _run(overrides: list[str]) -> Simulation:
    sc = load_scenario(DEFAULT, overrides)
    return Simulation(sc, 0, sc.seed).run()


def _states(sim: Simulation, worker: int) -> list[tuple[float, str, str]]:
    return [(t, s, r) for w, t, s, r in sim.log.states if w == worker]


# --- a named absence ------------------------------------------------------------------


@pytest.mark.parametrize(
    "date,weeks",
    [("2026-04-01", 6), ("2026-05-20", 3)],  # off now (Easter inside); a later absence
    ids=["off-now", "from-May"],
)
def test_a_named_absence_keeps_the_worker_away_exactly_those_working_days(date, weeks):
    day = dt.date.fromisoformat(date)
    first, back = working_days_before(day), working_days_before(day + dt.timedelta(weeks=weeks))
    sim = _run(
        [
            *QUIET,
            "warmup_days=0",
            f"events=[{{kind: off_sick, worker: permanent 2, date: {date}, weeks: {weeks}}}]",
            "cover.urgent_to_colleagues_after_days=null",
            "cover.reallocate_after_days=null",
            "warm_start.unallocated=30",
        ]
    )
    assert _states(sim, 1) == [(first, "sick", ""), (back, ev.PRESENT, "")]
    for w in {row[0] for row in sim.log.states} - {1}:
        assert not _states(sim, w)  # nobody else was away: the absence is the event's alone
    # cases wait for the worker's return: no work by them while away, none of their cases move
    worked = [r for r in sim.log.work if r[0] == 1 and r[8] < back - 1e-9 and r[9] > first + 1e-9]
    assert not worked, worked[:3]
    moved = [s for s in sim.log.spells if s[2] == 1 and s[5] in (ev.REALLOCATED, ev.COVER)]
    assert not moved
    # nothing new is allocated to them while away (the waiting list at the start included)
    # a case given to a worker comes from triage or the list (a warm-start caseload does not)
    came = {(s[0], s[4]) for s in sim.log.spells if s[1] != ev.WORKER}
    given = [s for s in sim.log.spells if s[1] == ev.WORKER and (s[0], s[3]) in came]
    assert [s for s in given if first <= s[3] < back and s[2] != 1]  # others were given cases
    assert not [s for s in given if first <= s[3] < back and s[2] == 1]


def test_a_named_absence_follows_the_cover_policy():
    """Reallocate after M days: every case the worker held goes back on the list on day M."""
    m, first = 10, working_days_before(dt.date(2026, 5, 20))
    sim = _run(
        [
            *QUIET,
            "warmup_days=0",
            "events=[{kind: off_sick, worker: 3, date: 2026-05-20, weeks: 8}]",
            "cover.urgent_to_colleagues_after_days=null",
            f"cover.reallocate_after_days={m}",
        ]
    )
    held = [  # the worker's spells open on the absence's first day
        s
        for s in sim.log.spells
        if s[1] == ev.WORKER and s[2] == 2 and s[3] <= first and not s[4] < first
    ]
    assert len(held) >= 5  # the test has cases to move
    assert all((s[4], s[5]) == (first + m, ev.REALLOCATED) for s in held), held


def test_a_named_absence_brings_agency_cover_by_the_policy():
    """Agency cover after K days, arriving F days later; it goes when the worker is back."""
    k, fill = 5, 7
    first = working_days_before(dt.date(2026, 5, 20))
    back = working_days_before(dt.date(2026, 5, 20) + dt.timedelta(weeks=8))
    sim = _run(
        [
            *QUIET,
            "warmup_days=0",
            "events=[{kind: off_sick, worker: 3, date: 2026-05-20, weeks: 8}]",
            "cover.urgent_to_colleagues_after_days=null",
            "cover.reallocate_after_days=null",
            f"cover.agency_cover_after_days={k}",
            f"cover.agency_cover_fill_days={fill}",
        ]
    )
    cover = [j for j in sim.log.joins if j[3] < 0]
    assert [(j[1], j[2]) for j in cover] == [(first + k + fill, "agency")]
    assert _states(sim, cover[0][0]) == [(back, ev.LEFT, "end of sickness cover")]
    took = [s for s in sim.log.spells if s[2] == 2 and s[5] == ev.COVER]
    assert took and all(s[4] == first + k + fill for s in took)  # the cases went to the cover


def test_a_named_absence_leaves_every_other_stream_as_it_was():
    """Common random numbers: the others' absences and every arrival are unchanged."""
    base = ["horizon_days=80", "absence.sickness_pressure_effect=0"]
    base += ["recruitment.leaving_pressure_effect=0"]
    plain = _run(base)
    event = _run([*base, "events=[{kind: off_sick, worker: 5, date: 2026-06-01, weeks: 4}]"])
    assert [r[:2] for r in plain.log.referrals] == [r[:2] for r in event.log.referrals]
    others = [s for s in plain.log.states if s[0] != 4]
    assert others and others == [s for s in event.log.states if s[0] != 4]


# --- a post falling vacant and an agency worker leaving -------------------------------


def test_a_post_falls_vacant_on_its_date_until_the_recruit_starts():
    fill = 30
    day = working_days_before(dt.date(2026, 6, 15))
    sim = _run(
        [
            *QUIET,
            "events=[{kind: post_vacant, worker: permanent 4, date: 2026-06-15}]",
            f"recruitment.permanent_fill_days={fill}",
            "recruitment.agency_instead_of_vacancy=false",
            "recruitment.newly_qualified_share=0",
        ]
    )
    assert _states(sim, 3) == [(day, ev.LEFT, "left (planned)")]
    assert [p[:3] for p in sim.log.posts if p[0] == 3] == [(3, 0, False), (3, day, True)] + [
        (3, day + fill, False)
    ]
    recruit = [j for j in sim.log.joins if j[3] == 3 and j[1] > 0]
    assert [(j[1], j[2]) for j in recruit] == [(day + fill, "permanent")]
    counted = workload_sim.run(  # a planned leaver counts among the period's leavers
        DEFAULT,
        reps=1,
        overrides=[
            *QUIET,
            "warmup_days=0",
            "events=[{kind: post_vacant, worker: 4, date: 2026-06-15}]",
        ],
    )
    assert counted.per_rep["leavers"].iloc[0] == 1


def test_an_agency_worker_leaves_and_the_post_is_refilled_by_agency():
    day = working_days_before(dt.date(2026, 7, 1))
    sim = _run(
        [
            *QUIET,
            "team.agency=2",
            "events=[{kind: agency_leaves, date: 2026-07-01}]",
            "recruitment.agency_fill_days=10",
        ]
    )
    agency = [j[0] for j in sim.log.joins if j[2] == "agency" and j[1] == 0]
    assert len(agency) == 2
    assert _states(sim, agency[0]) == [(day, ev.LEFT, "left (planned)")]  # the first post's
    assert not _states(sim, agency[1])
    post = next(j[3] for j in sim.log.joins if j[0] == agency[0])
    assert [(j[1], j[2]) for j in sim.log.joins if j[3] == post] == [
        (0, "agency"),
        (day + 10, "agency"),
    ]


# --- demand rising from a date ------------------------------------------------------------


def test_a_demand_change_multiplies_daily_rates_exactly_from_its_date():
    sc = load_scenario(DEFAULT, ["events=[{kind: demand_change, date: 2026-10-01, percent: 30}]"])
    cal = WorkCalendar(START, sc.total_days, "GB", "ENG")
    day = working_days_before(dt.date(2026, 10, 1))
    sim = Simulation(sc, 0, sc.seed)
    ratio = sim.rates / daily_rates(sc.demand, cal)
    np.testing.assert_allclose(ratio[:day], 1.0, rtol=1e-12)
    np.testing.assert_allclose(ratio[day:], 1.3, rtol=1e-12)
    down = load_scenario(
        DEFAULT, ["events=[{kind: demand_change, date: 2026-10-01, percent: -20}]"]
    )
    np.testing.assert_allclose(
        Simulation(down, 0).rates[day:] / daily_rates(sc.demand, cal)[day:], 0.8
    )


def test_referrals_per_working_day_rise_by_the_change_within_the_poisson_ci():
    days, change_day, pct = 100, 50, 40
    date = np.busday_offset(np.datetime64("2026-04-01"), change_day).astype(dt.date)
    sim = _run(
        [
            "calendar.country=none",
            "calendar.subdivision=null",
            "horizon_days=100",
            "warmup_days=0",
            "demand.referrals_per_week=250",
            "triage.effort_hours=0",
            "triage.open_case=0",
            "triage.no_further_action=0.79",
            f"events=[{{kind: demand_change, date: {date}, percent: {pct}}}]",
        ]
    )
    arrivals = np.array([r[1] for r in sim.log.referrals])
    before = int((arrivals < change_day).sum())
    after = int((arrivals >= change_day).sum())
    ratio = (after / (days - change_day)) / (before / change_day)
    half = 2.576 * math.sqrt(1 / before + 1 / after)  # 99% CI of the log rate ratio
    low, high = ratio * math.exp(-half), ratio * math.exp(half)
    assert low <= 1 + pct / 100 <= high, (low, ratio, high)
    assert low > 1.0  # the rise is resolved, not lost in the noise
    # common random numbers: the arrivals before the change are those of the plain run
    plain = _run(
        [
            "calendar.country=none",
            "calendar.subdivision=null",
            "horizon_days=100",
            "warmup_days=0",
            "demand.referrals_per_week=250",
            "triage.effort_hours=0",
            "triage.open_case=0",
            "triage.no_further_action=0.79",
        ]
    )
    early = [r[1] for r in plain.log.referrals if r[1] < change_day]
    assert early == arrivals[arrivals < change_day].tolist()


# --- dates outside the simulated window, and other bad events -----------------------------

WINDOW = "2026-04-01 to 2027-06-29"  # the default: 60 + 253 working days from 1 April 2026
EVENTS = {
    "off_sick": "{{kind: off_sick, worker: 1, date: {d}, weeks: 2}}",
    "post_vacant": "{{kind: post_vacant, worker: 2, date: {d}}}",
    "agency_leaves": "{{kind: agency_leaves, date: {d}}}",
    "demand_change": "{{kind: demand_change, date: {d}, percent: 10}}",
}


def _refused(args: list[str]) -> str:
    result = runner.invoke(app, ["validate", str(DEFAULT), *args])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert len(result.output.strip().splitlines()) == 1, result.output
    return result.output


@pytest.mark.parametrize("date", ["2030-03-02", "2026-03-31", "2027-06-30"])
def test_a_naas_round_outside_the_window_is_refused_naming_the_window(date):
    """The defect: a NAAS round in 2030 printed 'ok' and did nothing."""
    out = _refused(["--set", f"naas.rounds=[{{date: {date}}}]"])
    assert f"naas.rounds[0].date: {date} is outside the simulated window {WINDOW}" in out


@pytest.mark.parametrize("kind", list(EVENTS))
@pytest.mark.parametrize("date", ["2026-03-31", "2030-03-02"])
def test_an_event_outside_the_window_is_refused_naming_the_window(kind, date):
    events = f"events=[{EVENTS['demand_change'].format(d='2026-05-01')}, "
    events += EVENTS[kind].format(d=date) + "]"
    out = _refused(["--set", "team.agency=1", "--set", events])
    assert f"events[1].date: {date} is outside the simulated window {WINDOW}" in out


def test_dates_on_the_window_edges_are_accepted():
    events = "events=[" + EVENTS["off_sick"].format(d="2026-04-01") + ", "
    events += EVENTS["demand_change"].format(d="2027-06-29") + "]"
    result = runner.invoke(
        app,
        ["validate", str(DEFAULT), "--set", events, "--set", "naas.rounds=[{date: 2027-06-29}]"],
    )
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    "event,message",
    [
        (
            "{kind: off_sick, worker: permanent 10, date: 2026-05-01, weeks: 2}",
            "events[0].worker: 'permanent 10': the team has 8 permanent worker(s)",
        ),
        (
            "{kind: off_sick, worker: 11, date: 2026-05-01, weeks: 2}",
            "events[0].worker: post 11 is not a filled post: the team has posts 1-8 permanent, "
            "post 9 newly qualified on day 0",
        ),
        (
            "{kind: off_sick, worker: boss, date: 2026-05-01, weeks: 2}",
            "events[0].worker: 'boss' names no worker",
        ),
        (
            "{kind: agency_leaves, worker: permanent 1, date: 2026-05-01}",
            "'permanent 1' is not an agency worker",
        ),
        ("{kind: off_sick, worker: 1, date: 2026-05-01, weeks: 0}", "events[0].weeks: got 0"),
        ("{kind: demand_change, date: 2026-05-01, percent: -100}", "events[0].percent: got -100"),
        ("{kind: holiday, date: 2026-05-01}", "events[0]"),
        (
            "{kind: off_sick, worker: 1, date: 2026-05-01, weeks: 2, wekks: 3}",
            "events[0].wekks: unknown field",
        ),
    ],
)
def test_a_bad_event_is_one_line_naming_the_field(event, message):
    assert message in _refused(["--set", f"events=[{event}]"])


def test_overlapping_absences_and_an_absence_after_leaving_are_refused():
    two = "{kind: off_sick, worker: 1, date: 2026-05-01, weeks: 4}, "
    two += "{kind: off_sick, worker: permanent 1, date: 2026-05-20, weeks: 2}"
    assert "events[1]: overlaps events[0]" in _refused(["--set", f"events=[{two}]"])
    gone = "{kind: post_vacant, worker: 1, date: 2026-05-01}, "
    gone += "{kind: off_sick, worker: 1, date: 2026-06-01, weeks: 2}"
    assert "events[1]: the worker has left by then" in _refused(["--set", f"events=[{gone}]"])


# --- the acceptance case of issue 10 -------------------------------------------------------


def test_the_team_leader_example_says_it_in_a_few_lines_and_runs():
    path = SCENARIOS / "team_leader_example.yaml"
    text = path.read_text().split("\nsources:")[0]
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    body = [ln for ln in lines if not ln.startswith(("name:", "description:"))]
    assert len(body) <= 10, body  # the team, the absence and the NAAS round, in a few lines
    sc = load_scenario(path)
    assert (sc.team.permanent, sc.team.agency) == (9, 2)
    sim = Simulation(sc, 0, sc.seed).run()
    named = _states(sim, 0)
    back = dt.date(2026, 12, 1) + dt.timedelta(weeks=16)
    hols = list(holidays.country_holidays("GB", subdiv="ENG", years=[2026, 2027]))
    assert named[:2] == [
        (0, "sick", ""),
        (int(np.busday_count(dt.date(2026, 12, 1), back, holidays=hols)), ev.PRESENT, ""),
    ]
    march = int(np.busday_count(dt.date(2026, 12, 1), dt.date(2027, 3, 1), holidays=hols))
    assert sim.log.naas and min(r[1] for r in sim.log.naas) == march
