"""The app, its shared options, and the single-run commands: validate, assumptions, run, report,
evidence."""

from __future__ import annotations

import functools
import shlex
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console
from rich.table import Table

from ..experiments.backends import BACKENDS, BackendError
from ..experiments.outputs import (
    FolderLock,
    OutputError,
    commit_manifest,
    default_out_dir,
    prepare_out_dir,
    scenario_hash,
    scenario_yaml,
    write_run,
)
from ..experiments.replications import TABLES, run_replications, run_to_precision
from ..experiments.store import ExperimentFinished, ExperimentMismatch, PartStore
from ..records import OPTIONAL_TABLES
from ..records.metrics import METRICS
from ..report import evidence as evidence_pack
from ..report import run_page
from ..report.pages import missing_run_files
from ..scenario.assumptions import assumptions_table, markdown
from ..scenario.loading import ScenarioError, load_scenario, resolved_dict
from .session import Session

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    help="workload_sim: simulate a social work team's workload from a YAML scenario.",
)


def _console(stderr: bool = False) -> Console:
    """Soft-wrapped, and wide when piped: output sent to a file (YAML, tables) is never
    folded at 80 columns."""
    probe = Console(stderr=stderr)
    width = None if probe.is_terminal else 10_000
    return Console(stderr=stderr, soft_wrap=True, width=width)


err = _console(stderr=True)
out = _console()

HEADLINE = [
    "wait_to_allocation_days",
    "wait_to_allocation_p90",
    "allocation_breach_share",
    "unallocated_end",
    "backlog_growth_per_week",
    "work_waiting_hours_mean",
    "work_waiting_growth_per_week",
    "open_cases_mean",
    "caseload_mean",
    "overtime_hours_per_worker_week",
    "utilisation",
]

# The options every experiment command shares (run, compare, sweep, staffing), defined once.
# A value given on the command line overrides the file; the file's value is the default.
SetOption = typer.Option(
    None, "--set", help="Override a field: --set team.permanent=10 (repeatable)"
)
RepsOption = typer.Option(
    None,
    "--reps",
    min=1,
    help="Replications (default: the file's 'replications', or a sweep file's 'reps')",
)
SeedOption = typer.Option(None, "--seed", min=0, help="Seed (default: the file's 'seed')")
DaysOption = typer.Option(
    None, "--days", min=1, help="Working days measured after warm-up (default: horizon_days)"
)
WarmupOption = typer.Option(
    None, "--warmup-days", min=0, help="Working days of warm-up (default: warmup_days)"
)
PrecisionOption = typer.Option(
    None,
    "--precision",
    min=0.001,
    max=1.0,
    help="Add replications until the 95% CI half-width of each --precision-metric is "
    "within this share of its mean (e.g. 0.05), up to --max-reps",
)
PrecisionMetricOption = typer.Option(
    None,
    "--precision-metric",
    help="Metric(s) for --precision, any in the summary (repeatable; default "
    "wait_to_allocation_days and open_cases_mean)",
)
MaxRepsOption = typer.Option(
    None, "--max-reps", min=2, help="Cap on replications when they are added (default 200)"
)
OutOption = typer.Option(
    None, "--out", help="Output folder (default: results/NAME-DATE-TIME, NAME the file's)"
)
DEFAULT_MAX_REPS = 200


def horizon_sets(days: int | None, warmup_days: int | None) -> list[str]:
    """--days and --warmup-days as the overrides they are."""
    sets = [f"horizon_days={days}"] if days is not None else []
    if warmup_days is not None:
        sets.append(f"warmup_days={warmup_days}")
    return sets


def say_where(target: Path, what: str = "written to", note: str = "") -> None:
    """The last line of every command that writes: where (printed with --quiet too)."""
    out.print(f"{what} {target}/{note}", markup=False, highlight=False)


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


MAX_SHOWN = 3  # problems printed; a file with thousands of mistakes is one mistake repeated


def _fail(problems: list[str]) -> NoReturn:
    shown = problems if len(problems) <= MAX_SHOWN else problems[: MAX_SHOWN - 1]
    for line in map(_printable, shown):
        err.print(f"error: {line}", markup=False, highlight=False, soft_wrap=True)
    if len(shown) < len(problems):
        err.print(
            f"error: ... and {len(problems) - len(shown)} more problem(s); fix these first",
            markup=False,
            highlight=False,
        )
    raise typer.Exit(code=2)


def _printable(text: str) -> str:
    """Control characters (NUL, escape sequences) from input are shown escaped, never sent
    to the terminal."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def one_line_errors(command: Callable) -> Callable:
    """Bad input, an unusable folder or a failed write (disk full, read-only) end a command
    with one line and exit 2, never a traceback."""

    @functools.wraps(command)
    def guarded(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except ScenarioError as exc:
            _fail(exc.problems)
        except OutputError as exc:
            _fail([str(exc)])
        except OSError as exc:
            where = exc.filename or "output"
            _fail(
                [f"{where}: {exc.strerror or exc}; check the path, its permissions and free space"]
            )

    return guarded


def _out_target(
    out_dir: Path | None, resume: Path | None, default: Path, command: str, force: bool
) -> Path:
    """The folder a command writes: --resume's (which must be one), --out's (checked), or
    a new folder under results/ named after the scenario."""
    if resume is not None:
        if not resume.is_dir():
            _fail([f"--resume {resume}: not a folder; give the folder the interrupted run wrote"])
        return resume
    return prepare_out_dir(out_dir or default, command, force)


ForceOption = typer.Option(
    False,
    "--force",
    help="Write into a non-empty --out folder anyway (an earlier run of this command there "
    "starts over; other files are left alone)",
)


def _load(scenario: Path, sets: list[str] | None, extra: list[str] | None = None):
    try:
        return load_scenario(scenario, [*(sets or []), *(extra or [])])
    except ScenarioError as exc:
        _fail(exc.problems)


def run_name(sc, scenario: Path, sets: list[str] | None, name: str | None = None):
    """The run's name: --name, a --set name=..., else the file's name when it differs from
    ``name:`` (a copied file keeps the old ``name:``; its results must not pass for the
    old team's)."""
    if name is None and any(s.split("=", 1)[0].strip() == "name" for s in sets or []):
        return sc
    wanted = name if name is not None else scenario.stem
    if not wanted.strip():
        _fail(["--name: give a non-empty name"])
    return sc if wanted == sc.name else sc.model_copy(update={"name": wanted})


PRECISION_METRICS = ("wait_to_allocation_days", "open_cases_mean")
BackendOption = typer.Option("serial", "--backend", help="serial, process (all cores) or dask")
WorkersOption = typer.Option(None, "--workers", min=1, help="Processes (default: all cores)")
SchedulerOption = typer.Option(
    None, "--scheduler", help="Address of a running Dask scheduler (tcp://host:port)"
)
QuietOption = typer.Option(
    False, "--quiet", "-q", help="Print only where the results were written (and any errors)"
)
NameOption = typer.Option(
    None, "--name", help="The run's name, for its folder and report (default: the file's name)"
)
LogOption = typer.Option(
    "none", "--log", help="'json': one JSON line per finished task on stderr, for scripts"
)


def _session(backend: str, workers: int | None, scheduler: str | None, quiet: bool, log: str):
    if log not in ("none", "json"):
        _fail([f"--log {log!r}: use 'none' or 'json'"])
    if backend not in BACKENDS:
        _fail([f"--backend {backend!r}: use one of {', '.join(BACKENDS)}"])
    try:
        return Session(backend, workers, scheduler, quiet, log)
    except BackendError as exc:
        _fail([str(exc)])


def _known_metrics(names: list[str]) -> None:
    unknown = [m for m in names if m not in METRICS]
    if unknown:
        _fail([f"unknown metric(s) {', '.join(unknown)}; known: {', '.join(METRICS)}"])


def _store(
    target: Path,
    identity: dict,
    resume: bool,
    rebuild: Callable[[], Path] | None = None,
    force: bool = False,
) -> PartStore:
    try:
        return PartStore(target, identity, resume=resume, replace=force)
    except ExperimentMismatch as exc:
        _fail([str(exc)])
    except ExperimentFinished as exc:
        if rebuild is not None:  # complete, but its page was lost (an older version's crash)
            out.print(f"{exc}; rebuilt {rebuild()}", markup=False, highlight=False)
        else:
            out.print(f"{exc}; nothing to resume", markup=False, highlight=False)
        raise typer.Exit(code=0) from None


def _report_failures(failures: list, target: Path, store: PartStore | None) -> None:
    if not failures:
        if store is not None and store.parts.exists():
            shutil.rmtree(store.parts)  # every part is in the final tables now
        return
    for f in failures:
        err.print(
            f"warning: point {f.point} replication {f.rep} (seed {f.seed}) failed: {f.error}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    err.print(
        f"{len(failures)} task(s) failed; the others are in {target}/. Re-run only what is "
        f"missing with the same command and --resume {target}",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    raise typer.Exit(code=3)


def _run_folder(folder: Path) -> None:
    """Refuse a folder that is not a complete run folder, naming what is missing."""
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


@app.command()
@one_line_errors
def report(
    folder: Path = typer.Argument(..., help="A run folder (written by 'run')"),
) -> None:
    """Rebuild report.html in a run folder from its tables."""
    _run_folder(folder)
    with FolderLock(folder):
        out.print(f"wrote {run_page.build(folder)}")


@app.command()
@one_line_errors
def evidence(
    folder: Path = typer.Argument(..., help="A run folder (written by 'run')"),
    out_dir: Path | None = typer.Option(
        None, "--out", help="Pack folder: new or empty (default DIR/evidence)"
    ),
) -> None:
    """Bundle report, tables (CSV), scenario, assumptions and a plain-English summary."""
    _run_folder(folder)
    pack, archive = evidence_pack.build_pack(folder, out_dir)
    out.print(f"evidence pack: {pack}/ and {archive}", markup=False, highlight=False)


@app.command()
@one_line_errors
def validate(
    scenario: Path = typer.Argument(..., help="Scenario YAML file"),
    sets: list[str] | None = SetOption,
    resolved: bool = typer.Option(False, "--resolved", help="Print the full resolved scenario"),
) -> None:
    """Check a scenario file: prints 'ok', or one line per problem and exits 2."""
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
) -> None:
    """Run a scenario's replications and write tables, summary, report and manifest."""
    sc = run_name(_load(scenario, sets, horizon_sets(days, warmup_days)), scenario, sets, name)
    seed = sc.seed if seed is None else seed
    wanted = _optional_tables(trace, tables)
    metrics = precision_metric or list(PRECISION_METRICS)
    _known_metrics(metrics)
    if reps is not None and precision is not None:
        _fail(["--reps and --precision: give one (--reps N runs exactly N replications)"])
    max_reps = DEFAULT_MAX_REPS if max_reps is None else max_reps
    resolved = resolved_dict(sc)
    identity = {
        "kind": "run",
        "name": sc.name,
        "seed": seed,
        "sha256": scenario_hash({"scenario": resolved, "seed": seed}),
    }
    # the backend first: an unreachable cluster is refused before any folder is made
    with _session(backend, workers, scheduler, quiet, log) as session:
        target = _out_target(out_dir, resume, default_out_dir(sc.name), "run", force)
        with FolderLock(target):  # one command at a time in a folder
            rebuild = None if (target / "report.html").exists() else lambda: run_page.build(target)
            store = _store(target, identity, resume is not None, rebuild, force)
            on_result = session.tracker(reps or max_reps, f"{sc.name}: replications")
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


def _say_how_it_stopped(info: dict, reps: int, quiet: bool) -> None:
    """Whether the sequential run decided its verdict (and reached --precision), or hit the cap."""
    verdict = info["verdict"].upper()
    if info["verdict_decided"] and not quiet:
        out.print(
            f"backlog verdict decided after {reps} replications: {verdict} "
            f"(margin +-{info['verdict_margin']:g} cases a week)",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    elif not info["verdict_decided"]:
        more = info.get("verdict_more_reps")
        err.print(
            f"warning: cap of {info['max_reps']} replications reached before the backlog "
            f"verdict was decided (NOT SHOWN"
            + (f"; about {more} more would tell" if more else "")
            + "); raise --max-reps",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    if not info["reached"]:
        last = info["history"][-1]
        widths = ", ".join(
            f"{m} {last[m]:.1%}" if last[m] is not None else f"{m} not measurable"
            for m in info["metrics"]
        )
        err.print(
            f"warning: --precision {info['target']} not reached after {reps} "
            f"replications (half-width/mean: {widths}); raise --max-reps",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )


def _optional_tables(trace: bool, tables: str | None) -> tuple[str, ...]:
    asked = {"tasks", "events"} if trace else set()
    for name in (tables or "").split(","):
        name = name.strip()
        if not name:
            continue
        if name not in OPTIONAL_TABLES:
            _fail([f"--tables {name!r}: choose from {', '.join(OPTIONAL_TABLES)}"])
        asked.add(name)
    return tuple(t for t in OPTIONAL_TABLES if t in asked)


def command_line(args: list[str]) -> str:
    """The command as a user types it, with the installed ``workload-sim`` command."""
    return " ".join(["workload-sim", *(shlex.quote(a) for a in args)])


def _print_summary(results) -> None:
    table = Table(
        title=f"{results.scenario.name}: {results.reps} replications, seed {results.seed}"
    )
    for col in ("metric", "mean", "95% CI", "unit"):
        table.add_column(col)
    rows = results.summary.set_index("metric")
    for name in HEADLINE:
        r = rows.loc[name]
        ci = "n/a" if r["reps"] < 2 else f"{r['ci_low']:.2f} to {r['ci_high']:.2f}"
        table.add_row(name, f"{r['mean']:.2f}", ci, r["unit"])
    out.print(table)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
