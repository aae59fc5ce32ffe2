"""Reading an Ofsted Annex A workbook into the extract's tables (docs/data.md, "Standard
returns").

The lists are found by sheet name ("List 3", "List 3 - Referrals", ...) and their columns
by the header names of the Annex A specification (as in Social Finance's liia-tools,
``liiatools/annex_a_pipeline/spec/Annex_A_schema.yml``), matched loosely. Only the columns
below are read; every other column (names, gender, ethnicity, dates of birth, ages,
disability, sources, need codes) is skipped cell by cell and never kept. The child's id is
used once, inside this module, to link a referral to the assessment or section 47 enquiry
that followed it, as a number; it never reaches a table.

- List 3 (referrals) -> referrals: received = Date of referral; outcome = no_further_action
  when "Referral NFA?" is yes, else the pathway that followed (the child's first List 4
  assessment or List 5 section 47 enquiry starting on or within 90 days after the
  referral), ``assessment`` if none is on the lists; worker = Allocated Worker; urgency
  (not in Annex A) urgent for a section 47 enquiry, standard for an assessment; closed =
  the CIN Closure Date of the child's List 6 episode starting on or within 90 days after.
- List 4 (assessments) -> the referral's stage_start/stage_end: Continuous Assessment Start
  Date and Date of Authorisation; List 5 (section 47) -> Strategy discussion start date and
  Date of Initial Child Protection Conference.
- List 6 (children in need) -> open_cases: every row whose Case Status is not a closed
  episode and has no CIN Closure Date; pathway ``assessment`` for an open assessment, else
  ``child_in_need_plan``; worker = Allocated Worker (blank: waiting since the case began).
- staff: each Allocated Worker named on the team's lists (experienced, FTE 1.0) unless a
  CSWW file gives them (csww.py).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd

from .readers import ExtractError, parse_dates

ASSESSMENT, S47, CIN = "assessment", "s47_enquiry", "child_in_need_plan"
URGENCY = {S47: "urgent", ASSESSMENT: "standard"}  # Annex A has none: a proxy (docs/data.md)
LINK_DAYS = 90  # an assessment or enquiry starting this long after a referral follows it
HEADER_ROWS = 10  # the header row is looked for in the first rows of each list

# list -> {field: header pattern (lower-case, spaces collapsed)}
COLUMNS: dict[int, dict[str, str]] = {
    3: {
        "child": r"child.*id",
        "received": r"date.*referral",
        "nfa": r"nfa",
        "team": r"allocated.*team",
        "worker": r"allocated.*worker",
    },
    4: {
        "child": r"child.*id",
        "start": r"assessment.*start",
        "end": r"authori[sz]",
        "team": r"allocated.*team",
        "worker": r"allocated.*worker",
    },
    5: {
        "child": r"child.*id",
        "start": r"strategy.*discussion|section 47.*start|s47.*start",
        "end": r"^date.*(initial child protection conference|icpc)",
        "team": r"allocated.*team",
        "worker": r"allocated.*worker",
    },
    6: {
        "child": r"child.*id",
        "start": r"cin.*start",
        "closed": r"cin.*closure|closure.*date",
        "status": r"case.*status",
        "team": r"allocated.*team",
        "worker": r"allocated.*worker",
    },
}
REQUIRED = {3: ("child", "received"), 4: ("child", "start"), 5: ("child", "start")}
REQUIRED[6] = ("child", "status")
# what each extract column is called in the workbook (for the problems' lines)
SOURCE_NAMES = {
    "referrals": {
        "received": "Date of referral",
        "stage_start": "List 4/5 start date",
        "stage_end": "List 4 authorisation / List 5 ICPC date",
        "worker_id": "Allocated Worker",
    },
    "open_cases": {
        "referral_date": "CIN Start Date",
        "stage_since": "CIN Start Date",
        "waiting_since": "CIN Start Date",
        "worker_id": "Allocated Worker",
    },
}
_LABEL = re.compile(r"^\s*[a-z]\d?\)\s*", re.I)  # "a) Yes", "q) 6: Police", "p1) 5D: ..."


def cell_text(value) -> str:
    """A cell as text: dates as ISO, whole numbers (Excel serials) without '.0'."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def unlabel(text: str) -> str:
    """'a) Yes' -> 'yes', 'd) Open assessment' -> 'open assessment'."""
    return _LABEL.sub("", str(text)).strip().lower()


def _norm_header(value) -> str:
    return re.sub(r"\s+", " ", cell_text(value)).strip().lower()


def _read_list(ws, number: int, label: str) -> pd.DataFrame:
    """The wanted columns of one list as text with 'line' (the sheet's row)."""
    fields = COLUMNS[number]
    rows = ws.iter_rows(values_only=True)
    where: dict[str, int] = {}
    header_line = 0
    for i, row in enumerate(rows, start=1):
        heads = [_norm_header(v) for v in row]
        if any(re.search(fields["child"], h) for h in heads):
            for name, pattern in fields.items():
                hit = next((j for j, h in enumerate(heads) if re.search(pattern, h)), None)
                if hit is not None:
                    where[name] = hit
            header_line = i
            break
        if i >= HEADER_ROWS:
            break
    if not header_line:
        raise ExtractError(
            f"{label}: no header row with 'Child Unique ID' in its first {HEADER_ROWS} rows; "
            "keep the Annex A headers (docs/data.md)"
        )
    missing = [f for f in REQUIRED[number] if f not in where]
    if missing:
        raise ExtractError(
            f"{label}: no column for {missing[0]!r} (expected the Annex A header); "
            "keep the Annex A headers (docs/data.md)"
        )
    out: dict[str, list] = {"line": [], **{f: [] for f in fields}}
    for i, row in enumerate(rows, start=header_line + 1):
        values = {f: cell_text(row[j]) if j < len(row) else "" for f, j in where.items()}
        if not any(values.values()):
            continue
        out["line"].append(i)
        for f in fields:
            out[f].append(values.get(f, ""))
    return pd.DataFrame(out)


def _sheets(wb) -> dict[int, str]:
    found: dict[int, str] = {}
    for name in wb.sheetnames:
        m = re.match(r"^\s*list\s*(\d+)\b", name, re.I)
        if m and int(m.group(1)) in COLUMNS:
            found.setdefault(int(m.group(1)), name)
    return found


def read_lists(path: Path) -> tuple[dict[int, pd.DataFrame], dict[int, str]]:
    """Lists 3-6 of the workbook (List 3 required), child ids already numbers."""
    import openpyxl  # here, so that the command line starts fast without it

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise ExtractError(f"{path}: no such file; check the path") from None
    except Exception as exc:  # noqa: BLE001  (zip, XML and openpyxl errors alike)
        raise ExtractError(
            f"{path.name}: not a readable Excel workbook ({type(exc).__name__}); "
            "save the Annex A return as .xlsx"
        ) from None
    sheets = _sheets(wb)
    if 3 not in sheets:
        raise ExtractError(
            f"{path.name}: no sheet 'List 3' (referrals); found {', '.join(wb.sheetnames)}; "
            "give the Annex A workbook"
        )
    lists = {n: _read_list(wb[s], n, f"{path.name} sheet {s!r}") for n, s in sheets.items()}
    wb.close()
    codes: dict[str, int] = {}
    for frame in lists.values():  # child ids -> numbers, the text dropped
        frame["child"] = [codes.setdefault(c, len(codes)) for c in frame["child"]]
    return lists, {n: f"{path.name} sheet {s!r}" for n, s in sheets.items()}


def teams_of(lists: dict[int, pd.DataFrame]) -> list[str]:
    teams = pd.concat([f["team"] for f in lists.values()])
    return sorted({t for t in teams if t})


def choose_team(lists, team: str | None, path: Path) -> dict[int, pd.DataFrame]:
    """Only the chosen team's rows (all rows when the workbook has one team)."""
    teams = teams_of(lists)
    if team is None:
        if len(teams) > 1:
            raise ExtractError(
                f"{path.name}: {len(teams)} allocated teams ({'; '.join(teams)}); "
                "choose one with --team NAME"
            )
        return lists
    match = [t for t in teams if t.strip().lower() == team.strip().lower()]
    if not match:
        raise ExtractError(
            f"--team {team!r}: not an allocated team in {path.name} "
            f"(found: {'; '.join(teams) or 'none'})"
        )
    return {
        n: f[f["team"].str.strip().str.lower() == team.strip().lower()] for n, f in lists.items()
    }


def _link(refs: pd.DataFrame, other: pd.DataFrame) -> pd.Series:
    """For each referral, the index in ``other`` of the child's first start on or within
    LINK_DAYS after it (NaN if none)."""
    left = refs.loc[refs["_d"].notna(), ["_d", "child"]].reset_index().sort_values("_d")
    right = other.loc[other["_s"].notna(), ["_s", "child"]].reset_index(names="j")
    right = right.sort_values("_s")
    if left.empty or right.empty:
        return pd.Series(float("nan"), index=refs.index)
    m = pd.merge_asof(
        left,
        right,
        left_on="_d",
        right_on="_s",
        by="child",
        direction="forward",
        tolerance=pd.Timedelta(days=LINK_DAYS),
    )
    return m.set_index("index")["j"].reindex(refs.index)


def to_tables(all_lists, lists) -> dict[str, pd.DataFrame]:
    """referrals and open_cases as text frames of the extract's columns ('line' kept)."""
    refs = lists[3].copy()
    refs["_d"] = parse_dates(refs["received"])[0]
    empty = pd.DataFrame(columns=["line", "child", "start", "end", "team", "worker"])
    found = {}
    for n in (4, 5):
        other = all_lists.get(n, empty).copy()  # any team's: a referral may pass to another
        other["_s"] = parse_dates(other["start"])[0]
        other["_e"] = parse_dates(other["end"])[0]
        found[n] = (other, _link(refs, other))
    nfa = refs["nfa"].map(unlabel)
    outcome, start, end = [], [], []
    for i in refs.index:
        picks = []
        for n, path in ((4, ASSESSMENT), (5, S47)):
            other, link = found[n]
            j = link.get(i)
            if pd.notna(j):
                picks.append((other.at[int(j), "_s"], path, other.at[int(j), "_e"]))
        if nfa[i].startswith("y"):
            outcome.append("no_further_action")
            start.append("")
            end.append("")
        elif picks:
            when, path, until = min(picks, key=lambda p: p[0])
            outcome.append(path)
            start.append(when.date().isoformat())
            end.append(until.date().isoformat() if pd.notna(until) else "")
        else:
            outcome.append(ASSESSMENT if nfa[i].startswith("n") else "")
            start.append("")
            end.append("")
    referrals = pd.DataFrame(
        {
            "line": refs["line"],
            "referral_id": [f"r{k}" for k in range(len(refs))],
            "received": refs["received"],
            "outcome": outcome,
            "urgency": [URGENCY.get(o, "") for o in outcome],
            "worker_id": refs["worker"],
            "stage_start": start,
            "stage_end": end,
            "closed": _closures(all_lists, refs),
        }
    )
    return {"referrals": referrals, "open_cases": _open_cases(lists, refs, found)}


def _closures(all_lists, refs) -> list[str]:
    """Each referral's CIN Closure Date from List 6: the child's episode starting on or
    within LINK_DAYS after the referral (blank if none, or still open)."""
    if 6 not in all_lists:
        return [""] * len(refs)
    cin = all_lists[6].copy()
    cin["_s"] = parse_dates(cin["start"])[0]
    link = _link(refs, cin)
    return [cin.at[int(j), "closed"] if pd.notna(j) else "" for j in link]


def _open_cases(lists, refs, found) -> pd.DataFrame:
    cols = ["line", "case_id", "referral_date", "pathway", "stage_since", "worker_id"]
    if 6 not in lists:
        return pd.DataFrame(columns=[*cols, "waiting_since"])
    cin = lists[6]
    status = cin["status"].map(unlabel)
    open_ = ~status.str.contains("closed") & cin["closed"].eq("")
    cin = cin[open_]
    assess = status[open_].str.contains("assess")
    last_ref = refs.dropna(subset=["_d"]).groupby("child")["_d"].max()
    other4 = found[4][0]
    open_assess = other4[other4["_e"].isna() & other4["_s"].notna()].groupby("child")["_s"].max()
    began, since = [], []
    for child, start, is_assess in zip(cin["child"], cin["start"], assess, strict=True):
        ref = last_ref.get(child)
        first = start or (ref.date().isoformat() if ref is not None else "")
        began.append(first)
        a = open_assess.get(child) if is_assess else None
        since.append(a.date().isoformat() if a is not None else first)
    worker = cin["worker"].reset_index(drop=True)
    out = pd.DataFrame(
        {
            "line": cin["line"].to_numpy(),
            "case_id": [f"c{k}" for k in range(len(cin))],
            "referral_date": began,
            "pathway": [ASSESSMENT if a else CIN for a in assess],
            "stage_since": since,
            "worker_id": worker,
        }
    )
    out["waiting_since"] = out["stage_since"].where(worker.eq(""), "")
    return out


def staff_from_lists(lists) -> pd.DataFrame:
    """One row per worker named on the team's lists: experienced, FTE 1.0."""
    seen: dict[str, int] = {}
    for n in sorted(lists):
        for line, w in zip(lists[n]["line"], lists[n]["worker"], strict=True):
            if w:
                seen.setdefault(w, int(line))
    return pd.DataFrame(
        {
            "line": list(seen.values()),
            "worker_id": list(seen),
            "role": "experienced",
            "fte": "",
        }
    )
