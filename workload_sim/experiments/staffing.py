"""How many social workers does this demand need? The smallest staffing meeting a target.

``--target "wait_to_allocation_p90 <= 5" --confidence 0.9`` asks for the smallest
value of a field (permanent headcount by default) at which the metric's one-sided
90% confidence bound across replications meets the target: for ``<=`` the upper
bound must be at or below it, for ``>=`` the lower bound at or above. Every
value tried runs the same replications (common random numbers). The search
assumes more staff never makes the metric worse, doubles up from the start value
until the target is met, then bisects; the evidence table lists every value tried.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..records.metrics import METRICS
from ..scenario import Scenario
from ..scenario.loading import ScenarioError, field_value, load_scenario, resolved_dict
from .backends import Backend
from .replications import execute
from .tasks import Task

_TARGET = re.compile(r"^\s*([a-z0-9_]+)\s*(<=|>=)\s*(-?[0-9.]+(?:[eE][-+]?\d+)?)\s*$")


@dataclass(frozen=True)
class Target:
    metric: str
    op: str
    threshold: float

    @classmethod
    def parse(cls, text: str) -> Target:
        m = _TARGET.match(text)
        if not m:
            raise ScenarioError(
                [
                    f"--target {text!r}: write METRIC <= NUMBER or METRIC >= NUMBER, "
                    "e.g. 'wait_to_allocation_p90 <= 5'"
                ]
            )
        metric, op, value = m.group(1), m.group(2), float(m.group(3))
        if metric not in METRICS:
            raise ScenarioError(
                [f"--target: unknown metric {metric!r}; known: {', '.join(METRICS)}"]
            )
        return cls(metric, op, value)

    def met_by(self, bound: float) -> bool:
        return bound <= self.threshold if self.op == "<=" else bound >= self.threshold


@dataclass
class StaffingAnswer:
    field: str
    value: int | None  # None: not met within the range searched
    target: Target
    confidence: float
    evidence: pd.DataFrame

    def sentence(self) -> str:
        t = self.target
        if self.value is None:
            top = int(self.evidence["value"].max())
            return (
                f"Not met up to {self.field} = {top}: {t.metric} {t.op} {t.threshold:g} "
                f"is not reached with {self.confidence:.0%} confidence."
            )
        return (
            f"{self.field} = {self.value} is the smallest value with {t.metric} {t.op} "
            f"{t.threshold:g} at {self.confidence:.0%} confidence."
        )


def staffing_search(
    scenario: Scenario,
    target: Target,
    field: str = "team.permanent",
    confidence: float = 0.9,
    reps: int = 10,
    seed: int | None = None,
    lowest: int = 1,
    highest: int = 60,
    backend: Backend | None = None,
) -> StaffingAnswer:
    seed = scenario.seed if seed is None else seed
    tried: dict[int, dict] = {}

    def evaluate(value: int) -> bool:
        if value not in tried:
            sc = load_scenario(scenario, [f"{field}={value}"])
            done, failed = execute(
                [Task(sc, value, r, seed, tables=()) for r in range(reps)], backend
            )
            x = np.array([r.metrics[target.metric] for r in done], dtype=float)
            x = x[np.isfinite(x)]
            tried[value] = _evidence(value, x, target, confidence, len(failed))
        return tried[value]["met"]

    start = min(highest, max(lowest, whole_number_field(scenario, field)))
    if evaluate(start):
        bad, good = lowest - 1, start  # met already: the answer is at or below it
    else:
        bad, step, good = start, 1, None
        while good is None:  # step up, doubling, until met or out of range
            nxt = min(highest, bad + step)
            if evaluate(nxt):
                good = nxt
            elif nxt >= highest:
                return StaffingAnswer(field, None, target, confidence, _table(tried))
            else:
                bad, step = nxt, 2 * step
    while good - bad > 1:  # bisect between the last value that failed and the first that met
        mid = (good + bad) // 2
        if evaluate(mid):
            good = mid
        else:
            bad = mid
    return StaffingAnswer(field, good, target, confidence, _table(tried))


def whole_number_field(scenario: Scenario, field: str) -> int:
    """The current value of ``field``, which must be a whole number (a headcount)."""
    value = field_value(resolved_dict(scenario), field)
    if value is None:
        raise ScenarioError(
            [f"--field {field}: no such field; use a field path such as team.permanent"]
        )
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScenarioError(
            [
                f"--field {field}: the staffing search needs a whole-number field such as "
                f"team.permanent (this one is {value!r})"
            ]
        )
    return value


def _evidence(value: int, x: np.ndarray, target: Target, confidence: float, failed: int) -> dict:
    n = len(x)
    mean = float(x.mean()) if n else math.nan
    if n >= 2:
        half = stats.t.ppf(confidence, n - 1) * x.std(ddof=1) / math.sqrt(n)
    else:
        half = math.inf
    bound = mean + half if target.op == "<=" else mean - half
    return {
        "value": value,
        "reps": n,
        "failed": failed,
        "mean": mean,
        "bound": bound,
        "met": bool(n >= 2 and target.met_by(bound)),
    }


def _table(tried: dict[int, dict]) -> pd.DataFrame:
    return pd.DataFrame([tried[v] for v in sorted(tried)])
