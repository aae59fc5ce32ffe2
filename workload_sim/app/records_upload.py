"""'Start from my records' on the team leader's page: upload the extract, read it, run.

The upload is held in memory only (Streamlit keeps uploaded files in memory, per browser
session): the CSV files, or a zip of them, are read from their bytes by
``workload_sim.data.readers.read_files``; nothing is written to disk. What the session then
keeps is the import's result (counts, fitted values, post numbers: nothing personal), and
the data report as bytes for download. Messages never quote an uploaded value or file name
(either may be personal), only the documented file names.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import numpy as np
import streamlit as st

from ..data.readers import MAX_BYTES, TABLES, ExtractError, table_from_bytes, type_columns
from ..scenario.loading import ScenarioError, resolved_dict, validate

RECORDS = "My team's own records (an extract)"
FORM_KEYS = ("permanent", "newly_qualified", "agency", "vacant", "referrals", "n_off")
DAYS_AFTER = 14  # an as-of date this long after the last referral is still the extract's
KNOWN = {f"{name}.csv" for name in TABLES}


class RecordsError(ValueError):
    """One line for the page: what is wrong with the upload and what to do."""


@dataclass
class Records:
    """An imported extract as the page keeps it: nothing personal."""

    data: dict  # the imported scenario, validated and resolved
    as_of: dt.date
    lines: list[str]  # the data report's headline
    report_csv: bytes
    report_html: bytes
    open_cases: int
    waiting: int
    events: list[dict] = field(default_factory=list)  # the absences on the as-of date


def upload_files(uploads: list[tuple[str, bytes]]) -> dict[str, bytes]:
    """``{documented file name: bytes}`` from uploaded CSV files or zips of them, in memory.
    Files with other names are left unread."""
    files: dict[str, bytes] = {}
    for name, raw in uploads:
        if name.lower().endswith(".zip"):
            try:
                archive = zipfile.ZipFile(io.BytesIO(raw))
                members = [i for i in archive.infolist() if not i.is_dir()]
            except (zipfile.BadZipFile, OSError):
                raise RecordsError(
                    "A .zip in the upload is not a zip file that can be opened; upload the "
                    "CSV files themselves or zip them again"
                ) from None
            for info in members:
                base = PurePosixPath(info.filename).name.lower()
                if base not in KNOWN or info.filename.startswith("__MACOSX"):
                    continue
                if info.file_size > MAX_BYTES:
                    raise RecordsError(f"{base} in the zip: larger than 2 GB; export less")
                try:
                    files[base] = archive.read(info)
                except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError):
                    raise RecordsError(
                        f"{base} in the zip cannot be unpacked (encrypted or damaged); "
                        "upload the CSV file itself"
                    ) from None
        else:
            files[PurePosixPath(name).name.lower()] = raw
    return {k: v for k, v in files.items() if k in KNOWN}


def referral_dates(files: dict[str, bytes]) -> tuple[dt.date, dt.date] | None:
    """The first and last referral dates in the upload (None if they cannot be read)."""
    try:
        table = table_from_bytes(files["referrals.csv"], "referrals.csv", "referrals", {})
        type_columns(table, [])
        received = table.frame["received"].dropna()
        if not len(received):
            return None
        return received.min().date(), received.max().date()
    except Exception:  # noqa: BLE001  (the import itself says what is wrong, in one line)
        return None


def _plain(x):
    """numpy scalars to Python ones, so the scenario validates as a file would."""
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_plain(v) for v in x]
    if isinstance(x, np.generic):
        return x.item()
    return x


def read_records(files: dict[str, bytes], as_of: dt.date) -> Records:
    """Import the uploaded extract on ``as_of``, in memory; RecordsError with one line."""
    from ..data.data_report import report_html, report_rows
    from ..data.importer import import_extract

    dates = referral_dates(files) if "referrals.csv" in files else None
    if dates and as_of > dates[1] + dt.timedelta(days=DAYS_AFTER):
        raise RecordsError(
            f"The as-of date {as_of} is after the records end (the last referral is on "
            f"{dates[1]}); choose a date up to {dates[1]}"
        )
    if dates and as_of < dates[0]:
        raise RecordsError(
            f"The as-of date {as_of} is before the records begin (the first referral is on "
            f"{dates[0]}); choose a later date"
        )
    try:
        imp = import_extract(files, as_of)
        data = resolved_dict(validate(_plain(imp.scenario)))
    except ExtractError as exc:
        raise RecordsError(str(exc)) from None
    except ScenarioError as exc:
        raise RecordsError(f"The imported scenario is not valid: {exc.problems[0]}") from None
    except Exception as exc:  # noqa: BLE001  (its message may quote a personal value)
        raise RecordsError(
            f"The import stopped ({type(exc).__name__}) on a value it could not read; no value "
            "is shown (it may be personal); check the files against docs/data.md"
        ) from None
    frame = report_rows(imp)
    state = data["start_state"]
    waiting = sum(c["holder"] is None for c in state["cases"])
    return Records(
        data=data,
        as_of=as_of,
        lines=headline(imp, len(state["cases"]), waiting, as_of),
        report_csv=frame.to_csv(index=False).encode("utf-8"),
        report_html=report_html(imp, frame).encode("utf-8"),
        open_cases=len(state["cases"]),
        waiting=waiting,
        events=list(data.get("events") or []),
    )


def headline(imp, open_cases: int, waiting: int, as_of: dt.date) -> list[str]:
    """The data report in four lines: rows, refusals by reason, what was fitted, the state."""
    read = sum(r for r, _ in imp.rows.values())
    files = ", ".join(f"{n}.csv {r:,}" for n, (r, _) in imp.rows.items())
    refused = Counter(p.what for p in imp.extract.problems if p.refused)
    blanked = sum(not p.refused for p in imp.extract.problems)
    why = "; ".join(f"{n} {w}" for w, n in refused.most_common())
    rows = f"**Rows read:** {read:,} ({files}). **Rows refused:** {sum(refused.values()):,}"
    rows += f" ({why})" if why else ""
    rows += f"; {blanked:,} value(s) not read and left blank" if blanked else ""
    a = imp.arrivals
    fitted = f"**Fitted from the records:** {len(imp.notes)} values"
    if a.per_week is not None:
        lo, hi = a.per_week_ci
        fitted += f", including {a.per_week:.1f} referrals a week (95% CI {lo:.1f}-{hi:.1f})"
    fitted += f"; {len(imp.kept)} kept from the shipped team (the records cannot give them)"
    absent = imp.counts.get("absent", 0)
    state = (
        f"**The team's state:** {open_cases:,} open cases, {waiting:,} waiting for allocation, "
        f"as at {as_of}; {absent} case-holding worker(s) off sick that day (off in the run too)"
    )
    return [rows + ".", fitted + ".", state + "."]


def section(state) -> Records:
    """Draw the upload, the as-of date and the read button; the records once read (the page
    stops here until then)."""
    st.caption(
        "Upload the extract your case system exports (docs/data.md): referrals.csv, "
        "open_cases.csv and staff.csv, with absences.csv and allocations.csv if you have "
        "them, or a zip of them. It is read in this browser session's memory only: never "
        "saved, and gone when you close the page. Names and dates of birth are not read."
    )
    uploaded = st.file_uploader(
        "The extract's CSV files (or a zip of them)",
        type=["csv", "zip"],
        accept_multiple_files=True,
        key="records_files",
        help="referrals.csv, open_cases.csv, staff.csv; absences.csv, allocations.csv optional",
    )
    uploads = [(f.name, f.getvalue()) for f in uploaded or []]
    digest = hashlib.sha256(b"".join(n.encode() + b"\0" + raw for n, raw in uploads)).hexdigest()
    if state.get("records_digest") != digest:  # a new upload: its own date, nothing read yet
        state.records_digest = digest
        for key in ("records_as_of", "records"):
            state.pop(key, None)
    if not uploads:
        st.write("Upload the extract to start from your team's records.")
        st.stop()
    try:
        files = upload_files(uploads)
    except RecordsError as exc:
        st.error(str(exc))
        st.stop()
    dates = referral_dates(files) if "referrals.csv" in files else None
    as_of = st.date_input(
        "As-of date (the run starts from the team's state on this day)",
        dates[1] if dates else dt.date.today(),
        key="records_as_of",
        help="The latest referral date in the upload unless you choose another",
    )
    if st.button("Read my records", key="records_read", type="primary"):
        try:
            records = read_records(files, as_of)
        except RecordsError as exc:
            state.pop("records", None)
            st.error(str(exc))
            st.stop()
        state.records = records
        for key in (*FORM_KEYS, "evidence", "staffing"):  # the form starts from the records
            state.pop(key, None)
        state.runs = []  # a different team: nothing to compare with
    records = state.get("records")
    if records is None:
        st.write("Press 'Read my records' to read the upload.")
        st.stop()
    for line in records.lines:
        st.markdown(line)
    a, b = st.columns(2)
    a.download_button(
        "Data report (data_report.csv)",
        records.report_csv,
        "data_report.csv",
        "text/csv",
        key="download_data_report_csv",
    )
    b.download_button(
        "Data report (data_report.html)",
        records.report_html,
        "data_report.html",
        "text/html",
        key="download_data_report_html",
    )
    return records
