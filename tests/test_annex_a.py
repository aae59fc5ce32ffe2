"""The standard returns: a synthetic Ofsted Annex A workbook (two teams, labelled codes,
a blank worker, dates as datetimes and as Excel serials) and a CSWW census XML imported
with ``workload-sim import``; the counts built into them by hand come back, the errors are
one line naming file, sheet, row and column, and no planted marker reaches any output."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from workload_sim.cli import app

openpyxl = pytest.importorskip("openpyxl")

MARK = "ZQXMARK"
AS_OF = "2025-03-31"
NORTH, SOUTH = "North CIN Team", "South CIN Team"
PERSON = ["Child Unique ID", "Gender", "Ethnicity", "Date of Birth", "Age of Child (Years)"]
EPOCH = dt.date(1899, 12, 30)


def _serial(d: dt.date) -> int:
    return (d - EPOCH).days


def _date(d: dt.date, k: int):
    """Alternately a datetime (as openpyxl writes a date cell) and an Excel serial."""
    return dt.datetime(d.year, d.month, d.day) if k % 2 else _serial(d)


def _person(child: str) -> list:
    return [child, f"a) Male {MARK}", f"a) WBRI {MARK}", dt.datetime(1913, 7, 29), 11]


def _workbook(path: Path, bad_date: bool = False) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    l3 = wb.create_sheet("List 3 - Referrals")
    l3.append(
        [
            *PERSON,
            "Date of referral",
            "Referral Source",
            "Referral NFA?",
            "Number of Referrals in Last 12 Months",
            "Allocated Team",
            "Allocated Worker",
            "Child Name",
        ]
    )
    l4 = wb.create_sheet("List 4")
    l4.append(
        [
            *PERSON,
            "Does the Child have a Disability",
            "Continuous Assessment Start Date",
            "Child Seen During Continuous Assessment",
            "Continuous Assessment Date of Authorisation",
            "Was the child assessed as requiring LA children's social care support?",
            "Allocated Team",
            "Allocated Worker",
        ]
    )
    l5 = wb.create_sheet("List 5")
    l5.append(
        [
            *PERSON,
            "Does the Child have a Disability",
            "Strategy discussion initiating Section 47 Enquiry Start Date",
            "Was an Initial Child Protection Conference deemed unnecessary?",
            "Date of Initial Child Protection Conference",
            "Did the Initial Child Protection Conference Result in a Child Protection Plan",
            "Number of Section 47 Enquiries in the last 12 months",
            "Number of ICPCs in the last 12 months",
            "Allocated Team",
            "Allocated Worker",
        ]
    )
    north = [f"{MARK} Worker {i}" for i in (1, 2, 3)]
    for k in range(52):  # North: one referral a week, Monday to Friday in turn, to 2025-03-25
        d = dt.date(2024, 4, 1) + dt.timedelta(days=7 * k + k % 5)
        child = f"{MARK}C{k:03d}"
        worker = "" if k == 3 else north[k % 3]
        nfa = "a) Yes" if k % 2 == 0 else "b) No"
        received = _date(d, k)
        if bad_date and k in (7, 9):
            received = "31/02/2025" if k == 7 else f"{MARK} 1913-07-29"
        l3.append([*_person(child), received, f"q) 6: Police {MARK}", nfa, 1, NORTH, worker, MARK])
        if k % 4 == 1:  # an assessment 3 days later, authorised 30 days after it began
            end = d + dt.timedelta(days=33)
            l4.append(
                [
                    *_person(child),
                    "b) No",
                    _date(d + dt.timedelta(days=3), k),
                    "a) Yes",
                    _date(end, k) if end <= dt.date(2025, 3, 31) else None,
                    "a) Yes",
                    NORTH,
                    worker,
                ]
            )
        elif k % 4 == 3:  # a section 47 enquiry: strategy discussion next day, ICPC 14 later
            l5.append(
                [
                    *_person(child),
                    "b) No",
                    _date(d + dt.timedelta(days=1), k),
                    "b) No",
                    _date(d + dt.timedelta(days=15), k),
                    "a) Yes",
                    1,
                    1,
                    NORTH,
                    worker,
                ]
            )
    for k in range(26):  # South: one referral a fortnight, all NFA
        d = dt.date(2024, 4, 3) + dt.timedelta(days=14 * k + k % 3)
        l3.append(
            [*_person(f"{MARK}S{k}"), _date(d, k), "a) 1A: Individual", "Yes", 1, SOUTH, "", MARK]
        )
    l6 = wb.create_sheet("List 6")
    l6.append(
        [
            *PERSON,
            "Does the Child have a Disability",
            "CIN Start Date",
            "Primary Need Code",
            "Date Child Was Last Seen",
            "CIN Closure Date",
            "Reason for Closure",
            "Case Status",
            "Allocated Team",
            "Allocated Worker",
        ]
    )
    cin = [  # (start, closed, status, team, worker)
        (dt.date(2025, 1, 10), None, "c) Child in need plan", NORTH, north[0]),
        (dt.date(2025, 2, 3), None, "c) Child in need plan", NORTH, north[1]),
        (dt.date(2025, 3, 20), None, "d) Open assessment", NORTH, ""),
        (dt.date(2024, 11, 5), None, "b) Child Protection plan", NORTH, north[2]),
        (dt.date(2024, 4, 9), dt.date(2024, 9, 1), "e) Closed episode", NORTH, north[0]),
        (dt.date(2024, 5, 6), dt.date(2025, 1, 2), "c) Child in need plan", NORTH, north[1]),
        (dt.date(2025, 1, 5), None, "c) Child in need plan", SOUTH, f"{MARK} Worker S"),
        (dt.date(2025, 2, 5), None, "d) Open assessment", SOUTH, f"{MARK} Worker S"),
    ]
    children = {4: f"{MARK}C001", 5: f"{MARK}C005"}  # the episodes of referrals 1 and 5
    for k, (start, closed, status, team, worker) in enumerate(cin):
        l6.append(
            [
                *_person(children.get(k, f"{MARK}K{k}")),
                "b) No",
                _date(start, k),
                f"N1 - Abuse or neglect {MARK}",
                _date(start, k),
                _date(closed, k) if closed else None,
                "RC7 - Services ceased" if closed else None,
                status,
                team,
                worker,
            ]
        )
    wb.save(path)
    return path


def _census(path: Path) -> Path:
    workers = [  # SWENo, agency, role, FTE, working days lost
        (f"{MARK} Worker 1", 0, 5, 1.0, 5),
        (f"{MARK} Worker 2", 1, 5, 0.8, 10),
        (f"{MARK} Worker 3", 0, 4, 0.6, 3),
        (f"{MARK} Worker S", 0, 5, 1.0, 0),
        (f"{MARK} Elsewhere", 0, 3, 1.0, 0),
    ]
    body = "".join(
        f"<CSWWWorker><AgencyWorker>{a}</AgencyWorker><SWENo>{s}</SWENo><FTE>{f}</FTE>"
        f"<PersonBirthDate>1913-07-29</PersonBirthDate><GenderCurrent>{MARK}</GenderCurrent>"
        f"<Ethnicity>{MARK}</Ethnicity><QualInst>{MARK} University</QualInst>"
        f"<ReasonAbsence>{MARK}</ReasonAbsence><LeaverDestination>{MARK}</LeaverDestination>"
        f"<OrgRole>{r}</OrgRole><RoleStartDate>2020-01-06</RoleStartDate>"
        f"<Cases30>12</Cases30><WorkingDaysLost>{w}</WorkingDaysLost>"
        f"<Absat30Sept>0</Absat30Sept></CSWWWorker>"
        for s, a, r, f, w in workers
    )
    path.write_text(
        "<Message><Header><CollectionDetails><Collection>CSWW</Collection><Year>2024</Year>"
        "<ReferenceDate>2024-09-30</ReferenceDate></CollectionDetails></Header>"
        f"{body}</Message>",
        "utf-8",
    )
    return path


def _import(tmp_path: Path, *extra: str, book: Path | None = None):
    book = book or _workbook(tmp_path / "annex_a.xlsx")
    out = tmp_path / "out" / "north.yaml"
    args = ["import", str(book), "--as-of", AS_OF, "--out", str(out), *extra]
    return CliRunner().invoke(app, args), out


def test_annex_a_and_census_round_trip(tmp_path: Path) -> None:
    census = _census(tmp_path / "csww.xml")
    result, out = _import(tmp_path, "--team", "north cin team", "--workforce", str(census))
    assert result.exit_code == 0, result.output
    sc = yaml.safe_load(out.read_text("utf-8"))
    rate = sc["demand"]["referrals_per_week"]
    assert 0.6 < rate < 1.6, rate  # one a week for a year
    note = sc["sources"]["demand.referrals_per_week"]
    assert "52 referrals" in note and "annex_a.xlsx sheet 'List 3 - Referrals'" in note
    triage = sc["triage"]  # 26 NFA; 13 assessments and 13 section 47 enquiries followed
    assert triage["no_further_action"] == 0.5 and triage["open_case"] == 0.5
    assert triage["case_mix"] == {"assessment": 0.5, "s47_enquiry": 0.5}
    # the census, kept to the team's three workers: 2 permanent (FTE 1.0 and 0.6), 1 agency;
    # 18 working days lost over 2.4 FTE
    assert sc["team"]["permanent"] == 2 and sc["team"]["agency"] == 1
    assert sc["workforce"]["permanent"]["fte"] == 0.8
    assert sc["absence"]["sickness_days"] == pytest.approx(7.5, abs=0.02)
    cases = sc["start_state"]["cases"]
    assert len(cases) == 4  # four open in List 6 for North (two closed, South's two left out)
    paths = sorted(c["pathway"] for c in cases)
    assert paths == ["assessment", "child_in_need_plan", "child_in_need_plan", "child_in_need_plan"]
    assert sum(c.get("holder") is None for c in cases) == 1  # the blank worker waits
    _no_personal(out.parent, result.output)


def _no_personal(folder: Path, printed: str) -> None:
    """Every byte written or printed: no marker (ids, names, workers, codes, free text),
    no planted date of birth in any form."""
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert files
    for data in [p.read_bytes() for p in files] + [printed.encode()]:
        for needle in (MARK, "1913-07-29", "29/07/1913", str(_serial(dt.date(1913, 7, 29)))):
            assert needle.encode() not in data


def test_teams_must_be_chosen_in_one_line(tmp_path: Path) -> None:
    result, _ = _import(tmp_path)
    assert result.exit_code != 0
    lines = [x for x in result.output.strip().splitlines() if x.strip()]
    assert len(lines) == 1 and NORTH in lines[0] and SOUTH in lines[0] and "--team" in lines[0]
    result, _ = _import(tmp_path, "--team", "West", book=tmp_path / "annex_a.xlsx")
    assert result.exit_code != 0 and "'West'" in result.output and NORTH in result.output
    assert "Traceback" not in result.output


def test_bad_date_names_sheet_row_and_column(tmp_path: Path) -> None:
    book = _workbook(tmp_path / "bad.xlsx", bad_date=True)
    result, out = _import(tmp_path, "--team", NORTH, book=book)
    assert result.exit_code == 0, result.output
    report = (out.parent / "data_report.csv").read_text("utf-8")
    assert "bad.xlsx sheet 'List 3 - Referrals',9,Date of referral" in report
    assert "bad.xlsx sheet 'List 3 - Referrals',11,Date of referral" in report
    assert "bad.xlsx sheet 'List 3 - Referrals',,,rows read,52,,,50 kept; 2 refused" in report
    assert "31/02/2025" not in report
    _no_personal(out.parent, result.output)


def test_not_a_workbook_is_one_line(tmp_path: Path) -> None:
    fake = tmp_path / "annex.xlsx"
    fake.write_text(f"{MARK} not a workbook", "utf-8")
    result, _ = _import(tmp_path, book=fake)
    assert result.exit_code != 0 and "not a readable Excel workbook" in result.output
    xml = tmp_path / "bad.xml"
    xml.write_text(f"<Message><CSWWWorker>{MARK}</Message>", "utf-8")
    book = _workbook(tmp_path / "annex_a.xlsx")
    result, _ = _import(tmp_path, "--team", NORTH, "--workforce", str(xml), book=book)
    assert result.exit_code != 0 and "not well-formed XML" in result.output
    assert MARK not in result.output and "Traceback" not in result.output


def test_what_data_is_given_is_checked(tmp_path: Path) -> None:
    census = _census(tmp_path / "csww.xml")
    result, _ = _import(tmp_path, book=census)
    assert result.exit_code != 0 and "give the Annex A workbook as DATA" in result.output
    folder = tmp_path / "extract"
    folder.mkdir()
    result, _ = _import(tmp_path, "--team", NORTH, book=folder)
    assert result.exit_code != 0 and "go with an Annex A workbook" in result.output
    assert MARK not in result.output


def test_closures_come_from_list_6(tmp_path: Path) -> None:
    from workload_sim.data.standard import read_records

    book = _workbook(tmp_path / "annex_a.xlsx")
    extract = read_records(book, team=NORTH)
    refs = extract.frame("referrals")
    closed = refs.loc[refs["closed"].notna(), ["received", "closed"]].astype(str)
    assert closed.values.tolist() == [
        ["2024-04-09", "2024-09-01"],
        ["2024-05-06", "2025-01-02"],
    ]
    assert len(refs) == 52 and len(extract.frame("open_cases")) == 4
    assert len(extract.frame("staff")) == 3  # the allocated workers, no census
