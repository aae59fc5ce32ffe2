"""What the page shows after Run, compare and staffing, in plain Python (no Streamlit).

Every sentence and figure comes from the code the command line's report uses, so the page
and ``workload-sim run`` never disagree.
"""

from __future__ import annotations

import io
import math
import os
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from ..experiments.backends import Backend, make_backend
from ..experiments.compare import compare
from ..experiments.outputs import commit_manifest, write_run
from ..experiments.replications import Results, run_replications
from ..experiments.staffing import StaffingAnswer, Target, staffing_search
from ..records.metrics import KEY_METRICS
from ..report import charts, run_page
from ..report.compare_page import _shown, difference_words
from ..report.evidence import build_pack
from ..report.verdict import sentences
from ..scenario import Scenario

Progress = Callable[[int], None]  # called with the number of replications finished so far
BASE_NAME = "my team as it is"

# Key numbers shown under the verdict, in a team leader's words.
KEY_NUMBERS = {
    "backlog_growth_per_week": "Change in the waiting list, cases a week",
    "wait_to_allocation_days": "Mean wait for allocation, working days",
    "wait_to_allocation_p90": "90% allocated within, working days",
    "allocation_breach_share": "Share not allocated within target",
    "caseload_mean": "Mean caseload per FTE at work, weighted cases",
    "unpaid_hours_per_worker_week": "Unpaid hours beyond contract, in a week at work",
    "unallocated_end": "Still waiting at the end, cases",
}


def backend() -> Backend:
    """A process pool for each run (the CLI's results, bit for bit, on any backend) of
    WORKLOAD_SIM_APP_WORKERS processes (default: every core; a shared server sets fewer,
    docs/deploy.md); serial when WORKLOAD_SIM_APP_BACKEND=serial (no pool start-up)."""
    name = os.environ.get("WORKLOAD_SIM_APP_BACKEND", "process")
    workers = os.environ.get("WORKLOAD_SIM_APP_WORKERS")
    return make_backend(name, int(workers) if workers and name != "serial" else None)


def worker_count() -> int:
    """How many processes a run of the page uses (as ``backend`` starts them)."""
    if os.environ.get("WORKLOAD_SIM_APP_BACKEND", "process") == "serial":
        return 1
    return int(os.environ.get("WORKLOAD_SIM_APP_WORKERS") or os.cpu_count() or 1)


def run_team(scenario: Scenario, on_progress: Progress | None = None) -> Results:
    """The scenario's replications, reporting each one finished."""
    done = [0]

    def tick(_res) -> None:
        done[0] += 1
        if on_progress:
            on_progress(done[0])

    with backend() as pool:
        return run_replications(scenario, backend=pool, on_result=tick)


def _settings(resolved: dict) -> tuple[float, float | None, list[str], int]:
    perm = resolved["workforce"]["permanent"]
    urgency = resolved["triage"]["urgency"]
    targets = [u["allocation_target_days"] for u in urgency.values()]
    return (
        perm["caseload_cap"] * perm["fte"],
        targets[-1],
        list(urgency),
        int(resolved.get("warmup_days", 0)),
    )


def verdict(results: Results, resolved: dict) -> list[str]:
    """The verdict sentences of the run report (the load check among them)."""
    cap, target, _, _ = _settings(resolved)
    return sentences(results.summary, cap, target, resolved)


def key_numbers(summary: pd.DataFrame) -> pd.DataFrame:
    """The key numbers with their 95% confidence intervals, one row each."""
    rows = summary.set_index("metric")
    out = []
    for metric, words in KEY_NUMBERS.items():
        if metric not in rows.index:
            continue
        r = rows.loc[metric]
        share = metric.endswith("_share")
        fmt = (lambda x: f"{x:.0%}") if share else (lambda x: f"{x:.1f}")
        ci = (
            f"{fmt(r['ci_low'])} to {fmt(r['ci_high'])}"
            if math.isfinite(r["ci_low"]) and math.isfinite(r["ci_high"])
            else "n/a (one replication)"
        )
        out.append({"what": words, "mean": fmt(r["mean"]), "95% confidence interval": ci})
    return pd.DataFrame(out)


def figures(results: Results, resolved: dict) -> list[tuple[str, go.Figure]]:
    """The charts a team leader reads first, drawn by the report's own functions."""
    cap, _, urgencies, warmup = _settings(resolved)
    ts, summary = results.timeseries, results.summary
    return [
        ("The waiting list over time", charts.backlog(ts, urgencies, warmup)),
        ("Caseloads against the cap", charts.caseload(ts, cap, warmup)),
        ("Waits against the targets", charts.waits(results.cases)),
        (
            "Hours beyond contract",
            charts.metric_bars(
                summary,
                ["unpaid_hours_per_worker_week"],
                "Unpaid hours beyond contract (mean, 95% CI)",
                "hours per worker in a week at work",
                colour=charts.RED,
            ),
        ),
    ]


def compare_with_first(
    first: Scenario, scenario: Scenario, on_progress: Progress | None = None
) -> list[str]:
    """What differs from "my team as it is", on common random numbers: only the key
    metrics whose paired 95% CI excludes 0 (higher or lower); the rest is not said."""
    base = first.model_copy(update={"name": BASE_NAME})
    this = scenario.model_copy(update={"name": "this run"})
    done = [0]

    def tick(_res) -> None:
        done[0] += 1
        if on_progress:
            on_progress(done[0])

    with backend() as pool:
        cmp = compare([base, this], scenario.replications, scenario.seed, pool, on_result=tick)
    table = cmp.table
    rows = table[table["metric"].isin(KEY_METRICS) & table["diff_vs_first"].notna()]
    return [
        difference_words(r, BASE_NAME)
        for r in rows.itertuples()
        if _shown(r) in ("higher", "lower")
    ]


def staffing(
    scenario: Scenario, within_days: float, on_progress: Progress | None = None
) -> StaffingAnswer:
    """How many permanent workers keep 90% of waits for allocation within ``within_days``."""
    target = Target.parse(f"wait_to_allocation_p90 <= {within_days:g}")
    with backend() as pool:
        counted = _Counting(pool, on_progress)
        return staffing_search(scenario, target, reps=scenario.replications, backend=counted)


class _Counting(Backend):
    """A backend that counts finished replications for the progress bar."""

    def __init__(self, inner: Backend, on_progress: Progress | None) -> None:
        self.inner, self.on_progress, self.done = inner, on_progress, 0
        self.name, self.workers = inner.name, inner.workers

    def run(self, tasks):
        for res in self.inner.run(tasks):
            self.done += 1
            if self.on_progress:
                self.on_progress(self.done)
            yield res


def tables_zip(results: Results) -> bytes:
    """The run's tables as CSV files in one zip."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name in ("summary", "per_rep", "timeseries", "cases", "workers"):
            frame = getattr(results, name)
            z.writestr(
                f"{'replications' if name == 'per_rep' else name}.csv", frame.to_csv(index=False)
            )
    return buf.getvalue()


def evidence_zip(results: Results, resolved: dict, command: str) -> bytes:
    """The evidence pack (report, tables, assumptions, scenario, manifest) as a zip, built
    in a private temporary folder so two users' packs never meet."""
    with tempfile.TemporaryDirectory(prefix="workload-sim-app-") as tmp:
        folder = Path(tmp) / "run"
        write_run(folder, results, resolved, command)
        run_page.build(folder)
        commit_manifest(folder)
        _, archive = build_pack(folder, Path(tmp) / "evidence")
        return Path(archive).read_bytes()
