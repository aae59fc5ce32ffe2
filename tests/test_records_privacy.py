"""Personal data never leaves the import: markers planted in every column of every input
file (names, ids, dates of birth, free text, and in the documented columns too) are
searched for in every byte the import writes or prints, for a good extract and for bad
ones that end in an error. Zero hits."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from typer.testing import CliRunner

from workload_sim.cli import app

MARK = "ZQXMARK"  # every planted value contains it
DOB = "1913-07-29"  # a planted date of birth, also searched as 29/07/1913
AS_OF = "2025-03-31"
PERSONAL = ("client_name", "date_of_birth", "nhs_number", "address", "worker_name", "notes")


def _row(values: dict, personal: int) -> dict:
    return {
        **values,
        "client_name": f"{MARK} Alice Example {personal}",
        "date_of_birth": DOB,
        "nhs_number": f"{MARK}943{personal:07d}",
        "address": f"{personal} {MARK} Street",
        "worker_name": f"{MARK} Bob Worker",
        "notes": f"{MARK} lives with her son",
    }


def _csv(path: Path, rows: list[dict]) -> None:
    cols = list(rows[0])
    lines = [",".join(cols)] + [",".join(str(r[c]) for c in cols) for r in rows]
    path.write_text("\n".join(lines) + "\n", "utf-8")


def _extract(folder: Path) -> Path:
    """A small team's extract: ids are markers; every documented column also holds a marker
    in one row (a bad value the import must refuse or blank without echoing it)."""
    folder.mkdir()
    workers = [f"{MARK}W{i}" for i in range(4)]
    day0 = dt.date(2025, 1, 6)
    refs = []
    for i in range(80):
        d = (day0 + dt.timedelta(days=(i * 7) // 6)).isoformat()
        opened = i % 3 == 0
        refs.append(
            _row(
                {
                    "referral_id": f"{MARK}R{i}",
                    "received": d,
                    "triage_date": d,
                    "outcome": "s42_enquiry" if opened else "no_further_action",
                    "urgency": "high",
                    "allocated": d if opened else "",
                    "worker_id": workers[i % 4] if opened else "",
                    "stage_start": d if opened else "",
                    "stage_end": "",
                    "closed": "",
                    "closure_reason": f"{MARK} reason",
                },
                i,
            )
        )
    for col in list(refs[0])[1:11]:  # one bad value in each documented column
        refs[5 + list(refs[0]).index(col)][col] = f"{MARK}bad"
    _csv(folder / "referrals.csv", refs)
    cases = [
        _row(
            {
                "case_id": f"{MARK}C{i}",
                "referral_date": "2025-03-03",
                "pathway": "s42_enquiry",
                "urgency": "standard",
                "stage": "visit",
                "stage_since": "2025-03-10",
                "worker_id": workers[i % 4] if i % 2 else "",
                "waiting_since": "" if i % 2 else "2025-03-04",
            },
            i,
        )
        for i in range(12)
    ]
    for i, col in enumerate(list(cases[0])[1:8]):
        cases[i][col] = f"{MARK}bad"
    _csv(folder / "open_cases.csv", cases)
    staff = [
        _row(
            {
                "worker_id": w,
                "role": ["experienced", "experienced", "newly_qualified", "agency"][i],
                "fte": 1,
                "start_date": "2022-01-01",
                "end_date": "",
                "end_reason": f"{MARK} private reason",
                "caseload_cap": 20,
                "sickness_days_12m": 6,
                "absent_now": "yes" if i == 1 else "no",
                "expected_back": "2025-04-28",
            },
            900 + i,
        )
        for i, w in enumerate(workers)
    ]
    staff.append({**staff[0], "worker_id": f"{MARK}W9", "role": f"{MARK}role"})
    for i, col in enumerate(
        [
            "fte",
            "start_date",
            "end_date",
            "caseload_cap",
            "sickness_days_12m",
            "absent_now",
            "expected_back",
        ]
    ):
        staff[i % 4][col] = f"{MARK}bad" if i % 4 != 1 or col != "absent_now" else "yes"
    _csv(folder / "staff.csv", staff)
    _csv(
        folder / "absences.csv",
        [
            _row(
                {
                    "worker_id": workers[0],
                    "from": f"{MARK}bad",
                    "to": "",
                    "reason": f"{MARK} illness detail",
                },
                999,
            )
        ],
    )
    _csv(
        folder / "allocations.csv",
        [
            _row(
                {"case_id": f"{MARK}C1", "worker_id": workers[1], "from": "2025-03-03", "to": ""},
                998,
            )
        ],
    )
    return folder


def _hits(blob: bytes) -> int:
    low = blob.lower()
    return sum(low.count(m.lower().encode()) for m in (MARK, DOB, "29/07/1913"))


def test_no_planted_personal_value_reaches_any_output(tmp_path, capsys):
    folder = _extract(tmp_path / "extract")
    out = tmp_path / "out"
    searched: dict[str, bytes] = {}
    runner = CliRunner()
    done = runner.invoke(
        app,
        ["import", str(folder), "--as-of", AS_OF, "--out", str(out / "team.yaml")],
        catch_exceptions=False,
    )
    assert done.exit_code == 0, done.output
    searched["stdout+stderr of the import"] = done.output.encode()
    problems = (out / "data_report.csv").read_text()
    assert problems.count("problem") >= 15  # the planted bad values were seen and reported
    # bad extracts that end in an error: the messages must not echo a value either
    bad = tmp_path / "bad"
    bad.mkdir()
    for name in ("referrals.csv", "open_cases.csv", "staff.csv"):
        (bad / name).write_bytes((folder / name).read_bytes())
    (bad / "staff.csv").write_text("worker_id,role\n" + f"{MARK}W1,{MARK}role\n")
    done = runner.invoke(
        app,
        ["import", str(bad), "--as-of", AS_OF, "--out", str(tmp_path / "b.yaml")],
        catch_exceptions=False,
    )
    assert done.exit_code == 2 and len(done.output.splitlines()) == 1, done.output
    searched["error: no case-holding worker"] = done.output.encode()
    (bad / "referrals.csv").write_text(f"{MARK}id,{MARK}date\n{MARK},{DOB}\n")
    done = runner.invoke(
        app,
        ["import", str(bad), "--as-of", AS_OF, "--out", str(tmp_path / "b.yaml")],
        catch_exceptions=False,
    )
    assert done.exit_code == 2, done.output
    searched["error: a file without the documented columns"] = done.output.encode()
    (bad / "referrals.csv").write_bytes(b"\x00\xff" + MARK.encode() + b"\x00" * 10)
    done = runner.invoke(
        app,
        ["import", str(bad), "--as-of", AS_OF, "--out", str(tmp_path / "b.yaml")],
        catch_exceptions=False,
    )
    assert done.exit_code == 2, done.output
    searched["error: a binary file"] = done.output.encode()
    # a backtest reads the same records twice (as at --at and as at --until)
    done = runner.invoke(
        app,
        [
            "backtest",
            str(folder),
            "--at",
            "2025-03-10",
            "--until",
            "2025-04-07",
            "--reps",
            "9",
            "--out",
            str(tmp_path / "backtest"),
        ],
        catch_exceptions=False,
    )
    assert done.exit_code == 0, done.output
    searched["stdout+stderr of the backtest"] = done.output.encode()
    captured = capsys.readouterr()
    searched["captured process stdout/stderr"] = (captured.out + captured.err).encode()
    for path in sorted(p for p in tmp_path.rglob("*") if p.is_file()):
        if folder in path.parents or bad in path.parents:
            continue  # the inputs themselves
        searched[str(path.relative_to(tmp_path))] = path.read_bytes()
    assert {"out/team.yaml", "out/data_report.html", "out/data_report.csv"} <= set(searched)
    assert {"backtest/backtest.html", "backtest/backtest.csv"} <= set(searched)
    hits = {k: _hits(v) for k, v in searched.items() if _hits(v)}
    print(
        f"privacy: {len(searched)} outputs searched ({sum(map(len, searched.values())):,} "
        f"bytes), {sum(hits.values())} hits"
    )
    assert hits == {}
    assert len(searched) == 12


@pytest.mark.parametrize("column", PERSONAL)
def test_undocumented_columns_are_dropped_by_the_reader(tmp_path, column):
    from workload_sim.data.readers import read_extract

    extract = read_extract(_extract(tmp_path / "x"))
    for table in extract.tables.values():
        assert column not in table.frame.columns
