"""Expected work on one case, from the pathways alone (no simulation).

For each pathway, one *visit* (running its steps once) costs, on average:

- direct work: each step's mean effort x the chance the step happens at all,
  plus the pathway's recording share on top (as the planner adds it);
- failed attempts: a step is tried until it succeeds, each attempt failing with
  probability p, and the planner stops drawing failures at ``MAX_FAILURES``; so
  the expected number of failed attempts is p + p^2 + ... + p^K (K the cap),
  each wasting the step's mean wasted effort and adding its reschedule delay;
- lead times: each step's mean wait on others.

Branches send a case into another pathway (a capacity assessment, a repeated
best-interest meeting, another long-term review), whose steps run before the
chain resumes. The expected visits to each pathway solve
``E[visits] = start + sum over branches of p x E[visits of the branching pathway]``,
a linear system ``v = e + v B``. Where that has no finite solution (a loop whose
branches are taken with certainty, on average) the case would never close: the
scenario is refused. The planner also stops nesting branches at ``MAX_DEPTH``;
the visits used are the exact expectation under that cap,
``sum over depth d < MAX_DEPTH of e B^d``, which differs from the uncapped
solution only for loops that come close to certain.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse.csgraph import connected_components

from ..model.pathway import MAX_DEPTH, MAX_FAILURES
from ..scenario import PathwaySpec, StepSpec
from ..scenario.loading import ScenarioError


def expected_failures(p: float, cap: int = MAX_FAILURES) -> float:
    """Expected failed attempts at a step failing with probability ``p``, at most ``cap``."""
    if p <= 0.0:
        return 0.0
    return p * (1.0 - p**cap) / (1.0 - p)


@dataclass(frozen=True)
class VisitCost:
    """What one run through a pathway's own steps costs on average (branches excluded)."""

    effort_hours: float  # direct work of the successful attempts, before recording
    recording_hours: float  # the pathway's recording share on top of that work
    failure_hours: float  # worker time lost on failed attempts
    lead_days: float  # waiting on others, reschedule delays of failed attempts included

    @property
    def hours(self) -> float:
        return self.effort_hours + self.recording_hours + self.failure_hours


def _step_cost(step: StepSpec, recording_share: float) -> VisitCost:
    q = step.probability
    fails = expected_failures(step.failure.probability)
    effort = q * step.effort_hours.mean()
    return VisitCost(
        effort_hours=effort,
        recording_hours=effort * recording_share,
        failure_hours=q * fails * step.failure.wasted_effort_hours.mean(),
        lead_days=q
        * (step.lead_time_days.mean() + fails * step.failure.reschedule_delay_days.mean()),
    )


def visit_cost(path: PathwaySpec) -> VisitCost:
    """The expected cost of one visit to ``path`` (its own steps only)."""
    costs = [_step_cost(s, path.recording_share) for s in path.steps]
    return VisitCost(*(sum(getattr(c, f) for c in costs) for f in VisitCost.__dataclass_fields__))


def branch_matrix(pathways: dict[str, PathwaySpec]) -> np.ndarray:
    """B[i, j]: expected branches into pathway j per visit to pathway i."""
    names = list(pathways)
    index = {n: i for i, n in enumerate(names)}
    b = np.zeros((len(names), len(names)))
    for name, path in pathways.items():
        for step in path.steps:
            for br in step.branches:  # a skipped step takes no branch
                b[index[name], index[br.pathway]] += step.probability * br.probability
    return b


def _refuse_endless_loops(pathways: dict[str, PathwaySpec], b: np.ndarray, reach: set[int]):
    """One-line error for each loop of branches that, on average, never ends."""
    names = list(pathways)
    n_groups, group = connected_components(b > 0, directed=True, connection="strong")
    problems = []
    for g in range(n_groups):
        members = [i for i in range(len(names)) if group[i] == g]
        sub = b[np.ix_(members, members)]
        if not sub.any() or not reach.intersection(members):
            continue
        radius = float(max(abs(np.linalg.eigvals(sub))))
        if radius >= 1.0 - 1e-9:
            loop = [names[i] for i in members]
            where = [
                f"pathways.{names[i]}.{s.name}.branches"
                for i in members
                for s in pathways[names[i]].steps
                if any(br.pathway in loop for br in s.branches)
            ]
            problems.append(
                f"{', '.join(where)}: the branches among {loop} repeat on average at least "
                f"once per pass (growth factor {radius:.3g}), so the expected visits are "
                "infinite and a case would never close; lower these branch probabilities "
                "so the loop is left with some chance"
            )
    if problems:
        raise ScenarioError(problems)


def _reachable(b: np.ndarray, start: np.ndarray) -> set[int]:
    seen = {int(i) for i in np.flatnonzero(start > 0)}
    todo = list(seen)
    while todo:
        i = todo.pop()
        for j in np.flatnonzero(b[i] > 0):
            if int(j) not in seen:
                seen.add(int(j))
                todo.append(int(j))
    return seen


@dataclass(frozen=True)
class CaseEffort:
    """Expected visits and work of a case, for each pathway a case can start on."""

    names: tuple[str, ...]
    visit: dict[str, VisitCost]  # one visit to each pathway
    visits: dict[str, dict[str, float]]  # start pathway -> expected visits to each pathway
    visits_uncapped: dict[str, dict[str, float]]  # the same without the planner's depth cap

    def per_case(self, start: str) -> VisitCost:
        """Expected cost of a whole case opened on pathway ``start``, branches included."""
        v = self.visits[start]
        return VisitCost(
            *(
                sum(v[n] * getattr(self.visit[n], f) for n in self.names)
                for f in VisitCost.__dataclass_fields__
            )
        )

    def held_days(self, start: str, case_hours_per_day: float) -> float:
        """Working days a case is held when its work is done at ``case_hours_per_day``
        as soon as it is ready: lead times and delays, plus hours at that pace."""
        c = self.per_case(start)
        return c.lead_days + c.hours / case_hours_per_day


def case_effort(pathways: dict[str, PathwaySpec], starts: list[str]) -> CaseEffort:
    """Solve the expected visits for cases starting on each of ``starts``.

    Raises :class:`ScenarioError` when a loop of branches reachable from a
    start never ends on average (infinite expected visits).
    """
    names = tuple(pathways)
    b = branch_matrix(pathways)
    eye = np.eye(len(names))
    visits, uncapped = {}, {}
    for start in starts:
        e = eye[names.index(start)]
        _refuse_endless_loops(pathways, b, _reachable(b, e))
        reach = sorted(_reachable(b, e))
        # uncapped: v = e + v B on the pathways this start can reach (others are 0)
        sub = b[np.ix_(reach, reach)]
        v_sub = np.linalg.solve((np.eye(len(reach)) - sub).T, e[reach])
        v_full = np.zeros(len(names))
        v_full[reach] = v_sub
        # the planner's cap: visits at nesting depth 0 .. MAX_DEPTH - 1 only
        level, capped = e.copy(), np.zeros(len(names))
        for _ in range(MAX_DEPTH):
            capped += level
            level = level @ b
        visits[start] = dict(zip(names, capped.tolist(), strict=True))
        uncapped[start] = dict(zip(names, v_full.tolist(), strict=True))
    return CaseEffort(names, {n: visit_cost(p) for n, p in pathways.items()}, visits, uncapped)
