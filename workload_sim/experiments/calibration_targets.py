"""The targets file of ``workload-sim calibrate``: published figures the model's emergent
outputs should reproduce, and the base parameters calibration may change to get there.

Read with the scenario's safe YAML loader (same input limits) and checked by a strict
schema; every problem is one line naming the field and the fix, as for scenarios.
"""

from __future__ import annotations

import difflib
import math
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator, model_validator

from ..records.metrics import METRICS
from ..scenario import Scenario
from ..scenario.fields import Strict
from ..scenario.loading import ScenarioError, explain, field_value, resolved_dict, validate
from ..scenario.safe_yaml import parse_yaml, read_capped

ASSUMPTION = "assumption:"


@lru_cache(maxsize=1)
def known_source_ids() -> frozenset[str]:
    """The publication ids of docs/sources.md (shipped as workload_sim/data/source_ids.txt)."""
    text = resources.files("workload_sim").joinpath("data/source_ids.txt").read_text("utf-8")
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def source_id(note: str) -> str:
    """The id a target's source starts with ('assumption' for an assumption)."""
    if note.startswith(ASSUMPTION):
        return "assumption"
    return note.split(":", 1)[0].strip()


class TargetSpec(Strict):
    metric: str = Field(max_length=100)
    value: float = Field(gt=0, description="The central published figure")
    range: list[float] | None = Field(None, min_length=2, max_length=2)
    source: str = Field(min_length=1, max_length=1000)

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, name: str) -> str:
        if name not in METRICS:
            close = difflib.get_close_matches(name, list(METRICS), n=3, cutoff=0.5)
            fix = f"did you mean {', '.join(close)}?" if close else "see docs/statistics.md"
            raise ValueError(f"not a metric of the model; {fix}")
        return name

    @field_validator("range")
    @classmethod
    def _ordered(cls, pair: list[float] | None) -> list[float] | None:
        if pair is not None and not pair[0] <= pair[1]:
            raise ValueError("give the range as [low, high] with low <= high")
        return pair

    @field_validator("source")
    @classmethod
    def _cites(cls, note: str) -> str:
        if note.startswith(ASSUMPTION):
            return note
        sid = source_id(note)
        if ":" not in note or sid not in known_source_ids():
            raise ValueError(
                "start with a publication id from docs/sources.md and a colon (e.g. "
                "'dfe-cswf-2025: sickness 3.2-3.5%'), or with 'assumption:' and why"
            )
        return note


class ParameterSpec(Strict):
    field: str = Field(min_length=1, max_length=200)
    bounds: list[float] = Field(min_length=2, max_length=2)
    scale: bool = False

    @field_validator("bounds")
    @classmethod
    def _ordered(cls, pair: list[float]) -> list[float]:
        if not pair[0] < pair[1]:
            raise ValueError("give [low, high] with low < high")
        if pair[0] < 0:
            raise ValueError("bounds must not be negative: every calibrated value is a rate")
        return pair


class TargetsFile(Strict):
    description: str = ""
    replications: int | None = Field(None, ge=2, le=10_000)
    tolerance: float = Field(0.15, gt=0, le=1)
    targets: list[TargetSpec] = Field(min_length=1, max_length=50)
    parameters: list[ParameterSpec] = Field(min_length=1, max_length=20)

    @model_validator(mode="after")
    def _identifiable(self) -> TargetsFile:
        if len(self.parameters) > len(self.targets):
            raise ValueError(
                f"parameters: {len(self.parameters)} parameters for {len(self.targets)} "
                "target(s); more unknowns than targets have no unique answer: drop parameters "
                "or add targets"
            )
        fields = [p.field for p in self.parameters]
        twice = sorted({f for f in fields if fields.count(f) > 1})
        if twice:
            raise ValueError(f"parameters: {', '.join(twice)} named twice; name each field once")
        return self


def load_targets(path: str | Path) -> TargetsFile:
    """A targets file, checked; ScenarioError with one line per problem."""
    path = Path(path)
    data = parse_yaml(read_capped(path, "targets"), str(path), "targets")
    try:
        return TargetsFile.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError([f"{path}: {p}" for p in explain(exc, TargetsFile)]) from None


def base_value(resolved: dict, param: ParameterSpec) -> float | dict:
    """The field's value in the scenario (a number, or a distribution's mapping)."""
    return field_value(resolved, param.field)


def check_parameters(scenario: Scenario, targets: TargetsFile, origin: str = "targets") -> None:
    """Every parameter names a number (or, with scale, a distribution) of the scenario, and
    the scenario is valid at each end of its bounds."""
    resolved = resolved_dict(scenario)
    problems = []
    for i, p in enumerate(targets.parameters):
        where = f"{origin}: parameters[{i}].field {p.field!r}"
        value = base_value(resolved, p)
        problem = _not_a_number(value, p)
        if problem:
            problems.append(f"{where}: {problem}")
            continue
        for end in p.bounds:
            try:
                validate(with_values(resolved, [p], [end]))
            except ScenarioError as exc:
                problems.append(
                    f"{origin}: parameters[{i}].bounds: {p.field} at {end:g} is refused by the "
                    f"scenario ({exc.problems[0]}); narrow the bounds"
                )
                break
    if problems:
        raise ScenarioError(problems)


def _not_a_number(value: Any, p: ParameterSpec) -> str | None:
    if value is None:
        return "no such field in the scenario; use a path as 'workload-sim assumptions' lists"
    if isinstance(value, bool) or isinstance(value, int):
        return (
            "is a whole number (a headcount or a switch); calibrate changes continuous rates: "
            "use 'workload-sim staffing' for headcounts"
        )
    if isinstance(value, dict) and "dist" in value:
        if not p.scale:
            return "is a distribution; add 'scale: true' to calibrate a factor on all of it"
        return None
    if isinstance(value, float) and math.isfinite(value):
        return None
    return "is a section, not a number; name one number inside it"


def scaled(value: float | dict, factor: float) -> float | dict:
    """A number times ``factor``, or a distribution with every parameter times ``factor``."""
    if isinstance(value, dict):
        return {k: (v if k == "dist" else v * factor) for k, v in value.items()}
    return value * factor


def with_values(resolved: dict, params: list[ParameterSpec], values: list[float]) -> dict:
    """A copy of a resolved scenario mapping with each parameter set to its value."""
    import copy

    data = copy.deepcopy(resolved)
    for p, v in zip(params, values, strict=True):
        set_at(data, p.field, scaled(field_value(resolved, p.field), v) if p.scale else v)
    return data


def whole_step(resolved: dict, param: ParameterSpec) -> float | None:
    """The step the engine moves ``param`` in, or None where it is continuous: a whole-number
    field moves in 1s, and a fixed number of days (the engine rounds every drawn duration to
    whole days) moves in whole days, so a scale on it moves in 1 / days. Fitting such a
    parameter as continuous finds values (2.115 days) that the engine runs as another (2)."""
    value = field_value(resolved, param.field)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return 1.0 / value if param.scale and value else (None if param.scale else 1.0)
    if isinstance(value, dict) and value.get("dist") == "fixed" and param.field.endswith("_days"):
        days = float(value.get("value", 0))
        return (1.0 / days if days else None) if param.scale else None
    return None


def on_step(value: float, step: float | None, bounds: list[float]) -> float:
    """``value`` moved to the nearest multiple of ``step`` inside ``bounds``."""
    if not step:
        return value
    low = math.ceil(bounds[0] / step - 1e-9) * step
    high = math.floor(bounds[1] / step + 1e-9) * step
    return float(min(max(round(value / step) * step, low), high))


def set_at(data: dict, path: str, value: Any) -> None:
    """Set the value at a dotted path that exists (list items by index)."""
    *parents, last = path.split(".")
    node = field_value(data, ".".join(parents)) if parents else data
    node[int(last) if isinstance(node, list) else last] = value
