"""The app and the single-run commands: validate, assumptions, run, report, evidence.

Shared options live in ``options``, shared behaviour (errors, output, folders) in ``common``.
"""

from __future__ import annotations

from pathlib import Path

import typer

from .common import (
    _fail,
    _known_metrics,
    _load,
    _out_target,
    _report_failures,
    _session,
    _store,
    command_line,
    err,
    one_line_errors,
    out,
    run_name,
    say_where,
)
from .options import (
    DEFAULT_MAX_REPS,
    PRECISION_METRICS,
    BackendOption,
    DaysOption,
    ForceOption,
    LogOption,
    MaxRepsOption,
    NameOption,
    OutOption,
    OversubscribeOption,
    PrecisionMetricOption,
    PrecisionOption,
    QuietOption,
    SchedulerOption,
    SeedOption,
    SetOption,
    WarmupOption,
    WorkersOption,
    horizon_sets,
)

# The model, pandas, scipy and plotly are imported inside the commands that use them, so
# --version and --help answer at once (tests/test_startup.py).
from .run_words import _print_summary, _say_how_it_stopped

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    help="workload_sim: simulate a social work team's workload from a YAML scenario.",
)


# the evidence pack's default number of replications' cases (report.evidence.CASE_REPS),
# written here so that --help imports no pandas; tests/test_startup.py checks they agree
EVIDENCE_CASE_REPS = 50


def _print_version(value: bool) -> None:
    if value:
        from .. import __version__

        out.print(f"workload-sim {__version__}", markup=False, highlight=False)
        raise typer.Exit()


@app.callback()
def _options(
    version: bool = typer.Option(
        False,
        "--version",
        callback=_print_version,
        is_eager=True,
        help="Print the version and exit",
    ),
) -> None:
    """workload_sim: simulate a social work team's workload from a YAML scenario."""


def _run_folder(folder: Path) -> None:
    """Refuse a folder that is not a complete run folder, naming what is missing."""
    from ..report.pages import missing_run_files

    if not folder.is_dir():
        _fail([f"{folder}: not a folder; give the folder a 'run' wrote"])
    missing = missing_run_files(folder)
    if missing:
        _fail(
            [
                f"{folder}: not a complete run folder (no {', '.join(missing)} here); give "
                "the folder a 'run' wrote, or finish it with run --resume"
            ]
        )
    from ..experiments.integrity import check_run_folder

    check_run_folder(folder)  # its files are the ones its run wrote, and agree


@app.command()
@one_line_errors
def report(
    folder: Path = typer.Argument(..., help="A run folder (written by 'run')"),
) -> None:
    """Rebuild report.html in a run folder from its tables."""
    from ..experiments.outputs import FolderLock
    from ..report import run_page

    _run_folder(folder)
    with FolderLock(folder):
        say_where(folder, "report written to", f" ({run_page.build(folder).name})")


@app.command()
@one_line_errors
def evidence(
    folder: Path = typer.Argument(..., help="A run folder (written by 'run')"),
    out_dir: Path | None = typer.Option(
        None, "--out", help="Pack folder: new or empty (default DIR/evidence)"
    ),
    csv: bool = typer.Option(
        False,
        "--csv",
        help="Also give the per-case, per-day and per-worker tables as CSV (for a "
        "spreadsheet; much bigger than their Parquet files)",
    ),
    all_cases: bool = typer.Option(
        False,
        "--all-cases",
        help=f"Give every replication's cases (default: the first {EVIDENCE_CASE_REPS}; "
        "200 replications of a team of 10 are about 16 MB more)",
    ),
) -> None:
    """Bundle report, summary tables (CSV), per-case tables (Parquet), scenario,
    assumptions and a plain-English summary."""
    from ..report import evidence as evidence_pack

    _run_folder(folder)
    pack, archive = evidence_pack.build_pack(folder, out_dir, csv=csv, all_cases=all_cases)
    say_where(pack, "evidence pack written to", f" and {archive}")


@app.command()
@one_line_errors
def validate(
    scenario: Path = typer.Argument(..., help="Scenario YAML file"),
    sets: list[str] | None = SetOption,
    resolved: bool = typer.Option(False, "--resolved", help="Print the full resolved scenario"),
) -> None:
    """Check a scenario file: prints 'ok', or one line per problem and exits 2."""
    from ..experiments.outputs import scenario_yaml
    from ..scenario.loading import resolved_dict

    sc = _load(scenario, sets)
    if resolved:  # data, written as it is: no markup, emoji codes or wrapping
        typer.echo(scenario_yaml(resolved_dict(sc)), nl=False)
    else:
        out.print("ok")


@app.command()
@one_line_errors
def assumptions(
    scenario: Path = typer.Argument(..., help="Scenario YAML file"),
    sets: list[str] | None = SetOption,
    as_markdown: bool = typer.Option(False, "--markdown", help="Print a Markdown table"),
) -> None:
    """List every parameter with its value, unit and source (the evidence trail)."""
    from rich.table import Table

    from ..scenario.assumptions import assumptions_table, markdown

    table = assumptions_table(_load(scenario, sets))
    if as_markdown:
        typer.echo(markdown(table))
        return
    view = Table(title=f"Assumptions of {scenario}")
    for col in ("field", "value", "unit", "source"):
        view.add_column(col, overflow="fold")
    for row in table.itertuples():
        view.add_row(row.field, row.value, row.unit, row.source)
    out.print(view)


@app.command()
@one_line_errors
def run(
    scenario: Path = typer.Argument(..., help="Scenario YAML file"),
    reps: int | None = typer.Option(
        None,
        "--reps",
        min=1,
        help="Exactly this many replications. Without it, replications are added (from the "
        "file's number, up to --max-reps) until the backlog verdict is decided",
    ),
    precision: float | None = PrecisionOption,
    precision_metric: list[str] | None = PrecisionMetricOption,
    max_reps: int | None = MaxRepsOption,
    seed: int | None = SeedOption,
    days: int | None = DaysOption,
    warmup_days: int | None = WarmupOption,
    out_dir: Path | None = OutOption,
    name: str | None = NameOption,
    resume: Path | None = typer.Option(None, "--resume", help="Finish an interrupted run here"),
    force: bool = ForceOption,
    sets: list[str] | None = SetOption,
    backend: str = BackendOption,
    workers: int | None = WorkersOption,
    oversubscribe: bool = OversubscribeOption,
    scheduler: str | None = SchedulerOption,
    quiet: bool = QuietOption,
    log: str = LogOption,
    trace: bool = typer.Option(
        False,
        "--trace",
        help="Also write the event log of every replication (events.parquet) "
        "and every stretch of work (tasks.parquet)",
    ),
    tables: str | None = typer.Option(
        None, "--tables", help="Optional tables to write as well, comma-separated: tasks, events"
    ),
    allow_large: bool = typer.Option(
        False, "--allow-large", help="Run even when --trace/--tables need over 2 GB of memory"
    ),
) -> None:
    """Run a scenario's replications and write tables, summary, report and manifest."""
    from ..experiments.outputs import (
        FolderLock,
        commit_manifest,
        default_out_dir,
        scenario_hash,
        write_run,
    )
    from ..experiments.replications import TABLES, run_replications, run_to_precision
    from ..report import run_page
    from ..scenario.loading import resolved_dict

    sc = run_name(_load(scenario, sets, horizon_sets(days, warmup_days)), scenario, sets, name)
    seed = sc.seed if seed is None else seed
    wanted = _optional_tables(trace, tables)
    metrics = precision_metric or list(PRECISION_METRICS)
    _known_metrics(metrics)
    if reps is not None and precision is not None:
        _fail(["--reps and --precision: give one (--reps N runs exactly N replications)"])
    max_reps = DEFAULT_MAX_REPS if max_reps is None else max_reps
    _memory_check(sc, reps, max_reps, wanted, "--trace" if trace else "--tables", allow_large)
    resolved = resolved_dict(sc)
    identity = {
        "kind": "run",
        "name": sc.name,
        "seed": seed,
        "sha256": scenario_hash({"scenario": resolved, "seed": seed}),
    }
    # the backend first: an unreachable cluster is refused before any folder is made
    with _session(backend, workers, scheduler, quiet, log, oversubscribe) as session:
        target = _out_target(out_dir, resume, default_out_dir(sc.name), "run", force)
        with FolderLock(target):  # one command at a time in a folder
            rebuild = None if (target / "report.html").exists() else lambda: run_page.build(target)
            store = _store(target, identity, resume is not None, rebuild, force)
            on_result = session.tracker(reps or max_reps, f"{sc.name}: replications", target)
            if reps is None:
                results = run_to_precision(
                    sc,
                    metrics if precision else [],
                    precision,
                    min_reps=sc.replications,
                    max_reps=max_reps,
                    seed=seed,
                    backend=session.backend,
                    store=store,
                    on_result=on_result,
                    tables=TABLES + wanted,
                    decide_verdict=True,
                )
            else:
                results = run_replications(
                    sc,
                    reps=reps,
                    seed=seed,
                    backend=session.backend,
                    store=store,
                    on_result=on_result,
                    tables=TABLES + wanted,
                )
            session.finish()
            args = ["run", str(scenario)]
            for flag, value in (
                ("--reps", reps),
                ("--precision", precision),
                ("--max-reps", None if reps else max_reps),
                ("--seed", seed),
                ("--days", days),
                ("--warmup-days", warmup_days),
                ("--name", sc.name if sc.name != scenario.stem else None),
                ("--out", target),
            ):
                if value is not None:
                    args += [flag, str(value)]
            for metric in precision_metric or []:
                args += ["--precision-metric", metric]
            for item in sets or []:
                args += ["--set", item]
            if wanted:
                args += ["--tables", ",".join(wanted)]
            if results.reps:
                write_run(target, results, resolved, command_line(args))
                run_page.build(target)
                commit_manifest(target)  # last: a folder with a manifest is a complete run
            if "precision" in results.extra:
                _say_how_it_stopped(results.extra["precision"], results.reps, quiet)
            if not quiet and results.reps:
                _print_summary(results)
            say_where(target, "results written to", f" ({results.wall_seconds:.1f} s)")
            _report_failures(results.failures, target, store)


def _memory_check(sc, reps, max_reps: int, wanted: tuple, flag: str, allow: bool) -> None:
    """The memory the optional tables will take, said before the run and refused above the
    budget unless --allow-large (experiments/budget.py). Without --reps the run starts at
    the file's replications (refused if those alone are over) and may add up to --max-reps
    (said, not refused)."""
    from ..experiments.budget import check_optional_tables

    if not wanted:
        return
    refusal, note = check_optional_tables(sc, reps or sc.replications, wanted, flag)
    if refusal and not allow:
        _fail([refusal])
    if reps is None and not refusal:
        refusal, note = check_optional_tables(sc, max_reps, wanted, flag)
    if refusal or note:
        err.print(note or f"note: {refusal}", markup=False, highlight=False, soft_wrap=True)


def _optional_tables(trace: bool, tables: str | None) -> tuple[str, ...]:
    from ..records import OPTIONAL_TABLES

    asked = set(OPTIONAL_TABLES) if trace else set()
    for name in (tables or "").split(","):
        name = name.strip()
        if not name:
            continue
        if name not in OPTIONAL_TABLES:
            _fail([f"--tables {name!r}: choose from {', '.join(OPTIONAL_TABLES)}"])
        asked.add(name)
    return tuple(t for t in OPTIONAL_TABLES if t in asked)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
