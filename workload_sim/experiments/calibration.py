"""Calibration: base parameters fitted so that the model's EMERGENT outputs match
published targets (``workload-sim calibrate``).

The method is least squares on means over replications with common random numbers:
``scipy.optimize.least_squares`` on the relative residuals
``r_i(x) = (mean_i(x) - target_i) / target_i``, the parameters in their bounds. Every
evaluation runs replications 0..R-1 with the SAME seed, so two parameter values see the
same referrals, sickness draws and leavers: the difference between their means is the
effect of the parameters, not of sampling, and the residuals are a deterministic
function of x that the solver can follow. docs/experiments.md ("Calibration") says more.

The targets file is read and checked in :mod:`.calibration_targets`.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import least_squares

from ..records.metrics import metric_kind
from ..records.summary import interval
from ..scenario import Scenario
from ..scenario.loading import _source_key, field_value, resolved_dict, validate
from .backends import Backend
from .calibration_targets import TargetsFile, on_step, source_id, whole_step, with_values
from .replications import OnResult, run_replications

# The model's response to a parameter is piecewise constant at tiny steps (a slightly
# higher sickness rate changes no episode until a draw crosses a threshold), so a finite
# difference with the usual step (1e-8) sees a zero slope. Parameters are scaled to [0, 1]
# inside their bounds and differenced forward over 5% of that range (backward near the
# upper bound; our own Jacobian, as scipy's relative step shrinks to nothing near zero): a
# step that moves many draws, so the slope is the smooth trend of the means. Each
# evaluation costs R replications, so the budget is small and evaluations are cached by x.
DIFF_STEP = 0.05
DEFAULT_MAX_EVALUATIONS = 40

Evaluate = Callable[[Scenario], pd.DataFrame]  # a scenario -> its per-replication metrics


class CalibrationError(RuntimeError):
    """A calibration that could not run (a replication failed); one line."""


def crn_evaluator(
    reps: int, seed: int, backend: Backend | None = None, on_result: OnResult | None = None
) -> Evaluate:
    """Replications 0..reps-1 with the same seed on every call (common random numbers)."""

    def evaluate(scenario: Scenario) -> pd.DataFrame:
        res = run_replications(
            scenario, reps=reps, seed=seed, backend=backend, on_result=on_result, tables=()
        )
        if res.failures:
            f = res.failures[0]
            raise CalibrationError(f"replication {f.rep} (seed {f.seed}) failed: {f.error}")
        return res.per_rep

    return evaluate


def sig(x: float, digits: int = 4) -> float:
    """``x`` rounded to ``digits`` significant figures (as written in the scenario)."""
    return float(f"{x:.{digits}g}") if x else 0.0


@dataclass
class Calibration:
    """What a calibration found: the values, the evaluations and the table at the answer."""

    targets: TargetsFile
    before: list[float]  # each parameter's start (1.0 for a scale)
    after: list[float]  # the calibrated values, rounded as written
    table: pd.DataFrame  # one row per target at the calibrated values
    evaluations: int
    reps: int
    seed: int
    status: str  # scipy's reason for stopping, or that the budget was spent
    history: list[dict] = field(default_factory=list)
    # the calibrated values run again on seeds the fit never saw: one target table per seed
    # and a pooled one, stacked with a 'seed' column; empty when no validation was asked for
    validation: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def unmet(self) -> list[str]:
        """Targets not met: out of sample (the pooled held-out replications) when validated,
        else on the fit's own seed."""
        table = self.validation if len(self.validation) else self.table
        return list(dict.fromkeys(r.metric for r in table.itertuples() if not r.met))

    def parameters(self, scenario: Scenario) -> list[dict]:
        """Each parameter: field, whether a scale, bounds, value before and after."""
        resolved = resolved_dict(scenario)
        rows = []
        for p, b, a in zip(self.targets.parameters, self.before, self.after, strict=True):
            row = {"field": p.field, "scale": p.scale, "bounds": list(p.bounds)}
            row |= {"before": b, "after": a}
            if p.scale:
                row["distribution_before"] = field_value(resolved, p.field)
            rows.append(row)
        return rows


class _Budget(Exception):
    """The evaluation budget is spent: stop the solver and keep the best point seen."""


class _Problem:
    """The residual function in scaled coordinates u in [0, 1]^k, cached by u."""

    def __init__(self, scenario: Scenario, targets: TargetsFile, evaluate: Evaluate, budget: int):
        self.resolved = resolved_dict(scenario)
        self.targets, self.evaluate, self.budget = targets, evaluate, budget
        self.lows = np.array([p.bounds[0] for p in targets.parameters], dtype=float)
        self.highs = np.array([p.bounds[1] for p in targets.parameters], dtype=float)
        self.goal = np.array([t.value for t in targets.targets], dtype=float)
        self.steps = [whole_step(self.resolved, p) for p in targets.parameters]
        self.cache: dict[tuple, np.ndarray] = {}
        self.history: list[dict] = []

    def values(self, u: np.ndarray) -> list[float]:
        """The parameter values at scaled ``u``: those the engine runs in whole steps are
        moved onto a step, so the fit sees (and writes) what the engine would run."""
        raw = self.lows + np.clip(u, 0, 1) * (self.highs - self.lows)
        return [
            on_step(float(v), step, p.bounds)
            for v, step, p in zip(raw, self.steps, self.targets.parameters, strict=True)
        ]

    def scaled(self, values: list[float]) -> np.ndarray:
        return np.clip((np.array(values) - self.lows) / (self.highs - self.lows), 0, 1)

    def per_rep(self, values: list[float]) -> pd.DataFrame:
        sc = validate(with_values(self.resolved, self.targets.parameters, values))
        return self.evaluate(sc)

    def residuals(self, u: np.ndarray) -> np.ndarray:
        key = tuple(np.round(self.scaled(self.values(np.asarray(u))), 12))
        if key not in self.cache:
            if len(self.cache) >= self.budget:
                raise _Budget
            values = self.values(np.array(key))
            frame = self.per_rep(values)
            means = np.array([float(frame[t.metric].mean()) for t in self.targets.targets])
            metrics = [t.metric for t in self.targets.targets]
            empty = [m for m, x in zip(metrics, means, strict=True) if not math.isfinite(x)]
            if empty:
                raise CalibrationError(
                    f"{', '.join(empty)} has no value in the replications (nothing to measure "
                    "it by); lengthen the run (--days) or choose another target"
                )
            self.cache[key] = (means - self.goal) / self.goal
            fields = [p.field for p in self.targets.parameters]
            self.history.append(
                {"evaluation": len(self.cache)}
                | {f: sig(v, 6) for f, v in zip(fields, values, strict=True)}
                | {m: float(x) for m, x in zip(metrics, means, strict=True)}
                | {"cost": float(np.sum(self.cache[key] ** 2))}
            )
        return self.cache[key]

    def jacobian(self, u: np.ndarray) -> np.ndarray:
        """Forward differences over DIFF_STEP of each scaled parameter (cached points); a
        parameter the engine runs in whole steps moves at least one step, and the slope is
        taken between the values as the engine runs them."""
        u = self.scaled(self.values(np.asarray(u)))
        here = self.residuals(u)
        columns = []
        for j in range(len(u)):
            span = self.highs[j] - self.lows[j]
            step = max(DIFF_STEP, (self.steps[j] or 0.0) / span)
            step = step if u[j] + step <= 1 else -step
            moved = np.array(u, dtype=float)
            moved[j] = min(max(moved[j] + step, 0.0), 1.0)
            moved = self.scaled(self.values(moved))
            if moved[j] == u[j]:  # pinned at a bound: no slope to see
                columns.append(np.zeros_like(here))
                continue
            columns.append((self.residuals(moved) - here) / (moved[j] - u[j]))
        return np.column_stack(columns)

    def best(self) -> np.ndarray:
        key = min(self.cache, key=lambda k: float(np.sum(self.cache[k] ** 2)))
        return np.array(key)


def start_values(scenario: Scenario, targets: TargetsFile) -> list[float]:
    """Each parameter's value now (1.0 for a scale), inside its bounds."""
    resolved = resolved_dict(scenario)
    starts = []
    for p in targets.parameters:
        now = 1.0 if p.scale else float(field_value(resolved, p.field))
        starts.append(min(max(now, p.bounds[0]), p.bounds[1]))
    return starts


def calibrate(
    scenario: Scenario,
    targets: TargetsFile,
    evaluate: Evaluate,
    reps: int,
    seed: int,
    max_evaluations: int = DEFAULT_MAX_EVALUATIONS,
    evaluate_on: Callable[[int], Evaluate] | None = None,
    seeds: list[int] = (),
) -> Calibration:
    """Fit the parameters to the targets (least squares on CRN means), then evaluate the
    calibrated values as written (rounded) and judge each target against its tolerance;
    with ``evaluate_on`` and ``seeds``, judge them again out of sample on those seeds
    (:func:`validate_calibration`), which decides what counts as met."""
    problem = _Problem(scenario, targets, evaluate, max(1, max_evaluations - 1))
    before = start_values(scenario, targets)
    try:
        fit = least_squares(
            problem.residuals,
            problem.scaled(before),
            bounds=(0.0, 1.0),
            method="trf",
            jac=problem.jacobian,
            x_scale=1.0,
            max_nfev=max_evaluations,
            xtol=1e-3,  # a thousandth of the bounds' range: finer than the noise of the means
            ftol=1e-4,
        )
        status = str(fit.message)
    except _Budget:
        status = f"stopped after {max_evaluations} evaluations (--max-evaluations)"
    after = [
        on_step(sig(v), step, p.bounds)
        for v, step, p in zip(
            problem.values(problem.best()), problem.steps, targets.parameters, strict=True
        )
    ]
    # the final evaluation, at the values as written (rounded): what the file reproduces
    frame = problem.per_rep(after)
    return Calibration(
        targets,
        before,
        after,
        target_table(frame, targets),
        len(problem.cache) + 1,
        reps,
        seed,
        status,
        problem.history,
        validate_calibration(scenario, targets, after, evaluate_on, list(seeds))
        if evaluate_on is not None and seeds
        else pd.DataFrame(),
    )


def validation_seeds(seed: int, count: int) -> list[int]:
    """``count`` seeds the fit did not use: replication r of seed s draws its streams from
    (s, r), so these are replications the fitted values never saw."""
    return [seed + k for k in range(1, count + 1)]


def validate_calibration(
    scenario: Scenario,
    targets: TargetsFile,
    values: list[float],
    evaluate_on: Callable[[int], Evaluate],
    seeds: list[int],
) -> pd.DataFrame:
    """The calibrated ``values`` judged out of sample: each seed's replications (from
    ``evaluate_on(seed)``) give a target table, shown for transparency, and all of them
    together the pooled one (``seed`` "pooled") that decides: a target is met out of sample
    when the pooled mean is within the tolerance AND the pooled 95% CI reaches the published
    figure (or range). One interval per target, not one per seed: three seeds each asked to
    cover a point figure would fail a perfect model one time in seven."""
    if not seeds:
        return pd.DataFrame()
    fitted = validate(with_values(resolved_dict(scenario), targets.parameters, values))
    runs = [evaluate_on(seed)(fitted) for seed in seeds]
    each = [
        target_table(run, targets).assign(seed=str(seed))
        for seed, run in zip(seeds, runs, strict=True)
    ]
    pooled = target_table(pd.concat(runs, ignore_index=True), targets).assign(seed="pooled")
    table = pd.concat([*each, pooled], ignore_index=True)
    verdict = pooled.set_index("metric")["met"]
    table["met"] = table["metric"].map(lambda m: bool(verdict[m]))
    return table


def target_table(per_rep: pd.DataFrame, targets: TargetsFile) -> pd.DataFrame:
    """One row per target: the model's mean with its 95% CI (by the metric's kind), the
    gap, whether the tolerance and the published range are met, and ``met``: the mean
    within tolerance AND the CI reaching the published range (or the published value,
    where no range is given): a target the model misses by more than chance is not met."""
    rows = []
    for t in targets.targets:
        mean, _, lo, hi, _ = interval(per_rep[t.metric], metric_kind(t.metric))
        gap = mean - t.value
        low, high = t.range if t.range is not None else (math.nan, math.nan)
        reach_low, reach_high = t.range if t.range is not None else (t.value, t.value)
        within = bool(abs(gap) <= targets.tolerance * t.value)
        overlaps = bool(lo <= reach_high and reach_low <= hi) if math.isfinite(lo) else within
        rows.append(
            {
                "metric": t.metric,
                "target": t.value,
                "range_low": low,
                "range_high": high,
                "model_mean": mean,
                "ci_low": lo,
                "ci_high": hi,
                "gap": gap,
                "gap_relative": gap / t.value,
                "within_tolerance": within,
                "within_range": None if t.range is None else bool(low <= mean <= high),
                "ci_reaches_published": overlaps,
                "met": within and overlaps,
                "source": t.source,
            }
        )
    return pd.DataFrame(rows)


def calibrated_note(
    targets: TargetsFile, targets_name: str, old: object, new: object = None
) -> str:
    """The source note of a calibrated field: which targets, their publications, the value
    now (so a reader can check the file against its note) and the old value."""
    aims = ", ".join(f"{t.metric} {t.value:g} ({source_id(t.source)})" for t in targets.targets)
    now = "" if new is None else f"now {_shown(new)}; "
    return (
        f"calibrated to: {aims} by workload-sim calibrate against {targets_name}; "
        f"{now}was {_shown(old)}"
    )


def _shown(value: object) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_shown(v)}" for k, v in value.items()) + "}"
    return f"{value:g}" if isinstance(value, float) else str(value)


def calibrated_data(
    raw: dict,
    scenario: Scenario,
    cal: Calibration,
    targets_name: str,
    also: list[str] = (),
) -> dict:
    """The scenario file's own data with the calibrated values written in, each with its
    'calibrated to:' note under ``sources``; ``also``: fields set on the command line
    (--set, --days), written as they were when fitted, so the file reproduces the fit."""
    base = resolved_dict(scenario)
    fitted = with_values(base, cal.targets.parameters, cal.after)
    data = copy.deepcopy(raw)
    if not isinstance(data.get("sources"), dict):
        data["sources"] = {}
    for path in also:
        _carry(data, fitted, path)
        key = _source_key(fitted, path)
        if key in fitted.get("sources", {}):
            data["sources"][key] = fitted["sources"][key]
    for p in cal.targets.parameters:
        _carry(data, fitted, p.field)
        old = field_value(base, p.field)
        data["sources"][_source_key(fitted, p.field)] = calibrated_note(
            cal.targets, targets_name, old, field_value(fitted, p.field)
        )
    return data


def _carry(data: dict, full: dict, path: str) -> None:
    """Write ``full``'s value at ``path`` into ``data``; where the file left a section out
    (its defaults), the whole section is written from ``full``."""
    node, whole = data, full
    parts = path.split(".")
    for depth, part in enumerate(parts):
        key: str | int = part
        if isinstance(whole, list):
            key = int(part)
        here = whole[key]
        last = depth == len(parts) - 1
        present = (
            key < len(node) if isinstance(node, list) else isinstance(node, dict) and key in node
        )
        if last or not present or not isinstance(node[key], (dict, list)):
            node[key] = copy.deepcopy(here)
            return
        node, whole = node[key], here
