"""The sweep command: a design over scenario fields, run on common random numbers.

The sweep file holds its own reps and seed; the shared options override them, and
--set / --days / --warmup-days change the base scenario. Changing a field the sweep
varies is refused: the design would silently win over it.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import typer

# The model, pandas and plotly are imported inside the command (tests/test_startup.py).
from .common import (
    _fail,
    _known_metrics,
    _out_target,
    _report_failures,
    _session,
    _store,
    command_line,
    err,
    one_line_errors,
    out,
    say_where,
)
from .experiments import _flags, _manifest
from .options import (
    DEFAULT_MAX_REPS,
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
    from ..experiments.sweep import Sweep, SweepSpec


def execute(*args, **kwargs):
    """The model's ``execute`` (imported when first used; tests replace it here)."""
    from ..experiments.replications import execute as run_tasks

    return run_tasks(*args, **kwargs)


@app.command()
@one_line_errors
def sweep(
    sweep_file: Path = typer.Argument(..., help="Sweep YAML file"),
    reps: int | None = RepsOption,
    seed: int | None = SeedOption,
    days: int | None = DaysOption,
    warmup_days: int | None = WarmupOption,
    precision: float | None = PrecisionOption,
    precision_metric: list[str] | None = PrecisionMetricOption,
    max_reps: int | None = typer.Option(
        None,
        "--max-reps",
        min=2,
        help="With --precision: most replications at every point (default 200)",
    ),
    out_dir: Path | None = OutOption,
    resume: Path | None = typer.Option(None, "--resume", help="Finish an interrupted sweep"),
    force: bool = ForceOption,
    sets: list[str] | None = SetOption,
    backend: str = BackendOption,
    workers: int | None = WorkersOption,
    oversubscribe: bool = OversubscribeOption,
    scheduler: str | None = SchedulerOption,
    quiet: bool = QuietOption,
    log: str = LogOption,
) -> None:
    """Run a sweep (grid, Latin hypercube or Sobol) and write sweep.parquet and summaries.

    --reps and --seed override the sweep file's; with --precision, replications are added
    at every point (the same at all points) until each --precision-metric (default: the
    file's metrics) is within that share of its mean at every point."""
    from ..experiments.outputs import FolderLock, default_out_dir, scenario_hash
    from ..report import experiment_pages
    from ..scenario.loading import resolved_dict

    extra = horizon_sets(days, warmup_days)
    given = [("--set", x) for x in sets or []]
    given += [("--days" if x.startswith("horizon") else "--warmup-days", x) for x in extra]
    _known_metrics(precision_metric or [])
    sw = _load_sweep(sweep_file, given, reps, seed, precision_metric or [])
    spec = sw.spec
    metrics = precision_metric or list(spec.metrics)
    max_reps = DEFAULT_MAX_REPS if max_reps is None else max_reps
    if precision is not None and max_reps < spec.reps:
        _fail([f"--max-reps {max_reps} is below the sweep's {spec.reps} reps: raise --max-reps"])
    identity = {
        "kind": "sweep",
        "name": spec.name,
        "seed": sw.seed,
        "sha256": scenario_hash(
            {
                "sweep": spec.model_dump(mode="json"),
                "base": resolved_dict(sw.base),
                "sets": [*(sets or []), *extra],
                "precision": [precision, metrics, max_reps] if precision else None,
            }
        ),
    }
    with _session(backend, workers, scheduler, quiet, log, oversubscribe) as session:
        target = _out_target(out_dir, resume, default_out_dir(spec.name), "sweep", force)
        with FolderLock(target):
            page_missing = not (target / "sweep.html").exists()
            rebuild = (
                (lambda: experiment_pages.sweep(target, sw.fields, spec.metrics))
                if page_missing
                else None
            )
            store = _store(target, identity, resume is not None, rebuild, force)
            aim = (precision, metrics, max_reps)
            done, failed, n = _run_points(sw, store, session, aim)
            args = [
                "sweep",
                str(sweep_file),
                *_flags(
                    ("--reps", n),
                    ("--seed", sw.seed),
                    ("--days", days),
                    ("--warmup-days", warmup_days),
                ),
                "--out",
                str(target),
                *sum((["--set", x] for x in sets or []), []),
            ]
            _write_sweep(target, sw, done, failed, command_line(args), identity)
            if not quiet:
                out.print(f"{len(sw.scenarios)} points x {n} replications", highlight=False)
            say_where(target, "sweep written to")
            _report_failures(failed, target, store)


def _load_sweep(
    path: Path, given: list[tuple[str, str]], reps: int | None, seed: int | None, also: list[str]
) -> Sweep:
    """The sweep file with the command line's reps and seed in place of its own, the
    --precision metrics summarised too, and its overrides checked against the fields it
    varies."""
    from ..experiments.sweep import DEFAULT_METRICS, Sweep, SweepSpec
    from ..scenario.loading import ScenarioError, explain, load_scenario, parse_yaml, read_capped

    try:
        data = parse_yaml(read_capped(path, "sweep"), str(path), "sweep")
        if isinstance(data, dict):
            data = {
                **data,
                **({"reps": reps} if reps is not None else {}),
                **({"seed": seed} if seed is not None else {}),
            }
            if also:
                listed = data.get("metrics", DEFAULT_METRICS)
                if isinstance(listed, list):
                    data["metrics"] = [*listed, *(m for m in also if m not in listed)]
        from pydantic import ValidationError

        try:
            spec = SweepSpec.model_validate(data)
        except ValidationError as exc:
            raise ScenarioError([f"{path}: {p}" for p in explain(exc, SweepSpec)]) from None
        _no_clash(spec, given)
        base = load_scenario(path.parent / spec.base, [*spec.set, *(x for _, x in given)])
        with _checking_bar() as progress:
            return Sweep(spec, base, path, progress)
    except ScenarioError as exc:
        _fail(exc.problems)


class _checking_bar:  # noqa: N801 - used as a context manager, named for what it shows
    """A bar on a terminal while a large design's points are checked (minutes for 10,000);
    nothing when output is piped, so scripts and refusals see only their lines."""

    def __enter__(self):
        from rich.progress import Progress

        self.bar = Progress(console=err, transient=True, disable=not err.is_terminal)
        self.task = None
        self.bar.start()
        return self.advance

    def advance(self, done: int, total: int) -> None:
        if total < 200:
            return
        if self.task is None:
            self.task = self.bar.add_task("checking the design's points", total=total)
        self.bar.update(self.task, completed=done)

    def __exit__(self, *exc) -> None:
        self.bar.stop()


def _no_clash(spec: SweepSpec, given: list[tuple[str, str]]) -> None:
    """A --set (or --days, --warmup-days) of a field the sweep varies is an error: the
    design's values would silently replace it at every point."""
    from ..scenario.loading import ScenarioError

    problems = []
    for flag, item in given:
        path = item.split("=", 1)[0].strip()
        for varied in spec.fields:
            if path == varied or path.startswith(varied + ".") or varied.startswith(path + "."):
                shown = item if flag == "--set" else item.split("=", 1)[1]
                problems.append(
                    f"{flag} {shown}: the sweep varies {varied}; remove {flag}, or change "
                    f"fields.{varied} in the sweep file"
                )
    if problems:
        raise ScenarioError(problems)


def _run_points(sw: Sweep, store, session, aim: tuple) -> tuple[list, list, int]:
    """Every point's replications; with a precision aim, more (the same at every point)
    until each metric's relative CI half-width meets it everywhere, or the cap."""
    from ..experiments.tasks import Task

    precision, metrics, max_reps = aim
    n = sw.spec.reps
    total = max_reps if precision else n
    on_result = session.tracker(
        total * len(sw.scenarios), f"{sw.spec.name}: points", getattr(store, "root", None)
    )
    while True:
        tasks = (  # made as the backend has room, never all at once
            Task(sc, point, r, sw.seed, tables=())
            for point, sc in enumerate(sw.scenarios)
            for r in range(n)
        )
        done, failed = execute(tasks, session.backend, store, on_result)
        if precision is None or failed:
            break
        worst = _worst_half_width(done, metrics)
        if worst <= precision:
            break
        if n >= max_reps:
            shown = f"{worst:.1%}" if math.isfinite(worst) else "not measurable"
            err.print(
                f"warning: --precision {precision} not reached after {n} replications at "
                f"every point (widest half-width/mean: {shown}); raise --max-reps",
                markup=False,
                highlight=False,
            )
            break
        need = math.ceil(n * (worst / precision) ** 2) if math.isfinite(worst) else 2 * n
        n = min(max_reps, max(n + 1, min(need, 4 * n)))
    session.finish()
    return done, failed, n


def _worst_half_width(done: list, metrics: list[str]) -> float:
    """The largest relative 95% CI half-width of any metric at any point."""
    from ..experiments.replications import half_width_share

    by_point: dict[int, list] = {}
    for r in done:
        by_point.setdefault(r.point, []).append(r.metrics)
    return max(
        half_width_share([m[name] for m in rows], name)
        for rows in by_point.values()
        for name in metrics
    )


def _write_sweep(target: Path, sw: Sweep, done, failed, command: str, identity: dict) -> None:
    """Tables, page, the sweep and base as run, and last the manifest."""
    import pandas as pd

    from ..experiments.integrity import experiment_fingerprint
    from ..experiments.outputs import scenario_yaml, write_csv, write_parquet, write_text
    from ..experiments.sweep import sobol_indices, summarise_points
    from ..report import experiment_pages
    from ..scenario.loading import resolved_dict

    spec = sw.spec
    per_rep = pd.DataFrame(
        [{"point": r.point, "rep": r.rep, "seed": r.seed, **r.metrics} for r in done]
    )
    per_rep = sw.design.merge(per_rep, on="point", how="right")
    made = experiment_fingerprint(identity)  # each table says which sweep made it
    write_parquet(target / "sweep.parquet", per_rep, made)
    summary = summarise_points(sw, per_rep)
    write_parquet(target / "sweep_summary.parquet", summary, made)
    write_parquet(target / "design.parquet", sw.design, made)
    if spec.design == "sobol" and not failed:
        write_csv(target / "sobol.csv", sobol_indices(sw, summary))
    write_text(target / "base_scenario.yaml", scenario_yaml(resolved_dict(sw.base)))
    write_text(target / "sweep.yaml", scenario_yaml(spec.model_dump(mode="json")))
    # the page reads both: its title names the base scenario, its axes the base's words
    experiment_pages.sweep(target, sw.fields, spec.metrics)
    mine = ["experiment.json", "sweep.parquet", "sweep_summary.parquet", "design.parquet"]
    mine += ["sobol.csv", "base_scenario.yaml", "sweep.yaml"]
    _manifest(target, identity, command, files=mine)
