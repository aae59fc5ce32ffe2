"""Compare scenarios on common random numbers: paired differences with three-way answers.

Replication ``r`` of every scenario uses random streams from (seed, r), so the
scenarios see the same referrals and their differences are paired.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from ..records.metrics import KEY_METRICS
from ..records.summary import (
    ABOVE,
    BELOW,
    NOT_SHOWN,
    WITHIN,
    decide,
    metric_interval,
    t_interval,
)
from ..scenario import Scenario
from .backends import Backend
from .replications import VERDICT_METRIC, execute, half_width_share
from .sequential import LookPlan
from .store import PartStore
from .tasks import Task, TaskResult

OnResult = Callable[[TaskResult], None]


@dataclass
class Comparison:
    table: pd.DataFrame  # per metric and scenario: mean, CI, paired difference from the first
    per_rep: pd.DataFrame  # every replication's metrics
    timeseries: dict[str, pd.DataFrame]  # per scenario, for curves
    failed: list[TaskResult]
    extra: dict = field(default_factory=dict)  # how a sequential comparison stopped


def compare(
    scenarios: Sequence[Scenario],
    reps: int,
    seed: int,
    backend: Backend | None = None,
    store: PartStore | None = None,
    on_result: OnResult | None = None,
    max_reps: int | None = None,
    precision: float | None = None,
    metrics: Sequence[str] = (),
) -> Comparison:
    """Run scenarios on common random numbers.

    The comparison has, per metric and scenario, the mean and 95% CI and the
    difference from the first scenario with its **paired** CI (replication r of
    each scenario saw the same referrals), and for reference the unpaired
    (Welch) CI that independent runs would have given.

    With ``max_reps``, replications are added (all scenarios together, from ``reps``)
    until every key metric's difference is decided by the three-way rule and, with
    ``precision``, each named metric's CI half-width is within that share of its
    mean in every scenario, or ``max_reps`` is reached; ``extra`` says which.
    """
    names = [s.name for s in scenarios]
    v = scenarios[0].verdict
    # sequential: stop only at looks planned up front, each deciding at the adjusted level
    plan = LookPlan(reps, max_reps if max_reps is not None else reps)
    done, failed, n, history = [], [], plan.looks[0], []
    while True:
        have = {(r.point, r.rep) for r in done + failed}
        tasks = (  # made as the backend has room, never all at once
            Task(sc, i, r, seed, tables=("timeseries",))
            for i, sc in enumerate(scenarios)
            for r in range(n)
            if (i, r) not in have
        )
        new_done, new_failed = execute(tasks, backend, store, on_result)
        done, failed = sorted(done + new_done, key=lambda r: r.key), failed + new_failed
        per_rep = pd.DataFrame(
            [
                {"scenario": names[r.point], "point": r.point, "rep": r.rep, **r.metrics}
                for r in done
            ]
        )
        table = comparison_table(
            per_rep, names, v.backlog_margin_cases_per_week, v.equivalence_share, plan.confidence
        )
        if max_reps is None:
            break
        key = table[table["metric"].isin(KEY_METRICS) & table["diff_vs_first"].notna()]
        open_ = key[key["shown"] == "not shown"]
        widths = [
            half_width_share(per_rep.loc[per_rep["point"] == i, m], m)
            for m in metrics
            for i in range(len(scenarios))
        ]
        worst = max(widths, default=0.0)
        precise = precision is None or worst <= precision
        history.append({"reps": n, "not_shown": len(open_), "worst_half_width": worst})
        if (open_.empty and precise) or n >= plan.cap:
            break
        wants = [n + 1, n + int(open_["more_reps"].max()) if len(open_) else n]
        if not precise:
            grow = n * (worst / precision) ** 2 if math.isfinite(worst) else 2 * n
            wants.append(math.ceil(grow))
        n = plan.next_look(n, max(wants))
    timeseries = {
        names[i]: pd.concat([r.timeseries for r in done if r.point == i], ignore_index=True)
        for i in range(len(scenarios))
        if any(r.point == i and r.timeseries is not None for r in done)
    }
    extra = {}
    if max_reps is not None:
        extra = {
            "reps": n,
            "max_reps": max_reps,
            "decided": bool(open_.empty),
            "decision_confidence": plan.confidence,
            "looks": list(plan.looks),
            "precision": precision,
            "precision_reached": bool(precise),
            "history": history,
        }
    return Comparison(table, per_rep, timeseries, failed, extra)


def comparison_table(
    per_rep: pd.DataFrame,
    names: Sequence[str],
    backlog_margin: float = 0.25,
    equivalence_share: float = 0.05,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Per metric and scenario: mean and CI (by the metric's kind); for every scenario
    after the first, the paired difference from the first with its t CI, the unpaired
    (Welch) CI for reference, and what the difference shows (``shown``: higher, lower,
    no material difference, or not shown, with ``more_reps`` to decide it).

    The margin for "no material difference" is ``backlog_margin`` for the backlog
    slope and ``equivalence_share`` of the first scenario's mean for the rest. What a
    difference shows is decided on its t interval at ``confidence`` (a sequential
    comparison's look-adjusted level; 95% for a fixed number of replications), given as
    ``decision_ci_low``/``decision_ci_high`` beside the 95% interval.
    """
    metrics = [c for c in per_rep.columns if c not in ("scenario", "point", "rep")]
    wide = {i: per_rep[per_rep["point"] == i].set_index("rep") for i in range(len(names))}
    rows = []
    for metric in metrics:
        base = wide[0][metric]
        margin = (
            backlog_margin
            if metric == VERDICT_METRIC
            else equivalence_share * abs(float(np.nanmean(base)))
            if base.notna().any()
            else 0.0
        )
        for i, name in enumerate(names):
            x = wide[i][metric]
            mean, sd, lo, hi, n = metric_interval(x, metric)
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
                d, _, dlo, dhi, dn = t_interval(paired)
                _, _, klo, khi, _ = t_interval(paired, confidence)
                ulo, uhi = _welch(x.to_numpy(), base.to_numpy())
                shown = decide(d, klo, khi, dn, margin)
                row.update(
                    diff_vs_first=d,
                    diff_ci_low=dlo,
                    diff_ci_high=dhi,
                    diff_ci_low_unpaired=ulo,
                    diff_ci_high_unpaired=uhi,
                    decision_ci_low=klo,
                    decision_ci_high=khi,
                    decision_confidence=confidence,
                    margin=margin,
                    shown=SHOWN_WORDS[shown.answer],
                    more_reps=shown.more_reps,
                )
            rows.append(row)
    return pd.DataFrame(rows)


SHOWN_WORDS = {
    ABOVE: "higher",
    BELOW: "lower",
    WITHIN: "no material difference",
    NOT_SHOWN: "not shown",
}


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
