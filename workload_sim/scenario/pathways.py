"""Scenario sections for pathways: the work on a case, as data."""

from __future__ import annotations

import math
from functools import lru_cache
from importlib import resources

import numpy as np
import yaml
from pydantic import field_validator

from .distributions import Distribution, Fixed
from .fields import ASSUMPTION, DAY_LIMIT, TOL, F, Probability, Strict


class FailureSpec(Strict):
    probability: float = F(
        0.0,
        "Chance an attempt at the step fails (missed call, cancelled visit)",
        "fraction",
        "assumption: a step never fails unless its pathway says how often (seed-who-cares: a "
        "missed call, an unanswered email, a cancelled visit)",
        ge=0,
        le=0.95,
    )
    reschedule_delay_days: Distribution = F(
        Fixed(value=2.0),
        "Wait before the step is tried again",
        "working days",
        "assumption: two working days to rearrange a failed contact; vary 1-5",
    )
    wasted_effort_hours: Distribution = F(
        Fixed(value=0.5),
        "Worker time lost on the failed attempt",
        "hours",
        "assumption: half an hour lost on a failed attempt; vary 0.25-2",
    )


class BranchSpec(Strict):
    probability: Probability = F(
        0.0,
        "Chance the case takes this branch",
        "fraction",
        "assumption: a branch is never taken unless its pathway gives a chance",
    )
    pathway: str = F(
        ...,
        "Pathway whose steps run next (then the chain resumes)",
        "name",
        "assumption: the sub-pathway the scenario names",
    )


class StepSpec(Strict):
    name: str = F(..., "Step name", "name")
    probability: Probability = F(
        1.0,
        "Chance the step happens at all for a case (else it is skipped)",
        "fraction",
        "assumption: a step happens for every case unless its pathway says otherwise",
    )
    effort_hours: Distribution = F(
        Fixed(value=0.0),
        "Worker time the step takes",
        "hours",
        "assumption: no worker time unless the pathway gives the step's effort",
    )
    lead_time_days: Distribution = F(
        Fixed(value=0.0),
        "Waiting on others before the step can be done (no worker time)",
        "working days",
        "assumption: no wait on others unless the pathway gives one",
    )
    failure: FailureSpec = F(FailureSpec(), "How attempts at the step fail and are retried", "")
    branches: list[BranchSpec] = F([], "Alternative sub-pathways after this step", "")
    source: str = F(ASSUMPTION, "Where this step's figures come from", "")

    @field_validator("branches")
    @classmethod
    def _branch_total(cls, v: list[BranchSpec]) -> list[BranchSpec]:
        total = sum(b.probability for b in v)
        if total > 1 + TOL:
            raise ValueError(f"branch probabilities sum to {total:g}; they must sum to <= 1")
        return v


class PathwaySpec(Strict):
    description: str = F("", "What this pathway is", "")
    weight: float = F(
        1.0,
        "Weighted-caseload units one case counts for",
        "cases",
        "assumption: every case counts as one on a caseload unless weighted",
        gt=0,
    )
    recording_share: float = F(
        0.0,
        "Recording (case notes, records, decision tools) added to each step, as a share of "
        "the step's direct work",
        "fraction",
        "assumption: no recording added to the steps unless the pathway says so",
        ge=0,
        le=5,
    )
    completion_target_days: float | None = F(
        None,
        "Standard from referral to completion (none: no standard)",
        "working days",
        "assumption: no completion standard unless the pathway sets one",
        ge=0,
        le=DAY_LIMIT,
    )
    steps: list[StepSpec] = F(..., "The ordered chain of steps", "", min_length=1)

    @field_validator("steps")
    @classmethod
    def _unique_names(cls, v: list[StepSpec]) -> list[StepSpec]:
        names = [s.name for s in v]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"step names must be unique within a pathway; repeated: {dup}")
        return v


MAX_EXPECTED_STEPS = 200  # Input limits: expected planned steps per case (defaults: ~12)


def expected_steps(pathways: dict[str, PathwaySpec]) -> dict[str, float]:
    """Expected number of steps a case on each pathway plans, branches included.

    With q = a step's chance of happening and b = a branch's probability, the expected
    steps E of the pathways solve E = c + M E, where c[p] = sum of q over p's steps and
    M[p, r] = sum over p's steps of q x b(branch to r): the expected visits of a Markov
    chain. The expectation is finite exactly when M's spectral radius is below 1; where
    it is not, the value is infinity (a case could plan without end).
    """
    names = list(pathways)
    index = {n: i for i, n in enumerate(names)}
    c = np.zeros(len(names))
    m = np.zeros((len(names), len(names)))
    for name, spec in pathways.items():
        for step in spec.steps:
            c[index[name]] += step.probability
            for b in step.branches:
                if b.pathway in index:
                    m[index[name], index[b.pathway]] += step.probability * b.probability
    if not names:
        return {}
    if max(abs(np.linalg.eigvals(m))) >= 1 - 1e-9:
        # only pathways that can reach a cycle of "sure return" are unbounded
        reach = np.linalg.matrix_power(np.eye(len(names)) + (m > 0), len(names)) > 0
        looping = _unbounded(m)
        return {
            n: math.inf if reach[index[n]][looping].any() else _finite(m, c, index[n], looping)
            for n in names
        }
    solved = np.linalg.solve(np.eye(len(names)) - m, c)
    return {n: float(solved[index[n]]) for n in names}


def _unbounded(m: np.ndarray) -> np.ndarray:
    """Pathways in a strongly connected group whose own spectral radius is >= 1."""
    n = len(m)
    link = (np.linalg.matrix_power(np.eye(n) + (m > 0), n) > 0).astype(bool)
    out = np.zeros(n, dtype=bool)
    for i in range(n):
        group = link[i] & link[:, i]
        sub = m[np.ix_(group, group)]
        if sub.size and max(abs(np.linalg.eigvals(sub))) >= 1 - 1e-9:
            out |= group
    return out


def _finite(m: np.ndarray, c: np.ndarray, i: int, looping: np.ndarray) -> float:
    keep = ~looping
    sub = np.linalg.solve(np.eye(keep.sum()) - m[np.ix_(keep, keep)], c[keep])
    return float(sub[np.flatnonzero(keep).tolist().index(i)])


@lru_cache(maxsize=1)
def default_pathways() -> dict[str, PathwaySpec]:
    """The built-in adult safeguarding pathways (package data, each figure sourced there)."""
    text = resources.files("workload_sim").joinpath("data/pathways.yaml").read_text("utf-8")
    return {k: PathwaySpec.model_validate(v) for k, v in yaml.safe_load(text).items()}


# --- the team ------------------------------------------------------------------------
