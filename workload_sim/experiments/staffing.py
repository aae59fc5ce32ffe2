"""How many social workers does this demand need? The smallest staffing meeting a target.

``--target "wait_to_allocation_p90 <= 5" --confidence 0.9`` asks for the smallest
value of a headcount field (permanent by default; newly qualified or agency too)
at which the metric's one-sided 90% confidence bound across replications meets
the target. Three rules keep the answer honest and the same from seed to seed:

- Waits count cases still waiting at the end of the run (up to then): a wait
  over allocated cases only lets a runaway list look better than a smaller one,
  because its longest waiters are never allocated.
- Every value tried runs the same replications (replication r of each value has
  the same referrals: common random numbers), so values differ by staffing, not luck.
- A value is *met* when its one-sided bound is on the right side of the target,
  *missed* when the opposite bound is on the wrong side, and *unclear* otherwise;
  an unclear value gets more replications (projected from its interval) until it
  is met or missed, or ``max_reps`` is reached. It stops only at looks planned up
  front (``reps`` doubling to ``max_reps``), each judged with the bound at
  ``1 - (1 - confidence) / K`` for K looks, so a value whose true mean sits on the
  target is called met at most ``1 - confidence`` of the time however long it runs.
  The answer is the smallest met value whose neighbour below is missed; where the
  neighbours stay unclear at ``max_reps`` the answer says so ("9 or 10: cannot be told apart").

The search assumes more staff never makes the metric worse: it steps up, doubling,
from the current value until the target is met, then bisects. The evidence table
lists every value tried, with its cost.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import pandas as pd

from ..records.metrics import METRICS
from ..records.summary import metric_interval
from ..scenario import TYPES, WORKER_TYPES, Scenario
from ..scenario.loading import ScenarioError, field_value, load_scenario, resolved_dict
from .backends import Backend
from .replications import OnResult, execute
from .sequential import LookPlan
from .tasks import Task

_TARGET = re.compile(r"^\s*([a-z0-9_]+)\s*(<=|>=)\s*(-?[0-9.]+(?:[eE][-+]?\d+)?)\s*$")

# waits over allocated cases only -> the same waits with still-waiting cases counted
COUNTING_STILL_WAITING = {
    "wait_to_allocation_days": "wait_incl_still_waiting_days",
    "wait_to_allocation_p90": "wait_incl_still_waiting_p90",
}
MET, MISSED, UNCLEAR = "met", "missed", "unclear"
COST = "staff_cost_gbp"
_WORKERS = {t.key: t.words for t in TYPES}


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

    @property
    def counted(self) -> str:
        """The metric the search judges: waits count the cases still waiting."""
        return COUNTING_STILL_WAITING.get(self.metric, self.metric)

    def met_by(self, bound: float) -> bool:
        return bound <= self.threshold if self.op == "<=" else bound >= self.threshold

    def words(self) -> str:
        """'To keep 90% of waits for allocation within 5 working days' and the like."""
        t = f"{self.threshold:g}"
        if self.counted == "wait_incl_still_waiting_p90" and self.op == "<=":
            return f"To keep 90% of waits for allocation within {t} working days"
        if self.counted == "wait_incl_still_waiting_days" and self.op == "<=":
            return f"To keep the mean wait for allocation within {t} working days"
        unit, text = METRICS[self.metric]
        side = "at or below" if self.op == "<=" else "at or above"
        return f"To keep {text[0].lower() + text[1:]} {side} {t} {unit}"


@dataclass
class StaffingAnswer:
    field: str
    value: int | None  # the smallest value met, None when not met within the range searched
    target: Target
    confidence: float
    evidence: pd.DataFrame
    cannot_tell: list[int] = field(default_factory=list)  # values below it left unclear
    max_reps: int = 200
    team: dict[str, int] = field(default_factory=dict)  # headcounts at the answer

    def sentence(self) -> str:
        t, conf = self.target, f"{self.confidence:.0%}"
        if self.value is None:
            top = int(self.evidence["value"].max())
            return (
                f"{t.words()}, {self._staff(top)} are not enough with {conf} confidence; "
                f"the search stopped at {self.field} = {top} (raise --max)."
            )
        if self.cannot_tell:
            low = min(self.cannot_tell)
            span = f"{low} or {self.value}" if low == self.value - 1 else f"{low} to {self.value}"
            head = (
                f"{t.words()}, this team needs {span} {self._noun()}: they cannot be told "
                f"apart with {self.max_reps} replications ({self.value} meets the target with "
                f"{conf} confidence; {low} cannot be shown to miss it)."
            )
        else:
            head = (
                f"{t.words()}, this team needs {self._staff(self.value)}{self._whole_team()}, "
                f"with {conf} confidence."
            )
        return head + self._cost()

    def _noun(self) -> str:
        kind = self.field.removeprefix("team.")
        return _WORKERS.get(kind, f"as the value of {self.field}")

    def _staff(self, value: int) -> str:
        kind = self.field.removeprefix("team.")
        if kind in _WORKERS:
            return f"{value} {_WORKERS[kind]}"
        return f"{self.field} = {value}"

    def _whole_team(self) -> str:
        if not self.team:
            return ""
        total = sum(self.team.values())
        searched = self.field.removeprefix("team.")
        others = [
            f"{n} {kind.replace('_', ' ')}"
            for kind, n in self.team.items()
            if kind != searched and n > 0
        ]
        if not others:
            return f" ({total} in all)"
        return f" ({total} in all with its {' and '.join(others)} workers)"

    def _cost(self) -> str:
        values = [*sorted(self.cannot_tell), self.value]
        rows = self.evidence.set_index("value").loc[values]
        if not rows["cost_gbp"].map(math.isfinite).all():
            return ""
        parts = [
            f"GBP {r.cost_gbp:,.0f} (95% CI {r.cost_ci_low:,.0f} to {r.cost_ci_high:,.0f})"
            + (f" with {v}" if len(values) > 1 else "")
            for v, r in zip(values, rows.itertuples(), strict=True)
        ]
        return f" Staff cost over the period: {'; '.join(parts)}."


@dataclass
class _Value:
    scenario: Scenario
    metrics: dict[int, dict] = field(default_factory=dict)  # by replication number
    failed: int = 0


class _Search:
    """The values tried so far, each with its replications and its status."""

    def __init__(self, scenario, target, field_path, confidence, seed, backend, reps, max_reps):
        self.base, self.target, self.field = scenario, target, field_path
        self.confidence, self.seed, self.backend = confidence, seed, backend
        self.max_reps = max_reps
        # a one-sided bound at confidence c spends 1 - c on its side: 2 (1 - c) two-sided
        self.plan = LookPlan(reps, max_reps, alpha=2 * (1 - confidence))
        self.tried: dict[int, _Value] = {}
        self.on_result: OnResult | None = None

    def status(self, value: int, reps: int) -> str:
        """MET, MISSED or UNCLEAR, adding replications to an unclear value up to max_reps,
        stopping only at the looks planned up front (see :class:`LookPlan`)."""
        n = self.plan.looks[0]
        while True:
            self._run(value, n)
            st, mean, lo, hi = self._judge(value)
            have = len(self.tried[value].metrics)
            if st != UNCLEAR or n >= self.plan.cap or have < n // 2:
                return st
            gap = abs(mean - self.target.threshold)
            half = (hi - lo) / 2
            need = math.ceil(n * (half / gap) ** 2 * 1.2) if gap > 0 else 4 * n
            n = self.plan.next_look(n, need)

    def _run(self, value: int, n: int) -> None:
        if value not in self.tried:
            sc = load_scenario(self.base, [f"{self.field}={value}"])
            self.tried[value] = _Value(sc)
        v = self.tried[value]
        tasks = [
            Task(v.scenario, value, r, self.seed, tables=()) for r in range(n) if r not in v.metrics
        ]
        done, failed = execute(tasks, self.backend, None, self.on_result)
        for res in done:
            v.metrics[res.rep] = res.metrics
        v.failed += len(failed)

    def _values(self, value: int, metric: str) -> list[float]:
        v = self.tried[value]
        return [v.metrics[r][metric] for r in sorted(v.metrics)]

    def _judge(self, value: int) -> tuple[str, float, float, float]:
        # each look's one-sided bound is an end of the two-sided interval the plan decides with
        metric = self.target.counted
        mean, _, lo, hi, n = metric_interval(
            self._values(value, metric), metric, self.plan.confidence
        )
        if n < 2 or not math.isfinite(lo):
            return UNCLEAR, mean, lo, hi
        near, far = (hi, lo) if self.target.op == "<=" else (lo, hi)
        if self.target.met_by(near):
            return MET, mean, lo, hi
        if not self.target.met_by(far):
            return MISSED, mean, lo, hi
        return UNCLEAR, mean, lo, hi

    def evidence(self) -> pd.DataFrame:
        rows = []
        for value in sorted(self.tried):
            st, mean, lo, hi = self._judge(value)
            cost, _, clo, chi, _ = metric_interval(self._values(value, COST), COST)
            team = resolved_dict(self.tried[value].scenario)["team"]
            rows.append(
                {
                    "value": value,
                    "team_total": sum(team[k] for k in WORKER_TYPES),
                    "reps": len(self.tried[value].metrics),
                    "failed": self.tried[value].failed,
                    "metric": self.target.counted,
                    "mean": mean,
                    "bound": hi if self.target.op == "<=" else lo,
                    "lower_bound": lo,
                    "upper_bound": hi,
                    "bound_confidence": 1 - (1 - self.plan.confidence) / 2,
                    "status": st,
                    "met": st == MET,
                    "cost_gbp": cost,
                    "cost_ci_low": clo,
                    "cost_ci_high": chi,
                }
            )
        return pd.DataFrame(rows)


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
    max_reps: int = 200,
    on_result: OnResult | None = None,
) -> StaffingAnswer:
    """The smallest value of ``field`` meeting ``target`` at one-sided ``confidence``;
    ``on_result`` is called with each finished replication (a progress bar)."""
    seed = scenario.seed if seed is None else seed
    max_reps = max(max_reps, reps)
    search = _Search(scenario, target, field, confidence, seed, backend, reps, max_reps)
    search.on_result = on_result

    def met(value: int) -> bool:
        return search.status(value, reps) == MET

    def answer(value: int | None, unclear: list[int]) -> StaffingAnswer:
        team = {}
        if value is not None:
            resolved = resolved_dict(search.tried[value].scenario)["team"]
            team = {k: int(resolved[k]) for k in WORKER_TYPES}
        return StaffingAnswer(
            field, value, target, confidence, search.evidence(), unclear, max_reps, team
        )

    start = min(highest, max(lowest, whole_number_field(scenario, field)))
    if met(start):
        bad, good = lowest - 1, start  # met already: the answer is at or below it
    else:
        bad, step, good = start, 1, None
        while good is None:  # step up, doubling, until met or out of range
            nxt = min(highest, bad + step)
            if met(nxt):
                good = nxt
            elif nxt >= highest:
                return answer(None, [])
            else:
                bad, step = nxt, 2 * step
    while good - bad > 1:  # bisect between the last value not met and the first met
        mid = (good + bad) // 2
        if met(mid):
            good = mid
        else:
            bad = mid
    unclear, below = [], good - 1
    while below >= lowest and search.status(below, reps) == UNCLEAR:
        unclear.append(below)  # neighbours that even max_reps cannot separate from good
        below -= 1
    return answer(good, unclear)


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
