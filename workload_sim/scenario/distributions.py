"""Probability distributions as scenario data, and fast samplers for them.

A scenario names a distribution by its ``dist`` key and its natural parameters
(means and standard deviations in the field's own unit, never numpy's internal
parametrisation). A bare number in YAML means a fixed value.

Samplers draw in blocks from a dedicated random stream: one stream per source
of randomness, so drawing ahead never shifts any other source.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

_BLOCK = 256
_MAX = 1e6  # no hour or day figure in this model is anywhere near a million


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    def mean(self) -> float:  # pragma: no cover - overridden
        raise NotImplementedError

    def variance(self) -> float:  # pragma: no cover - overridden
        raise NotImplementedError

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    @property
    def is_fixed(self) -> bool:
        return False


class Fixed(_Spec):
    """Always the same value."""

    dist: Literal["fixed"] = "fixed"
    value: float = Field(ge=0, le=_MAX)

    def mean(self) -> float:
        return self.value

    def variance(self) -> float:
        return 0.0

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.full(n, self.value)

    @property
    def is_fixed(self) -> bool:
        return True


class Exponential(_Spec):
    """Memoryless; the M/M/c validation case uses it for effort."""

    dist: Literal["exponential"]
    mean_: float = Field(gt=0, le=_MAX, alias="mean")

    def mean(self) -> float:
        return self.mean_

    def variance(self) -> float:
        return self.mean_**2

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.exponential(self.mean_, n)


class Lognormal(_Spec):
    """Right-skewed task durations, given by the mean and sd of the value itself."""

    dist: Literal["lognormal"]
    mean_: float = Field(gt=0, le=_MAX, alias="mean")
    sd: float = Field(gt=0, le=_MAX)

    def _mu_sigma(self) -> tuple[float, float]:
        s2 = math.log1p((self.sd / self.mean_) ** 2)
        return math.log(self.mean_) - s2 / 2, math.sqrt(s2)

    def mean(self) -> float:
        return self.mean_

    def variance(self) -> float:
        return self.sd**2

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        mu, sigma = self._mu_sigma()
        return rng.lognormal(mu, sigma, n)


class Gamma(_Spec):
    """Given by mean and sd; shape = (mean/sd)^2."""

    dist: Literal["gamma"]
    mean_: float = Field(gt=0, le=_MAX, alias="mean")
    sd: float = Field(gt=0, le=_MAX)

    def mean(self) -> float:
        return self.mean_

    def variance(self) -> float:
        return self.sd**2

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        shape = (self.mean_ / self.sd) ** 2
        return rng.gamma(shape, self.mean_ / shape, n)


class Triangular(_Spec):
    """Expert judgement as lowest / most likely / highest."""

    dist: Literal["triangular"]
    low: float = Field(ge=0, le=_MAX)
    mode: float = Field(ge=0, le=_MAX)
    high: float = Field(ge=0, le=_MAX)

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not (self.low <= self.mode <= self.high and self.low < self.high):
            raise ValueError("needs low <= mode <= high and low < high")
        return self

    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3

    def variance(self) -> float:
        a, c, b = self.low, self.mode, self.high
        return (a * a + b * b + c * c - a * b - a * c - b * c) / 18

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.triangular(self.low, self.mode, self.high, n)


class Uniform(_Spec):
    """Equally likely anywhere between low and high."""

    dist: Literal["uniform"]
    low: float = Field(ge=0, le=_MAX)
    high: float = Field(ge=0, le=_MAX)

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if not self.low < self.high:
            raise ValueError("needs low < high")
        return self

    def mean(self) -> float:
        return (self.low + self.high) / 2

    def variance(self) -> float:
        return (self.high - self.low) ** 2 / 12

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, n)


def _number_means_fixed(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {"dist": "fixed", "value": value}
    return value


Distribution = Annotated[
    Fixed | Exponential | Lognormal | Gamma | Triangular | Uniform,
    Field(discriminator="dist"),
    BeforeValidator(_number_means_fixed),
]
"""A distribution field: ``2.5`` or ``{dist: lognormal, mean: 2.5, sd: 1}``."""


class Sampler:
    """Draws one value at a time from a spec, refilling a block from its own stream."""

    __slots__ = ("_spec", "_rng", "_buf", "_i")

    def __init__(self, spec: _Spec, rng: np.random.Generator) -> None:
        self._spec = spec
        self._rng = rng
        self._buf: list[float] = []
        self._i = 0

    def __call__(self) -> float:
        i = self._i
        if i == _BLOCK or not self._buf:
            self._buf = self._spec.draw(self._rng, _BLOCK).tolist()
            i = 0
        self._i = i + 1
        return self._buf[i]


class Bernoulli:
    """Yes/no draws with a fixed probability, buffered like :class:`Sampler`."""

    __slots__ = ("_p", "_rng", "_buf", "_i")

    def __init__(self, p: float, rng: np.random.Generator) -> None:
        self._p = p
        self._rng = rng
        self._buf: list[bool] = []
        self._i = 0

    def __call__(self) -> bool:
        if self._p <= 0.0:
            return False
        if self._p >= 1.0:
            return True
        i = self._i
        if i == _BLOCK or not self._buf:
            self._buf = (self._rng.random(_BLOCK) < self._p).tolist()
            i = 0
        self._i = i + 1
        return self._buf[i]


class Choice:
    """Draws a key of a probability table, buffered like :class:`Sampler`."""

    __slots__ = ("_keys", "_only", "_cum", "_rng", "_buf", "_i")

    def __init__(self, table: dict[str, float], rng: np.random.Generator) -> None:
        table = {k: p for k, p in table.items() if p > 0.0}  # a certain outcome needs no draw
        self._keys = list(table)
        self._only = self._keys[0] if len(self._keys) == 1 else None
        self._cum = np.cumsum(list(table.values()))
        self._cum[-1] = 1.0 + 1e-12  # probabilities are validated to sum to 1
        self._rng = rng
        self._buf: list[str] = []
        self._i = 0

    def __call__(self) -> str:
        if self._only is not None:
            return self._only
        i = self._i
        if i == _BLOCK or not self._buf:
            idx = np.searchsorted(self._cum, self._rng.random(_BLOCK), side="right")
            self._buf = [self._keys[j] for j in idx]
            i = 0
        self._i = i + 1
        return self._buf[i]
