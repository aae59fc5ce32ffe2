"""Commands for experiments: compare scenarios and search staffing (sweep: ``sweep.py``)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import typer
from rich.table import Table

from ..experiments.outputs import (
    FolderLock,
    default_out_dir,
    scenario_hash,
    scenario_yaml,
    write_csv,
    write_parquet,
    write_text,
)
from ..experiments.replications import compare as compare_scenarios
from ..experiments.replications import run_to_precision
from ..experiments.staffing import Target, staffing_search, whole_number_field
from ..records.metrics import KEY_METRICS
from ..report import experiment_pages
from ..scenario.loading import ScenarioError, load_scenario, resolved_dict
from .run import (
    DEFAULT_MAX_REPS,
    PRECISION_METRICS,
    BackendOption,
    DaysOption,
    ForceOption,
    LogOption,
    OutOption,
    PrecisionMetricOption,
    PrecisionOption,
    QuietOption,
    RepsOption,
    SchedulerOption,
    SeedOption,
    SetOption,
    WarmupOption,
    WorkersOption,
    _fail,
    _known_metrics,
    _load,
    _out_target,
    _report_failures,
    _session,
    _store,
    app,
    command_line,
    err,
    horizon_sets,
    one_line_errors,
    out,
    run_name,
    say_where,
)


@app.command()
@one_line_errors
def compare(
    scenarios: list[Path] = typer.Argument(
        ..., help="Two or more scenario files; the first is the reference"
    ),
    reps: int | None = RepsOption,
    max_reps: int | None = typer.Option(
        None,
        "--max-reps",
        min=2,
        help="Add replications (from --reps, up to this) until every key difference is "
        "shown: higher, lower, or no material difference",
    ),
    precision: float | None = PrecisionOption,
    precision_metric: list[str] | None = PrecisionMetricOption,
    seed: int | None = SeedOption,
    days: int | None = DaysOption,
    warmup_days: int | None = WarmupOption,
    out_dir: Path | None = OutOption,
    resume: Path | None = typer.Option(None, "--resume", help="Finish an interrupted comparison"),
    force: bool = ForceOption,
    sets: list[str] | None = SetOption,
    backend: str = BackendOption,
    workers: int | None = WorkersOption,
    scheduler: str | None = SchedulerOption,
    quiet: bool = QuietOption,
    log: str = LogOption,
) -> None:
    """Run scenarios on common random numbers; write comparison.csv with paired differences.

    Replications default to the largest 'replications' among the files, the seed to the
    first file's."""
    if len(scenarios) < 2:
        _fail(["compare needs at least two scenario files"])
    extra = horizon_sets(days, warmup_days)
    loaded = [run_name(_load(p, sets, extra), p, sets) for p in scenarios]
    names = [s.name for s in loaded]
    if len(set(names)) < len(names):  # the same file twice, or files sharing a name
        loaded = [s.model_copy(update={"name": f"{s.name}#{i}"}) for i, s in enumerate(loaded)]
        names = [s.name for s in loaded]
    seed = loaded[0].seed if seed is None else seed
    if reps is None:
        reps = max(s.replications for s in loaded)
        if reps < 2:
            _fail(
                [
                    f"replications: {reps} in every file; a comparison needs at least 2 "
                    "paired replications: give --reps 2 or more"
                ]
            )
    elif reps < 2:
        _fail([f"--reps {reps}: a comparison needs at least 2 paired replications"])
    resolved = [resolved_dict(s) for s in loaded]
    identity = {
        "kind": "compare",
        "name": " vs ".join(s.name for s in loaded),
        "seed": seed,
        "reps": reps,
        "sha256": scenario_hash({"scenarios": resolved, "seed": seed, "reps": reps}),
    }
    metrics = precision_metric or list(PRECISION_METRICS)
    _known_metrics(metrics)
    if precision is not None and max_reps is None:
        max_reps = DEFAULT_MAX_REPS
    if max_reps is not None and max_reps < reps:
        _fail([f"--max-reps {max_reps} is below --reps {reps}: raise --max-reps"])
    with _session(backend, workers, scheduler, quiet, log) as session:
        target = _out_target(
            out_dir, resume, default_out_dir("compare-" + loaded[0].name), "compare", force
        )
        with FolderLock(target):
            page = target / "compare.html"
            rebuild = None if page.exists() else lambda: experiment_pages.comparison(target)
            store = _store(target, identity, resume is not None, rebuild, force)
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
                *_flags(("--days", days), ("--warmup-days", warmup_days)),
                "--out",
                str(target),
                *sum((["--set", x] for x in sets or []), []),
            ]
            experiment_pages.comparison(target, result.timeseries)
            # last: a manifest means complete
            _manifest(target, identity, command_line(args), _finite(result.extra))
            if not quiet:
                _print_comparison(table, names)
            if result.extra:
                _say_how_compare_stopped(result.extra, quiet)
            say_where(target, "comparison written to")
            _report_failures(failed, target, store)


def _flags(*pairs: tuple[str, object]) -> list[str]:
    """Command-line flags for the options that were given."""
    return [x for flag, value in pairs if value is not None for x in (flag, str(value))]


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
def staffing(
    scenario: Path = typer.Argument(..., help="Scenario YAML file"),
    target: str = typer.Option(..., "--target", help="e.g. 'wait_to_allocation_p90 <= 5'"),
    confidence: float = typer.Option(0.9, min=0.5, max=0.999, help="One-sided confidence"),
    field: str = typer.Option("team.permanent", "--field", help="The integer field to search"),
    reps: int | None = RepsOption,
    max_reps: int | None = typer.Option(
        None,
        "--max-reps",
        min=2,
        help="Most replications at a value near the answer before saying two values "
        "cannot be told apart (default 200)",
    ),
    precision: float | None = PrecisionOption,
    precision_metric: list[str] | None = PrecisionMetricOption,
    seed: int | None = SeedOption,
    days: int | None = DaysOption,
    warmup_days: int | None = WarmupOption,
    lowest: int = typer.Option(1, "--min", min=0, help="Smallest value to consider"),
    highest: int = typer.Option(60, "--max", min=1, help="Largest value to consider"),
    out_dir: Path | None = OutOption,
    force: bool = ForceOption,
    sets: list[str] | None = SetOption,
    backend: str = BackendOption,
    workers: int | None = WorkersOption,
    scheduler: str | None = SchedulerOption,
    quiet: bool = QuietOption,
    log: str = LogOption,
) -> None:
    """Find the smallest staffing that meets a target with the given confidence.

    Each value tried first runs --reps replications (default: the file's 'replications').
    With --precision, the answer's own estimate of each --precision-metric (default: the
    target's metric) is then run to that precision."""
    extra = horizon_sets(days, warmup_days)
    sc = run_name(_load(scenario, sets, extra), scenario, sets)
    reps = max(2, sc.replications) if reps is None else reps
    if reps < 2:
        _fail([f"--reps {reps}: the search needs at least 2 replications at each value"])
    max_reps = DEFAULT_MAX_REPS if max_reps is None else max_reps
    try:
        goal = Target.parse(target)
        whole_number_field(sc, field)
        _load(scenario, [*(sets or []), *extra, f"{field}={lowest}"])
    except ScenarioError as exc:
        _fail(exc.problems)
    metrics = precision_metric or [goal.counted]
    _known_metrics(metrics)
    seed = sc.seed if seed is None else seed
    with _session(backend, workers, scheduler, quiet, log) as session:
        # checked (and made) only once the search is known to be valid: a refusal writes nothing
        default = default_out_dir(f"staffing-{sc.name}")
        where = _out_target(out_dir, None, default, "staffing", force)
        answer = staffing_search(
            sc, goal, field, confidence, reps, seed, lowest, highest, session.backend, max_reps
        )
        at_answer = None
        if precision is not None and answer.value is not None:
            at_answer = _answer_to_precision(
                sc, field, answer.value, metrics, precision, reps, max_reps, seed, session
            )
        session.finish()
    write_csv(where / "staffing_evidence.csv", answer.evidence)
    record = {
        "field": field,
        "answer": answer.value,
        "cannot_tell_apart_from": answer.cannot_tell,
        "team_at_answer": answer.team,
        "target": target,
        "metric_judged": goal.counted,
        "confidence": confidence,
        "reps": reps,
        "max_reps": answer.max_reps,
        "seed": seed,
        "sentence": answer.sentence(),
        **({"at_answer": at_answer} if at_answer is not None else {}),
    }
    write_text(where / "staffing.json", json.dumps(record, indent=2, default=str) + "\n")
    write_text(where / "scenario.yaml", scenario_yaml(resolved_dict(sc)))
    experiment_pages.staffing(where)
    if not quiet:
        out.print(answer.sentence(), markup=False, highlight=False)
        _print_search(answer, goal, confidence)
        if at_answer is not None:
            for m, row in at_answer["metrics"].items():
                out.print(
                    f"at {field} = {answer.value}: {m} {row['mean']:.2f} (95% CI "
                    f"{row['ci_low']:.2f} to {row['ci_high']:.2f}) from {at_answer['reps']} "
                    "replications",
                    markup=False,
                    highlight=False,
                )
    if at_answer is not None and not at_answer["precision_reached"]:
        err.print(
            f"warning: --precision {precision} not reached at the answer after "
            f"{at_answer['reps']} replications; raise --max-reps",
            markup=False,
            highlight=False,
        )
    say_where(where, "evidence written to")
    if answer.value is None:
        raise typer.Exit(code=1)


def _answer_to_precision(sc, field, value, metrics, precision, reps, max_reps, seed, session):
    """The answer's estimates of ``metrics``, with replications added until precise."""
    at = load_scenario(sc, [f"{field}={value}"])
    on_result = session.tracker(max_reps, f"{field} = {value}: to precision {precision}")
    res = run_to_precision(
        at,
        metrics,
        precision,
        min_reps=reps,
        max_reps=max_reps,
        seed=seed,
        backend=session.backend,
        on_result=on_result,
        tables=("timeseries",),
    )
    rows = res.summary.set_index("metric")
    return {
        "value": value,
        "reps": res.reps,
        "precision": precision,
        "precision_reached": bool(res.extra["precision"]["reached"]),
        "metrics": {
            m: {k: float(rows.loc[m, k]) for k in ("mean", "ci_low", "ci_high")} for m in metrics
        },
    }


def _print_search(answer, goal: Target, confidence: float) -> None:
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
        )


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
