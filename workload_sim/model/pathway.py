"""Pathways: the tasks of a case, compiled from scenario data into samplers.

A case's whole path (which branches it takes, each step's effort and lead
time, each failed attempt's delay and wasted effort) is drawn when the case is
opened, from streams named after the pathway and step. Drawing at opening, in
arrival order, keeps common random numbers exact: two scenarios that differ
only in staffing give every case the same work.
"""

from __future__ import annotations

from typing import NamedTuple

from ..scenario import PathwaySpec
from ..scenario.distributions import Bernoulli, Choice, Sampler
from .streams import Streams

MAX_FAILURES = 50  # attempts per step; p <= 0.95 makes reaching this ~1e-1 likely at worst
MAX_DEPTH = 25  # nested branches (e.g. repeated best-interest meetings) per case
# Steps per case: depth alone does not bound a plan (two branching steps give 2^25); the
# scenario's expected plan length is checked at validation, this caps any single draw.
MAX_STEPS = 2_000


class _Const:
    __slots__ = ("value",)

    def __init__(self, value: float) -> None:
        self.value = value

    def __call__(self) -> float:
        return self.value


def _sampler(spec, streams: Streams, name: str):
    return _Const(spec.value) if spec.is_fixed else Sampler(spec, streams.get(name))


class PlannedStep(NamedTuple):
    """One step of one case: what it will cost and how often it will fail."""

    pathway: str
    step: str
    lead_time: float  # working days waiting before the step can start
    effort: float  # hours for the successful attempt
    failures: tuple[tuple[float, float], ...]  # (reschedule delay days, wasted hours) each


class _CompiledStep:
    __slots__ = ("name", "effort", "lead", "fails", "delay", "wasted", "branch", "occurs", "scale")

    def __init__(self, pname: str, spec, streams: Streams, prefix: str, scale: float) -> None:
        key = f"{prefix}pathway.{pname}.{spec.name}"
        self.name = spec.name
        self.scale = scale  # 1 + the pathway's recording share
        self.occurs = (
            Bernoulli(spec.probability, streams.get(key + ".occurs"))
            if spec.probability < 1.0
            else None
        )
        self.effort = _sampler(spec.effort_hours, streams, key + ".effort")
        self.lead = _sampler(spec.lead_time_days, streams, key + ".lead_time")
        p = spec.failure.probability
        self.fails = Bernoulli(p, streams.get(key + ".failure")) if p > 0 else None
        self.delay = _sampler(spec.failure.reschedule_delay_days, streams, key + ".delay")
        self.wasted = _sampler(spec.failure.wasted_effort_hours, streams, key + ".wasted")
        self.branch = None
        if spec.branches:
            table = {b.pathway: b.probability for b in spec.branches}
            table[""] = max(0.0, 1.0 - sum(table.values()))
            self.branch = Choice(table, streams.get(key + ".branch"))


class PathwayPlanner:
    """Draws the concrete path of a new case for any named pathway."""

    def __init__(
        self, pathways: dict[str, PathwaySpec], streams: Streams, prefix: str = ""
    ) -> None:
        self._steps = {
            name: [
                _CompiledStep(name, st, streams, prefix, 1.0 + spec.recording_share)
                for st in spec.steps
            ]
            for name, spec in pathways.items()
        }

    def plan(self, pathway: str) -> tuple[list[PlannedStep], bool]:
        """The path of one case, and whether it was cut at ``MAX_DEPTH`` nested branches
        or ``MAX_STEPS`` steps."""
        out: list[PlannedStep] = []
        truncated = self._extend(out, pathway, 0)
        return out, truncated

    def _extend(self, out: list[PlannedStep], pathway: str, depth: int) -> bool:
        # one call per case and branch: attributes read once into locals, the draws in the
        # same order as ever (occurs, failures, effort, lead time, branch)
        truncated = False
        make = tuple.__new__  # builds the named tuple ~3x faster than its Python __new__
        append = out.append
        for st in self._steps[pathway]:
            if len(out) >= MAX_STEPS:
                return True
            occurs = st.occurs
            if occurs is not None and not occurs():
                continue
            failures: tuple = ()
            fails = st.fails
            if fails is not None and fails():
                found = [(st.delay(), st.wasted())]
                while len(found) < MAX_FAILURES and fails():
                    found.append((st.delay(), st.wasted()))
                failures = tuple(found)
            effort = st.effort() * st.scale
            append(make(PlannedStep, (pathway, st.name, st.lead(), effort, failures)))
            branch = st.branch
            if branch is not None:
                nxt = branch()
                if nxt:
                    if depth + 1 >= MAX_DEPTH:
                        truncated = True
                    else:
                        truncated |= self._extend(out, nxt, depth + 1)
        return truncated
