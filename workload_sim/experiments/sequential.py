"""Looks fixed up front: sequential decisions that are wrong no more often than they say.

A procedure that adds replications until an interval clears a line looks at the data
again and again, and every look is one more chance to be fooled by noise: stopping at the
first 95% interval that clears zero calls a trend that is not there in 12-18% of runs,
not 5%. Every sequential procedure here (the backlog verdict of ``run``, ``compare``, and
each value the staffing search tries) therefore fixes its **looks** before it sees any
data: replication counts doubling from the first batch up to the cap,
``first, 2 first, 4 first, ..., cap``, and at each of the ``K`` looks it decides with an
interval whose error is ``alpha / K`` (Bonferroni across looks). By the union bound the
chance that any look makes a wrong decisive call is at most ``alpha`` however the looks are
correlated, as long as each look's interval holds its own level (a near-normal mean of the
replications); in practice it is lower, since neighbouring looks share most of their
replications. Very skewed replications (a few runaway runs among many flat ones) break
that condition at 10-40 replications. docs/statistics.md gives the rates measured by
simulating each procedure (tests/test_sequential_error_rates.py).

>>> plan = LookPlan(first=10, cap=200)
>>> plan.looks
(10, 20, 40, 80, 160, 200)
>>> round(plan.confidence, 4)  # each look's two-sided confidence
0.9917
>>> plan.next_look(10, wanted=55)  # a projection asks for 55: at most two looks ahead
40
>>> plan.next_look(40, wanted=55)
80
>>> LookPlan(first=10, cap=10).confidence  # one look: the plain 95% interval
0.95
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass


@dataclass(frozen=True)
class LookPlan:
    """When a sequential procedure may stop, and the confidence it decides with at each look.

    ``alpha`` is the two-sided error spent over all looks: 0.05 for 95% verdicts; a
    one-sided bound at confidence ``c`` (the staffing search) spends ``2 (1 - c)`` two-sided.
    """

    first: int
    cap: int
    alpha: float = 0.05

    @property
    def looks(self) -> tuple[int, ...]:
        first = max(1, self.first)
        cap = max(first, self.cap)
        out = [first]
        while out[-1] < cap:
            out.append(min(cap, 2 * out[-1]))
        return tuple(out)

    @property
    def confidence(self) -> float:
        """The two-sided confidence of the interval each look decides with."""
        return 1 - self.alpha / len(self.looks)

    def next_look(self, n: int, wanted: int | None = None) -> int:
        """The look after ``n`` replications: the first planned look at or above ``wanted``
        (a projection of what would decide), never more than two looks ahead (early
        projections are rough), and never past the cap."""
        looks = self.looks
        later = bisect.bisect_right(looks, n)
        if later >= len(looks):
            return looks[-1]
        at = bisect.bisect_left(looks, wanted) if wanted is not None else later
        return looks[min(max(at, later), later + 1, len(looks) - 1)]

    def words(self) -> str:
        """'decided at 99.2% at each of 6 planned looks (10 to 200 replications)'."""
        k = len(self.looks)
        if k == 1:
            return f"decided with a {self.confidence:.0%} interval at {self.looks[0]} replications"
        return (
            f"decided with a {self.confidence:.2%} interval at each of {k} looks planned "
            f"up front ({self.looks[0]} to {self.looks[-1]} replications), so that all "
            f"looks together are wrong at most {self.alpha:.0%} of the time"
        )
