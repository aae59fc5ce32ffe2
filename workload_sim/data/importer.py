"""``workload-sim import``: an extract -> a scenario of that team starting on the as-of date.

The scenario is the base scenario (the shipped default unless ``--base``) with every value
the records can give replaced and noted under ``sources:`` (file, rows, dates), the rest
kept with a note saying the records could not give it; ``start_state`` and ``events:`` hold
the team's state on the as-of date. Nothing here runs the model.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ..scenario.loading import load_scenario
from .fits import (
    ArrivalFit,
    DurationFit,
    Rate,
    Share,
    fit_arrivals,
    fit_duration,
    holidays_between,
    poisson_rate,
    ratio_rate,
    wilson,
    working_days,
)
from .interpret import AWAITING, NFA, SIGNPOST, referrals_in_window, staff_on
from .pseudonymise import pseudonymise
from .readers import Extract, ExtractError
from .standard import is_workbook, read_records
from .state import UNKNOWN_ABSENCE_WEEKS, absences_now, history_state, open_cases_state

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
DEFAULT_BASE = SCENARIOS / "adult_safeguarding_team.yaml"
CHILDREN_BASE = SCENARIOS / "children_in_need_team.yaml"  # an Annex A workbook's default
KEPT = "kept from the base scenario: "


@dataclass
class Imported:
    scenario: dict
    notes: dict[str, str]  # field path -> source note (also in scenario['sources'])
    kept: dict[str, str]  # field path -> why the base value was kept
    extract: Extract
    arrivals: ArrivalFit
    shares: dict[str, Share] = field(default_factory=dict)
    durations: list[DurationFit] = field(default_factory=list)
    rates: dict[str, Rate] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    rows: dict[str, tuple[int, int]] = field(default_factory=dict)  # read, kept


def _n(x: int) -> str:
    return f"{x:,}"


def _ci(ci: tuple[float, float], fmt: str = ".3g", level: float = 0.95) -> str:
    return f"{level:.0%} CI {ci[0]:{fmt}}-{ci[1]:{fmt}}"


def import_extract(
    folder: Path | Mapping[str, bytes],
    as_of: dt.date,
    base: Path | None = None,
    columns: Path | None = None,
    name: str = "my_team",
    level: float = 0.95,
    state: str = "auto",
    workforce: Path | None = None,
    team: str | None = None,
) -> Imported:
    """The scenario of the team in ``folder`` (or ``{file name: bytes}``, read in memory) on
    ``as_of`` with its notes, fits and report material; ``level`` is the intervals'
    confidence (notes and report). ``state``: where the open cases come from:
    ``open_cases`` (open_cases.csv, the extract's own date), ``history`` (rebuilt from
    referrals.csv and allocations.csv on ``as_of``: for a date before the
    extract's, as a backtest needs) or ``auto`` (history when referrals.csv has referrals
    after ``as_of``)."""
    base = Path(base or (CHILDREN_BASE if is_workbook(folder) else DEFAULT_BASE))
    sc = load_scenario(base)
    data = yaml.safe_load(base.read_text("utf-8"))
    extract = read_records(folder, columns, workforce, team)
    dups = pseudonymise(extract)
    pathways, urgencies = sc.pathways, sc.triage.urgency
    default_path = next(iter(sc.triage.case_mix))
    refs, counts = referrals_in_window(extract, as_of, pathways, urgencies, default_path)
    counts.update({f"duplicates_{k}": v for k, v in dups.items()})
    counts["awaiting_triage"] = int((refs["outcome"] == AWAITING).sum())
    notes: dict[str, str] = {}
    kept: dict[str, str] = {}
    first = refs["received"].min().date() if len(refs) else as_of
    opened = extract.frame("open_cases")["referral_date"].min()
    earliest = min(first, as_of, opened.date() if pd.notna(opened) else as_of)
    hols = holidays_between(earliest - dt.timedelta(days=400), as_of)
    received = refs["received"].to_numpy(dtype="datetime64[D]")
    span = f"{_n(len(refs))} referrals {first} to {as_of}"
    arr = fit_arrivals(received, first, as_of, hols, level)
    demand = data.setdefault("demand", {})
    if arr.per_week is None:
        kept["demand.referrals_per_week"] = KEPT + f"referrals.csv has {arr.note}"
    else:
        weeks = f"{arr.weeks} full weeks {arr.first_week} to {arr.last_week + dt.timedelta(days=6)}"
        demand["referrals_per_week"] = round(arr.per_week, 2)
        notes["demand.referrals_per_week"] = (
            f"fitted from referrals.csv: {span}; Poisson log-linear fit to {weeks}, the rate "
            f"at {as_of} ({_ci(arr.per_week_ci, '.1f', level=level)}; "
            f"overdispersion {arr.dispersion:.2f})"
        )
        demand["weekday_profile"] = arr.weekday_profile
        notes["demand.weekday_profile"] = (
            f"fitted from referrals.csv: referrals per working day by weekday, {span}"
            + (
                f"; {arr.off_days} received on a weekend or bank holiday counted in their week"
                if arr.off_days
                else ""
            )
        )
        if arr.growth is not None:
            demand["annual_growth"] = round(arr.growth, 4)
            notes["demand.annual_growth"] = (
                f"fitted from referrals.csv: trend of the weekly counts over {weeks} "
                f"({_ci(arr.growth_ci, level=level)} a year)"
            )
        else:
            kept["demand.annual_growth"] = (
                KEPT + f"{arr.weeks} weeks of referrals; a trend needs 26"
            )
        if arr.month_profile is not None:
            demand["month_profile"] = arr.month_profile
            notes["demand.month_profile"] = (
                f"fitted from referrals.csv: weekly counts over the trend by month, {weeks}"
            )
        else:
            kept["demand.month_profile"] = (
                KEPT + f"no seasonality fitted: {arr.weeks} weeks of referrals, less than a year"
            )
    shares = _shares(refs, sc, data, notes, kept, span, level)
    durations = _durations(refs, as_of, hols, pathways, level)
    staff, holders = staff_on(extract, as_of)
    rates = _team(staff, holders, as_of, data, notes, kept, level)
    later = counts["after_as_of"] > 0 if state == "auto" else state == "history"
    if later and "absence.sickness_days" in notes:
        notes["absence.sickness_days"] += (
            "; the extract runs past the date, so these are the 12 months to the extract's own date"
        )
    if later:  # the extract runs past the date: open_cases.csv is the state on a later day
        cases, state_counts = history_state(
            refs, extract, as_of, holders, pathways, urgencies, hols
        )
        state_note = (
            "rebuilt from referrals.csv"
            + (" and allocations.csv" if state_counts["linked_allocations"] else "")
            + f" (the extract runs past the date): {_n(len(cases))} open cases "
            f"({_n(state_counts['waiting'])} waiting) as at {as_of}; steps are not in the history, "
            "so a case whose enquiry had ended is at its last step and any other at its first; "
            "cases referred before referrals.csv begins are missing"
        )
    else:
        cases, state_counts = open_cases_state(extract, as_of, holders, pathways, urgencies, hols)
        state_note = (
            f"open_cases.csv: {_n(len(cases))} open cases ({_n(state_counts['waiting'])} "
            f"waiting) as at {as_of}"
        )
    events, absent = absences_now(extract, staff, holders, as_of, use_flags=not later)
    counts.update(state_counts)
    counts.update(absent)
    data["name"] = name
    data["description"] = (
        f"The team as its own records show it on {as_of} (workload-sim import): demand, "
        "triage, team and absences from the records, its open cases as the starting state"
    )
    data["calendar"] = {**data.get("calendar", {}), "start_date": as_of}
    data["warmup_days"] = 0
    data["warm_start"] = {"cases_per_worker": 0, "unallocated": 0}
    notes["warm_start"] = (
        "the team's own open cases on the as-of date (start_state): no synthetic warm start"
    )
    data["start_state"] = {
        "as_of": as_of,
        "source": state_note,
        "cases": cases,
    }
    data["events"] = events
    notes["events"] = (
        f"staff.csv/absences.csv: {len(events)} case-holding worker(s) off sick on {as_of}"
        + (
            f"; {absent['no_return_date']} with no return date taken as "
            f"{UNKNOWN_ABSENCE_WEEKS} weeks"
            " (assumption)"
            if absent["no_return_date"]
            else ""
        )
    )
    sources = dict(data.get("sources") or {})
    for key in list(sources):
        if any(key == k or key.startswith(k + ".") for k in notes):
            del sources[key]
    for key, why in kept.items():
        if key in sources:
            sources[key] = f"{why}; its source: {sources[key]}"
    labels = {n: t.label or f"{n}.csv" for n, t in extract.tables.items()}
    for key, note in notes.items():  # a standard return's notes name its sheet or file
        for n, label in labels.items():
            note = note.replace(f"{n}.csv", label)
        notes[key] = note
    sources.update(notes)
    data["sources"] = sources
    for p in extract.problems:  # a standard return's problems name its sheet or file
        for n, label in labels.items():
            if p.file == f"{n}.csv":
                p.file = label
    refused = {(p.file, p.row) for p in extract.problems if p.refused}
    rows = {
        n: (t.rows_read, t.rows_read - sum(f == labels[n] for f, _ in refused))
        for n, t in extract.tables.items()
    }
    return Imported(data, notes, kept, extract, arr, shares, durations, rates, counts, rows)


def _rounded(shares: dict[str, float]) -> dict[str, float]:
    """Shares rounded to 4 places, summing to exactly 1 (the largest takes the remainder)."""
    out = {k: round(v, 4) for k, v in shares.items()}
    big = max(out, key=out.get)
    out[big] = round(1.0 - sum(v for k, v in out.items() if k != big), 4)
    return out


def _shares(refs: pd.DataFrame, sc, data: dict, notes, kept, span: str, level) -> dict[str, Share]:
    found: dict[str, Share] = {}
    triage = data.setdefault("triage", {})
    decided = refs[~refs["outcome"].isin([AWAITING, "unknown"])]
    n = len(decided)
    if n < 20:
        kept["triage.open_case"] = KEPT + f"only {n} triage decisions in referrals.csv; 20 needed"
        return found
    opened = decided["outcome"].isin(list(sc.pathways))
    raw = {
        "open_case": opened.sum(),
        "no_further_action": (decided["outcome"] == NFA).sum(),
        "signpost": (decided["outcome"] == SIGNPOST).sum(),
    }
    for k, c in raw.items():
        found[f"triage.{k}"] = wilson(int(c), n, level)
    triage.update(_rounded({k: c / n for k, c in raw.items()}))
    for k, c in raw.items():
        s = found[f"triage.{k}"]
        notes[f"triage.{k}"] = (
            f"fitted from referrals.csv: {_n(int(c))} of {_n(n)} triage decisions ({span}); "
            f"{_ci(s.ci, level=level)}"
        )
    mix = decided.loc[opened, "outcome"].value_counts()
    if len(mix):
        triage["case_mix"] = _rounded({k: c / mix.sum() for k, c in mix.items()})
        notes["triage.case_mix"] = (
            f"fitted from referrals.csv: pathways of {_n(int(mix.sum()))} opened cases ({span})"
        )
    urg = decided.loc[opened, "urgency"]
    urg = urg[urg.ne("")].value_counts()
    if urg.sum() >= 20:
        shares = _rounded({k: urg.get(k, 0) / urg.sum() for k in sc.triage.urgency})
        given = data.setdefault("triage", {}).setdefault("urgency", {})
        for k, s in shares.items():
            given.setdefault(k, {})["share"] = s
            found[f"triage.urgency.{k}.share"] = wilson(int(urg.get(k, 0)), int(urg.sum()), level)
            notes[f"triage.urgency.{k}.share"] = (
                f"fitted from referrals.csv: {_n(int(urg.get(k, 0)))} of {_n(int(urg.sum()))} "
                f"opened cases with an urgency ({span})"
            )
    else:
        kept["triage.urgency"] = KEPT + "fewer than 20 opened cases give an urgency"
    return found


def _durations(refs: pd.DataFrame, as_of: dt.date, hols, pathways, level) -> list[DurationFit]:
    """Stage durations in working days, stages still open on the as-of date right-censored.
    Reported in the data report, not mapped onto pathway steps: each includes waiting for a
    worker's time, which the model produces from effort and capacity (docs/data.md)."""
    opened = refs[refs["outcome"].isin(list(pathways))]
    end = np.datetime64(as_of, "D")
    out = []
    specs = [
        ("referral to first allocation", "received", "allocated", "closed"),
        ("enquiry or assessment (stage_start to stage_end)", "stage_start", "stage_end", "closed"),
        ("allocation to closure", "allocated", "closed", None),
    ]
    for name, a, b, stop in specs:
        rows = opened[opened[a].notna()]
        start = rows[a].to_numpy(dtype="datetime64[D]")
        finish = rows[b].to_numpy(dtype="datetime64[D]")
        ended = ~np.isnat(finish)
        cens = np.full(len(rows), end)
        if stop is not None:  # closed without the stage ending: censored at closure
            closed = rows[stop].to_numpy(dtype="datetime64[D]")
            cens = np.where(np.isnat(closed), cens, closed)
        when = np.where(ended, finish, cens)
        month = start.astype("datetime64[M]")
        days = working_days(start, when, hols)
        out.append(fit_duration(name, days, ended, level, clusters=month))
    return out


def _team(staff: pd.DataFrame, holders: pd.DataFrame, as_of: dt.date, data, notes, kept, level):
    team = data.setdefault("team", {})
    wf = data.setdefault("workforce", {})
    counts = holders["role"].value_counts()
    vacant = int((staff["in_post"] & staff["role"].eq("vacant")).sum())
    n_staff = len(staff)
    for role in ("permanent", "newly_qualified", "agency"):
        team[role] = int(counts.get(role, 0))
        notes[f"team.{role}"] = (
            f"staff.csv: {team[role]} {role.replace('_', ' ')} worker(s) in post on {as_of} "
            f"(of {n_staff} staff rows)"
        )
    team["vacant"] = vacant
    notes["team.vacant"] = f"staff.csv: {vacant} post(s) with role 'vacant' open on {as_of}" + (
        "" if vacant else " (a funded post left unfilled is a row with role vacant)"
    )
    if len(holders) == 0:
        raise ExtractError(
            f"staff.csv: no case-holding worker (experienced, newly_qualified, agency) in post "
            f"on {as_of}; check the roles and start and end dates"
        )
    for role in ("permanent", "newly_qualified", "agency"):
        sel = holders[holders["role"] == role]
        if len(sel):
            wf.setdefault(role, {})["fte"] = round(float(sel["fte"].mean()), 3)
            caps = sel["caseload_cap"].dropna()
            caps = caps[caps > 0]
            if len(caps):
                wf[role]["caseload_cap"] = float(caps.median())
                notes[f"workforce.{role}.caseload_cap"] = (
                    f"staff.csv: median caseload cap of {len(caps)} {role} worker(s) in post "
                    f"on {as_of} with a cap set"
                )
            notes[f"workforce.{role}.fte"] = (
                f"staff.csv: mean FTE of {len(sel)} {role} worker(s) in post on {as_of}"
            )
    rates = {}
    year_ago = pd.Timestamp(as_of) - pd.Timedelta(days=365)
    cutoff = pd.Timestamp(as_of)
    start = staff["start_date"].fillna(year_ago).clip(lower=year_ago)
    stop = staff["end_date"].fillna(cutoff).clip(upper=cutoff)
    years = ((stop - start).dt.days.clip(lower=0) / 365.25).to_numpy()
    case_staff = staff["role"].isin(["permanent", "newly_qualified", "agency"]).to_numpy()
    sick = staff["sickness_days_12m"].to_numpy()
    has = case_staff & ~np.isnan(sick) & (years > 0)
    if has.sum() >= 3:
        r = ratio_rate(sick[has], (staff["fte"].to_numpy() * years)[has], level=level)
        rates["absence.sickness_days"] = r
        data.setdefault("absence", {})["sickness_days"] = round(r.rate, 2)
        notes["absence.sickness_days"] = (
            f"staff.csv: {r.count:,.0f} sickness days over {r.exposure:.1f} FTE-years in the 12 "
            f"months to {as_of}, {has.sum()} workers ({_ci(r.ci, '.1f', level=level)} days "
            "per FTE; a small team's year may see none of the long episodes that make up "
            "much of the long-run rate: docs/data.md); measured "
            "sickness already includes the effect of pressure, which the model adds on top"
        )
    else:
        kept["absence.sickness_days"] = (
            KEPT + "staff.csv gives sickness days for fewer than 3 workers"
        )
    perm = staff["role"].isin(["permanent", "newly_qualified"]).to_numpy()
    left = perm & staff["end_date"].between(year_ago, cutoff, inclusive="right").to_numpy()
    reason = staff["end_reason"].str.lower()
    moved = reason.str.contains("assignment|internal|transfer", regex=True).to_numpy()
    leavers = int((left & ~moved).sum())
    exposure = float(years[perm].sum())
    if exposure >= 1:
        r = poisson_rate(leavers, exposure, level)
        rates["workforce.permanent.leaving_rate_per_year"] = r
        wf.setdefault("permanent", {})["leaving_rate_per_year"] = round(r.rate, 4)
        notes["workforce.permanent.leaving_rate_per_year"] = (
            f"staff.csv: {leavers} leaver(s) over {exposure:.1f} person-years of council staff "
            f"in the 12 months to {as_of} ({_ci(r.ci, '.3f', level=level)}); measured leaving "
            "includes the "
            "effect of pressure, which the model adds on top"
        )
    else:
        kept["workforce.permanent.leaving_rate_per_year"] = (
            KEPT + "under a person-year of council staff"
        )
    filled = len(holders)
    share = counts.get("agency", 0) / filled
    rates["agency_share"] = Rate(counts.get("agency", 0), filled, share, (math.nan, math.nan))
    return rates
