"""Parameter sweeps: a design over any scenario fields, run on common random numbers.

A sweep file names a base scenario, the fields to vary (any field path, as a
range or a list of values) and a design: a full ``grid``, a Latin hypercube
(``lhs``, scipy.stats.qmc) or ``sobol`` (Saltelli sampling from SALib), in which
case first- and total-order Sobol indices are computed for each metric. Every
point runs the same replications with the same seed, so differences between
points are due to the parameters, not to luck.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import field_validator, model_validator

from ..records.metrics import KEY_METRICS, METRICS
from ..records.summary import metric_interval
from ..scenario import F, Scenario, Strict
from ..scenario.loading import (
    ScenarioError,
    field_value,
    load_scenario,
    parse_yaml,
    read_capped,
    resolved_dict,
)

DEFAULT_METRICS = list(KEY_METRICS)


MAX_POINTS = 10_000  # Input limits: design points in one sweep
MAX_TASKS = 200_000  # points x replications


class FieldSpec(Strict):
    low: float | None = F(None, "Lowest value (with high)", "")
    high: float | None = F(None, "Highest value (with low)", "")
    steps: int | None = F(None, "Grid: values from low to high, this many", "", ge=2, le=MAX_POINTS)
    values: list[Any] | None = F(
        None,
        "Or: the exact values to use (numbers, text or true/false)",
        "",
        max_length=MAX_POINTS,
    )

    @field_validator("values")
    @classmethod
    def _plain_values(cls, v: list | None) -> list | None:
        for i, x in enumerate(v or []):
            if not isinstance(x, (int, float, str)) or (isinstance(x, str) and len(x) > 200):
                raise ValueError(
                    f"values[{i}] is a {type(x).__name__}; each value must be a number, "
                    "text (up to 200 characters) or true/false"
                )
        return v

    @model_validator(mode="after")
    def _one_form(self) -> FieldSpec:
        ranged = self.low is not None and self.high is not None
        if self.values is None and not ranged:
            raise ValueError("give low and high, or values")
        if self.values is not None and (ranged or self.steps is not None):
            raise ValueError("give either values or low/high, not both")
        if ranged and self.low > self.high:
            raise ValueError("low must not exceed high")
        if self.values is not None and not self.values:
            raise ValueError("values must not be empty")
        return self


class SweepSpec(Strict):
    name: str = F("sweep", "Short name, used for output folders", "")
    base: str = F(..., "The base scenario file, relative to this sweep file", "path")
    set: list[str] = F([], "Overrides applied to the base first (as --set)", "")
    design: Literal["grid", "lhs", "sobol"] = F("lhs", "grid, lhs (Latin hypercube) or sobol", "")
    points: int = F(
        64,
        "lhs: number of points; sobol: base sample N (points = N x (fields + 2))",
        "",
        ge=1,
        le=1_000_000,
    )
    reps: int = F(10, "Replications at every point", "runs", ge=1, le=10_000)
    seed: int | None = F(
        None, "Seed for the design and the runs (default: the base's)", "", ge=0, lt=2**32
    )
    metrics: list[str] = F(DEFAULT_METRICS, "Metrics to summarise (and for Sobol indices)", "")
    fields: dict[str, FieldSpec] = F(..., "Fields to vary, by field path", "", min_length=1)

    @model_validator(mode="after")
    def _design_fits(self) -> SweepSpec:
        unknown = [m for m in self.metrics if m not in METRICS]
        if unknown:
            raise ValueError(
                f"metrics: unknown {', '.join(map(repr, unknown))}; known: {', '.join(METRICS)}"
            )
        for path, f in self.fields.items():
            if self.design == "grid" and f.values is None and f.steps is None:
                raise ValueError(f"fields.{path}: a grid needs values, or low/high with steps")
            if self.design == "sobol" and f.values is not None:
                raise ValueError(f"fields.{path}: a Sobol design needs a low/high range")
            if self.design == "sobol" and f.low is not None and f.low == f.high:
                # SALib cannot sample (or rank) a field that does not vary
                raise ValueError(
                    f"fields.{path}: low and high are both {f.low:g}; a Sobol design needs "
                    "low < high (fix the value with --set instead)"
                )
        sizes, points = self.size()
        if points > MAX_POINTS:
            raise ValueError(
                f"the design has {sizes} = {points:,} points, over the limit of "
                f"{MAX_POINTS:,}; use fewer "
                + ("values or steps" if self.design == "grid" else "points")
            )
        if points * self.reps > MAX_TASKS:
            raise ValueError(
                f"{points:,} points x {self.reps} reps = {points * self.reps:,} runs, over the "
                f"limit of {MAX_TASKS:,}; lower reps or points"
            )
        return self

    def size(self) -> tuple[str, int]:
        """The design's size as a product people can check, and its value."""
        if self.design == "grid":
            axes = [
                len(f.values) if f.values is not None else f.steps for f in self.fields.values()
            ]
            return " x ".join(map(str, axes)), math.prod(axes)
        if self.design == "sobol":
            n = len(self.fields) + 2
            return f"{self.points} x ({len(self.fields)} fields + 2)", self.points * n
        return f"{self.points}", self.points


Progress = Callable[[int, int], None]  # (points checked, points in all)


class Sweep:
    """A loaded sweep: its spec, its base scenario and its design points."""

    def __init__(
        self, spec: SweepSpec, base: Scenario, where: Path, progress: Progress | None = None
    ) -> None:
        self.spec = spec
        self.base = base
        self.where = where
        self.seed = base.seed if spec.seed is None else spec.seed
        self.fields = list(spec.fields)
        resolved = resolved_dict(base)
        self.integer = {p: isinstance(field_value(resolved, p), int) for p in self.fields}
        self.design = self._design()
        self.scenarios = self._scenarios(progress)

    def _design(self) -> pd.DataFrame:
        spec, names = self.spec, self.fields
        if spec.design == "grid":
            axes = [_grid_values(spec.fields[n]) for n in names]
            rows = list(itertools.product(*axes))
        elif spec.design == "lhs":
            from scipy.stats import qmc

            u = qmc.LatinHypercube(d=len(names), seed=self.seed).random(spec.points)
        else:
            from SALib.sample import sobol

            # sampled on the unit cube and scaled here, like the Latin hypercube, so that
            # whole-number fields get the same mapping (SALib scales u * (hi - lo) + lo)
            unit = {**self.problem, "bounds": [[0.0, 1.0]] * len(names)}
            u = sobol.sample(unit, spec.points, calc_second_order=False, seed=self.seed)
        if spec.design != "grid":
            rows = [
                [
                    _scale(spec.fields[n], x, self.integer[n])
                    for n, x in zip(names, row, strict=True)
                ]
                for row in u
            ]
        frame = pd.DataFrame(rows, columns=names)
        for n in names:
            if self.integer[n] and spec.fields[n].values is None:
                frame[n] = frame[n].round().astype(int)
        frame.insert(0, "point", range(len(frame)))
        return frame

    @property
    def problem(self) -> dict:
        return {
            "num_vars": len(self.fields),
            "names": self.fields,
            "bounds": [[self.spec.fields[n].low, self.spec.fields[n].high] for n in self.fields],
        }

    def _scenarios(self, progress: Progress | None = None) -> list[Scenario]:
        """Every point's scenario, validated before any work; a problem shared by many
        points is reported once, with the points it affects. ``progress(done, total)`` is
        told after each point (a large design takes minutes to check)."""
        out, problems = [], {}
        records = self.design.to_dict("records")
        for i, record in enumerate(records):
            if progress is not None:
                progress(i, len(records))
            sets = [f"{n}={_as_text(record[n])}" for n in self.fields]
            try:
                out.append(load_scenario(self.base, sets))
            except ScenarioError as exc:
                for p in exc.problems:
                    key = re.sub(r"got .*?; ", "", re.sub(r"=[^']*'", "='", p))
                    problems.setdefault(key, (p, []))[1].append(record["point"])
        if problems:
            raise ScenarioError(
                [
                    f"point {pts[0]}{f' (and {len(pts) - 1} other points)' if len(pts) > 1 else ''}"
                    f": {p}"
                    for p, pts in problems.values()
                ]
            )
        return out


def _as_text(value) -> str:
    """A design value as --set text (YAML); floats keep full precision."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value)).lower()
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    return str(value)


def _grid_values(f: FieldSpec) -> list:
    if f.values is not None:
        return list(f.values)
    return np.linspace(f.low, f.high, f.steps).tolist()


def _scale(f: FieldSpec, u: float, integer: bool = False):
    """The field's value at ``u`` in [0, 1): each listed value, and each whole number of
    an integer field's range, owns an equal share of [0, 1); a range otherwise maps
    linearly. (Rounding ``low + u (high - low)`` would give the two end values half
    the weight of the others.)"""
    if f.values is not None:
        return f.values[min(int(u * len(f.values)), len(f.values) - 1)]
    if integer:
        lo, hi = math.ceil(f.low - 1e-9), math.floor(f.high + 1e-9)
        if hi < lo:  # no whole number in the range: the nearest one
            return round((f.low + f.high) / 2)
        return min(lo + math.floor(u * (hi - lo + 1)), hi)
    return f.low + u * (f.high - f.low)


def load_sweep(path: str | Path, overrides: list[str] | None = None) -> Sweep:
    """A sweep file -> Sweep (base scenario loaded, every design point validated)."""
    path = Path(path)
    data = parse_yaml(read_capped(path, "sweep"), str(path), "sweep")
    from pydantic import ValidationError

    from ..scenario.loading import explain

    try:
        spec = SweepSpec.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError([f"{path}: {p}" for p in explain(exc, SweepSpec)]) from None
    base = load_scenario(path.parent / spec.base, [*spec.set, *(overrides or [])])
    return Sweep(spec, base, path)


def summarise_points(sweep: Sweep, per_rep: pd.DataFrame) -> pd.DataFrame:
    """One row per point: its field values and each metric's mean and 95% CI."""
    rows = []
    for point, group in per_rep.groupby("point"):
        row = sweep.design[sweep.design["point"] == point].to_dict("records")[0]
        row["reps"] = len(group)
        for m in sweep.spec.metrics:
            mean, _, lo, hi, _ = metric_interval(group[m], m)
            row[m] = mean
            row[f"{m}_ci_low"], row[f"{m}_ci_high"] = lo, hi
        rows.append(row)
    return pd.DataFrame(rows)


def sobol_indices(sweep: Sweep, summary: pd.DataFrame) -> pd.DataFrame:
    """First- and total-order Sobol indices of each metric's point means."""
    from SALib.analyze import sobol

    rows = []
    ordered = summary.sort_values("point")
    for m in sweep.spec.metrics:
        y = ordered[m].to_numpy(dtype=float)
        if not np.all(np.isfinite(y)) or np.allclose(y, y[0]):
            continue  # undefined where a metric is missing or never varies
        res = sobol.analyze(sweep.problem, y, calc_second_order=False, seed=sweep.seed)
        for i, field in enumerate(sweep.fields):
            rows.append(
                {
                    "metric": m,
                    "field": field,
                    "S1": res["S1"][i],
                    "S1_conf": res["S1_conf"][i],
                    "ST": res["ST"][i],
                    "ST_conf": res["ST_conf"][i],
                }
            )
    return pd.DataFrame(rows)
