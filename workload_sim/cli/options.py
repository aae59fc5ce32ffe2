"""The options the commands share, each defined once.

``run``, ``compare``, ``sweep`` and ``staffing`` take the same words for the same things; a
value given on the command line overrides the file, and the file's value is the default.
"""

from __future__ import annotations

import typer

# The options every experiment command shares (run, compare, sweep, staffing), defined once.
# A value given on the command line overrides the file; the file's value is the default.
SetOption = typer.Option(
    None, "--set", help="Override a field: --set team.permanent=10 (repeatable)"
)
RepsOption = typer.Option(
    None,
    "--reps",
    min=1,
    help="Replications (default: the file's 'replications', or a sweep file's 'reps')",
)
SeedOption = typer.Option(None, "--seed", min=0, help="Seed (default: the file's 'seed')")
DaysOption = typer.Option(
    None, "--days", min=1, help="Working days measured after warm-up (default: horizon_days)"
)
WarmupOption = typer.Option(
    None, "--warmup-days", min=0, help="Working days of warm-up (default: warmup_days)"
)
PrecisionOption = typer.Option(
    None,
    "--precision",
    min=0.001,
    max=1.0,
    help="Add replications until the 95% CI half-width of each --precision-metric is "
    "within this share of its mean (e.g. 0.05), up to --max-reps",
)
PrecisionMetricOption = typer.Option(
    None,
    "--precision-metric",
    help="Metric(s) for --precision, any in the summary (repeatable; default "
    "wait_to_allocation_days and open_cases_mean)",
)
MaxRepsOption = typer.Option(
    None, "--max-reps", min=2, help="Cap on replications when they are added (default 200)"
)
OutOption = typer.Option(
    None, "--out", help="Output folder (default: results/NAME-DATE-TIME, NAME the file's)"
)
DEFAULT_MAX_REPS = 200


def horizon_sets(days: int | None, warmup_days: int | None) -> list[str]:
    """--days and --warmup-days as the overrides they are."""
    sets = [f"horizon_days={days}"] if days is not None else []
    if warmup_days is not None:
        sets.append(f"warmup_days={warmup_days}")
    return sets


ForceOption = typer.Option(
    False,
    "--force",
    help="Write into a non-empty --out folder anyway (an earlier run of this command there "
    "starts over; other files are left alone)",
)


PRECISION_METRICS = ("wait_to_allocation_days", "open_cases_mean")
BackendOption = typer.Option("serial", "--backend", help="serial, process (all cores) or dask")
WorkersOption = typer.Option(
    None, "--workers", min=1, help="Processes (default and most: the cores available)"
)
OversubscribeOption = typer.Option(
    False, "--oversubscribe", help="Start more --workers than there are cores available"
)
SchedulerOption = typer.Option(
    None, "--scheduler", help="Address of a running Dask scheduler (tcp://host:port)"
)
QuietOption = typer.Option(
    False, "--quiet", "-q", help="Print only where the results were written (and any errors)"
)
NameOption = typer.Option(
    None, "--name", help="The run's name, for its folder and report (default: the file's name)"
)
LogOption = typer.Option(
    "none", "--log", help="'json': one JSON line per finished task on stderr, for scripts"
)
