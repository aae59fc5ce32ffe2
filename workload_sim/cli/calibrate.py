"""The calibrate command: base parameters fitted so that emergent outputs match published
targets; writes the calibrated scenario, the table of targets and a page."""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from pathlib import Path

import typer

# The model, pandas, scipy and plotly are imported inside the command (tests/test_startup.py).
from .common import (
    _fail,
    _load,
    _out_target,
    _session,
    command_line,
    err,
    one_line_errors,
    out,
    say_where,
)
from .experiments import _flags, _manifest
from .options import (
    BackendOption,
    DaysOption,
    ForceOption,
    LogOption,
    OutOption,
    OversubscribeOption,
    QuietOption,
    SchedulerOption,
    SeedOption,
    SetOption,
    WarmupOption,
    WorkersOption,
    horizon_sets,
)
from .run import app

# experiments.calibration's default, written here so that --help needs no scipy
# (tests/test_startup.py checks the two agree)
DEFAULT_MAX_EVALUATIONS = 40


@app.command(name="calibrate")
@one_line_errors
def calibrate_command(
    scenario: Path = typer.Argument(..., help="Scenario YAML file"),
    targets: Path = typer.Option(..., "--targets", help="Targets YAML file (docs/experiments.md)"),
    reps: int | None = typer.Option(
        None,
        "--reps",
        min=1,
        help="Replications at every evaluation (default: the targets file's 'replications', "
        "else the scenario's)",
    ),
    seed: int | None = SeedOption,
    max_evaluations: int = typer.Option(
        DEFAULT_MAX_EVALUATIONS,
        "--max-evaluations",
        min=2,
        help="Most parameter values to evaluate (each runs every replication)",
    ),
    validation_seeds: int = typer.Option(
        3,
        "--validation-seeds",
        min=0,
        max=20,
        help="Seeds the fit never sees (the fit's seed + 1, + 2, ...) on which the calibrated "
        "values are run again and judged: a target is met only if met on every one",
    ),
    days: int | None = DaysOption,
    warmup_days: int | None = WarmupOption,
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
    """Fit named base parameters so that the model's emergent outputs match published
    targets (least squares on replication means, common random numbers); write the
    calibrated scenario, calibration.csv/.json and calibration.html."""
    from ..experiments.calibration import (
        CalibrationError,
        calibrate,
        calibrated_data,
        crn_evaluator,
    )
    from ..experiments.calibration import validation_seeds as validation_seeds_for
    from ..experiments.calibration_targets import check_parameters, load_targets
    from ..experiments.outputs import (
        FolderLock,
        default_out_dir,
        scenario_hash,
        scenario_yaml,
        write_csv,
        write_text,
    )
    from ..report.calibration_page import calibration_page
    from ..scenario.loading import ScenarioError, resolved_dict, validate
    from ..scenario.safe_yaml import parse_yaml, read_capped

    extra = horizon_sets(days, warmup_days)
    sc = _load(scenario, sets, extra)
    goal = load_targets(targets)
    check_parameters(sc, goal, str(targets))
    reps = reps if reps is not None else goal.replications or sc.replications
    if reps < 2:
        _fail([f"--reps {reps}: a 95% CI of each target needs at least 2 replications"])
    seed = sc.seed if seed is None else seed
    raw = parse_yaml(read_capped(scenario), str(scenario))
    with _session(backend, workers, scheduler, quiet, log, oversubscribe) as session:
        target = _out_target(
            out_dir, None, default_out_dir(f"calibrate-{sc.name}"), "calibrate", force
        )
        with FolderLock(target):
            on_result = session.tracker(
                reps * (max_evaluations + validation_seeds), "calibrate", target
            )
            evaluate = crn_evaluator(reps, seed, session.backend, on_result)

            def evaluate_on(other: int):
                return crn_evaluator(reps, other, session.backend, on_result)

            held_out = validation_seeds_for(seed, validation_seeds)
            try:
                cal = calibrate(
                    sc, goal, evaluate, reps, seed, max_evaluations, evaluate_on, held_out
                )
            except CalibrationError as exc:
                _fail([f"{scenario}: {exc}"])
            session.finish()
            all_sets = [*(sets or []), *extra]
            data = calibrated_data(
                raw, sc, cal, targets.name, [s.split("=", 1)[0].strip() for s in all_sets]
            )
            try:
                validate(data)
            except ScenarioError as exc:  # a defect: the written file must load
                _fail([f"the calibrated scenario does not validate: {exc.problems[0]}"])
            args = [
                "calibrate",
                str(scenario),
                "--targets",
                str(targets),
                "--reps",
                str(reps),
                "--seed",
                str(seed),
                "--max-evaluations",
                str(max_evaluations),
                "--validation-seeds",
                str(validation_seeds),
                *_flags(("--days", days), ("--warmup-days", warmup_days)),
                *sum((["--set", x] for x in sets or []), []),
            ]
            made = datetime.now(timezone.utc).isoformat(timespec="seconds")
            header = (
                f"# Written by workload-sim calibrate at {made} from {_safe(scenario.name)} and "
                f"the targets in {_safe(targets.name)}.\n# The calibrated fields carry a "
                "'calibrated to:' note under sources. Made by:\n# "
                + _safe(command_line(args))
                + "\n"
            )
            write_text(target / "calibrated.yaml", header + scenario_yaml(data))
            write_csv(target / "calibration.csv", cal.table)
            if len(cal.validation):
                write_csv(target / "validation.csv", cal.validation)
            rerun = command_line([*args, "--out", f"{target}-rerun"])
            check = command_line(
                ["run", str(target / "calibrated.yaml"), "--reps", str(reps), "--seed", str(seed)]
            )
            record = {
                "scenario": str(scenario),
                "scenario_name": sc.name,
                "targets_file": str(targets),
                "description": goal.description,
                "tolerance": goal.tolerance,
                "reps": reps,
                "seed": seed,
                "max_evaluations": max_evaluations,
                "evaluations": cal.evaluations,
                "solver": cal.status,
                "parameters": cal.parameters(sc),
                "table": _plain(cal.table.to_dict("records")),
                "validation_seeds": held_out,
                "validation": _plain(cal.validation.to_dict("records")),
                "unmet": cal.unmet,
                "history": cal.history,
                "reproduce": rerun,
                "check": check,
            }
            write_text(target / "calibration.json", json.dumps(record, indent=2) + "\n")
            calibration_page(target)
            identity = {
                "kind": "calibrate",
                "name": sc.name,
                "seed": seed,
                "reps": reps,
                "sha256": scenario_hash({"scenario": resolved_dict(sc), "targets": str(goal)}),
            }
            _manifest(target, identity, command_line(args))  # last: a manifest means complete
    if not quiet:
        _print(cal, record)
    if cal.unmet:
        where = "on the validation seeds" if len(cal.validation) else "on the fit's seed"
        err.print(
            f"not met {where} (mean within {goal.tolerance:.0%} and CI reaching the published "
            f"figure): {', '.join(cal.unmet)} (a finding: the parameters named cannot "
            "reproduce it; see calibration.html)",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    say_where(target, "calibration written to")


def _safe(text: str) -> str:
    """Text for a YAML comment: a line break or control character in a file name is shown
    escaped, so it can never end the comment and add data."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _plain(rows: list[dict]) -> list[dict]:
    """JSON-safe rows: a missing range or CI is null, not NaN."""
    return [
        {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in r.items()}
        for r in rows
    ]


def _print(cal, record: dict) -> None:
    from rich.table import Table

    view = Table(
        title=f"Targets at the calibrated values ({cal.reps} replications, seed "
        f"{cal.seed}, {cal.evaluations} evaluations)"
    )
    for col in ("metric", "target", "model mean (95% CI)", "gap", "met"):
        view.add_column(col)
    for r in cal.table.itertuples():
        view.add_row(
            r.metric,
            f"{r.target:.4g}",
            f"{r.model_mean:.4g} ({r.ci_low:.4g} to {r.ci_high:.4g})",
            f"{r.gap:+.3g} ({r.gap_relative:+.1%})",
            "yes" if r.met else "NO",
        )
    out.print(view)
    if len(cal.validation):
        held = Table(title="Out of sample: the calibrated values on seeds the fit never saw")
        for col in ("metric", "seed", "target", "model mean (95% CI)", "gap", "met"):
            held.add_column(col)
        for r in cal.validation.itertuples():
            held.add_row(
                r.metric,
                str(r.seed),
                f"{r.target:.4g}",
                f"{r.model_mean:.4g} ({r.ci_low:.4g} to {r.ci_high:.4g})",
                f"{r.gap_relative:+.1%}",
                "yes" if r.met else "NO",
            )
        out.print(held)
    for p in record["parameters"]:
        what = f"{p['field']} (scale)" if p["scale"] else p["field"]
        out.print(f"{what}: {p['before']:.4g} -> {p['after']:.4g}", markup=False, highlight=False)
