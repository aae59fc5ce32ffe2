"""Reading the project's CSV extract: one file per table, documented columns only.

Every file is decoded as UTF-8 (with or without a byte-order mark) or, failing that,
Windows-1252; column names are matched after trimming and lower-casing (spaces and
hyphens read as underscores), after a ``--columns`` map renames local names. Columns not
documented here (names, dates of birth, addresses, notes) are dropped as the file is read
and never reach any later step. Each bad value is a ``Problem`` naming the file, row and
column and what was expected, never the value itself (it may be personal data).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

EXCEL_EPOCH = np.datetime64("1899-12-30", "D")  # Excel's day 0 (after its 1900 leap bug)
DATE_HELP = "a date (2025-03-31, 31/03/2025 or an Excel serial number)"
MAX_BYTES = 2_000_000_000
EARLIEST, LATEST = pd.Timestamp("1900-01-01"), pd.Timestamp("2100-12-31")


class ExtractError(Exception):
    """A file the import cannot use at all: one line naming it and the fix."""


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # id, date, text, number, flag
    required: bool
    meaning: str


def _c(name: str, kind: str, required: bool, meaning: str) -> Column:
    return Column(name, kind, required, meaning)


TABLES: dict[str, tuple[Column, ...]] = {
    "referrals": (
        _c("referral_id", "id", True, "the referral's id in the case system (replaced)"),
        _c("received", "date", True, "date the referral (concern) was received"),
        _c("triage_date", "date", False, "date of the triage decision"),
        _c("outcome", "text", False, "no_further_action, signpost, or the pathway opened"),
        _c("urgency", "text", False, "urgency given at triage (urgent, high, standard)"),
        _c("allocated", "date", False, "date first allocated to a named worker"),
        _c("worker_id", "id", False, "the worker allocated (replaced by a post number)"),
        _c("stage_start", "date", False, "enquiry or assessment start"),
        _c("stage_end", "date", False, "enquiry or assessment end"),
        _c("closed", "date", False, "closure date"),
        _c("closure_reason", "text", False, "why it closed"),
    ),
    "open_cases": (
        _c("case_id", "id", True, "the case's id (replaced; used only to find duplicates)"),
        _c("referral_date", "date", True, "date the referral was received"),
        _c("pathway", "text", False, "the case's pathway (s42_enquiry if blank)"),
        _c("urgency", "text", False, "urgency (standard if blank)"),
        _c("stage", "text", False, "the stage the case is at (a pathway step)"),
        _c("stage_since", "date", False, "date it reached that stage"),
        _c("worker_id", "id", False, "the worker holding it; blank: waiting"),
        _c("waiting_since", "date", False, "date it joined the waiting list"),
    ),
    "staff": (
        _c("worker_id", "id", True, "the worker's id (replaced by a post number)"),
        _c("role", "text", True, "experienced, newly_qualified, agency, manager or vacant"),
        _c("fte", "number", False, "full-time equivalent (1.0 if blank)"),
        _c("start_date", "date", False, "date they started in the team"),
        _c("end_date", "date", False, "date they left (blank: still in post)"),
        _c("end_reason", "text", False, "why they left"),
        _c("caseload_cap", "number", False, "caseload cap if set"),
        _c("sickness_days_12m", "number", False, "sickness days in the 12 months to as-of"),
        _c("absent_now", "flag", False, "yes if absent on the extract date"),
        _c("expected_back", "date", False, "expected return date if absent"),
    ),
    "absences": (
        _c("worker_id", "id", True, "the worker (replaced by a post number)"),
        _c("from", "date", True, "first day absent"),
        _c("to", "date", False, "last day absent (blank: still absent)"),
        _c("reason", "text", False, "sickness, annual leave, training, ..."),
    ),
    "allocations": (
        _c("case_id", "id", True, "the case (replaced)"),
        _c("referral_id", "id", False, "the referral's id as in referrals.csv (replaced)"),
        _c("worker_id", "id", True, "the worker (replaced by a post number)"),
        _c("from", "date", True, "allocated from"),
        _c("to", "date", False, "allocated to (blank: still held)"),
    ),
}
REQUIRED_FILES = ("referrals", "open_cases", "staff")


@dataclass
class Problem:
    file: str
    row: int | None  # the line in the file (the header is line 1)
    column: str | None
    what: str
    refused: bool = False  # the whole row was set aside

    def line(self) -> str:
        where = self.file + (f" row {self.row}" if self.row is not None else "")
        where += f", column {self.column}" if self.column else ""
        return f"{where}: {self.what}" + (" (row refused)" if self.refused else "")


@dataclass
class Table:
    name: str
    frame: pd.DataFrame  # documented columns only; 'line' = the row's line in the file
    rows_read: int
    encoding: str
    label: str = ""  # how problems name the source (default: the CSV file's name)


@dataclass
class Extract:
    tables: dict[str, Table] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def frame(self, name: str) -> pd.DataFrame:
        return self.tables[name].frame


def read_column_map(path: Path | None) -> dict[str, str]:
    """``--columns map.yaml``: ``{local name: documented name}`` (optionally under ``columns:``)."""
    if path is None:
        return {}
    try:
        data = yaml.safe_load(Path(path).read_text("utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        raise ExtractError(
            f"--columns {path}: not a readable YAML file; give 'local name: documented name' lines"
        ) from None
    data = data.get("columns", data) if isinstance(data, dict) else data
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise ExtractError(
            f"--columns {path}: expected a mapping of local column names to documented "
            "names (docs/data.md), e.g. 'Date Received: received'"
        )
    known = {c.name for cols in TABLES.values() for c in cols}
    bad = sorted(v for v in data.values() if _norm(v) not in known)
    if bad:
        raise ExtractError(
            f"--columns {path}: {len(bad)} target name(s) are not documented columns; "
            "use the names in docs/data.md"
        )
    return {_norm(str(k)): _norm(v) for k, v in data.items()}


def _norm(name: str) -> str:
    return str(name).strip().lstrip("\ufeff").lower().replace(" ", "_").replace("-", "_")


def decode(raw: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 with or without BOM, else Windows-1252 (latin-1 last)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="replace"), "utf-8 (with BOM)"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "latin-1"


def parse_dates(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(dates as datetime64[D] with NaT, bad mask): ISO, dd/mm/yyyy or Excel serials; blank
    is NaT and not bad."""
    text = values.astype(str).str.strip()
    blank = text.eq("") | text.str.lower().isin(["nan", "nat", "null", "none", "n/a"])
    iso = pd.to_datetime(text.str[:10], format="%Y-%m-%d", errors="coerce")
    uk = pd.to_datetime(text.str[:10], format="%d/%m/%Y", errors="coerce")
    num = pd.to_numeric(text, errors="coerce")
    serial_ok = num.between(1, 73_415) & (num == np.floor(num))  # 1900-01-01 to 2100-12-31
    serial = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    if serial_ok.any():
        days = num[serial_ok].astype("int64").to_numpy()
        serial[serial_ok] = pd.to_datetime(EXCEL_EPOCH + days.astype("timedelta64[D]"))
    out = iso.fillna(uk).fillna(serial)
    out = out.where(~blank & out.between(EARLIEST, LATEST))  # a year 1066 or 9999 is a typo
    return out, out.isna() & ~blank


def _flag(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    text = values.astype(str).str.strip().str.lower()
    yes = text.isin(["yes", "y", "true", "1"])
    no = text.isin(["no", "n", "false", "0", ""])
    return yes, ~(yes | no)


def read_table(path: Path, name: str, column_map: dict[str, str], as_text: bool = False) -> Table:
    """One file of the extract, documented columns only, values typed; problems kept."""
    label = path.name
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ExtractError(f"{label}: larger than 2 GB; export a shorter period")
        raw = path.read_bytes()
    except OSError as exc:
        raise ExtractError(f"{label}: cannot be read ({exc.strerror}); check the path") from None
    return table_from_bytes(raw, label, name, column_map)


def table_from_bytes(raw: bytes, label: str, name: str, column_map: dict[str, str]) -> Table:
    """One file of the extract from its bytes (a file read, or an upload held in memory)."""
    if len(raw) > MAX_BYTES:
        raise ExtractError(f"{label}: larger than 2 GB; export a shorter period")
    text, encoding = decode(raw)
    try:
        frame = pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, skip_blank_lines=True
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError):
        raise ExtractError(
            f"{label}: not a comma-separated file with a header row; save it as CSV"
        ) from None
    renamed = {}
    for col in frame.columns:
        key = _norm(col)
        renamed[col] = column_map.get(key, key)
    frame.columns = [renamed[c] for c in frame.columns]
    spec = TABLES[name]
    wanted = [c.name for c in spec]
    missing = [c.name for c in spec if c.required and c.name not in frame.columns]
    if missing:
        raise ExtractError(
            f"{label}: no column {missing[0]!r} (expected {', '.join(wanted)}); name a local "
            "column with --columns map.yaml (docs/data.md)"
        )
    frame = frame.loc[:, ~pd.Index(frame.columns).duplicated()]
    keep = [c for c in wanted if c in frame.columns]
    frame = frame[keep].copy()  # everything undocumented is dropped here, unread
    for c in wanted:
        if c not in frame.columns:
            frame[c] = ""
    frame.insert(0, "line", np.arange(2, len(frame) + 2))
    return Table(name, frame, len(frame), encoding)


def type_columns(table: Table, problems: list[Problem]) -> None:
    """Dates to dates, numbers to numbers, flags to bools; a bad value is a problem and
    becomes blank; a bad or blank required value refuses the row."""
    frame, label = table.frame, table.label or table.name + ".csv"
    refuse = np.zeros(len(frame), dtype=bool)
    for col in TABLES[table.name]:
        values = frame[col.name]
        if col.kind == "date":
            parsed, bad = parse_dates(values)
            frame[col.name] = parsed
            _note(problems, label, frame, bad, col.name, f"expected {DATE_HELP}", col.required)
        elif col.kind == "number":
            text = values.astype(str).str.strip()
            num = pd.to_numeric(text, errors="coerce")
            bad = (num.isna() & text.ne("")) | (num < 0)
            frame[col.name] = num.where(~bad)
            _note(problems, label, frame, bad, col.name, "expected a number >= 0", col.required)
        elif col.kind == "flag":
            yes, bad = _flag(values)
            frame[col.name] = yes
            _note(problems, label, frame, bad, col.name, "expected yes or no", False)
        else:
            frame[col.name] = values.astype(str).str.strip()
        if col.required:
            blank = frame[col.name].isna() | frame[col.name].astype(str).eq("")
            if col.kind == "date":
                blank = frame[col.name].isna()
            _note_blank(problems, label, frame, blank & ~refuse, col.name)
            refuse |= blank.to_numpy()
    table.frame = frame[~refuse].reset_index(drop=True)


def _note(problems, label, frame, bad, column, what, required) -> None:
    for line in frame.loc[bad.to_numpy(), "line"]:
        problems.append(
            Problem(label, int(line), column, what + ("" if required else "; value left blank"))
        )


def _note_blank(problems, label, frame, blank, column) -> None:
    for line in frame.loc[np.asarray(blank), "line"]:
        problems.append(Problem(label, int(line), column, "required value missing", True))


def read_extract(
    folder: Path | Mapping[str, bytes], column_map_path: Path | None = None
) -> Extract:
    """Every table of the extract in ``folder`` (the three required ones must be there); a
    mapping of file names to bytes is read in memory (``read_files``)."""
    if isinstance(folder, Mapping):
        return read_files(folder, read_column_map(column_map_path))
    folder = Path(folder)
    if not folder.is_dir():
        raise ExtractError(f"{folder}: not a folder; give the folder holding referrals.csv")
    column_map = read_column_map(column_map_path)
    extract = Extract()
    for name in REQUIRED_FILES:
        if _find(folder, name) is None:
            raise ExtractError(
                f"{folder}: no {name}.csv; the extract needs referrals.csv, "
                "open_cases.csv and staff.csv (docs/data.md)"
            )
    for name in TABLES:
        path = _find(folder, name)
        if path is None:
            continue
        table = read_table(path, name, column_map)
        type_columns(table, extract.problems)
        extract.tables[name] = table
    return extract


def read_files(files: Mapping[str, bytes], column_map: dict[str, str] | None = None) -> Extract:
    """Every table of an extract held in memory as ``{file name: bytes}`` (an upload on the
    team leader's page): read exactly as ``read_extract`` reads a folder, nothing written."""
    by_name = {Path(k).name.lower(): v for k, v in files.items()}
    missing = [f"{n}.csv" for n in REQUIRED_FILES if f"{n}.csv" not in by_name]
    if missing:
        raise ExtractError(
            f"the upload has no {', '.join(missing)}; the extract needs referrals.csv, "
            "open_cases.csv and staff.csv (docs/data.md)"
        )
    extract = Extract()
    for name in TABLES:
        if f"{name}.csv" not in by_name:
            continue
        table = table_from_bytes(by_name[f"{name}.csv"], f"{name}.csv", name, column_map or {})
        type_columns(table, extract.problems)
        extract.tables[name] = table
    return extract


def extract_from_frames(
    frames: dict[str, pd.DataFrame], labels: dict[str, str], encoding: str
) -> Extract:
    """An extract from tables another reader built (the standard returns: annex_a.py,
    csww.py): each frame holds documented columns as text and 'line' (the row in its
    source); typed here exactly as a CSV file's would be."""
    extract = Extract()
    for name, frame in frames.items():
        spec = [c.name for c in TABLES[name]]
        frame = frame.copy()
        for c in spec:
            if c not in frame.columns:
                frame[c] = ""
        frame = frame[["line", *spec]]
        table = Table(name, frame, len(frame), encoding, labels.get(name, ""))
        type_columns(table, extract.problems)
        extract.tables[name] = table
    return extract


def _find(folder: Path, name: str) -> Path | None:
    for p in sorted(folder.iterdir()):
        if p.is_file() and p.name.lower() == f"{name}.csv":
            return p
    return None


def to_date(value) -> dt.date:
    return pd.Timestamp(value).date()
