"""The app, its shared options, and the single-run commands: validate, assumptions, run, report,
evidence."""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from ..experiments.backends import BACKENDS
from ..experiments.outputs import default_out_dir, scenario_hash, scenario_yaml, write_run
from ..experiments.replications import TABLES, run_replications, run_to_precision
from ..experiments.store import ExperimentFinished, ExperimentMismatch, PartStore
from ..records import OPTIONAL_TABLES
from ..records.metrics import METRICS
from ..report import evidence as evidence_pack
from ..report import run_page
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
err = Console(stderr=True)
out = Console()

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

SetOption = typer.Option(
    None, "--set", help="Override a field: --set team.permanent=10 (repeatable)"
)


def _fail(problems: list[str]) -> None:
    for line in problems:
        err.print(f"error: {line}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


def _load(scenario: Path, sets: list[str] | None, extra: list[str] | None = None):
    try:
        return load_scenario(scenario, [*(sets or []), *(extra or [])])
    except ScenarioError as exc:
        _fail(exc.problems)


PRECISION_METRICS = ("wait_to_allocation_days", "open_cases_mean")
BackendOption = typer.Option("serial", "--backend", help="serial, process (all cores) or dask")
WorkersOption = typer.Option(None, "--workers", min=1, help="Processes (default: all cores)")
SchedulerOption = typer.Option(
    None, "--scheduler", help="Address of a running Dask scheduler (tcp://host:port)"
)
QuietOption = typer.Option(False, "--quiet", "-q", help="No progress bar or tables")
LogOption = typer.Option(
    "none", "--log", help="'json': one JSON line per finished task on stderr, for scripts"
)


def _session(backend: str, workers: int | None, scheduler: str | None, quiet: bool, log: str):
    if log not in ("none", "json"):
        _fail([f"--log {log!r}: use 'none' or 'json'"])
    if backend not in BACKENDS:
        _fail([f"--backend {backend!r}: use one of {', '.join(BACKENDS)}"])
    return Session(backend, workers, scheduler, quiet, log)


def _known_metrics(names: list[str]) -> None:
    unknown = [m for m in names if m not in METRICS]
    if unknown:
        _fail([f"unknown metric(s) {', '.join(unknown)}; known: {', '.join(METRICS)}"])


def _store(target: Path, identity: dict, resume: bool) -> PartStore:
    try:
        return PartStore(target, identity, resume=resume)
    except ExperimentMismatch as exc:
        _fail([str(exc)])
    except ExperimentFinished as exc:
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


@app.command()
def report(
    folder: Path = typer.Argument(..., help="A run folder (written by 'run')"),
) -> None:
    """Rebuild report.html in a run folder from its tables."""
    if not (folder / "summary.csv").exists():
        _fail([f"{folder}: no summary.csv here; give the folder a 'run' wrote"])
    out.print(f"wrote {run_page.build(folder)}")


@app.command()
def evidence(
    folder: Path = typer.Argument(..., help="A run folder (written by 'run')"),
    out_dir: Path | None = typer.Option(None, "--out", help="Pack folder (default DIR/evidence)"),
) -> None:
    """Bundle report, tables (CSV), scenario, assumptions and a plain-English summary."""
    if not (folder / "summary.csv").exists():
        _fail([f"{folder}: no summary.csv here; give the folder a 'run' wrote"])
    pack, archive = evidence_pack.build_pack(folder, out_dir)
    out.print(f"evidence pack: {pack}/ and {archive}", markup=False, highlight=False)


@app.command()
def validate(
    scenario: Path = typer.Argument(..., help="Scenario YAML file"),
    sets: list[str] | None = SetOption,
    resolved: bool = typer.Option(False, "--resolved", help="Print the full resolved scenario"),
) -> None:
    """Check a scenario file: prints 'ok', or one line per problem and exits 2."""
    sc = _load(scenario, sets)
    if resolved:
        out.print(scenario_yaml(resolved_dict(sc)), markup=False, highlight=False)
    else:
        out.print("ok")


@app.command()
def assumptions(
    scenario: Path = typer.Argument(..., help="Scenario YAML file"),
    sets: list[str] | None = SetOption,
    as_markdown: bool = typer.Option(False, "--markdown", help="Print a Markdown table"),
) -> None:
    """List every parameter with its value, unit and source (the evidence trail)."""
    table = assumptions_table(_load(scenario, sets))
    if as_markdown:
        out.print(markdown(table), markup=False, highlight=False, soft_wrap=True)
        return
    view = Table(title=f"Assumptions of {scenario}")
    for col in ("field", "value", "unit", "source"):
        view.add_column(col, overflow="fold")
    for row in table.itertuples():
        view.add_row(row.field, row.value, row.unit, row.source)
    out.print(view)


@app.command()
def run(
    scenario: Path = typer.Argument(..., help="Scenario YAML file"),
    reps: int | None = typer.Option(None, min=1, help="Replications (default: the file's)"),
    precision: float | None = typer.Option(
        None,
        min=0.001,
        max=1.0,
        help="Instead of --reps: add replications until the 95%% CI half-width of each "
        "--precision-metric is within this share of its mean (e.g. 0.05)",
    ),
    precision_metric: list[str] | None = typer.Option(
        None, "--precision-metric", help="Metric(s) for --precision (repeatable)"
    ),
    max_reps: int = typer.Option(200, min=2, help="Cap on replications with --precision"),
    seed: int | None = typer.Option(None, min=0, help="Seed (default: the file's)"),
    days: int | None = typer.Option(None, min=1, help="Working days measured after warm-up"),
    warmup_days: int | None = typer.Option(None, min=0, help="Working days of warm-up"),
    out_dir: Path | None = typer.Option(None, "--out", help="Output folder"),
    resume: Path | None = typer.Option(None, "--resume", help="Finish an interrupted run here"),
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
    """Run a scenario's replications and write tables, summary and manifest."""
    extra = [f"horizon_days={days}"] if days is not None else []
    if warmup_days is not None:
        extra.append(f"warmup_days={warmup_days}")
    sc = _load(scenario, sets, extra)
    seed = sc.seed if seed is None else seed
    wanted = _optional_tables(trace, tables)
    metrics = precision_metric or list(PRECISION_METRICS)
    _known_metrics(metrics)
    resolved = resolved_dict(sc)
    identity = {
        "kind": "run",
        "name": sc.name,
        "seed": seed,
        "sha256": scenario_hash({"scenario": resolved, "seed": seed}),
    }
    target = resume or out_dir or default_out_dir(sc.name)
    store = _store(target, identity, resume is not None)
    total = max_reps if precision else (reps or sc.replications)
    with _session(backend, workers, scheduler, quiet, log) as session:
        on_result = session.tracker(total, f"{sc.name}: replications")
        if precision:
            results = run_to_precision(
                sc,
                metrics,
                precision,
                max_reps=max_reps,
                seed=seed,
                backend=session.backend,
                store=store,
                on_result=on_result,
                tables=TABLES + wanted,
            )
        else:
            results = run_replications(
                sc,
                reps=total,
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
        ("--seed", seed),
        ("--days", days),
        ("--warmup-days", warmup_days),
        ("--out", target),
    ):
        if value is not None:
            args += [flag, str(value)]
    for item in sets or []:
        args += ["--set", item]
    if wanted:
        args += ["--tables", ",".join(wanted)]
    if results.reps:
        write_run(target, results, resolved, _command(args))
        run_page.build(target)
    reached = results.extra.get("precision", {}).get("reached", True)
    if not reached:
        last = results.extra["precision"]["history"][-1]
        widths = ", ".join(f"{m} {last[m]:.1%}" for m in metrics)
        err.print(
            f"warning: --precision {precision} not reached after {results.reps} "
            f"replications (half-width/mean: {widths}); raise --max-reps",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    if not quiet and results.reps:
        _print_summary(results, target)
    _report_failures(results.failures, target, store)


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


def _command(args: list[str]) -> str:
    return "python run.py " + " ".join(shlex.quote(a) for a in args)


def _print_summary(results, target: Path) -> None:
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
    out.print(f"results written to {target}/ ({results.wall_seconds:.1f} s)")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
