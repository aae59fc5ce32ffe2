"""Commands for experiments: compare scenarios, sweep parameters, search staffing."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import typer
from rich.table import Table

from ..experiments.compare import compare as compare_scenarios
from ..experiments.outputs import (
    FolderLock,
    default_out_dir,
    scenario_hash,
    scenario_yaml,
    write_csv,
    write_parquet,
    write_text,
)
from ..experiments.replications import execute
from ..experiments.staffing import Target, staffing_search, whole_number_field
from ..experiments.sweep import load_sweep, sobol_indices, summarise_points
from ..experiments.tasks import Task
from ..records.metrics import KEY_METRICS
from ..report import experiment_pages
from ..scenario.loading import ScenarioError, resolved_dict
from .run import (
    PRECISION_METRICS,
    BackendOption,
    ForceOption,
    LogOption,
    QuietOption,
    SchedulerOption,
    SetOption,
    WorkersOption,
    _command,
    _fail,
    _known_metrics,
    _load,
    _out_target,
    _report_failures,
    _session,
    _store,
    app,
    err,
    one_line_errors,
    out,
)


@app.command()
@one_line_errors
def compare(
    scenarios: list[Path] = typer.Argument(
        ..., help="Two or more scenario files; the first is the reference"
    ),
    reps: int = typer.Option(10, min=2, help="Replications of each scenario"),
    max_reps: int | None = typer.Option(
        None,
        "--max-reps",
        min=2,
        help="Add replications (from --reps, up to this) until every key difference is "
        "shown: higher, lower, or no material difference",
    ),
    precision: float | None = typer.Option(
        None,
        min=0.001,
        max=1.0,
        help="Also until each --precision-metric's 95%% CI half-width is within this share "
        "of its mean in every scenario (implies --max-reps 200)",
    ),
    precision_metric: list[str] | None = typer.Option(
        None, "--precision-metric", help="Metric(s) for --precision (repeatable)"
    ),
    seed: int | None = typer.Option(None, min=0, help="Seed (default: the first file's)"),
    out_dir: Path | None = typer.Option(None, "--out", help="Output folder"),
    resume: Path | None = typer.Option(None, "--resume", help="Finish an interrupted comparison"),
    force: bool = ForceOption,
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
    target = _out_target(
        out_dir, resume, default_out_dir("compare-" + loaded[0].name), "compare", force
    )
    metrics = precision_metric or list(PRECISION_METRICS)
    _known_metrics(metrics)
    if precision is not None and max_reps is None:
        max_reps = 200
    if max_reps is not None and max_reps < reps:
        _fail([f"--max-reps {max_reps} is below --reps {reps}: raise --max-reps"])
    with FolderLock(target):
        page = target / "compare.html"
        rebuild = None if page.exists() else lambda: experiment_pages.comparison(target)
        store = _store(target, identity, resume is not None, rebuild, force)
        with _session(backend, workers, scheduler, quiet, log) as session:
            on_result = session.tracker((max_reps or reps) * len(loaded), "compare")
            result = compare_scenarios(
                loaded,
                reps,
                seed,
                session.backend,
                store,
                on_result,
                max_reps=max_reps,
                precision=precision,
                metrics=metrics if precision else [],
            )
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
            str(result.extra.get("reps", reps)),
            "--seed",
            str(seed),
            "--out",
            str(target),
            *sum((["--set", x] for x in sets or []), []),
        ]
        experiment_pages.comparison(target, result.timeseries)
        # last: a manifest means complete
        _manifest(target, identity, _command(args), _finite(result.extra))
        if not quiet:
            _print_comparison(table, names)
        if result.extra:
            _say_how_compare_stopped(result.extra, quiet)
        _report_failures(failed, target, store)


def _finite(extra: dict) -> dict:
    """JSON-safe: an unmeasurable half-width is null, not Infinity."""
    if not extra:
        return {}
    history = [
        {k: (None if isinstance(x, float) and not math.isfinite(x) else x) for k, x in h.items()}
        for h in extra["history"]
    ]
    return {"sequential": {**extra, "history": history}}


def _say_how_compare_stopped(extra: dict, quiet: bool) -> None:
    if extra["decided"] and extra["precision_reached"]:
        if not quiet:
            out.print(
                f"every key difference shown after {extra['reps']} replications",
                markup=False,
                highlight=False,
            )
        return
    left = extra["history"][-1]["not_shown"]
    why = f"{left} key difference(s) still NOT SHOWN" if left else "--precision not reached"
    err.print(
        f"warning: cap of {extra['max_reps']} replications reached: {why}; raise --max-reps",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


def _print_comparison(table: pd.DataFrame, names: list[str]) -> None:
    view = Table(title=f"Paired differences against {names[0]} (95% CI, common random numbers)")
    for col in ("metric", "scenario", "mean", "difference", "95% CI of difference", "shown"):
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
            _shown(row),
        )
    out.print(view)


def _shown(row) -> str:
    """The three-way word for one difference: higher, lower, same, or how to decide it."""
    if row.shown == "no material difference":
        return f"same (within +-{row.margin:.3g})"
    if row.shown == "not shown":
        more = "" if pd.isna(row.more_reps) else f": ~{int(row.more_reps)} more reps"
        return f"NOT SHOWN{more}"
    return row.shown


@app.command()
@one_line_errors
def sweep(
    sweep_file: Path = typer.Argument(..., help="Sweep YAML file"),
    out_dir: Path | None = typer.Option(None, "--out", help="Output folder"),
    resume: Path | None = typer.Option(None, "--resume", help="Finish an interrupted sweep"),
    force: bool = ForceOption,
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
    target = _out_target(out_dir, resume, default_out_dir(spec.name), "sweep", force)
    with FolderLock(target):
        page_missing = not (target / "sweep.html").exists()
        rebuild = (
            (lambda: experiment_pages.sweep(target, sw.fields, spec.metrics))
            if page_missing
            else None
        )
        store = _store(target, identity, resume is not None, rebuild, force)
        how = (backend, workers, scheduler, log)
        _sweep_in(target, sw, store, identity, sweep_file, sets, quiet, how)


def _sweep_in(
    target: Path, sw, store, identity: dict, sweep_file: Path, sets, quiet: bool, how: tuple
) -> None:
    """The sweep itself, inside its folder's lock: run, then tables, page, manifest."""
    spec = sw.spec
    tasks = [
        Task(sc, point, r, sw.seed, tables=())
        for point, sc in enumerate(sw.scenarios)
        for r in range(spec.reps)
    ]
    with _session(*how[:3], quiet, how[3]) as session:
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
@one_line_errors
def staffing(
    scenario: Path = typer.Argument(..., help="Scenario YAML file"),
    target: str = typer.Option(..., "--target", help="e.g. 'wait_to_allocation_p90 <= 5'"),
    confidence: float = typer.Option(0.9, min=0.5, max=0.999, help="One-sided confidence"),
    field: str = typer.Option("team.permanent", "--field", help="The integer field to search"),
    reps: int = typer.Option(10, min=2, help="Replications first run at each value tried"),
    max_reps: int = typer.Option(
        200,
        "--max-reps",
        min=2,
        help="Most replications at a value near the answer before saying two values "
        "cannot be told apart",
    ),
    seed: int | None = typer.Option(None, min=0),
    lowest: int = typer.Option(1, "--min", min=0, help="Smallest value to consider"),
    highest: int = typer.Option(60, "--max", min=1, help="Largest value to consider"),
    out_dir: Path | None = typer.Option(None, "--out", help="Where to write the evidence"),
    force: bool = ForceOption,
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
    # checked (and made) only once the search is known to be valid: a refusal writes nothing
    where = _out_target(out_dir, None, default_out_dir(f"staffing-{sc.name}"), "staffing", force)
    with _session(backend, workers, scheduler, quiet, log) as session:
        answer = staffing_search(
            sc, goal, field, confidence, reps, seed, lowest, highest, session.backend, max_reps
        )
        session.finish()
    write_csv(where / "staffing_evidence.csv", answer.evidence)
    write_text(
        where / "staffing.json",
        json.dumps(
            {
                "field": field,
                "answer": answer.value,
                "cannot_tell_apart_from": answer.cannot_tell,
                "team_at_answer": answer.team,
                "target": target,
                "metric_judged": goal.counted,
                "confidence": confidence,
                "reps": reps,
                "max_reps": answer.max_reps,
                "seed": sc.seed if seed is None else seed,
                "sentence": answer.sentence(),
            },
            indent=2,
        )
        + "\n",
    )
    write_text(where / "scenario.yaml", scenario_yaml(resolved_dict(sc)))
    experiment_pages.staffing(where)
    out.print(answer.sentence(), markup=False, highlight=False, soft_wrap=True)
    if not quiet:
        view = Table(title=f"Every value tried: {goal.counted}, one-sided {confidence:.0%} bounds")
        for col in ("value", "team", "reps", "mean", "bounds", "target", "staff cost GBP"):
            view.add_column(col)
        for row in answer.evidence.itertuples():
            view.add_row(
                str(row.value),
                str(row.team_total),
                str(row.reps),
                f"{row.mean:.2f}",
                f"{row.lower_bound:.2f} to {row.upper_bound:.2f}",
                row.status,
                f"{row.cost_gbp:,.0f}",
            )
        out.print(view)
        if goal.counted != goal.metric:
            out.print(
                f"({goal.metric} is judged as {goal.counted}: cases still waiting at the end "
                "count with their wait so far, so a runaway list cannot look better)",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
        out.print(f"evidence written to {where}/")
    if answer.value is None:
        raise typer.Exit(code=1)


def _manifest(target: Path, identity: dict, command: str, extra: dict | None = None) -> None:
    from .. import __version__

    write_text(
        target / "manifest.json",
        json.dumps(
            {
                **identity,
                "package": "workload_sim",
                "version": __version__,
                "command": command,
                **(extra or {}),
            },
            indent=2,
            default=str,
        )
        + "\n",
    )
