"""What the extract's values mean: outcomes, urgencies, roles and stages read into the
scenario's words, dates checked against each other and against the as-of date.

Anything dated after the as-of date has not happened yet on that date (a referral received
later is outside the window; a closure later leaves the case open), so an extract taken
later can be imported as at an earlier date. Every value that cannot be read is a problem
in the data report, never dropped unsaid.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from .readers import Extract, Problem

NFA, SIGNPOST, AWAITING = "no_further_action", "signpost", "awaiting_triage"
OUTCOME_ALIASES = {
    "nfa": NFA,
    "no_further_action": NFA,
    "no_further_action_(nfa)": NFA,
    "closed_nfa": NFA,
    "signpost": SIGNPOST,
    "signposted": SIGNPOST,
    "advice_and_information": SIGNPOST,
    "information_and_advice": SIGNPOST,
}
OPEN_ALIASES = ("open", "opened", "open_case", "s42", "section_42", "enquiry")
URGENCY_ALIASES = {
    "routine": "standard",
    "normal": "standard",
    "immediate": "urgent",
    "emergency": "urgent",
    "medium": "high",
}
ROLE_ALIASES = {
    "experienced": "permanent",
    "permanent": "permanent",
    "social_worker": "permanent",
    "qualified": "permanent",
    "senior_social_worker": "permanent",
    "newly_qualified": "newly_qualified",
    "nqsw": "newly_qualified",
    "asye": "newly_qualified",
    "agency": "agency",
    "locum": "agency",
    "manager": "manager",
    "team_manager": "manager",
    "practice_manager": "manager",
    "vacant": "vacant",
}
CASE_ROLES = ("permanent", "newly_qualified", "agency")


def norm(value: str) -> str:
    return str(value).strip().lower().replace(" ", "_").replace("-", "_")


def norm_all(values: pd.Series) -> pd.Series:
    """``norm`` of every value, vectorised."""
    return values.astype(str).str.strip().str.lower().str.replace(" ", "_").str.replace("-", "_")


def referrals_in_window(extract: Extract, as_of: dt.date, pathways, urgencies, default_path):
    """The referrals received up to the as-of date, their outcome on that date, urgency and
    pathway in the scenario's words; problems noted. Returns (frame, counts)."""
    frame = extract.frame("referrals").copy()
    problems, label = extract.problems, "referrals.csv"
    cutoff = pd.Timestamp(as_of)
    later = frame["received"] > cutoff
    counts = {"after_as_of": int(later.sum())}
    frame = frame[~later].reset_index(drop=True)
    triaged_later = frame["triage_date"] > cutoff
    for col in ("triage_date", "allocated", "stage_start", "stage_end", "closed"):
        before = frame[col] < frame["received"]
        for line in frame.loc[before, "line"]:
            problems.append(
                Problem(label, int(line), col, "dated before 'received'; value left blank")
            )
        frame.loc[before, col] = pd.NaT
        counts[f"{col}_before_received"] = int(before.sum())
        later_col = frame[col] > cutoff
        counts[f"{col}_after_as_of"] = int(later_col.sum())
        frame.loc[later_col, col] = pd.NaT  # not happened yet on the as-of date
    out_of_order = frame["stage_end"] < frame["stage_start"]
    for line in frame.loc[out_of_order, "line"]:
        problems.append(
            Problem(label, int(line), "stage_end", "before stage_start; value left blank")
        )
    frame.loc[out_of_order, "stage_end"] = pd.NaT
    counts["stage_end_before_start"] = int(out_of_order.sum())
    outcome = norm_all(frame["outcome"])
    resolved = outcome.map(OUTCOME_ALIASES)
    is_path = outcome.isin(list(pathways))
    resolved = resolved.where(~is_path, outcome)
    resolved = resolved.where(~outcome.isin(OPEN_ALIASES), default_path)
    blank = outcome.eq("")
    resolved = resolved.where(~blank, AWAITING)
    unknown = resolved.isna()
    for line in frame.loc[unknown, "line"]:
        problems.append(
            Problem(
                label,
                int(line),
                "outcome",
                f"not {NFA}, {SIGNPOST} or a pathway ({', '.join(pathways)}); "
                "left out of the triage shares",
            )
        )
    frame["outcome"] = resolved.fillna("unknown")
    frame.loc[triaged_later.to_numpy(), "outcome"] = AWAITING  # not decided yet on the date
    frame["urgency"] = _urgency(
        frame, urgencies, problems, label, frame["outcome"].isin(list(pathways))
    )
    counts["unknown_outcome"] = int(unknown.sum())
    return frame, counts


def _urgency(frame, urgencies, problems, label, opened) -> pd.Series:
    value = norm_all(frame["urgency"]).replace(URGENCY_ALIASES)
    unknown = ~value.isin(list(urgencies)) & (value.ne("") | opened)
    for line in frame.loc[unknown & opened, "line"]:
        problems.append(
            Problem(
                label,
                int(line),
                "urgency",
                f"not one of {', '.join(urgencies)}; left out of the urgency mix",
            )
        )
    return value.where(~unknown, "")


def staff_on(extract: Extract, as_of: dt.date):
    """Staff in post on the as-of date with their role; roles read; problems noted.
    Returns (all staff with 'role' read, the case-holding staff in post in post order)."""
    frame = extract.frame("staff").copy()
    problems = extract.problems
    role = norm_all(frame["role"]).map(ROLE_ALIASES)
    bad = role.isna()
    for line in frame.loc[bad, "line"]:
        problems.append(
            Problem(
                "staff.csv",
                int(line),
                "role",
                "not experienced, newly_qualified, agency, manager or vacant",
                True,
            )
        )
    frame = frame[~bad].copy()
    frame["role"] = role[~bad]
    frame["fte"] = frame["fte"].fillna(1.0)
    over = frame["fte"] > 1.5
    for line in frame.loc[over, "line"]:
        problems.append(Problem("staff.csv", int(line), "fte", "expected 0-1.5; taken as 1.0"))
    frame.loc[over | (frame["fte"] <= 0), "fte"] = 1.0
    cutoff = pd.Timestamp(as_of)
    ends_early = frame["end_date"] < frame["start_date"]
    for line in frame.loc[ends_early, "line"]:
        problems.append(Problem("staff.csv", int(line), "end_date", "before start_date", True))
    frame = frame[~ends_early]
    started = frame["start_date"].isna() | (frame["start_date"] <= cutoff)
    still = frame["end_date"].isna() | (frame["end_date"] > cutoff)
    frame["in_post"] = started & still
    order = {r: i for i, r in enumerate(CASE_ROLES)}
    holders = frame[frame["in_post"] & frame["role"].isin(CASE_ROLES)].copy()
    holders["order"] = holders["role"].map(order)
    holders = holders.sort_values(["order", "line"], kind="stable")
    holders["post"] = np.arange(1, len(holders) + 1)
    return frame, holders
