"""The backtest command: would the model, run on a date from the records before it, have
predicted what the records show after it? (docs/data.md, Backtest)"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer

from .common import _fail, _out_target, _session, one_line_errors, say_where
from .options import (
    BackendOption,
    ForceOption,
    LogOption,
    QuietOption,
    SchedulerOption,
    WorkersOption,
)
from .records import _date
from .run import app

DEFAULT_REPS = 39  # the 2nd and 38th of 39 make exactly a 90% prediction interval
REFERENCE_WEEKS = 26  # the weeks before the date scored as the naive forecasts' history


@app.command(name="backtest")
@one_line_errors
def backtest_command(
    data: Path = typer.Argument(..., help="Folder holding the extract (docs/data.md)"),
    at: str = typer.Option(..., "--at", help="Start the model on this date: YYYY-MM-DD"),
    until: str | None = typer.Option(
        None, "--until", help="Compare up to this date (default: the last referral's date)"
    ),
    rolling: int = typer.Option(
        1,
        "--rolling",
        min=1,
        max=12,
        help="Repeat from this many start dates, --at and then every 4 weeks after it",
    ),
    reps: int = typer.Option(DEFAULT_REPS, "--reps", min=9, max=999, help="Replications"),
    seed: int = typer.Option(1, "--seed", min=0, help="Seed of the replications"),
    columns: Path | None = typer.Option(
        None, "--columns", help="YAML mapping local column names to documented ones"
    ),
    base: Path | None = typer.Option(
        None, "--base", help="Scenario whose other values are kept (default: the shipped one)"
    ),
    out_dir: Path | None = typer.Option(
        None, "--out", help="Output folder (default: results/backtest-AT)"
    ),
    force: bool = ForceOption,
    backend: str = BackendOption,
    workers: int | None = WorkersOption,
    scheduler: str | None = SchedulerOption,
    quiet: bool = QuietOption,
    log: str = LogOption,
) -> None:
    """Fit on the records before --at, start from the team's state on --at, simulate to
    --until and compare week by week with what the records show happened."""
    import pandas as pd

    from ..experiments.backtest_run import BacktestError, backtest_from

    first = _date(at, "--at")
    last = _date(until, "--until") if until is not None else None
    starts = [first + dt.timedelta(weeks=4 * k) for k in range(rolling)]
    with _session(backend, workers, scheduler, quiet, log) as session:
        target = _out_target(
            out_dir, None, Path("results") / f"backtest-{first}", "backtest", force
        )
        scores, weekly = [], []
        for start in starts:
            try:
                result = backtest_from(
                    data,
                    start,
                    last,
                    reps,
                    seed,
                    columns,
                    base,
                    session.backend,
                    REFERENCE_WEEKS,
                )
            except BacktestError as exc:
                _fail([str(exc)])
            scores.append(result.scores.assign(at=start))
            weekly.append(result.weekly.assign(at=start))
            if start == first:
                first_result = result
        session.finish()
    from ..experiments.outputs import write_csv
    from ..report.backtest_page import write_backtest_page

    table = pd.concat(scores, ignore_index=True)
    write_csv(target / "backtest.csv", table)
    write_csv(target / "backtest_weeks.csv", pd.concat(weekly, ignore_index=True))
    write_backtest_page(target, first_result.scores, first_result.weekly, first_result.meta)
    if rolling > 1 and not quiet:
        pooled = table.groupby("series")[["inside_50%", "inside_90%"]].mean()
        for series, row in pooled.iterrows():
            typer.echo(
                f"{series}: {row['inside_90%']:.0%} of weeks inside the 90% band over "
                f"{rolling} start dates"
            )
    if not quiet:
        for line in first_result.scores["misses"]:
            typer.echo(line)
    say_where(target)
