"""The staffing command: the smallest headcount that meets a target with stated confidence."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from .. import __version__

# The model, pandas and plotly are imported inside the command (tests/test_startup.py).
from .common import (
    _fail,
    _known_metrics,
    _load,
    _out_target,
    _session,
    err,
    one_line_errors,
    out,
    run_name,
    say_where,
)
from .options import (
    DEFAULT_MAX_REPS,
    BackendOption,
    DaysOption,
    ForceOption,
    LogOption,
    OutOption,
    OversubscribeOption,
    PrecisionOption,
    QuietOption,
    RepsOption,
    SchedulerOption,
    SeedOption,
    SetOption,
    WarmupOption,
    WorkersOption,
    horizon_sets,
)
from .run import (
    app,
)

if TYPE_CHECKING:
    from ..experiments.staffing import Target


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
    precision_metric: list[str] | None = typer.Option(
        None,
        "--precision-metric",
        help="Metric(s) for --precision at the answer, any in the summary (repeatable; "
        "default: the target's own metric)",
    ),
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
    oversubscribe: bool = OversubscribeOption,
    scheduler: str | None = SchedulerOption,
    quiet: bool = QuietOption,
    log: str = LogOption,
) -> None:
    """Find the smallest staffing that meets a target with the given confidence.

    Each value tried first runs --reps replications (default: the file's 'replications').
    With --precision, the answer's own estimate of each --precision-metric (default: the
    target's metric) is then run to that precision."""
    from ..experiments.outputs import default_out_dir, scenario_yaml, write_csv, write_text
    from ..experiments.staffing import Target, staffing_search, whole_number_field
    from ..report import experiment_pages
    from ..scenario.loading import ScenarioError, resolved_dict

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
    with _session(backend, workers, scheduler, quiet, log, oversubscribe) as session:
        # checked (and made) only once the search is known to be valid: a refusal writes nothing
        default = default_out_dir(f"staffing-{sc.name}")
        where = _out_target(out_dir, None, default, "staffing", force)
        searching = session.tracker(None, f"staffing: {field}", where)
        answer = staffing_search(
            sc,
            goal,
            field,
            confidence,
            reps,
            seed,
            lowest,
            highest,
            session.backend,
            max_reps,
            on_result=searching,
        )
        at_answer = None
        if precision is not None and answer.value is not None:
            at_answer = _answer_to_precision(
                sc, field, answer.value, metrics, precision, reps, max_reps, seed, session, where
            )
        session.finish()
    write_csv(where / "staffing_evidence.csv", answer.evidence)
    record = {
        "version": __version__,
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


def _answer_to_precision(
    sc, field, value, metrics, precision, reps, max_reps, seed, session, where=None
):
    """The answer's estimates of ``metrics``, with replications added until precise."""
    from ..experiments.replications import run_to_precision
    from ..scenario.loading import load_scenario

    at = load_scenario(sc, [f"{field}={value}"])
    on_result = session.tracker(max_reps, f"{field} = {value}: to precision {precision}", where)
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
    from rich.table import Table

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
