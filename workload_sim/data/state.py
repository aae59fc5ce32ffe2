"""The team's state on the as-of date: every open case at its step, how long it has been
open, who holds it (a post number) or how long it has waited, and who is absent.

Written in the scenario's ``start_state`` and ``events:`` schema (workload_sim/scenario/
start_state.py and scheduled.py): no case ids, no names; durations in working days.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

from .fits import working_days
from .interpret import URGENCY_ALIASES, norm, norm_all
from .readers import Extract, Problem

MAX_DAYS_OPEN = 5060  # the scenario's longest delay (20 years of working days)
UNKNOWN_ABSENCE_WEEKS = 4  # an absence with no expected return: assumption, said in the note
SICK_WORDS = ("sick", "ill", "")


def open_cases_state(
    extract: Extract, as_of: dt.date, holders: pd.DataFrame, pathways: dict, urgencies, hols
) -> tuple[list[dict], dict]:
    """The start_state cases, and counts for the note and the report."""
    frame = extract.frame("open_cases").copy()
    problems, label = extract.problems, "open_cases.csv"
    later = frame["referral_date"] > pd.Timestamp(as_of)
    for line in frame.loc[later, "line"]:
        problems.append(Problem(label, int(line), "referral_date", "after the as-of date", True))
    frame = frame[~later]
    default_path = next(iter(pathways))
    path = norm_all(frame["pathway"])
    unknown = ~path.isin(list(pathways)) & path.ne("")
    for line in frame.loc[unknown, "line"]:
        problems.append(
            Problem(
                label,
                int(line),
                "pathway",
                f"not a pathway ({', '.join(pathways)}); taken as {default_path}",
            )
        )
    path = path.where(path.isin(list(pathways)), default_path)
    urgency = norm_all(frame["urgency"]).replace(URGENCY_ALIASES)
    fallback = "standard" if "standard" in urgencies else list(urgencies)[-1]
    bad_u = ~urgency.isin(list(urgencies))
    for line in frame.loc[bad_u & urgency.ne(""), "line"]:
        problems.append(
            Problem(
                label,
                int(line),
                "urgency",
                f"not one of {', '.join(urgencies)}; taken as {fallback}",
            )
        )
    urgency = urgency.where(~bad_u, fallback)
    post_of = dict(zip(holders["worker"], holders["post"], strict=True))
    worker = frame["worker"].to_numpy()
    post = np.array([post_of.get(w, 0) for w in worker])
    gone = (worker >= 0) & (post == 0)
    for line in frame.loc[gone, "line"]:
        problems.append(
            Problem(
                label,
                int(line),
                "worker_id",
                "a worker not in post on the as-of date; taken as waiting",
            )
        )
    opened = frame["referral_date"].to_numpy(dtype="datetime64[D]")
    days_open = working_days(opened, as_of, hols)
    old = days_open > MAX_DAYS_OPEN
    for line in frame.loc[old, "line"]:
        problems.append(
            Problem(
                label,
                int(line),
                "referral_date",
                f"over {MAX_DAYS_OPEN:,} working days (20 years) before the as-of "
                "date; taken as 20 years",
            )
        )
    days_open = np.minimum(days_open, MAX_DAYS_OPEN)
    since = frame["waiting_since"].to_numpy(dtype="datetime64[D]")
    early = ~np.isnat(since) & (since < opened)
    for line in frame.loc[early, "line"]:
        problems.append(
            Problem(
                label, int(line), "waiting_since", "before referral_date; the referral date used"
            )
        )
    since = np.where(np.isnat(since) | early, opened, since)
    waited = working_days(since, as_of, hols)
    steps = {p: {norm(s.name): s.name for s in spec.steps} for p, spec in pathways.items()}
    cases, unmatched = [], 0
    for i, (p, stage, u) in enumerate(zip(path, norm_all(frame["stage"]), urgency, strict=True)):
        step = steps[p].get(stage) if stage else None
        if stage and step is None:
            unmatched += 1
            problems.append(
                Problem(
                    label,
                    int(frame["line"].iloc[i]),
                    "stage",
                    f"not a step of {p}; taken as not started",
                )
            )
        case = {"pathway": p, "step": step, "days_open": int(days_open[i]), "urgency": u}
        if post[i] > 0:
            case["holder"] = int(post[i])
        else:
            case["holder"] = None
            case["waiting_days"] = int(min(waited[i], days_open[i]))
        cases.append(case)
    waiting = sum(c["holder"] is None for c in cases)
    return cases, {
        "open": len(cases),
        "waiting": waiting,
        "stage_unmatched": unmatched,
        "after_as_of": int(later.sum()),
    }


def absences_now(
    extract: Extract,
    staff: pd.DataFrame,
    holders: pd.DataFrame,
    as_of: dt.date,
    use_flags: bool = True,
) -> tuple[list[dict], dict]:
    """off_sick events for case-holding workers absent through sickness on the as-of date
    (staff.csv's absent_now is the extract's own date: used only when that is the date)."""
    cutoff = pd.Timestamp(as_of)
    back: dict[int, pd.Timestamp | None] = {}
    flagged = staff[staff["absent_now"] & staff["in_post"] & use_flags]
    for w, b in zip(flagged["worker"], flagged["expected_back"], strict=True):
        back[int(w)] = None if pd.isna(b) else b
    if "absences" in extract.tables:
        ab = extract.frame("absences")
        reason = norm_all(ab["reason"])
        sick = reason.str.contains("sick|ill|stress", regex=True) | reason.eq("")
        now = (ab["from"] <= cutoff) & (ab["to"].isna() | (ab["to"] >= cutoff)) & sick
        for w, to in zip(ab.loc[now, "worker"], ab.loc[now, "to"], strict=True):
            b = None if pd.isna(to) else to + pd.Timedelta(days=1)
            old = back.get(int(w))
            back[int(w)] = b if old is None else max(old, b) if b is not None else old
    post_of = dict(zip(holders["worker"], holders["post"], strict=True))
    events, unknown = [], 0
    for w, b in sorted(back.items(), key=lambda kv: post_of.get(kv[0], 0)):
        if w not in post_of:
            continue
        if b is None:
            weeks, unknown = UNKNOWN_ABSENCE_WEEKS, unknown + 1
        else:
            weeks = max(1, math.ceil((b.date() - as_of).days / 7))
        events.append(
            {
                "kind": "off_sick",
                "worker": int(post_of[w]),
                "date": as_of,
                "weeks": int(min(weeks, 520)),
            }
        )
    return events, {"absent": len(events), "no_return_date": unknown}


def history_state(
    refs: pd.DataFrame,
    extract: Extract,
    as_of: dt.date,
    holders: pd.DataFrame,
    pathways,
    urgencies,
    hols,
) -> tuple[list[dict], dict]:
    """The open cases on a date before the extract's, rebuilt from referrals.csv (dates after
    ``as_of`` already blanked: not happened yet) and allocations.csv where it links cases to
    referrals: opened by the date and not closed by it. Steps are not in the history: a case
    whose enquiry (stage_end) had ended by the date is at its pathway's last step, any other
    starts at its first (said in the note). Starting every case at its first step kept the
    model's open cases far above the records' on the example extract (53% of weeks inside
    the 90% band from three start dates, against 88% with ended enquiries at their last step)."""
    opened = refs[refs["outcome"].isin(list(pathways)) & refs["closed"].isna()]
    post_of = dict(zip(holders["worker"], holders["post"], strict=True))
    cutoff = pd.Timestamp(as_of)
    holder = {}
    since = {}
    linked = False
    if "allocations" in extract.tables:
        al = extract.frame("allocations")
        al = al[(al["ref"] >= 0) & (al["from"] <= cutoff)]
        linked = len(al) > 0
        now = al[al["to"].isna() | (al["to"] > cutoff)].sort_values("from")
        holder = dict(zip(now["ref"], now["worker"], strict=False))
        ended = al[al["to"].notna() & (al["to"] <= cutoff)].sort_values("to")
        since = dict(zip(ended["ref"], ended["to"], strict=False))
    fallback = "standard" if "standard" in urgencies else list(urgencies)[-1]
    last_step = {p: spec.steps[-1].name for p, spec in pathways.items() if spec.steps}
    received = opened["received"].to_numpy(dtype="datetime64[D]")
    days_open = np.minimum(working_days(received, as_of, hols), MAX_DAYS_OPEN)
    cases, gone = [], 0
    for i, row in enumerate(opened.itertuples()):
        if linked:
            w = holder.get(row.ref, -1)
        else:  # no allocation history: the referral's worker, if allocated by the date
            w = row.worker if pd.notna(row.allocated) else -1
        post = post_of.get(w, 0)
        gone += w >= 0 and post == 0
        u = row.urgency if row.urgency in urgencies else fallback
        step = last_step.get(row.outcome) if pd.notna(row.stage_end) else None
        case = {"pathway": row.outcome, "step": step, "days_open": int(days_open[i]), "urgency": u}
        if post:
            case["holder"] = int(post)
        else:
            start = since.get(row.ref, row.received)
            wait = working_days(np.array([start], "datetime64[D]"), as_of, hols)[0]
            case["holder"] = None
            case["waiting_days"] = int(min(wait, days_open[i]))
        cases.append(case)
    waiting = sum(c["holder"] is None for c in cases)
    return cases, {
        "open": len(cases),
        "waiting": waiting,
        "holder_not_in_post": int(gone),
        "from_history": 1,
        "linked_allocations": int(linked),
    }
