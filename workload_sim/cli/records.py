"""The records commands: ``import`` (a team's extract -> a scenario starting from its state
on a date, and a data report) and ``export`` (a run's history -> the extract that team
would have produced). The format is in docs/data.md."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer

from .common import _fail, one_line_errors, out, say_where

# The data layer (pandas, scipy, pydantic) is imported inside the commands, so that
# --version and --help answer at once (tests/test_startup.py).
from .run import app

HEADER = (
    "# Written by workload-sim import from a team's own records (docs/data.md).\n"
    "# Every value the records gave has its source note under 'sources:' (file, rows, dates);\n"
    "# the rest are the base scenario's, with their own notes. start_state is the team on the\n"
    "# as-of date: no ids, no names; holders are post numbers.\n"
)


def _date(text: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        _fail([f"{option} {text!r}: expected a date as YYYY-MM-DD, e.g. 2025-03-31"])


def _plain(x):
    """numpy scalars -> Python, recursively (YAML writes only plain types)."""
    import numpy as np

    if isinstance(x, dict):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_plain(v) for v in x]
    if isinstance(x, np.bool_):
        return bool(x)
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.floating):
        return float(x)
    return x


@app.command(name="import")
@one_line_errors
def import_records(
    data: Path = typer.Argument(
        ..., help="Folder holding the extract (referrals.csv, ...) or an Annex A workbook (.xlsx)"
    ),
    as_of: str = typer.Option(..., "--as-of", help="The date of the team's state: YYYY-MM-DD"),
    out_file: Path = typer.Option(..., "--out", help="Scenario YAML to write"),
    columns: Path | None = typer.Option(
        None, "--columns", help="YAML mapping local column names to documented ones"
    ),
    base: Path | None = typer.Option(
        None, "--base", help="Scenario whose other values are kept (default: the shipped one)"
    ),
    report: Path | None = typer.Option(
        None, "--report", help="Folder for data_report.html/.csv (default: beside --out)"
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing --out file"),
    workforce: Path | None = typer.Option(
        None, "--workforce", help="CSWW census XML giving the staff (with an Annex A workbook)"
    ),
    team: str | None = typer.Option(
        None, "--team", help="The Allocated Team to import when the workbook holds several"
    ),
) -> None:
    """Read a team's records and write a scenario of that team starting on --as-of."""
    import yaml

    from ..data.data_report import write_report
    from ..data.importer import import_extract
    from ..data.readers import ExtractError
    from ..scenario import Scenario
    from ..scenario.loading import ScenarioError, load_scenario

    class NoAliases(yaml.SafeDumper):
        def ignore_aliases(self, data) -> bool:  # the as-of date twice, written twice
            return True

    day = _date(as_of, "--as-of")
    if out_file.suffix not in (".yaml", ".yml"):
        _fail([f"--out {out_file}: give a .yaml file to write, e.g. scenarios/my_team.yaml"])
    if out_file.exists() and not force:
        _fail([f"--out {out_file}: exists; give a new name or --force to overwrite it"])
    try:
        imp = import_extract(
            data, day, base, columns, name=out_file.stem, workforce=workforce, team=team
        )
    except ExtractError as exc:
        _fail([str(exc)])
    except Exception as exc:  # noqa: BLE001  (its message may quote a personal value)
        _fail(
            [
                f"{data}: the import stopped ({type(exc).__name__}) on a value it could not read; "
                "no value is shown (it may be personal); check the files against docs/data.md"
            ]
        )
    scenario = _plain(imp.scenario)
    check = dict(scenario)
    if "start_state" not in Scenario.model_fields:  # the model side not merged yet
        check.pop("start_state", None)
    try:
        load_scenario(check)
    except ScenarioError as exc:
        _fail([f"the imported scenario is not valid: {exc.problems[0]}"])
    out_file.parent.mkdir(parents=True, exist_ok=True)
    out_file.write_text(
        HEADER
        + yaml.dump(scenario, Dumper=NoAliases, sort_keys=False, allow_unicode=True, width=100),
        "utf-8",
    )
    page, _ = write_report(imp, report or out_file.parent)
    problems = len(imp.extract.problems)
    state = scenario["start_state"]
    out.print(
        f"{state['source']}; {len(imp.notes)} values from the records, {len(imp.kept)} kept "
        f"from the base; {problems} problem(s) in {page}",
        markup=False,
        highlight=False,
    )
    out.print(f"scenario written to {out_file}", markup=False, highlight=False)


@app.command(name="export")
@one_line_errors
def export_records(
    run_dir: Path = typer.Argument(..., help="A run folder written with --trace"),
    fmt: str = typer.Option("csv", "--format", help="csv: the extract format of docs/data.md"),
    out_dir: Path = typer.Option(..., "--out", help="Folder to write the extract into"),
    as_of: str | None = typer.Option(
        None, "--as-of", help="The extract's date (default: the run's last day)"
    ),
    rep: int = typer.Option(0, "--rep", help="Which replication's history", min=0),
) -> None:
    """Write the extract a team with a run's history would have produced."""
    from ..data.export import ExportError, export_csv

    if fmt != "csv":
        _fail([f"--format {fmt!r}: use csv (the format of docs/data.md)"])
    day = _date(as_of, "--as-of") if as_of else None
    try:
        rows = export_csv(run_dir, out_dir, day, rep)
    except ExportError as exc:
        _fail([str(exc)])
    except (KeyError, ValueError) as exc:
        _fail(
            [
                f"{run_dir}: not a run folder export can read ({type(exc).__name__}); give the "
                "folder of a run made with --trace"
            ]
        )
    out.print(", ".join(f"{n}.csv {k:,} rows" for n, k in rows.items()), markup=False)
    say_where(out_dir, "extract written to")
