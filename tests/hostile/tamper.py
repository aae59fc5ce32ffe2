"""Tampered and damaged run folders: what ``--resume``, ``report`` and ``evidence`` are given.

Each case changes a copy of a folder ``run`` wrote (an interrupted one, whose parts are
still there, or a complete one) the way a mix-up or a damaged disk would: a part from
another scenario or seed, a table deleted, a manifest edited, a file cut short. Every
case must be refused (exit 2) in one line naming the file.

    python tests/hostile/tamper.py WORKDIR     # prints one JSON line per case and a count
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ADULT = ROOT / "scenarios" / "adult_safeguarding_team.yaml"
CHILDREN = ROOT / "scenarios" / "children_in_need_team.yaml"
QUICK = ["--days", "20", "--reps", "2", "--quiet"]
R0, R1 = "p00000-r00000", "p00000-r00001"


@dataclass(frozen=True)
class Case:
    name: str
    folder: str  # which base folder is copied: "interrupted" or "complete"
    tamper: Callable[[Path, dict[str, Path]], None]
    command: str  # "resume", "report" or "evidence"
    names: str  # a word the one-line error must hold (the file it names)


def _copy_part(donor: Path, target: Path, key: str = R1) -> None:
    for f in (donor / "parts").glob(f"*-{key}.*"):
        shutil.copyfile(f, target / "parts" / f.name)


def _edit_json(path: Path, **changes) -> None:
    data = json.loads(path.read_text())
    data.update(changes)
    path.write_text(json.dumps(data))


def _cut(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _rename_part(folder: Path) -> None:
    for f in (folder / "parts").glob(f"*-{R1}.*"):
        f.rename(f.with_name(f.name.replace(R1, "p00000-r00002")))


def resume_cases() -> list[Case]:
    parts = "parts/"
    return [
        Case("part_from_another_scenario", "interrupted", lambda f, d: _copy_part(d["children"], f),
             "resume", f"metrics-{R1}"),
        Case("part_from_another_seed", "interrupted", lambda f, d: _copy_part(d["seed7"], f),
             "resume", f"metrics-{R1}"),
        Case("cases_table_deleted_metrics_kept", "interrupted",
             lambda f, d: (f / parts / f"cases-{R1}.parquet").unlink(), "resume", f"cases-{R1}"),
        Case("cases_table_of_another_replication", "interrupted",
             lambda f, d: shutil.copyfile(f / parts / f"cases-{R0}.parquet",
                                          f / parts / f"cases-{R1}.parquet"),
             "resume", f"cases-{R1}"),
        Case("cases_table_of_another_scenario", "interrupted",
             lambda f, d: shutil.copyfile(d["children"] / parts / f"cases-{R1}.parquet",
                                          f / parts / f"cases-{R1}.parquet"),
             "resume", f"cases-{R1}"),
        Case("truncated_part_table", "interrupted",
             lambda f, d: _cut(f / parts / f"timeseries-{R0}.parquet"), "resume",
             f"timeseries-{R0}"),
        Case("corrupt_part_metrics", "interrupted",
             lambda f, d: (f / parts / f"metrics-{R0}.json").write_text("{"), "resume",
             f"metrics-{R0}"),
        Case("part_renamed_to_another_replication", "interrupted",
             lambda f, d: _rename_part(f), "resume", "metrics-p00000-r00002"),
        Case("part_seed_edited", "interrupted",
             lambda f, d: _edit_json(f / parts / f"metrics-{R1}.json", seed=424242), "resume",
             f"metrics-{R1}"),
        Case("corrupt_experiment_json", "interrupted",
             lambda f, d: (f / "experiment.json").write_text("{not json"), "resume",
             "experiment.json"),
        Case("experiment_json_seed_edited", "interrupted",
             lambda f, d: _edit_json(f / "experiment.json", seed=424242), "resume",
             "experiment.json"),
        Case("finished_folder_with_a_table_cut_short", "complete",
             lambda f, d: _cut(f / "cases.parquet"), "resume", "cases.parquet"),
        Case("finished_folder_with_its_manifest_edited", "complete",
             lambda f, d: _edit_json(f / "manifest.json", reps=60, seed=424242), "resume",
             "manifest.json"),
    ]  # fmt: skip


def folder_cases() -> list[Case]:
    """A complete folder whose files disagree: report and evidence must not mix them."""
    cases = []
    for command in ("report", "evidence"):
        cases += [
            Case(f"{command}_manifest_edited_reps_and_seed", "complete",
                 lambda f, d: _edit_json(f / "manifest.json", reps=60, seed=424242), command,
                 "manifest.json"),
            Case(f"{command}_cases_from_another_scenario", "complete",
                 lambda f, d: shutil.copyfile(d["children_complete"] / "cases.parquet",
                                              f / "cases.parquet"), command, "cases.parquet"),
            Case(f"{command}_replications_from_another_seed", "complete",
                 lambda f, d: shutil.copyfile(d["seed7_complete"] / "replications.parquet",
                                              f / "replications.parquet"), command,
                 "replications.parquet"),
        ]  # fmt: skip
    return cases


DAMAGED = {
    "summary.csv": b'metric,mean\n"unclosed',
    "timeseries.parquet": None,  # cut in half
    "cases.parquet": None,
    "workers.parquet": None,
    "replications.parquet": None,
    "scenario.yaml": b"name: [unclosed\n",
    "manifest.json": b"{",
    "assumptions.csv": b"\x00\xff\xfe garbage",
}


def damaged_cases() -> list[Case]:
    """One damaged file in a complete folder: one line naming it, never a traceback."""

    def damage(name: str) -> Callable[[Path, dict], None]:
        def do(folder: Path, _donors: dict) -> None:
            text = DAMAGED[name]
            if text is None:
                _cut(folder / name)
            else:
                (folder / name).write_bytes(text)

        return do

    return [
        Case(f"{command}_damaged_{name}", "complete", damage(name), command, name)
        for command in ("report", "evidence")
        for name in DAMAGED
    ]


def invoke(args: list[str]):
    from typer.testing import CliRunner

    from workload_sim.cli import app

    return CliRunner().invoke(app, [str(a) for a in args])


def make_folder(where: Path, scenario: Path, extra: list[str], complete: bool) -> Path:
    """A folder ``run`` wrote: complete, or interrupted after every part was saved."""
    import pytest

    from workload_sim.experiments import outputs

    def killed(*_a, **_k):
        raise KeyboardInterrupt  # a kill after the last part, before the tables

    with pytest.MonkeyPatch.context() as mp:
        if not complete:
            mp.setattr(outputs, "write_run", killed)  # the command imports it when it runs
        invoke(["run", scenario, *QUICK, *extra, "--out", where])
    assert (where / "parts").is_dir() != complete, where
    return where


def make_bases(root: Path) -> dict[str, Path]:
    return {
        "interrupted": make_folder(root / "interrupted", ADULT, [], False),
        "complete": make_folder(root / "complete", ADULT, [], True),
        "children": make_folder(root / "children", CHILDREN, [], False),
        "seed7": make_folder(root / "seed7", ADULT, ["--seed", "7"], False),
        "children_complete": make_folder(root / "children_complete", CHILDREN, [], True),
        "seed7_complete": make_folder(root / "seed7_complete", ADULT, ["--seed", "7"], True),
    }


def command_of(case: Case, folder: Path) -> list:
    if case.command == "resume":
        return ["run", ADULT, "--days", "20", "--reps", "3", "--quiet", "--resume", folder]
    if case.command == "evidence":
        return ["evidence", folder, "--out", folder.parent / f"{folder.name}-pack"]
    return ["report", folder]


def try_case(case: Case, bases: dict[str, Path], where: Path) -> dict:
    """Copy the base folder, tamper with it, run the command; how it ended."""
    folder = where / case.name
    shutil.copytree(bases[case.folder], folder)
    case.tamper(folder, bases)
    result = invoke(command_of(case, folder))
    traceback = result.exception is not None and not isinstance(result.exception, SystemExit)
    lines = result.output.strip().splitlines()
    return {
        "case": case.name,
        "code": result.exit_code,
        "detected": result.exit_code != 0,
        "one_line": result.exit_code == 2 and len(lines) == 1 and not traceback,
        "names_file": case.names in result.output,
        "output": (repr(result.exception) if traceback else result.output.strip())[-300:],
    }


def all_cases() -> list[Case]:
    return [*resume_cases(), *folder_cases(), *damaged_cases()]


if __name__ == "__main__":
    work = Path(sys.argv[1])
    bases = make_bases(work / "bases")
    rows = [try_case(c, bases, work) for c in all_cases()]
    for row in rows:
        print(json.dumps(row))
    for group, cases in (
        ("tampered resume", resume_cases()),
        ("tampered folder", folder_cases()),
        ("damaged folder", damaged_cases()),
    ):
        mine = [r for r in rows if r["case"] in {c.name for c in cases}]
        print(
            f"{group}: {sum(r['detected'] for r in mine)}/{len(mine)} detected, "
            f"{sum(r['one_line'] and r['names_file'] for r in mine)} in one line naming the file"
        )
