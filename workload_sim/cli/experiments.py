"""Comparing scenarios on common random numbers (sweep: ``sweep.py``, staffing: ``staffing.py``)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING

import typer

# The model, pandas and plotly are imported inside the commands (tests/test_startup.py).
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
    OutOption,
    OversubscribeOption,
    PrecisionMetricOption,
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
    import pandas as pd


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
    oversubscribe: bool = OversubscribeOption,
    scheduler: str | None = SchedulerOption,
    quiet: bool = QuietOption,
    log: str = LogOption,
) -> None:
    """Run scenarios on common random numbers; write comparison.csv with paired differences.

    Replications default to the largest 'replications' among the files, the seed to the
    first file's."""
    from ..experiments.compare import compare as compare_scenarios
    from ..experiments.integrity import experiment_fingerprint
    from ..experiments.outputs import (
        FolderLock,
        default_out_dir,
        scenario_hash,
        scenario_yaml,
        write_csv,
        write_parquet,
        write_text,
    )
    from ..report import experiment_pages
    from ..scenario.loading import resolved_dict

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
    with _session(backend, workers, scheduler, quiet, log, oversubscribe) as session:
        target = _out_target(
            out_dir, resume, default_out_dir("compare-" + loaded[0].name), "compare", force
        )
        with FolderLock(target):
            page = target / "compare.html"
            rebuild = None if page.exists() else lambda: experiment_pages.comparison(target)
            store = _store(target, identity, resume is not None, rebuild, force)
            on_result = session.tracker((max_reps or reps) * len(loaded), "compare", target)
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
            write_parquet(
                target / "comparison_reps.parquet", per_rep, experiment_fingerprint(identity)
            )
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
            mine = ["experiment.json", "comparison.csv", "comparison_reps.parquet"]
            mine += [f"scenario-{i}.yaml" for i in range(len(resolved))]
            _manifest(target, identity, command_line(args), _finite(result.extra), mine)
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
    import pandas as pd
    from rich.table import Table

    from ..records.metrics import KEY_METRICS

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
    import pandas as pd

    if row.shown == "no material difference":
        return f"same (within +-{row.margin:.3g})"
    if row.shown == "not shown":
        more = "" if pd.isna(row.more_reps) else f": ~{int(row.more_reps)} more reps"
        return f"NOT SHOWN{more}"
    return row.shown


def _manifest(
    target: Path,
    identity: dict,
    command: str,
    extra: dict | None = None,
    files: list[str] | None = None,
) -> None:
    """The manifest, written last; with ``files``, their checksums (--resume checks them)."""
    from .. import __version__
    from ..experiments.integrity import folder_checksums
    from ..experiments.outputs import write_text

    write_text(
        target / "manifest.json",
        json.dumps(
            {
                **identity,
                "package": "workload_sim",
                "version": __version__,
                "command": command,
                **(extra or {}),
                **({"checksums": folder_checksums(target, files)} if files else {}),
            },
            indent=2,
            default=str,
        )
        + "\n",
    )
