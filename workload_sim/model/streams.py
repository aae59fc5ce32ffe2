"""Named random streams: one numpy Generator per source of randomness.

Each stream is seeded from (seed, replication, stream name) through
``numpy.random.SeedSequence``. Keying by *name* rather than by position means a
new source of randomness added later never shifts the numbers any existing
source draws, and two scenarios that differ only in staffing see the same
referrals (common random numbers).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

import numpy as np


@lru_cache(maxsize=4096)  # the same ~150 names in every replication of a scenario
def _name_words(name: str) -> tuple[int, ...]:
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4))


def stream_seed(seed: int, rep: int, name: str) -> np.random.SeedSequence:
    """The SeedSequence for stream ``name`` in replication ``rep`` of run ``seed``."""
    if seed < 0 or rep < 0:
        raise ValueError("seed and replication must be non-negative integers")
    return np.random.SeedSequence([seed, rep, *_name_words(name)])


class Streams:
    """Hands out the generator for each named source in one replication."""

    def __init__(self, seed: int, rep: int) -> None:
        self.seed = seed
        self.rep = rep
        self._made: dict[str, np.random.Generator] = {}

    def get(self, name: str) -> np.random.Generator:
        """The generator for ``name``; asking twice for one name is a bug (shared stream)."""
        if name in self._made:
            raise KeyError(f"random stream {name!r} requested twice: give each source its own name")
        rng = np.random.Generator(np.random.PCG64(stream_seed(self.seed, self.rep, name)))
        self._made[name] = rng
        return rng

    @property
    def names(self) -> list[str]:
        return sorted(self._made)
