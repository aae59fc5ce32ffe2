"""Replications, precision, and comparisons on common random numbers.

``simulate_replication`` is the one seam between a single run and many: every
experiment is a list of tasks (scenario, point, rep, seed) run by a backend and,
when a store is given, persisted as each lands. Replication ``r`` of any point
uses random streams from (seed, r), so all points and all scenarios of an
experiment see the same referrals: differences between them are paired.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from ..records.summary import summarise, t_interval
from ..scenario import Scenario
from .backends import Backend
from .store import PartStore
from .tasks import Task, TaskResult

OnResult = Callable[[TaskResult], None]


def execute(
    tasks: Sequence[Task],
    backend: Backend | None = None,
    store: PartStore | None = None,
    on_result: OnResult | None = None,
) -> tuple[list[TaskResult], list[TaskResult]]:
    """Run the tasks a store does not already hold; returns (finished, failed) in key order."""
    backend = backend or Backend()
    wanted = {t.key for t in tasks}
    done = (store.done() & wanted) if store is not None else set()
    with_tables = any(t.tables for t in tasks)
    finished = store.load(done, with_tables) if done else []
    for res in finished:
        if on_result:
            on_result(res)
    failed = []
    for res in backend.run([t for t in tasks if t.key not in done]):
        if store is not None:
            store.save(res)
        (finished if res.ok else failed).append(res)
        if on_result:
            on_result(res)
    finished.sort(key=lambda r: r.key)
    failed.sort(key=lambda r: r.key)
    return finished, failed


@dataclass
class Results:
    """All tables of a run of replications, as pandas DataFrames."""

    scenario: Scenario
    seed: int
    reps: int
    timeseries: pd.DataFrame
    cases: pd.DataFrame
    workers: pd.DataFrame
    per_rep: pd.DataFrame
    summary: pd.DataFrame
    wall_seconds: float = 0.0
    failures: list[TaskResult] = field(default_factory=list)
    extra: dict = field(default_factory=dict)
    tasks: pd.DataFrame | None = None  # every stretch of work, when asked for
    events: pd.DataFrame | None = None  # the whole event log, when asked for (--trace)

    def metric(self, name: str) -> pd.Series:
        """The summary row of one metric (mean, std, ci_low, ci_high, reps)."""
        return self.summary.set_index("metric").loc[name]


TABLES = ("timeseries", "cases", "workers")


def _tasks(
    scenario: Scenario, reps: range, seed: int, point: int = 0, tables: tuple[str, ...] = TABLES
):
    return [Task(scenario, point, r, seed, tables) for r in reps]


def run_replications(
    scenario: Scenario,
    reps: int | None = None,
    seed: int | None = None,
    backend: Backend | None = None,
    store: PartStore | None = None,
    on_result: OnResult | None = None,
    tables: tuple[str, ...] = TABLES,
) -> Results:
    """Run replications 0..reps-1 and summarise them (``tables``: which travel back)."""
    reps = scenario.replications if reps is None else reps
    seed = scenario.seed if seed is None else seed
    if reps < 1:
        raise ValueError("reps must be at least 1")
    started = time.perf_counter()
    done, failed = execute(
        _tasks(scenario, range(reps), seed, tables=tables), backend, store, on_result
    )
    return combine(scenario, seed, done, time.perf_counter() - started, failed)


def run_to_precision(
    scenario: Scenario,
    metrics: Sequence[str],
    relative_half_width: float = 0.05,
    min_reps: int = 5,
    max_reps: int = 200,
    seed: int | None = None,
    backend: Backend | None = None,
    store: PartStore | None = None,
    on_result: OnResult | None = None,
    tables: tuple[str, ...] = TABLES,
) -> Results:
    """Add replications until every named metric's 95% CI half-width is within
    ``relative_half_width`` of its mean (the sequential CI method), or ``max_reps``."""
    seed = scenario.seed if seed is None else seed
    started = time.perf_counter()
    n, done, failed = min(min_reps, max_reps), [], []
    history = []
    while True:
        have = {r.rep for r in done} | {r.rep for r in failed}
        more = [t for t in _tasks(scenario, range(n), seed, tables=tables) if t.rep not in have]
        new_done, new_failed = execute(more, backend, store, on_result)
        done, failed = done + new_done, failed + new_failed
        widths = {m: _relative_half_width([r.metrics[m] for r in done]) for m in metrics}
        history.append({"reps": n, **widths})
        worst = max(widths.values())
        if worst <= relative_half_width or n >= max_reps:
            break
        grow = math.ceil(n * (worst / relative_half_width) ** 2) if math.isfinite(worst) else 2 * n
        n = min(max_reps, max(n + 1, grow))
    res = combine(scenario, seed, done, time.perf_counter() - started, failed)
    res.extra["precision"] = {
        "target": relative_half_width,
        "metrics": list(metrics),
        "reached": worst <= relative_half_width,
        "history": history,
    }
    return res


def _relative_half_width(values: Sequence[float]) -> float:
    mean, _, lo, hi, n = t_interval(values)
    if n < 2 or not math.isfinite(lo):
        return math.inf
    if mean == 0:
        return 0.0 if hi == lo else math.inf
    return (hi - lo) / 2 / abs(mean)


def combine(
    scenario: Scenario,
    seed: int,
    done: list[TaskResult],
    wall: float,
    failed: list[TaskResult] | None = None,
) -> Results:
    """Stack replication tables (in rep order) and summarise across them."""
    done = sorted(done, key=lambda r: r.rep)
    per_rep = pd.DataFrame([{"rep": r.rep, **r.metrics} for r in done])

    def stack(name: str) -> pd.DataFrame | None:
        frames = [getattr(r, name) for r in done if getattr(r, name) is not None]
        if not frames:
            return None if name in ("tasks", "events") else pd.DataFrame()
        return pd.concat(frames, ignore_index=True).drop(columns="point", errors="ignore")

    return Results(
        scenario=scenario,
        seed=seed,
        reps=len(done),
        timeseries=stack("timeseries"),
        cases=stack("cases"),
        workers=stack("workers"),
        per_rep=per_rep,
        summary=summarise(per_rep) if len(per_rep) else pd.DataFrame(),
        wall_seconds=wall,
        failures=list(failed or []),
        tasks=stack("tasks"),
        events=stack("events"),
    )


@dataclass
class Comparison:
    table: pd.DataFrame  # per metric and scenario: mean, CI, paired difference from the first
    per_rep: pd.DataFrame  # every replication's metrics
    timeseries: dict[str, pd.DataFrame]  # per scenario, for curves
    failed: list[TaskResult]


def compare(
    scenarios: Sequence[Scenario],
    reps: int,
    seed: int,
    backend: Backend | None = None,
    store: PartStore | None = None,
    on_result: OnResult | None = None,
) -> Comparison:
    """Run scenarios on common random numbers.

    The comparison has, per metric and scenario, the mean and 95% CI and the
    difference from the first scenario with its **paired** CI (replication r of
    each scenario saw the same referrals), and for reference the unpaired
    (Welch) CI that independent runs would have given.
    """
    tasks = [
        Task(sc, i, r, seed, tables=("timeseries",))
        for i, sc in enumerate(scenarios)
        for r in range(reps)
    ]
    done, failed = execute(tasks, backend, store, on_result)
    per_rep = pd.DataFrame(
        [
            {"scenario": scenarios[r.point].name, "point": r.point, "rep": r.rep, **r.metrics}
            for r in done
        ]
    )
    names = [s.name for s in scenarios]
    timeseries = {
        names[i]: pd.concat([r.timeseries for r in done if r.point == i], ignore_index=True)
        for i in range(len(scenarios))
        if any(r.point == i and r.timeseries is not None for r in done)
    }
    return Comparison(comparison_table(per_rep, names), per_rep, timeseries, failed)


def comparison_table(per_rep: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    metrics = [c for c in per_rep.columns if c not in ("scenario", "point", "rep")]
    wide = {i: per_rep[per_rep["point"] == i].set_index("rep") for i in range(len(names))}
    rows = []
    for metric in metrics:
        base = wide[0][metric]
        for i, name in enumerate(names):
            x = wide[i][metric]
            mean, sd, lo, hi, n = t_interval(x)
            row = {
                "metric": metric,
                "scenario": name,
                "mean": mean,
                "ci_low": lo,
                "ci_high": hi,
                "reps": n,
            }
            if i > 0:
                paired = (x - base).dropna()  # aligned on replication number
                d, _, dlo, dhi, _ = t_interval(paired)
                ulo, uhi = _welch(x.to_numpy(), base.to_numpy())
                row.update(
                    diff_vs_first=d,
                    diff_ci_low=dlo,
                    diff_ci_high=dhi,
                    diff_ci_low_unpaired=ulo,
                    diff_ci_high_unpaired=uhi,
                )
            rows.append(row)
    return pd.DataFrame(rows)


def _welch(a: np.ndarray, b: np.ndarray, confidence: float = 0.95) -> tuple[float, float]:
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if len(a) < 2 or len(b) < 2:
        return (math.nan, math.nan)
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = math.sqrt(va + vb)
    if se == 0:
        d = float(a.mean() - b.mean())
        return (d, d)
    dof = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    half = stats.t.ppf(0.5 + confidence / 2, dof) * se
    d = float(a.mean() - b.mean())
    return (d - half, d + half)
