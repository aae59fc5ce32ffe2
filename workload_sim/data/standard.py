"""Which records ``workload-sim import DATA`` was given: a folder holding the CSV extract,
or an Annex A workbook (.xlsx) with, optionally, a CSWW XML for staff (``--workforce``).
Either way the result is the same ``Extract`` (docs/data.md)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from .readers import Extract, ExtractError, Problem, extract_from_frames, read_extract

WORKBOOK = (".xlsx", ".xlsm")


def is_workbook(data) -> bool:
    """An Annex A workbook's path (an upload held in memory is a CSV extract)."""
    return not isinstance(data, Mapping) and Path(data).suffix.lower() in WORKBOOK


def read_records(
    data: Path,
    columns: Path | None = None,
    workforce: Path | None = None,
    team: str | None = None,
) -> Extract:
    if isinstance(data, Mapping):  # an upload on the page, read in memory
        return read_extract(data, columns)
    data = Path(data)
    if data.is_dir():
        if workforce is not None or team is not None:
            raise ExtractError(
                f"{data}: --workforce and --team go with an Annex A workbook (.xlsx), "
                "not the CSV extract"
            )
        return read_extract(data, columns)
    if data.suffix.lower() == ".xml":
        raise ExtractError(
            f"{data.name}: a workforce census gives staff only; give the Annex A workbook "
            "as DATA and the XML with --workforce"
        )
    if not is_workbook(data):
        raise ExtractError(
            f"{data}: give a folder holding the CSV extract or an Annex A workbook (.xlsx)"
        )
    if columns is not None:
        raise ExtractError("--columns renames CSV columns; an Annex A workbook keeps its headers")
    return read_annex(data, workforce, team)


def read_annex(path: Path, workforce: Path | None, team: str | None) -> Extract:
    from .annex_a import SOURCE_NAMES, choose_team, read_lists, staff_from_lists, to_tables
    from .csww import read_csww

    all_lists, labels = read_lists(path)
    lists = choose_team(all_lists, team, path)
    frames = to_tables(all_lists, lists)
    notes: list[Problem] = []
    list_staff = staff_from_lists(lists)
    staff_label = f"{path.name} (allocated workers)"
    if workforce is not None:
        census, _ = read_csww(Path(workforce))
        named = set(list_staff["worker_id"])
        if team is not None:  # the census is the whole authority's: keep the team's
            census = census[census["worker_id"].isin(named)]
            if census.empty:
                notes.append(
                    Problem(
                        Path(workforce).name,
                        None,
                        "SWENo",
                        f"no census worker is an allocated worker of team {team!r}; "
                        "staff taken from the workbook's allocated workers",
                    )
                )
        extra = list_staff[~list_staff["worker_id"].isin(set(census["worker_id"]))]
        if len(census) and len(extra):
            notes.append(
                Problem(
                    path.name,
                    None,
                    "Allocated Worker",
                    f"{len(extra)} allocated worker(s) not in the census; "
                    "each taken as experienced, FTE 1.0",
                )
            )
        frames["staff"] = pd.concat([census, extra], ignore_index=True)
        staff_label = f"{Path(workforce).name} CSWWWorker"
    else:
        frames["staff"] = list_staff
    names = {
        "referrals": labels[3],
        "open_cases": labels.get(6, f"{path.name} (no List 6)"),
        "staff": staff_label,
    }
    extract = extract_from_frames(frames, names, "xlsx")
    for p in extract.problems:  # the workbook's own column names in the lines
        for table, label in names.items():
            if p.file == label and p.column in SOURCE_NAMES.get(table, {}):
                p.column = SOURCE_NAMES[table][p.column]
    extract.problems[:0] = notes
    return extract
