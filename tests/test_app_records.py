"""'Start from my records' on the team leader's page (Streamlit's AppTest, headless).

The example extract is uploaded, read on its latest referral date, and run: the scenario
the page ran must be the one the import gives (its team and its open cases). An extract
with planted markers (tests/test_records_privacy.py) must leave no marker in anything the
page renders or offers for download, and the upload must never touch the disk. Bad uploads
give one line on the page, never a traceback.
"""

from __future__ import annotations

import builtins
import datetime as dt
import io
import os
import tempfile
import zipfile

import pytest

from workload_sim.app import results as res
from workload_sim.app import team_form as tf
from workload_sim.app.records_upload import RECORDS, read_records
from workload_sim.data.importer import import_extract

from .conftest import ROOT
from .test_records_privacy import _extract, _hits

testing = pytest.importorskip("streamlit.testing.v1", reason="pip install -e '.[app]'")
PAGE = ROOT / "workload_sim" / "app" / "page.py"
EXAMPLE = ROOT / "docs" / "examples" / "extract"
LATEST = dt.date(2027, 3, 31)  # the example's last referral


def _files(folder, skip=()) -> list[tuple[str, bytes, str]]:
    return [
        (p.name, p.read_bytes(), "text/csv")
        for p in sorted(folder.glob("*.csv"))
        if p.name not in skip
    ]


def _upload(files, monkeypatch, read=True):
    monkeypatch.setenv("WORKLOAD_SIM_APP_BACKEND", "serial")
    at = testing.AppTest.from_file(str(PAGE), default_timeout=120)
    at.run()
    at.radio(key="start").set_value(RECORDS).run()
    at.file_uploader(key="records_files").set_value(files).run()
    if read:
        at.button(key="records_read").click().run()
    return at


def _run(at, months=1):
    at.number_input(key="months").set_value(months)
    at.number_input(key="reps").set_value(2)
    at.button(key="run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    return at.session_state["runs"][-1]


def _markdown(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_the_page_runs_the_team_its_records_describe(monkeypatch):
    at = _upload(_files(EXAMPLE), monkeypatch)
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.date_input(key="records_as_of").value == LATEST  # the latest referral date
    text = _markdown(at)
    assert "**Rows read:** 2,232 (referrals.csv 1,398, open_cases.csv 137, staff.csv 14" in text
    assert "**Rows refused:** 0." in text
    assert "137 open cases, 0 waiting for allocation, as at 2027-03-31" in text
    assert "referrals a week (95% CI" in text
    imp = import_extract(EXAMPLE, LATEST)
    team = imp.scenario["team"]
    # the form is filled from the import
    for key in ("permanent", "newly_qualified", "agency", "vacant"):
        assert at.number_input(key=key).value == team[key]
    referrals = imp.scenario["demand"]["referrals_per_week"]
    assert at.number_input(key="referrals").value == pytest.approx(referrals)
    assert not any(w.key in ("waiting", "caseload") for w in at.number_input)
    assert "starts from your team's records on 2027-03-31: 137 open cases, 0 waiting" in text
    run = _run(at)
    ran = run["scenario"]
    # what ran is what was imported: the same team, the same open cases, from the same day
    assert (ran.team.permanent, ran.team.newly_qualified, ran.team.agency, ran.team.vacant) == (
        team["permanent"],
        team["newly_qualified"],
        team["agency"],
        team["vacant"],
    )
    assert ran.calendar.start_date == LATEST == ran.start_state.as_of
    recorded = imp.scenario["start_state"]["cases"]
    assert len(ran.start_state.cases) == len(recorded) == 137
    assert [c.holder for c in ran.start_state.cases] == [c["holder"] for c in recorded]
    assert ran.warm_start.unallocated == 0 and ran.warm_start.cases_per_worker == 0
    assert ran.demand.referrals_per_week == pytest.approx(referrals)
    assert [e.worker for e in ran.events] == [e["worker"] for e in imp.scenario["events"]]
    # the data report downloads are the import's
    records = at.session_state["records"]
    assert records.report_csv.startswith(b"section,file,row,column")
    assert b"<h1>Data report" in records.report_html


def test_a_zip_of_the_extract_reads_the_same(monkeypatch):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, raw, _ in _files(EXAMPLE):
            z.writestr(f"extract/{name}", raw)
    at = _upload([("extract.zip", buffer.getvalue(), "application/zip")], monkeypatch)
    assert not at.exception and not at.error
    assert "137 open cases, 0 waiting for allocation, as at 2027-03-31" in _markdown(at)


def _rendered(at) -> str:
    """Everything the page sent to the browser: every element's message, text and values."""
    out: list[str] = []

    def walk(node) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            out.append(str(proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return "\n".join(out)


def _zip_members(blob: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        return {n: z.read(n) for n in z.namelist()}


def test_no_planted_personal_value_reaches_the_page_or_its_downloads(tmp_path, monkeypatch):
    folder = _extract(tmp_path / "extract")
    written: list[str] = []
    real_open, real_os_open = builtins.open, os.open
    writing = os.O_WRONLY | os.O_RDWR | os.O_CREAT

    def watching_open(file, mode="r", *args, **kwargs):
        if any(c in mode for c in "wax+"):
            written.append(str(file))
        return real_open(file, mode, *args, **kwargs)

    def watching_os_open(path, flags, *args, **kwargs):
        if flags & writing:
            written.append(str(path))
        return real_os_open(path, flags, *args, **kwargs)

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    with monkeypatch.context() as m:  # every way a file is opened for writing, watched
        m.setattr(builtins, "open", watching_open)
        m.setattr(io, "open", watching_open)
        m.setattr(os, "open", watching_os_open)
        at = _upload(_files(folder), monkeypatch)
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert written == [] and list(scratch.iterdir()) == []  # held in memory only
    records = at.session_state["records"]
    assert "required value missing" in _markdown(at)  # refused rows counted by reason
    run = _run(at)
    at.button(key="evidence_button").click().run()
    searched = {
        "the page before the run": _rendered(at),
        "data_report.csv": records.report_csv,
        "data_report.html": records.report_html,
        "my_team.yaml": tf.scenario_text(run["resolved"]).encode(),
    }
    for name, blob in _zip_members(res.tables_zip(run["results"])).items():
        searched[f"tables/{name}"] = blob
    for name, blob in _zip_members(at.session_state["evidence"]).items():
        searched[f"evidence/{name}"] = blob
    searched["the page after the run"] = _rendered(at)
    assert "Rows read:" in searched["the page after the run"]  # the walk reaches the text
    assert "The unallocated list" in searched["the page after the run"]  # and the verdict
    hits = {
        k: _hits(v if isinstance(v, bytes) else v.encode())
        for k, v in searched.items()
        if _hits(v if isinstance(v, bytes) else v.encode())
    }
    print(f"page privacy: {len(searched)} outputs searched, {sum(hits.values())} hits")
    assert hits == {}
    assert len(searched) > 8


@pytest.mark.parametrize(
    "case, expected",
    [
        ("no staff", "the upload has no staff.csv"),
        ("binary staff", "staff.csv: "),
        ("bad zip", "is not a zip file"),
        ("date after the records", "is after the records end"),
    ],
)
def test_a_bad_upload_is_one_line_on_the_page(tmp_path, monkeypatch, case, expected):
    files = _files(EXAMPLE)
    if case == "no staff":
        files = _files(EXAMPLE, skip={"staff.csv"})
    elif case == "binary staff":
        files = [f for f in files if f[0] != "staff.csv"]
        files.append(("staff.csv", b"\x00\xff\x00\x89PNG" + bytes(range(256)) * 4, "text/csv"))
    elif case == "bad zip":
        files = [("extract.zip", b"PK\x03\x04 this is no zip", "application/zip")]
    at = _upload(files, monkeypatch, read=case not in ("date after the records", "bad zip"))
    if case == "date after the records":
        at.date_input(key="records_as_of").set_value(LATEST + dt.timedelta(days=400))
        at.button(key="records_read").click().run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and expected in errors[0], errors
    assert "\n" not in errors[0] and "Traceback" not in errors[0]
    assert not any(b.key == "run" for b in at.button)  # nothing runs until it is fixed


def test_the_in_memory_reader_reads_what_the_folder_reader_reads():
    from workload_sim.data.readers import read_extract, read_files

    files = {p.name.upper(): p.read_bytes() for p in EXAMPLE.glob("*.csv")}  # any case
    in_memory, on_disk = read_files(files), read_extract(EXAMPLE)
    assert (
        set(in_memory.tables)
        == set(on_disk.tables)
        == {
            "referrals",
            "open_cases",
            "staff",
            "absences",
            "allocations",
        }
    )
    for name, table in on_disk.tables.items():
        assert table.frame.equals(in_memory.tables[name].frame), name
    assert in_memory.problems == on_disk.problems


def test_fewer_posts_than_hold_the_recorded_cases_is_one_line():
    rec = read_records({p.name: p.read_bytes() for p in EXAMPLE.glob("*.csv")}, LATEST)
    form = tf.TeamForm(
        start_date=LATEST,
        permanent=3,
        newly_qualified=1,
        agency=1,
        referrals_per_week=28.0,
        waiting_today=0,
        caseload_today=0.0,
        recorded_events=rec.events,
    )
    with pytest.raises(tf.FormError) as bad:
        tf.build(form, rec.data)
    assert bad.value.problems == [
        "Posts: your records' open cases are held by posts 1 to 10 (permanent, then newly "
        "qualified, then agency); keep at least 10 posts (to ask what happens when someone "
        "leaves, use 'A post falls vacant')"
    ]
