"""Commands for experiments: compare scenarios, sweep parameters, search staffing."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import typer
from rich.table import Table

from ..experiments.outputs import (
    default_out_dir,
    scenario_hash,
    scenario_yaml,
    write_csv,
    write_parquet,
    write_text,
)
from ..experiments.replications import compare as compare_scenarios
from ..experiments.replications import execute
from ..experiments.staffing import Target, staffing_search, whole_number_field
from ..experiments.sweep import load_sweep, sobol_indices, summarise_points
from ..experiments.tasks import Task
from ..records.metrics import KEY_METRICS
from ..report import experiment_pages
from ..scenario.loading import ScenarioError, resolved_dict
from .run import (
    BackendOption,
    LogOption,
    QuietOption,
    SchedulerOption,
    SetOption,
    WorkersOption,
    _command,
    _fail,
    _load,
    _report_failures,
    _session,
    _store,
    app,
    out,
)


@app.command()
def compare(
    scenarios: list[Path] = typer.Argument(
        ..., help="Two or more scenario files; the first is the reference"
    ),
    reps: int = typer.Option(10, min=2, help="Replications of each scenario"),
    seed: int | None = typer.Option(None, min=0, help="Seed (default: the first file's)"),
    out_dir: Path | None = typer.Option(None, "--out", help="Output folder"),
    resume: Path | None = typer.Option(None, "--resume", help="Finish an interrupted comparison"),
    sets: list[str] | None = SetOption,
    backend: str = BackendOption,
    workers: int | None = WorkersOption,
    scheduler: str | None = SchedulerOption,
    quiet: bool = QuietOption,
    log: str = LogOption,
) -> None:
    """Run scenarios on common random numbers; write comparison.csv with paired differences."""
    if len(scenarios) < 2:
        _fail(["compare needs at least two scenario files"])
    loaded = [_load(p, sets) for p in scenarios]
    names = [s.name for s in loaded]
    if len(set(names)) < len(names):  # the same file twice, or files sharing a name
        loaded = [s.model_copy(update={"name": f"{s.name}#{i}"}) for i, s in enumerate(loaded)]
    seed = loaded[0].seed if seed is None else seed
    resolved = [resolved_dict(s) for s in loaded]
    identity = {
        "kind": "compare",
        "name": " vs ".join(s.name for s in loaded),
        "seed": seed,
        "reps": reps,
        "sha256": scenario_hash({"scenarios": resolved, "seed": seed, "reps": reps}),
    }
    target = resume or out_dir or default_out_dir("compare-" + loaded[0].name)
    store = _store(target, identity, resume is not None)
    with _session(backend, workers, scheduler, quiet, log) as session:
        on_result = session.tracker(reps * len(loaded), "compare")
        result = compare_scenarios(loaded, reps, seed, session.backend, store, on_result)
        table, per_rep, failed = result.table, result.per_rep, result.failed
        session.finish()
    write_csv(target / "comparison.csv", table)
    write_parquet(target / "comparison_reps.parquet", per_rep)
    for i, r in enumerate(resolved):
        write_text(target / f"scenario-{i}.yaml", scenario_yaml(r))
    args = [
        "compare",
        *map(str, scenarios),
        "--reps",
        str(reps),
        "--seed",
        str(seed),
        "--out",
        str(target),
        *sum((["--set", x] for x in sets or []), []),
    ]
    _manifest(target, identity, _command(args))
    experiment_pages.comparison(target, result.timeseries)
    if not quiet:
        _print_comparison(table, names)
    _report_failures(failed, target, store)


def _print_comparison(table: pd.DataFrame, names: list[str]) -> None:
    view = Table(title=f"Paired differences against {names[0]} (95% CI, common random numbers)")
    for col in ("metric", "scenario", "mean", "difference", "95% CI of difference"):
        view.add_column(col)
    for row in table[table["metric"].isin(KEY_METRICS)].itertuples():
        if pd.isna(getattr(row, "diff_vs_first", float("nan"))):
            continue
        view.add_row(
            row.metric,
            row.scenario,
            f"{row.mean:.2f}",
            f"{row.diff_vs_first:+.2f}",
            f"{row.diff_ci_low:+.2f} to {row.diff_ci_high:+.2f}",
        )
    out.print(view)


@app.command()
def sweep(
    sweep_file: Path = typer.Argument(..., help="Sweep YAML file"),
    out_dir: Path | None = typer.Option(None, "--out", help="Output folder"),
    resume: Path | None = typer.Option(None, "--resume", help="Finish an interrupted sweep"),
    sets: list[str] | None = SetOption,
    backend: str = BackendOption,
    workers: int | None = WorkersOption,
    scheduler: str | None = SchedulerOption,
    quiet: bool = QuietOption,
    log: str = LogOption,
) -> None:
    """Run a sweep (grid, Latin hypercube or Sobol) and write sweep.parquet and summaries."""
    try:
        sw = load_sweep(sweep_file, sets)
    except ScenarioError as exc:
        _fail(exc.problems)
    spec = sw.spec
    identity = {
        "kind": "sweep",
        "name": spec.name,
        "seed": sw.seed,
        "sha256": scenario_hash(
            {
                "sweep": spec.model_dump(mode="json"),
                "base": resolved_dict(sw.base),
                "sets": sets or [],
            }
        ),
    }
    target = resume or out_dir or default_out_dir(spec.name)
    store = _store(target, identity, resume is not None)
    tasks = [
        Task(sc, point, r, sw.seed, tables=())
        for point, sc in enumerate(sw.scenarios)
        for r in range(spec.reps)
    ]
    with _session(backend, workers, scheduler, quiet, log) as session:
        on_result = session.tracker(len(tasks), f"{spec.name}: {len(sw.scenarios)} points")
        done, failed = execute(tasks, session.backend, store, on_result)
        session.finish()
    per_rep = pd.DataFrame(
        [{"point": r.point, "rep": r.rep, "seed": r.seed, **r.metrics} for r in done]
    )
    per_rep = sw.design.merge(per_rep, on="point", how="right")
    write_parquet(target / "sweep.parquet", per_rep)
    summary = summarise_points(sw, per_rep)
    write_parquet(target / "sweep_summary.parquet", summary)
    write_parquet(target / "design.parquet", sw.design)
    if spec.design == "sobol" and not failed:
        write_csv(target / "sobol.csv", sobol_indices(sw, summary))
    experiment_pages.sweep(target, sw.fields, spec.metrics)
    write_text(target / "base_scenario.yaml", scenario_yaml(resolved_dict(sw.base)))
    write_text(target / "sweep.yaml", scenario_yaml(spec.model_dump(mode="json")))
    args = [
        "sweep",
        str(sweep_file),
        "--out",
        str(target),
        *sum((["--set", x] for x in sets or []), []),
    ]
    _manifest(target, identity, _command(args))
    if not quiet:
        out.print(f"{len(sw.scenarios)} points x {spec.reps} replications written to {target}/")
    _report_failures(failed, target, store)


@app.command()
def staffing(
    scenario: Path = typer.Argument(..., help="Scenario YAML file"),
    target: str = typer.Option(..., "--target", help="e.g. 'wait_to_allocation_p90 <= 5'"),
    confidence: float = typer.Option(0.9, min=0.5, max=0.999, help="One-sided confidence"),
    field: str = typer.Option("team.permanent", "--field", help="The integer field to search"),
    reps: int = typer.Option(10, min=2, help="Replications at each value tried"),
    seed: int | None = typer.Option(None, min=0),
    lowest: int = typer.Option(1, "--min", min=0, help="Smallest value to consider"),
    highest: int = typer.Option(60, "--max", min=1, help="Largest value to consider"),
    out_dir: Path | None = typer.Option(None, "--out", help="Where to write the evidence"),
    sets: list[str] | None = SetOption,
    backend: str = BackendOption,
    workers: int | None = WorkersOption,
    scheduler: str | None = SchedulerOption,
    quiet: bool = QuietOption,
    log: str = LogOption,
) -> None:
    """Find the smallest staffing that meets a target with the given confidence."""
    sc = _load(scenario, sets)
    try:
        goal = Target.parse(target)
        whole_number_field(sc, field)
        _load(scenario, [*(sets or []), f"{field}={lowest}"])
    except ScenarioError as exc:
        _fail(exc.problems)
    with _session(backend, workers, scheduler, quiet, log) as session:
        answer = staffing_search(
            sc, goal, field, confidence, reps, seed, lowest, highest, session.backend
        )
        session.finish()
    where = out_dir or default_out_dir(f"staffing-{sc.name}")
    write_csv(where / "staffing_evidence.csv", answer.evidence)
    write_text(
        where / "staffing.json",
        json.dumps(
            {
                "field": field,
                "answer": answer.value,
                "target": target,
                "confidence": confidence,
                "reps": reps,
                "sentence": answer.sentence(),
            },
            indent=2,
        )
        + "\n",
    )
    write_text(where / "scenario.yaml", scenario_yaml(resolved_dict(sc)))
    experiment_pages.staffing(where)
    out.print(answer.sentence(), markup=False, highlight=False)
    if not quiet:
        view = Table(title=f"Evidence: {goal.metric}, one-sided {confidence:.0%} bound")
        for col in ("value", "reps", "mean", "bound", "met"):
            view.add_column(col)
        for row in answer.evidence.itertuples():
            view.add_row(
                str(row.value),
                str(row.reps),
                f"{row.mean:.3f}",
                f"{row.bound:.3f}",
                "yes" if row.met else "no",
            )
        out.print(view)
        out.print(f"evidence written to {where}/")
    if answer.value is None:
        raise typer.Exit(code=1)


def _manifest(target: Path, identity: dict, command: str) -> None:
    from .. import __version__

    write_text(
        target / "manifest.json",
        json.dumps(
            {**identity, "package": "workload_sim", "version": __version__, "command": command},
            indent=2,
            default=str,
        )
        + "\n",
    )
