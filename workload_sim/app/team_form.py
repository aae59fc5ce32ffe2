"""The team leader's form in plain Python: counts and dates in, a validated scenario out.

The page (``page.py``) only draws inputs and results; everything it decides is here, so it
is tested without a browser. The form becomes ``--set``-style overrides on a shipped
scenario, so the scenario file the page offers reproduces the run from the command line.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel

from ..experiments.outputs import scenario_yaml
from ..scenario import MAX_DAYS, Scenario
from ..scenario.demand import DemandSpec
from ..scenario.loading import ScenarioError, apply_overrides, resolved_dict, validate
from ..scenario.people import CoverSpec, NaasRoundSpec
from ..scenario.safe_yaml import parse_yaml
from ..scenario.scheduled import DemandChange, OffSick
from ..scenario.team import TeamSpec, WarmStartSpec

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
STARTS = {
    "The adult safeguarding team": "adult_safeguarding_team.yaml",
    "The children's team": "children_in_need_team.yaml",
}
PAGE_NAME = "my_team"  # the page's team: its scenario file, evidence pack and tables
WORKING_DAYS_A_MONTH = 253 / 12  # 253 working days in an English year

# The sick-leave cover policy in words -> the cover fields (None: never); N is the form's days.
COVER_POLICIES = {
    "Cases wait for the worker's return": dict(
        urgent_to_colleagues_after_days=None, reallocate_after_days=None
    ),
    "Urgent tasks go to colleagues after N days; all cases reallocated after 4 weeks": dict(
        urgent_to_colleagues_after_days="N", reallocate_after_days=20
    ),
    "Urgent tasks go to colleagues after N days; cases otherwise wait": dict(
        urgent_to_colleagues_after_days="N", reallocate_after_days=None
    ),
    "Agency cover is asked for after N days": dict(agency_cover_after_days="N"),
}

# Field paths in words, so an error names the box on the page, not a YAML key.
FIELD_WORDS = {
    "team.permanent": "Permanent social workers",
    "team.newly_qualified": "Newly qualified social workers",
    "team.agency": "Agency social workers",
    "team.vacant": "Vacant posts",
    "demand.referrals_per_week": "Referrals a week",
    "warm_start.unallocated": "Cases waiting for allocation today",
    "warm_start.cases_per_worker": "Average caseload today",
    "calendar.start_date": "Today's date",
    "horizon_days": "Months ahead",
    "replications": "Replications",
    "naas.rounds": "NAAS round",
    "cover": "Sick-leave cover",
    "start_state": "Your records' open cases",
}


# Every value the page sets carries a note saying so (the evidence pack lists them): the
# team leader's figures are their own assumptions; the rest are how the run was made.
RUN_SETTINGS = {"warmup_days", "horizon_days", "replications", "seed"}
RUN_NOTE = "run setting chosen on the team leader's page (warm-up 0: the warm start is today)"
PAGE_NOTE = "assumption: the team leader's own figure, given on the team leader's page"


@dataclass
class Absence:
    """Someone off: 'permanent 1' (the first permanent worker) for so many weeks, from
    ``date`` (None: from the form's start date, i.e. off now)."""

    worker: str
    weeks: int
    date: dt.date | None = None


@dataclass
class TeamForm:
    """What the page asks, counts only (no names, no personal data)."""

    start_date: dt.date
    permanent: int
    newly_qualified: int
    agency: int
    referrals_per_week: float
    waiting_today: int
    caseload_today: float
    months: int = 12
    replications: int = 10
    seed: int = 20261123
    off_now: list[Absence] = field(default_factory=list)
    vacant: int = 0
    naas_date: dt.date | None = None
    naas_share: float = 0.5
    vacancy_worker: str | None = None
    vacancy_date: dt.date | None = None
    demand_date: dt.date | None = None
    demand_percent: float = 0.0
    cover_policy: str = next(iter(COVER_POLICIES))
    cover_days: int = 3
    recorded_events: list[dict] = field(default_factory=list)  # absences from the records


class FormError(ValueError):
    """Problems with the form, one line each, naming the box in words."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def base_data(start: str | None = None, upload: bytes | None = None) -> dict:
    """The starting scenario as a mapping: a shipped team by its words, or an uploaded file."""
    if upload is not None:
        try:
            data = parse_yaml(upload.decode("utf-8", errors="replace"), "the uploaded file")
            return resolved_dict(validate(data))
        except ScenarioError as exc:
            raise FormError([f"The uploaded file: {p}" for p in exc.problems]) from None
    path = SCENARIOS / STARTS[start or next(iter(STARTS))]
    return resolved_dict(validate(parse_yaml(path.read_text(), str(path))))


def defaults(data: dict, own_file: bool = False) -> dict:
    """The form's starting values from a scenario mapping (what the page shows first).

    Vacant posts start at 0 for a shipped team (the page runs the posts the user enters,
    not the shipped team's vacancy); a file of the user's own keeps its own.
    """
    team, warm = data["team"], data.get("warm_start") or {}
    return dict(
        permanent=int(team["permanent"]),
        newly_qualified=int(team["newly_qualified"]),
        agency=int(team["agency"]),
        vacant=int(team.get("vacant") or 0) if own_file else 0,
        referrals_per_week=float(data["demand"]["referrals_per_week"]),
        waiting_today=int(warm.get("unallocated") or 0),
        caseload_today=float(warm.get("cases_per_worker") or 0.0),
    )


def _value(x) -> str:
    """A value as --set reads it (YAML): null for None, JSON for lists."""
    if x is None:
        return "null"
    if isinstance(x, (list, dict)):
        return json.dumps(x, default=str)
    return str(x)


def bounds(model: type[BaseModel], name: str, integer: bool = False) -> tuple:
    """A schema field's limits as a form box's (min, max), both inclusive: the box accepts
    what the scenario accepts. An open bound (gt=0) moves in by the box's step."""
    lo = hi = None
    step = 1 if integer else 0.01
    for m in model.model_fields[name].metadata:
        if hasattr(m, "ge"):
            lo = m.ge
        elif hasattr(m, "gt"):
            lo = m.gt + step
        elif hasattr(m, "le"):
            hi = m.le
        elif hasattr(m, "lt"):
            hi = m.lt - step
    cast = int if integer else float
    return (None if lo is None else cast(lo)), (None if hi is None else cast(hi))


BROWSER_INT = 2**53 - 1  # the largest whole number a browser's number box holds exactly
MAX_MONTHS = int(MAX_DAYS // WORKING_DAYS_A_MONTH)  # the horizon's own limit, in months
_SEED = bounds(Scenario, "seed", integer=True)
_SHARE = bounds(NaasRoundSpec, "share_tested")

# Each box's (min, max) by the page's key: the schema's own limits, so the page accepts
# exactly what the scenario accepts (a run too big to wait for is warned of, not refused).
LIMITS = {
    "permanent": bounds(TeamSpec, "permanent", integer=True),
    "newly_qualified": bounds(TeamSpec, "newly_qualified", integer=True),
    "agency": bounds(TeamSpec, "agency", integer=True),
    "vacant": bounds(TeamSpec, "vacant", integer=True),
    "referrals": bounds(DemandSpec, "referrals_per_week"),
    "waiting": bounds(WarmStartSpec, "unallocated", integer=True),
    "caseload": bounds(WarmStartSpec, "cases_per_worker"),
    "months": (1, MAX_MONTHS),
    "off_weeks": bounds(OffSick, "weeks", integer=True),
    "naas_share": (round(100 * _SHARE[0]), round(100 * _SHARE[1])),  # per cent
    "demand_percent": bounds(DemandChange, "percent"),
    "cover_days": bounds(CoverSpec, "urgent_to_colleagues_after_days", integer=True),
    "reps": (2, bounds(Scenario, "replications", integer=True)[1]),  # an interval needs 2
    "seed": (_SEED[0], min(_SEED[1], BROWSER_INT)),
}


def team_line(scenario: Scenario) -> str:
    """Exactly which posts the run uses, from the scenario it runs: '12 posts: 9 permanent,
    1 newly qualified, 2 agency, none vacant'."""
    t = scenario.team
    total = t.permanent + t.newly_qualified + t.agency + t.vacant
    vacant = "none vacant" if not t.vacant else f"{t.vacant} vacant"
    if t.vacant:
        r = scenario.recruitment
        vacant += (
            " (covered by agency while recruiting)"
            if r.agency_instead_of_vacancy
            else " (empty while recruiting)"
        )
    posts = "post" if total == 1 else "posts"
    line = (
        f"{total} {posts}: {t.permanent} permanent, {t.newly_qualified} newly qualified, "
        f"{t.agency} agency, {vacant}"
    )
    state = scenario.start_state
    if state.active:
        waiting = sum(c.holder is None for c in state.cases)
        line += (
            f"; starts from your team's records on {state.as_of}: {len(state.cases):,} open "
            f"cases, {waiting:,} waiting"
        )
    return line


# Seconds of one worker's time per simulated working day: a base, each referral a week and
# each post (measured on a 2-core laptop-class machine, serial, 2026-12: 9 posts at 28 a
# week, 0.3 s a year; 1,000 a week, 6.4 s a year; 500 posts, 1.7 s a quarter).
SECONDS_A_DAY = (1e-3, 2.5e-5, 5e-5)


def run_seconds(scenario: Scenario, compared: bool = False, workers: int = 1) -> float:
    """A rough wall-clock estimate of the page's run: every replication (twice when it is
    compared with the first run, on the same chance events) spread over ``workers``."""
    base, per_referral, per_post = SECONDS_A_DAY
    t = scenario.team
    posts = t.permanent + t.newly_qualified + t.agency + t.vacant
    day = base + per_referral * scenario.demand.referrals_per_week + per_post * posts
    reps = scenario.replications * (2 if compared else 1)
    return reps * scenario.total_days * day / max(1, workers)


def duration_words(seconds: float) -> str:
    """'40 seconds', '3 minutes', '2.5 hours'."""
    if seconds < 90:
        return f"{max(1, round(seconds))} seconds"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} minutes"
    return f"{seconds / 3600:.1f} hours"


def events(form: TeamForm) -> list[dict]:
    """The scheduled events: absences (from today or a date), a post falling vacant, demand
    changing."""
    out: list[dict] = [*form.recorded_events] + [
        {
            "kind": "off_sick",
            "worker": a.worker,
            "date": (a.date or form.start_date).isoformat(),
            "weeks": a.weeks,
        }
        for a in form.off_now
    ]
    if form.vacancy_worker and form.vacancy_date:
        out.append(
            {
                "kind": "post_vacant",
                "worker": form.vacancy_worker,
                "date": form.vacancy_date.isoformat(),
            }
        )
    if form.demand_date and form.demand_percent:
        out.append(
            {
                "kind": "demand_change",
                "date": form.demand_date.isoformat(),
                "percent": form.demand_percent,
            }
        )
    return out


def overrides(form: TeamForm) -> list[str]:
    """The form as ``--set`` overrides. Warm-up is 0: the warm start is the team today."""
    sets = {
        "calendar.start_date": form.start_date.isoformat(),
        "warmup_days": 0,
        "horizon_days": max(1, round(form.months * WORKING_DAYS_A_MONTH)),
        "replications": form.replications,
        "seed": form.seed,
        "team.permanent": form.permanent,
        "team.newly_qualified": form.newly_qualified,
        "team.agency": form.agency,
        "team.vacant": form.vacant,
        "demand.referrals_per_week": form.referrals_per_week,
        "warm_start.unallocated": form.waiting_today,
        "warm_start.cases_per_worker": form.caseload_today,
        "events": events(form),
        "naas.rounds": (
            [{"date": form.naas_date.isoformat(), "share_tested": form.naas_share}]
            if form.naas_date
            else []
        ),
    }
    policy = COVER_POLICIES.get(form.cover_policy)
    if policy is None:
        raise FormError([f"Sick-leave cover: choose one of: {'; '.join(COVER_POLICIES)}"])
    for key, v in policy.items():
        sets[f"cover.{key}"] = form.cover_days if v == "N" else v
    notes = [  # an empty list has no assumption row to note (the check would refuse it)
        f"sources.{k}={json.dumps(RUN_NOTE if k in RUN_SETTINGS else PAGE_NOTE)}"
        for k, v in sets.items()
        if v != []
    ]
    return [f"{k}={_value(v)}" for k, v in sets.items()] + notes


def _in_words(problem: str) -> str:
    """'team.permanent: ...' -> 'Permanent social workers (team.permanent): ...'."""
    path = problem.split(":", 1)[0].strip().removeprefix("--set ")
    for key in sorted(FIELD_WORDS, key=len, reverse=True):
        if path == key or path.startswith(key + ".") or path.startswith(key + "["):
            return f"{FIELD_WORDS[key]} ({path}){problem[len(problem.split(':', 1)[0]) :]}"
    if path.startswith("events"):
        return f"Who is off / planned events ({path}){problem[len(problem.split(':', 1)[0]) :]}"
    return problem


def build(form: TeamForm, data: dict) -> tuple[Scenario, dict]:
    """The scenario the form describes and its resolved mapping; FormError, field by field."""
    cases = (data.get("start_state") or {}).get("cases") or []
    held = max((c.get("holder") or 0 for c in cases), default=0)
    if held > form.permanent + form.newly_qualified + form.agency:
        raise FormError(
            [
                f"Posts: your records' open cases are held by posts 1 to {held} (permanent, "
                f"then newly qualified, then agency); keep at least {held} posts (to ask what "
                "happens when someone leaves, use 'A post falls vacant')"
            ]
        )
    try:
        resolved = apply_overrides(data, overrides(form))
        scenario = validate(resolved)
    except ScenarioError as exc:
        raise FormError([_in_words(p) for p in exc.problems]) from None
    return scenario, resolved_dict(scenario)


def run_command(file_name: str, reps: int, seed: int) -> str:
    """The exact command line that re-runs the page's run from the scenario file."""
    return f"workload-sim run {file_name} --reps {reps} --seed {seed}"


def scenario_text(resolved: dict, name: str = PAGE_NAME) -> str:
    """The scenario file to download: every value resolved, so the CLI runs exactly this."""
    return scenario_yaml({**resolved, "name": name})
