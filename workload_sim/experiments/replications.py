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

import pandas as pd

from ..records import OPTIONAL_TABLES
from ..records.summary import (
    ABOVE,
    BELOW,
    NOT_SHOWN,
    WITHIN,
    Decision,
    decide,
    metric_interval,
    summarise,
)
from ..scenario import Scenario
from .backends import Backend, ClusterLost
from .sequential import LookPlan
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
    try:
        for res in backend.run([t for t in tasks if t.key not in done]):
            if store is not None:
                store.save(res)
            (finished if res.ok else failed).append(res)
            if on_result:
                on_result(res)
    except ClusterLost as exc:  # what finished is saved: say which folder to --resume
        raise exc.resume_in(store.root if store is not None else None) from None
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
    hours: pd.DataFrame | None = None  # contracted/worked/unpaid per worker-day, when asked for

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


VERDICT_METRIC = "backlog_growth_per_week"
TREND_WORDS = {ABOVE: "growing", BELOW: "shrinking", WITHIN: "stable", NOT_SHOWN: "not shown"}


def run_to_precision(
    scenario: Scenario,
    metrics: Sequence[str] = (),
    relative_half_width: float | None = 0.05,
    min_reps: int = 5,
    max_reps: int = 200,
    seed: int | None = None,
    backend: Backend | None = None,
    store: PartStore | None = None,
    on_result: OnResult | None = None,
    tables: tuple[str, ...] = TABLES,
    decide_verdict: bool = False,
) -> Results:
    """Add replications until every named metric's 95% CI half-width is within
    ``relative_half_width`` of its mean and, with ``decide_verdict``, the backlog trend
    is decided (GROWING, SHRINKING or STABLE within the scenario's margin), or until
    ``max_reps``.

    The procedure stops only at looks planned up front (:class:`LookPlan`: ``min_reps``
    doubling to ``max_reps``) and decides the verdict at each with the look-adjusted
    interval, so a wrong GROWING or SHRINKING is called at most 5% of the time however
    many looks it takes. Between looks the replications needed are projected from the
    current interval (half-width shrinks as 1/sqrt(n)) to skip looks that could not
    decide; ``extra["precision"]`` records whether each goal was reached and the path.
    """
    seed = scenario.seed if seed is None else seed
    margin = scenario.verdict.backlog_margin_cases_per_week
    plan = LookPlan(min(min_reps, max_reps), max_reps)
    started = time.perf_counter()
    n, done, failed = plan.looks[0], [], []
    history = []
    while True:
        have = {r.rep for r in done} | {r.rep for r in failed}
        more = [t for t in _tasks(scenario, range(n), seed, tables=tables) if t.rep not in have]
        new_done, new_failed = execute(more, backend, store, on_result)
        done, failed = done + new_done, failed + new_failed
        widths = {m: half_width_share([r.metrics[m] for r in done], m) for m in metrics}
        precise = relative_half_width is None or all(
            w <= relative_half_width for w in widths.values()
        )
        verdict = _verdict([r.metrics[VERDICT_METRIC] for r in done], margin, plan.confidence)
        decided = verdict.decided or not decide_verdict
        history.append(
            {
                "reps": len(done),
                **{m: (w if math.isfinite(w) else None) for m, w in widths.items()},
                "verdict": TREND_WORDS[verdict.answer],
            }
        )
        if (precise and decided) or n >= plan.cap:
            break
        wants = [n + 1]
        if not precise:
            worst = max(widths.values())
            wants.append(
                math.ceil(n * (worst / relative_half_width) ** 2) if math.isfinite(worst) else 2 * n
            )
        if not decided:
            wants.append(n + (verdict.more_reps or n))
        n = plan.next_look(n, max(wants))
    res = combine(scenario, seed, done, time.perf_counter() - started, failed)
    res.extra["precision"] = {
        "target": relative_half_width,
        "metrics": list(metrics),
        "reached": bool(precise),
        "verdict_metric": VERDICT_METRIC,
        "verdict_margin": margin,
        "verdict": TREND_WORDS[verdict.answer],
        "verdict_decided": bool(verdict.decided),
        "verdict_more_reps": verdict.more_reps,
        "decision_confidence": plan.confidence,
        "looks": list(plan.looks),
        "max_reps": max_reps,
        "history": history,
    }
    return res


def _verdict(values: Sequence[float], margin: float, confidence: float = 0.95) -> Decision:
    mean, _, lo, hi, n = metric_interval(values, VERDICT_METRIC, confidence)
    return decide(mean, lo, hi, n, margin)


def half_width_share(values: Sequence[float], metric: str = "") -> float:
    """Half the kind-aware 95% CI width over |mean| (inf while it cannot be measured)."""
    mean, _, lo, hi, n = metric_interval(values, metric)
    if n < 2 or not math.isfinite(lo):
        return math.inf
    if mean == 0:  # 0 in every replication (a count's CI still reaches up): nothing to narrow
        return 0.0 if lo == 0 and sd_is_zero(values) else math.inf
    return float((hi - lo) / 2 / abs(mean))


def sd_is_zero(values: Sequence[float]) -> bool:
    """Every finite value the same (a metric with nothing varying across replications)."""
    finite = [v for v in values if math.isfinite(v)]
    return len(set(finite)) <= 1


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
            return None if name in OPTIONAL_TABLES else pd.DataFrame()
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
        hours=stack("hours"),
    )
