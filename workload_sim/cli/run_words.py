"""What ``run`` prints when it finishes: how a sequential run stopped, and the headline
table of metrics (kept apart from the command so each module reads in one go)."""

from __future__ import annotations

from .common import err, out

HEADLINE = [
    "wait_to_allocation_days",
    "wait_to_allocation_p90",
    "allocation_breach_share",
    "unallocated_end",
    "backlog_growth_per_week",
    "work_waiting_hours_mean",
    "work_waiting_growth_per_week",
    "open_cases_mean",
    "caseload_mean",
    "unpaid_hours_per_worker_week",
    "utilisation",
]


def _say_how_it_stopped(info: dict, reps: int, quiet: bool) -> None:
    """Whether the sequential run decided its verdict (and reached --precision), or hit the cap."""
    verdict = info["verdict"].upper()
    history = info.get("history") or []
    # at which look each goal was first met: the run stopped at the later of the two
    decided_at = next((h["reps"] for h in history if h.get("verdict") != "not shown"), reps)
    target = info.get("target")
    if target is not None and info["reached"] and not quiet:
        precise_at = next(
            (
                h["reps"]
                for h in history
                if all(h.get(m) is not None and h[m] <= target for m in info["metrics"])
            ),
            reps,
        )
        out.print(
            f"--precision {target:g} reached after {precise_at} replications "
            f"({', '.join(info['metrics'])}); the run stopped after {reps}, when "
            + ("both goals were met" if info["verdict_decided"] else "it reached its cap"),
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    if info["verdict_decided"] and not quiet:
        out.print(
            f"backlog verdict decided after {decided_at} replications: {verdict} "
            f"(margin +-{info['verdict_margin']:g} cases a week; "
            f"{_looks_words(info)})",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    elif not info["verdict_decided"]:
        more = info.get("verdict_more_reps")
        err.print(
            f"warning: cap of {info['max_reps']} replications reached before the backlog "
            f"verdict was decided (NOT SHOWN"
            + (f"; about {more} more would tell" if more else "")
            + "); raise --max-reps",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    if not info["reached"]:
        last = info["history"][-1]
        widths = ", ".join(
            f"{m} {last[m]:.1%}" if last[m] is not None else f"{m} not measurable"
            for m in info["metrics"]
        )
        err.print(
            f"warning: --precision {info['target']} not reached after {reps} "
            f"replications (half-width/mean: {widths}); raise --max-reps",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )


def _looks_words(info: dict) -> str:
    """How the sequential verdict keeps its error rate, from the run's precision record."""
    from ..experiments.sequential import LookPlan

    looks = info.get("looks") or [0]
    return LookPlan(looks[0], looks[-1]).words()


def _print_summary(results) -> None:
    from rich.table import Table

    table = Table(
        title=f"{results.scenario.name}: {results.reps} replications, seed {results.seed}"
    )
    for col in ("metric", "mean", "95% CI", "unit"):
        table.add_column(col)
    rows = results.summary.set_index("metric")
    for name in HEADLINE:
        r = rows.loc[name]
        ci = "n/a" if r["reps"] < 2 else f"{r['ci_low']:.2f} to {r['ci_high']:.2f}"
        table.add_row(name, f"{r['mean']:.2f}", ci, r["unit"])
    out.print(table)
