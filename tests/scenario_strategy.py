"""Hypothesis strategy: small scenarios of the default team, as ``--set`` override strings.

Override strings (not objects) so a failing example prints as a command line
anyone can paste: ``python run.py run scenarios/adult_safeguarding_team.yaml
--set ...``. Each example is small (40-120 working days, at most 16 people) so
hundreds run in a minute, yet every people mechanism can switch on: absence,
each cover policy and their combinations, agency cover, turnover with
recruitment and interim agency, NAAS rounds, closing unallocated cases,
overtime, warm start and newly qualified workers' protected year.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

START = dt.date(2026, 4, 1)  # the default calendar's first day

maybe_days = st.none() | st.integers(0, 15)
POLICIES = ["least_loaded", "round_robin", "first_available"]


def _null(x) -> str:
    return "null" if x is None else str(x)


@st.composite
def naas_rounds(draw, horizon_days: int) -> str:
    """Zero to two NAAS rounds dated inside the run (working days ~ 7/5 calendar days)."""
    n = draw(st.integers(0, 2))
    offsets = sorted(draw(st.lists(st.integers(5, horizon_days * 7 // 5), min_size=n, max_size=n)))
    rounds = []
    for off in offsets:
        rounds.append(
            "{"
            f"date: {START + dt.timedelta(days=off)}, "
            f"share_tested: {draw(st.sampled_from([0.3, 0.6, 1.0]))}, "
            f"prep_hours: {draw(st.sampled_from([0, 6, 12]))}, "
            f"prep_weeks: {draw(st.integers(1, 4))}, "
            f"assessment_days: {draw(st.sampled_from([0.5, 1, 2]))}, "
            f"pass_rate: {draw(st.sampled_from([0.0, 0.5, 1.0]))}, "
            f"retake_after_days: {draw(st.integers(5, 30))}, "
            f"max_attempts: {draw(st.integers(1, 3))}, "
            f"leave_instead_probability: {draw(st.sampled_from([0.0, 0.2]))}"
            "}"
        )
    return "naas.rounds=[" + ", ".join(rounds) + "]"


@st.composite
def scheduled_events(draw, days: int, team: list[int]) -> str:
    """Zero to three scheduled events dated inside the run, each worker named once."""
    filled = sum(team)
    n = draw(st.integers(0, min(3, filled)))  # no more events than workers to name
    posts = draw(st.lists(st.integers(1, filled), min_size=n, max_size=n, unique=True))
    events = []
    for post in posts:
        date = START + dt.timedelta(days=draw(st.integers(0, days * 7 // 5)))
        kind = draw(st.sampled_from(["off_sick", "post_vacant", "agency_leaves", "demand_change"]))
        if kind == "agency_leaves" and post <= team[0] + team[1]:
            events.append(f"{{kind: agency_leaves, date: {date}}}")  # the first agency worker
        elif kind == "agency_leaves":
            events.append(f"{{kind: agency_leaves, worker: {post}, date: {date}}}")
        elif kind == "post_vacant":
            events.append(f"{{kind: post_vacant, worker: {post}, date: {date}}}")
        elif kind == "off_sick":
            weeks = draw(st.integers(1, 12))
            events.append(f"{{kind: off_sick, worker: {post}, date: {date}, weeks: {weeks}}}")
        else:
            pct = draw(st.sampled_from([-50, -10, 20, 100]))
            events.append(f"{{kind: demand_change, date: {date}, percent: {pct}}}")
    return "events=[" + ", ".join(events) + "]"


@st.composite
def small_scenarios(draw) -> list[str]:
    """``--set`` overrides of the default scenario: one small world each."""
    days = draw(st.integers(40, 120))
    team = [draw(st.integers(0, 12)), draw(st.integers(0, 3)), draw(st.integers(0, 3))]
    if sum(team) == 0:
        team[draw(st.integers(0, 2))] = (
            1  # at least one worker (all-vacant teams have their own test)
        )
    perm, nq, agency = team
    ov = [
        f"horizon_days={days}",
        "warmup_days=0",
        f"seed={draw(st.integers(0, 2**31))}",
        f"team.permanent={perm}",
        f"team.newly_qualified={nq}",
        f"team.agency={agency}",
        f"team.vacant={draw(st.integers(0, 3))}",
        f"demand.referrals_per_week={draw(st.sampled_from([0.01, 5, 15, 30, 45, 60]))}",
        f"triage.effort_hours={draw(st.sampled_from([0, 0.5, 2]))}",
        f"absence.sickness_days={draw(st.sampled_from([0, 10, 30, 60]))}",
        f"absence.long_term_share={draw(st.sampled_from([0.0, 0.5, 0.9]))}",
        f"absence.annual_leave_days={draw(st.sampled_from([0, 27, 40]))}",
        f"absence.leave_block_days={draw(st.integers(1, 10))}",
        f"cover.urgent_to_colleagues_after_days={_null(draw(maybe_days))}",
        f"cover.reallocate_after_days={_null(draw(maybe_days))}",
        f"cover.agency_cover_after_days={_null(draw(maybe_days))}",
        f"cover.agency_cover_fill_days={draw(st.integers(1, 10))}",
        f"allocation.policy={draw(st.sampled_from(POLICIES))}",
        "allocation.close_unallocated_after_days=" + _null(draw(st.none() | st.integers(1, 20))),
        f"overtime.enabled={draw(st.booleans())}",
        f"overtime.max_hours_per_day={draw(st.sampled_from([0, 0.5, 1.2, 3]))}",
        f"overtime.max_hours_per_week={draw(st.sampled_from([0, 2, 6, 12]))}",
        f"overtime.behind_when_queued_days={draw(st.sampled_from([0, 0.5, 3]))}",
        f"overtime.personal_limit_scale={draw(st.sampled_from([0, 0.5, 1, 1.5]))}",
        f"overtime.personal_limit_spread={draw(st.sampled_from([0, 0.3, 1, 2.5]))}",
        f"recruitment.agency_instead_of_vacancy={draw(st.booleans())}",
        f"recruitment.agency_cap_share={draw(st.sampled_from([0, 0.25, 0.5]))}",
        f"recruitment.permanent_fill_days={draw(st.integers(5, 40))}",
        f"recruitment.agency_fill_days={draw(st.integers(1, 10))}",
        f"recruitment.handover_hours={draw(st.sampled_from([0, 2]))}",
        f"workforce.permanent.leaving_rate_per_year={draw(st.sampled_from([0, 0.145, 2]))}",
        f"workforce.agency.leaving_rate_per_year={draw(st.sampled_from([0, 2, 6]))}",
        f"workforce.asye_days={draw(st.integers(10, 200))}",
        f"warm_start.cases_per_worker={draw(st.sampled_from([0, 8, 15]))}",
        f"warm_start.unallocated={draw(st.integers(0, 10))}",
        draw(naas_rounds(days)),
        draw(scheduled_events(days, team)),
    ]
    return ov
