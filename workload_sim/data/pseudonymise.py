"""Pseudonymisation at the door: identifiers are replaced by numbers before anything else.

Case and referral ids are used once, to find duplicates, then dropped; a worker id becomes
a number (``worker``: 0, 1, ... in staff.csv's order) shared by every table, and later a
post number. After ``pseudonymise`` no table holds an identifier from the extract; names
and dates of birth were never kept by the reader at all.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .readers import Extract, Problem

CASE_IDS = {"referrals": "referral_id", "open_cases": "case_id"}
WORKER_TABLES = ("staff", "referrals", "open_cases", "absences", "allocations")


def pseudonymise(extract: Extract) -> dict[str, int]:
    """Replace every identifier in place; returns the counts of duplicates refused per file."""
    duplicates = {}
    for name, col in CASE_IDS.items():
        if name in extract.tables:
            duplicates[name] = _drop_duplicates(extract, name, col)
    staff = extract.tables["staff"].frame
    staff_dups = staff["worker_id"].duplicated(keep="first")
    for line in staff.loc[staff_dups, "line"]:
        extract.problems.append(
            Problem("staff.csv", int(line), "worker_id", "the same worker twice", True)
        )
    duplicates["staff"] = int(staff_dups.sum())
    extract.tables["staff"].frame = staff[~staff_dups].reset_index(drop=True)
    codes: dict[str, int] = {}
    for wid in extract.tables["staff"].frame["worker_id"]:
        codes.setdefault(wid, len(codes))
    for name in WORKER_TABLES:
        if name not in extract.tables:
            continue
        frame = extract.tables[name].frame
        ids = frame["worker_id"].astype(str)
        unknown = ids.ne("") & ~ids.isin(list(codes))
        for line in frame.loc[unknown, "line"]:
            extract.problems.append(
                Problem(
                    f"{name}.csv",
                    int(line),
                    "worker_id",
                    "a worker not in staff.csv; treated as unallocated",
                )
            )
        frame["worker"] = ids.map(codes).fillna(-1).astype(int)
        extract.tables[name].frame = frame.drop(columns="worker_id")
    refs = extract.tables["referrals"].frame
    ref_of = dict(zip(refs["referral_id"], refs["ref"], strict=True))
    if "allocations" in extract.tables:
        frame = extract.tables["allocations"].frame
        frame["case"] = pd.factorize(frame["case_id"])[0]
        frame["ref"] = frame["referral_id"].map(ref_of).fillna(-1).astype(int)
        extract.tables["allocations"].frame = frame.drop(columns=["case_id", "referral_id"])
    for name, col in CASE_IDS.items():
        if name in extract.tables:
            extract.tables[name].frame = extract.tables[name].frame.drop(columns=col)
    return duplicates


def _drop_duplicates(extract: Extract, name: str, col: str) -> int:
    table = extract.tables[name]
    frame = table.frame
    dup = frame[col].duplicated(keep="first")
    first_line = frame.drop_duplicates(col).set_index(col)["line"]
    for line, ident in zip(frame.loc[dup, "line"], frame.loc[dup, col], strict=True):
        extract.problems.append(
            Problem(
                f"{name}.csv",
                int(line),
                col,
                f"duplicate of row {int(first_line[ident])} (the first is kept)",
                True,
            )
        )
    frame = frame[~dup].reset_index(drop=True)
    if name == "referrals":  # a number links a referral to its allocations, then the id goes
        frame["ref"] = np.arange(len(frame))
    table.frame = frame
    return int(dup.sum())
