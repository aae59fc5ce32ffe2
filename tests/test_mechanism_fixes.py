"""Issue 8, section 2: each people mechanism shown wrong by a run, tested by its behaviour.

Every test here failed on the code before its fix. They watch the model from the
outside: the cases and workers of a run, hand computations, or a spy on when a
worker starts a task (never the recorder's tables checked against themselves).
"""

from __future__ import annotations

import datetime as dt

import holidays
import numpy as np
import pytest

import workload_sim
import workload_sim.experiments.replication
from workload_sim.model.calendar import WorkCalendar
from workload_sim.model.clock import Clock
from workload_sim.model.demand import daily_rates
from workload_sim.model.events import EventLog
from workload_sim.model.simulation import Simulation
from workload_sim.model.task import Task
from workload_sim.model.worker import Worker
from workload_sim.records import tables_of
from workload_sim.scenario.loading import load_scenario

from .conftest import DEFAULT, SCENARIOS
from .test_mechanisms import world
from .test_people import QUIET

# sickness on at a negligible rate: the daily tick (returns, cover) runs, as in test_people
CALM = [
    *QUIET,
    "absence.sickness_days=0.0001",
    "warmup_days=0",
    "cover.urgent_to_colleagues_after_days=null",
]


def _run_to(sim: Simulation, day: float) -> Simulation:
    sim.env.run(until=float(day))
    return sim


def _finish(sim: Simulation) -> Simulation:
    sim.env.run(until=float(sim.n_days))
    return sim


@pytest.fixture
def work_spy(monkeypatch):
    """Every task start, and every moment a worker stops, checked for who is working."""
    bad: list[str] = []
    start, go_away, leave_job = Worker._start, Worker.go_away, Worker.leave_job

    def spy_start(self, task):
        if self.away is not None or self.left_at is not None:
            bad.append(f"worker {self.id} ({self.away or 'gone'}) started a task at {self.env.now}")
        start(self, task)

    def still_working(self) -> bool:  # a task in hand that does not end this very moment
        return self._current is not None and self._current_end > self.env.now + 1e-9

    def spy_go_away(self, reason, until):
        go_away(self, reason, until)
        if still_working(self):
            bad.append(f"worker {self.id} kept working while away ({reason})")

    def spy_leave_job(self, reason):
        tasks = leave_job(self, reason)
        if still_working(self):
            bad.append(f"worker {self.id} kept working after leaving")
        return tasks

    monkeypatch.setattr(Worker, "_start", spy_start)
    monkeypatch.setattr(Worker, "go_away", spy_go_away)
    monkeypatch.setattr(Worker, "leave_job", spy_leave_job)
    return bad


# 1 ---------------------------------------------------------------------------------------


def test_agency_sick_cover_ends_with_the_absence_and_hands_back_only_own_cases_within_cap():
    sc = load_scenario(
        DEFAULT,
        [
            *CALM,
            "horizon_days=120",
            "demand.referrals_per_week=34",
            "cover.reallocate_after_days=null",
            "cover.agency_cover_after_days=2",
            "cover.agency_cover_fill_days=3",
            "recruitment.agency_instead_of_vacancy=false",
            "recruitment.permanent_fill_days=500",
        ],
    )
    # (a) the absent worker leaves while covered: the cover goes with the absence
    sim = _run_to(Simulation(sc, 0), 5)
    absent = sim.workforce.everyone[0]
    absent.go_away("sick", 65)
    _run_to(sim, 20)
    cover = next(w for w in sim.workforce.everyone if w.post < 0)
    assert cover.joined_at == 10  # asked for on day 7, came 3 days later
    sim.workforce.let_go(absent, "left (turnover)")
    _finish(sim)
    assert cover.left_at == 20, "the cover stayed after the absent worker left"

    # (a') where the post would get an agency interim (within the cap), the cover is it:
    # it keeps the cases until the recruit starts 100 days after the leaver
    interim = load_scenario(
        sc,
        [
            "recruitment.agency_instead_of_vacancy=true",
            "recruitment.agency_cap_share=0.25",
            "recruitment.permanent_fill_days=60",
            "recruitment.newly_qualified_share=0",
        ],
    )
    sim = _run_to(Simulation(interim, 0), 5)
    absent = sim.workforce.everyone[0]
    absent.go_away("sick", 65)
    _run_to(sim, 20)
    sim.workforce.let_go(absent, "left (turnover)")
    _finish(sim)
    agency = [w for w in sim.workforce.everyone if w.kind == "agency"]
    assert len(agency) == 1, "a second agency worker came for a post already covered"
    (cover,) = agency
    assert cover.post == absent.post
    assert cover.left_at == 80 and cover.leave_reason == "end of assignment (post filled)"
    assert sim.workforce.everyone[-1].joined_at == 80

    # (b) a newly qualified worker (cap 14) comes back: only their own cases, within cap
    sim = _run_to(Simulation(sc, 0), 5)
    asye = sim.workforce.everyone[9]
    assert asye.kind == "newly_qualified" and asye.cap == 14
    own = set(asye.held)
    asye.go_away("sick", 40)
    handed: list = []  # cases the cover handed straight to the returning worker
    back, move_case = sim.workforce.cover.back, sim.move_case

    def watch_back(worker):
        sim.move_case = lambda case, to=None, reason="returned to list": (
            handed.append(case) if to is asye else None,
            move_case(case, to, reason),
        )
        back(worker)
        sim.move_case = move_case

    sim.workforce.cover.back = watch_back
    _finish(sim)
    cover = next(w for w in sim.workforce.everyone if w.post < 0)
    assert cover.left_at == 40
    workers = tables_of(sim).workers.set_index("worker")
    # the cover took new cases from the list too
    assert workers.loc[cover.id, "cases_allocated"] > len(own)
    assert handed, "nothing was handed back"
    assert set(handed) <= own, "the cover handed back cases that were never the worker's"
    assert workers.loc[asye.id, "peak_caseload"] <= 14, "the worker came back above their cap"


# 2 ---------------------------------------------------------------------------------------


def test_a_case_closed_unworked_stays_closed_and_the_list_never_goes_negative(monkeypatch):
    closed: list[tuple] = []  # (case, its step, attempt and closing time when closed)
    close_unworked = Simulation.close_unworked

    idle: list[int] = []  # present workers left idle with work queued by a closure

    def spy(self, case):
        close_unworked(self, case)
        closed.append((case, case.step, case.attempt, case.closed_at))
        idle.extend(w.id for w in self.workers if w.present and w._current is None and w._queue)

    monkeypatch.setattr(Simulation, "close_unworked", spy)
    overrides = [
        "allocation.close_unallocated_after_days=3",
        "cover.urgent_to_colleagues_after_days=0",
        "cover.reallocate_after_days=1",
        "absence.sickness_days=40",
    ]
    res = workload_sim.run(DEFAULT, reps=3, days=250, overrides=overrides)
    assert len(closed) > 100  # the mechanism is exercised
    moved = [
        c.id
        for c, step, attempt, at in closed
        if (c.step, c.attempt, c.closed_at) != (step, attempt, at)
    ]
    assert not moved, f"{len(moved)} cases worked on after being closed unworked"
    assert not idle, "a colleague whose covered task was dropped stopped working"
    assert res.timeseries["unallocated"].min() >= 0


# 3 ---------------------------------------------------------------------------------------


def test_a_team_with_nobody_in_post_keeps_running_and_referrals_wait_at_the_front_door():
    sc = load_scenario(
        DEFAULT,
        [
            *CALM,
            "horizon_days=60",
            "team.permanent=1",
            "team.newly_qualified=0",
            "recruitment.permanent_fill_days=20",
            "recruitment.agency_instead_of_vacancy=false",
            "recruitment.newly_qualified_share=0",
        ],
    )
    sim = _run_to(Simulation(sc, 0), 10)
    sim.workforce.let_go(sim.workforce.everyone[0], "left (turnover)")
    _finish(sim)  # ZeroDivisionError here before the fix
    recruit = sim.workforce.everyone[-1]
    assert recruit.joined_at == 30
    gap = [c for c in sim.cases if 10 <= c.arrival < 30]
    assert len(gap) > 50
    triaged = [c.triaged_at for c in gap if c.triaged_at is not None]
    assert min(triaged) >= 30, "a referral was triaged while nobody was in post"
    # and the extreme settings of the issue run to the end (everyone leaves at once)
    for extreme in ("team.contract_hours_per_week=0.001", "triage.effort_hours=1000000"):
        sim = Simulation(load_scenario(DEFAULT, [extreme, "horizon_days=60"]), 0).run()
        assert sim.env.now == sim.n_days


# 4 ---------------------------------------------------------------------------------------


def test_triage_queued_with_a_duty_worker_who_goes_sick_moves_to_the_next_on_duty():
    sc = load_scenario(DEFAULT, [*CALM, "horizon_days=60", "triage.effort_hours=2"])
    sim = _run_to(Simulation(sc, 0), 4)
    duty = sim.workforce.duty_worker(3)  # yesterday's duty worker, triage still queued
    assert any(t[0] < 0 for t in duty._queue)
    duty.go_away("sick", 40)
    _finish(sim)
    early = [c for c in sim.cases if not c.warm_start and c.arrival < 10]
    waits = [c.triaged_at - c.arrival for c in early]
    assert None not in [c.triaged_at for c in early]
    assert max(waits) < 10, f"a referral waited {max(waits):.1f} days for triage"


# 5 ---------------------------------------------------------------------------------------


def test_leavers_do_no_work_after_leaving(work_spy):
    sc = load_scenario(SCENARIOS / "agency_heavy.yaml")
    workload_sim.run(sc, reps=4, days=1265)  # 8 starts after leaving before
    assert not [b for b in work_spy if "gone" in b or "leaving" in b], work_spy[:5]


# 6 ---------------------------------------------------------------------------------------


def test_letting_an_interim_agency_worker_go_schedules_no_phantom_recruitment():
    sc = load_scenario(
        DEFAULT,
        [
            *CALM,
            "team.vacant=1",
            "horizon_days=300",
            "recruitment.permanent_fill_days=100",
            "recruitment.agency_fill_days=10",
            "recruitment.newly_qualified_share=0",
        ],
    )
    sim = _run_to(Simulation(sc, 0), 120)
    recruit = sim.workforce.everyone[-1]
    assert recruit.kind == "permanent" and recruit.joined_at == 100
    sim.workforce.let_go(recruit, "left (turnover)")
    _finish(sim)
    nxt = [w for w in sim.workforce.everyone if w.post == recruit.post and w.kind == "permanent"]
    # the post's next recruit starts 100 days after this leaver, not at a date left
    # over from the interim's going
    assert [w.joined_at for w in nxt] == [100, 220]


# 7 ---------------------------------------------------------------------------------------


def test_a_leave_block_starting_on_a_sick_day_is_taken_on_return():
    sc = load_scenario(DEFAULT, [*CALM, "horizon_days=253", "absence.annual_leave_days=27"])
    sim = Simulation(sc, 0)
    first = min(sim.workforce.absence.leave_starts[0])
    _run_to(sim, first)
    sim.workforce.everyone[0].go_away("sick", first + 3)
    _finish(sim)
    row = tables_of(sim).workers.iloc[0]
    assert row["sick_days"] == 3
    assert row["leave_days"] == 27


# 8 ---------------------------------------------------------------------------------------


def _worker(env, overtime: float = 0.0) -> Worker:
    return Worker(env, EventLog(30), 0, "permanent", 1.0, 10, 7.4, 7.4, overtime)


def test_a_moved_task_keeps_its_place_by_original_queued_time():

    env = Clock()
    worker = _worker(env)
    done: list[str] = []
    worker.add_task(0, 7.4 * 5, done.append, "long task in hand")
    env.run(until=2.0)
    worker.add_task(0, 1.0, done.append, "queued on day 2")
    env.run(until=3.0)
    # a colleague's task queued on day 1, covered now: older, so it goes first
    moved = Task(0, 1.0, 7, 1.0, done.append, "moved, queued on day 1", "cover", -1, -1, 0, False)
    worker.add_task_tuple(moved)
    env.run(until=10.0)
    assert done == ["long task in hand", "moved, queued on day 1", "queued on day 2"]


# 9 ---------------------------------------------------------------------------------------


def test_a_case_moved_twice_before_its_handover_is_read_in_once():
    sc = world(
        [{"name": "a", "effort_hours": 7.4}],
        workers=3,
        cap=5,
        days=10,
        recruitment__handover_hours=2.0,
        warm_start={"unallocated": 1},
    )
    sim = _run_to(Simulation(sc, 0), 0.5)
    case = sim.cases[0]
    w0, w1, w2 = sim.workers
    assert case.worker is w0
    sim.move_case(case, to=w1)  # w1 starts reading in...
    sim.move_case(case, to=w2)  # ...and passes it on at once
    _finish(sim)
    assert case.closed_at is not None
    # w2: one read-in (2 h) and the half of the step left (3.7 h)
    row = tables_of(sim).workers.set_index("worker").loc[w2.id]
    assert row["case_hours"] == pytest.approx(2.0 + 3.7)
    assert row["tasks_done"] == 2


# 10 --------------------------------------------------------------------------------------


def test_naas_preparation_waits_behind_case_work_of_every_urgency():
    sc = world([{"name": "a", "effort_hours": 7.4}], cap=2, days=20)
    cal = WorkCalendar(sc.calendar.start_date, 30, sc.calendar.country, sc.calendar.subdivision)
    date = cal.dates[5].astype(dt.date).isoformat()
    sc = load_scenario(
        sc,
        [
            "warm_start.unallocated=2",
            f"naas.rounds=[{{date: {date}, share_tested: 1, prep_hours: 3, prep_weeks: 1, "
            "assessment_days: 1, pass_rate: 1, leave_instead_probability: 0}]",
        ],
    )
    sim = Simulation(sc, 0).run()
    assert tables_of(sim).workers["naas_attempts"][0] == 1
    first, second = sim.cases
    assert first.closed_at == pytest.approx(1.0)
    assert second.closed_at == pytest.approx(2.0)  # case work before preparation


# 11 --------------------------------------------------------------------------------------


def test_a_week_with_a_bank_holiday_keeps_its_referrals_and_years_come_from_the_calendar(
    monkeypatch,
):
    start = dt.date(2026, 4, 1)
    cal = WorkCalendar(start, 600)
    sc = load_scenario(DEFAULT, ["demand.annual_growth=0", "demand.referrals_per_week=28"])
    rates = daily_rates(sc.demand, cal)
    monday = (cal.dates - (cal.dates.astype("int64") + 3) % 7).astype("int64")  # week's Monday
    assert set(sc.demand.month_profile.values()) == {1.0}  # flat months: a full week is 28
    sums = {w: rates[monday == w].sum() for w in np.unique(monday)[1:-1]}  # whole weeks only
    holiday_weeks = {w for w in sums if (monday == w).sum() < 5}
    assert len(holiday_weeks) >= 6  # Easter, May, August, Christmas
    assert np.allclose(list(sums.values()), 28.0)

    # working days in a year: counted from the calendar, not 253
    for begin in (dt.date(2026, 4, 1), dt.date(2027, 1, 4)):
        end = begin.replace(year=begin.year + 1)
        eng = holidays.country_holidays("GB", subdiv="ENG", years=range(begin.year, end.year + 1))
        by_hand = sum(
            1
            for k in range((end - begin).days)
            if (d := begin + dt.timedelta(k)).weekday() < 5 and d not in eng
        )
        assert WorkCalendar(begin, 300).working_days_per_year == by_hand
    sc = load_scenario(DEFAULT, ["calendar.start_date=2027-01-04"])
    sim = Simulation(sc, 0)
    assert (
        sim.workforce.absence.days_per_year
        == WorkCalendar(dt.date(2027, 1, 4), 300).working_days_per_year
    )

    # and the sickness rate per FTE-year is per the calendar's year: one worker off
    # 25 days of the 251 working days from 1 April 2026 lost 25 days that year
    class SickForTwentyFiveDays(Simulation):
        def run(self):
            self.env.run(until=10.0)
            self.workforce.everyone[0].go_away("sick", 35)
            self.env.run(until=float(self.n_days))
            self._log_horizon()
            return self

    monkeypatch.setattr(workload_sim.experiments.replication, "Simulation", SickForTwentyFiveDays)
    one = [*CALM, "team.permanent=1", "team.newly_qualified=0", "horizon_days=251"]
    assert WorkCalendar(dt.date(2026, 4, 1), 251).working_days_per_year == 251
    res = workload_sim.run(DEFAULT, reps=1, overrides=one)
    assert res.per_rep["sickness_days_per_fte_year"].iloc[0] == pytest.approx(25.0)


# 12 --------------------------------------------------------------------------------------


def test_a_task_started_in_an_agency_ramp_up_speeds_up_when_the_ramp_ends():
    sc = world(
        [{"name": "a", "effort_hours": 37.0}],
        days=30,
        warm_start={"unallocated": 2},
        team__vacant=1,
        recruitment={
            "permanent_fill_days": 500,
            "agency_fill_days": 1,
            "agency_instead_of_vacancy": True,
            "agency_cap_share": 1.0,
            "handover_hours": 0,
        },
        workforce__agency={
            "fte": 1,
            "caseload_cap": 1,
            "non_case_fraction": 0,
            "leaving_rate_per_year": 0,
            "ramp_up_days": 5,
            "ramp_up_productivity": 0.5,
        },
    )
    sim = Simulation(sc, 0).run()
    agency = sim.workforce.everyone[-1]
    assert agency.kind == "agency" and agency.joined_at == 1
    case = next(c for c in sim.cases if c.closed_at and c.closed_at > 5.1)
    # 5 days at 3.7 h a day (18.5 h), then 18.5 h at 7.4 h a day: 2.5 days more
    assert case.closed_at == pytest.approx(1 + 5 + 2.5)


# 13 --------------------------------------------------------------------------------------


def test_an_evening_goes_on_with_the_task_in_hand_where_the_day_left_it():
    # (the end-of-task overtime rule this replaced kept an allowance that an interrupted
    # task had to give back; evening hours are now worked at the day's end, by decision)

    env = Clock()
    worker = _worker(env, overtime=1.2)
    done = []
    worker.add_task(0, 8.0, done.append, "case")  # 7.4 h today, 0.6 h left at 17:00
    worker.add_task(0, 3.0, done.append, "next")
    env.run(until=1.0)
    assert worker.work_late(1.2) == pytest.approx(1.2)  # 0.6 h to finish, 0.6 h on the next
    assert done == ["case"]
    day, evening_1, evening_2 = worker.log.work
    assert (day[9], day[11], day[12]) == pytest.approx((1.0, 7.4, 0.0))  # put back at 17:00
    assert (evening_1[8], evening_1[9], evening_1[11:13]) == (1.0, 1.0, (0.0, pytest.approx(0.6)))
    assert evening_2[11:13] == (0.0, pytest.approx(0.6)) and evening_2[13] == "put back"
    env.run(until=2.0)  # the next day: the 2.4 h left of "next"
    assert done == ["case", "next"] and worker.log.work[-1][11] == pytest.approx(2.4)


# 14 --------------------------------------------------------------------------------------


def test_nobody_absent_or_gone_does_any_work(work_spy):
    overrides = [
        "absence.sickness_days=60",
        "cover.urgent_to_colleagues_after_days=0",
        "cover.reallocate_after_days=3",
        "cover.agency_cover_after_days=1",
        "cover.agency_cover_fill_days=2",
        "allocation.close_unallocated_after_days=10",
        "workforce.agency.ramp_up_days=15",
        "naas.rounds=[{date: 2026-09-01, share_tested: 1.0, pass_rate: 0.5, "
        "leave_instead_probability: 0.2, prep_hours: 40}]",
        "workforce.permanent.leaving_rate_per_year=0.5",
        "team.agency=2",
    ]
    res = workload_sim.run(DEFAULT, reps=2, days=250, overrides=overrides)
    assert res.workers["left_at"].notna().sum() > 5
    assert not work_spy, work_spy[:5]


def test_a_team_whose_every_post_is_vacant_runs_and_refers_to_the_front_door():
    """Issue 8: nobody in post, posts being recruited to: referrals wait for triage until
    the first recruit (here on day 20) joins; no posts at all is an error."""
    sc = load_scenario(
        DEFAULT,
        [
            *CALM,
            "team.permanent=0",
            "team.newly_qualified=0",
            "team.agency=0",
            "team.vacant=2",
            "recruitment.agency_instead_of_vacancy=false",
            "recruitment.permanent_fill_days=20",
            "horizon_days=60",
        ],
    )
    sim = Simulation(sc, 0).run()
    first_join = min(j[1] for j in sim.log.joins)
    assert first_join == 20
    triaged = [s for s in sim.log.spells if s[1] == "triage" and s[4] == s[4]]
    assert triaged and min(s[4] for s in triaged) >= first_join  # nobody triaged before
    with pytest.raises(workload_sim.ScenarioError, match="at least one post"):
        load_scenario(
            DEFAULT,
            ["team.permanent=0", "team.newly_qualified=0", "team.agency=0", "team.vacant=0"],
        )


def test_a_large_team_runs_a_duty_rota_in_proportion_so_triage_does_not_queue_for_weeks():
    """Found by bench_team_size: with one duty worker a day, a 100-worker team with
    demand in proportion queued weeks of triage (and moving that queue each time its
    holder went away made the run quadratic). One on duty per ten in post keeps the
    wait for triage near the small team's (40 days here: 2.3 days against 0.3)."""
    big = [
        *QUIET,
        "team.permanent=90",
        "team.newly_qualified=10",
        "demand.referrals_per_week=280",
        "warmup_days=0",
        "horizon_days=40",
    ]
    rota = workload_sim.run(DEFAULT, reps=1, overrides=big).cases
    alone = workload_sim.run(
        DEFAULT, reps=1, overrides=[*big, "triage.team_per_duty_worker=1000"]
    ).cases
    small = workload_sim.run(
        DEFAULT, reps=1, overrides=[*QUIET, "warmup_days=0", "horizon_days=40"]
    ).cases

    def wait(cases):  # wait for triage, those still waiting counted up to the horizon
        return cases["wait_for_triage"].fillna(40 - cases["arrival"]).mean()

    assert wait(alone) > 5 * wait(small)  # one duty worker for 100: days behind, growing
    assert wait(rota) < 2 * wait(small) + 0.1
    sim = Simulation(load_scenario(DEFAULT, big), 0).run()
    day = 20  # ten workers (100 // 10) share one day's triage
    who = {w[0] for w in sim.log.work if w[3] == "triage" and day <= w[7] < day + 1}
    assert len(who) == 10


def test_an_absence_does_not_shift_the_posts_later_sickness_draws():
    """Common random numbers: the post draws its sickness number every day whether or
    not its holder is at work, so after a planned absence ends, the same worker falls
    sick on the same days as in the scenario without it (pressure effects off)."""
    calm = [
        *QUIET,
        "absence.sickness_days=25",
        "absence.sickness_pressure_effect=0",
        "warmup_days=0",
        "horizon_days=500",
    ]
    off = "events=[{kind: off_sick, worker: permanent 1, date: 2026-05-01, weeks: 6}]"

    def sick_starts(extra):
        sim = Simulation(load_scenario(DEFAULT, [*calm, *extra]), 0).run()
        return [t for w, t, state, _ in sim.log.states if w == 0 and state == "sick"]

    plain, planned = sick_starts([]), sick_starts([off])
    back = 120.0  # well after the six weeks off (from about day 21): both at work again
    later_plain = [t for t in plain if t > back]
    later_planned = [t for t in planned if t > back]
    assert later_plain and later_planned == later_plain
