"""The command line: ``python run.py COMMAND`` (or ``workload-sim COMMAND``)."""

from __future__ import annotations

import shlex
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from .assumptions import assumptions_table, markdown
from .experiment import run_replications
from .loading import ScenarioError, load_scenario, resolved_dict
from .outputs import default_out_dir, scenario_yaml, write_run

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
    seed: int | None = typer.Option(None, min=0, help="Seed (default: the file's)"),
    days: int | None = typer.Option(None, min=1, help="Working days measured after warm-up"),
    warmup_days: int | None = typer.Option(None, min=0, help="Working days of warm-up"),
    out_dir: Path | None = typer.Option(None, "--out", help="Output folder"),
    sets: list[str] | None = SetOption,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or table"),
) -> None:
    """Run a scenario's replications and write tables, summary and manifest."""
    extra = [f"horizon_days={days}"] if days is not None else []
    if warmup_days is not None:
        extra.append(f"warmup_days={warmup_days}")
    sc = _load(scenario, sets, extra)
    target = out_dir or default_out_dir(sc.name)
    if (target / "manifest.json").exists():
        _fail([f"--out {target}: already holds a run; choose another folder or remove it"])
    n = reps or sc.replications
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        disable=quiet or not err.is_terminal,
    )
    with progress:
        task = progress.add_task(f"{sc.name}: replications", total=n)
        results = run_replications(
            sc, reps=n, seed=seed, on_rep_done=lambda _r: progress.advance(task)
        )
    args = ["run", str(scenario)]
    for flag, value in (
        ("--reps", reps),
        ("--seed", seed),
        ("--days", days),
        ("--warmup-days", warmup_days),
        ("--out", out_dir),
    ):
        if value is not None:
            args += [flag, str(value)]
    for item in sets or []:
        args += ["--set", item]
    write_run(target, results, resolved_dict(sc), _command(args))
    if not quiet:
        _print_summary(results, target)


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
