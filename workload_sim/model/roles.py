"""What the parts of one replication ask of each other, as typing Protocols.

The simulation builds the workforce, and the workforce builds absence, cover
and NAAS; those parts call back only through these small interfaces, so no
module of the model imports the one that builds it (no import circle, not even
for type checking) and each can be tested with a stand-in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from ..scenario import Scenario
from .absence import Absence
from .allocation import UnallocatedList
from .calendar import WorkCalendar
from .case import Case
from .clock import Clock
from .events import EventLog
from .worker import Worker


class World(Protocol):
    """The replication as the workforce sees it: the clock, the log, the cases."""

    env: Clock
    log: EventLog
    scenario: Scenario
    n_days: int
    calendar: WorkCalendar
    urgencies: list[str]
    unallocated: UnallocatedList

    def move_case(self, case: Case, to: Worker | None = None, reason: str = ...) -> None: ...

    def close_unworked(self, case: Case) -> None: ...


class Team(Protocol):
    """The workforce as cover, NAAS and scheduled events see it: posts, people, the calendar."""

    sim: World
    env: Clock
    log: EventLog
    in_post: list[Worker]
    posts: list  # workforce.Post: the establishment, each with its holder or None
    absence: Absence

    def schedule(self, day: int, action: Callable[[int], None]) -> None: ...

    def draw_days(self, dist, name: str) -> int: ...

    def hire(self, post: int, kind: str, ramp: bool = True) -> Worker: ...

    def let_go(self, worker: Worker, reason: str, vacate: bool = True) -> None: ...
