"""The discover command: where in a finished sweep does a condition on a result hold?

``workload-sim discover SWEEP_FOLDER --when "backlog_growth_per_week > 0"`` writes
discovery.csv, its tables and discovery.html into the sweep folder and adds the answer in
words to sweep.html. Bad input (a folder that is not a sweep, an unknown metric, a
condition that does not parse) ends with one line and exit 2; a sweep that cannot answer
(too few runs, the condition true in none or all of them) with one line and exit 1.
"""

from __future__ import annotations

from pathlib import Path

import typer

from .common import _fail, err, one_line_errors, out, say_where
from .options import QuietOption
from .run import app


@app.command()
@one_line_errors
def discover(
    folder: Path = typer.Argument(..., help="A folder written by workload-sim sweep"),
    when: str = typer.Option(
        ...,
        "--when",
        help="The condition on a result of each run: METRIC OP NUMBER, OP one of > >= < <=, "
        "e.g. 'backlog_growth_per_week > 0'",
    ),
    min_density: float | None = typer.Option(
        None,
        "--min-density",
        min=0.0,
        max=1.0,
        help="Keep the widest box in which at least this share of runs meet the condition "
        "(default: the best balance of coverage and density)",
    ),
    boxes: int = typer.Option(3, "--boxes", min=1, max=10, help="Most boxes to find"),
    resamples: int = typer.Option(
        30, "--resamples", min=0, max=1000, help="Bootstrap resamples for the stability table"
    ),
    seed: int = typer.Option(0, "--seed", min=0, help="Seed for the resamples and the tree"),
    quiet: bool = QuietOption,
) -> None:
    """Find the boxes of a sweep's inputs where a condition holds (PRIM, checked by CART)."""
    try:
        import sklearn  # noqa: F401
    except ImportError:
        _fail(["discover needs scikit-learn: pip install -e '.[discover]' (or scikit-learn)"])
    import yaml

    from ..experiments import discovery as disc
    from ..experiments.outputs import FolderLock
    from ..report import discovery_page, sweep_page

    try:
        cond = disc.parse_condition(when)
        runs, fields = disc.read_runs(folder)
        words = sweep_page.field_words(folder, fields)
        found = disc.discover(runs, fields, cond, min_density, resamples, boxes, seed, words)
    except disc.DiscoveryError as exc:
        _fail([str(exc)])
    except disc.NothingToFind as exc:
        err.print(f"nothing to discover: {exc}", markup=False, highlight=False)
        raise typer.Exit(code=1) from None
    with FolderLock(folder):
        disc.write(folder, found, resamples)
        discovery_page.build(folder, words)
        try:
            spec = yaml.safe_load((folder / "sweep.yaml").read_text())
            metrics = list(spec.get("metrics", []))
        except (OSError, yaml.YAMLError, AttributeError, TypeError):
            metrics = []
        if (folder / "sweep_summary.parquet").is_file():
            sweep_page.sweep(folder, fields, metrics)
    if not quiet:
        for line in found.sentences:
            out.print(line, markup=False, highlight=False)
    say_where(folder, "discovery written to", "discovery.html")
