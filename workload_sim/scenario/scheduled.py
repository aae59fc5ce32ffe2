"""Scenario section for what a team leader already knows about the months ahead.

``events:`` lists scheduled events, each dated by calendar date: a named absence
("permanent 2 is off sick from 1 December for 12 weeks", "off now" when the date is
the start date), a post falling vacant, an agency worker leaving, and demand
rising or falling from a date. Workers are named as "TYPE K" (the K-th worker of
that type in the team's order) or by post number N counted from 1 in the team's
order: permanent, then newly qualified, then agency, then vacant posts.

Dates must fall inside the simulated window; ``Scenario`` checks that (with NAAS
rounds), because only it knows the calendar and the horizon.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import Field

from .fields import Date, F, Strict
from .team import WORKER_TYPES, TeamSpec

ORDER = WORKER_TYPES  # the team's order of posts
_NAMED = re.compile(r"^(permanent|newly_qualified|agency) ([1-9][0-9]{0,4})$")
WORKER_HELP = (
    "Which worker: 'TYPE K' (the K-th of that type: 'permanent 2', 'agency 1') or post "
    "number N counted from 1 in the team's order: permanent, newly qualified, agency "
    "(post N is post N-1 in workers.csv)"
)
WORKER_NOTE = "assumption: the team leader's own knowledge of their team (give a note)"
KIND_NOTE = "assumption: the event's type, chosen by the team leader (not a measured value)"
WorkerRef = Annotated[str | int, Field(union_mode="left_to_right")]


class OffSick(Strict):
    kind: Literal["off_sick"] = F(..., "A named absence: this worker is off sick", "", KIND_NOTE)
    worker: WorkerRef = F(..., WORKER_HELP, "", WORKER_NOTE)
    date: Date = F(
        ...,
        "First day off (the start date: off now)",
        "date",
        "assumption: the team leader's knowledge of the absence (give a note)",
    )
    weeks: int = F(
        ...,
        "Length of the absence in calendar weeks; back on the first working day after",
        "weeks",
        "assumption: the expected length (a fit note's period; give a note)",
        ge=1,
        le=520,
    )

    @property
    def back(self) -> dt.date:
        """The first calendar date after the absence."""
        return self.date + dt.timedelta(weeks=self.weeks)


class PostVacant(Strict):
    kind: Literal["post_vacant"] = F(
        ..., "This post falls vacant: its holder leaves", "", KIND_NOTE
    )
    worker: WorkerRef = F(..., WORKER_HELP + "; the post they hold on day 0", "", WORKER_NOTE)
    date: Date = F(
        ...,
        "The day the holder leaves (recruitment then follows the usual rules)",
        "date",
        "assumption: a resignation or retirement already known (give a note)",
    )


class AgencyLeaves(Strict):
    kind: Literal["agency_leaves"] = F(..., "An agency worker leaves", "", KIND_NOTE)
    worker: WorkerRef | None = F(
        None,
        WORKER_HELP + "; must be an agency worker (null: the agency worker in the "
        "lowest-numbered post on that date)",
        "",
        WORKER_NOTE,
    )
    date: Date = F(
        ...,
        "The day the agency worker leaves (the post is refilled by agency, as usual)",
        "date",
        "assumption: the end of a placement already known (give a note)",
    )


class DemandChange(Strict):
    kind: Literal["demand_change"] = F(
        ..., "Referral demand rises or falls from a date", "", KIND_NOTE
    )
    date: Date = F(
        ...,
        "First day of the new level (from the first working day on or after it)",
        "date",
        "assumption: a known change (a new hospital discharge route, a service closing)",
    )
    percent: float = F(
        ...,
        "Change in the daily referral rate from the date on: +20 = 20% more, -10 = 10% "
        "fewer; multiplies growth and profiles, and other changes",
        "percent",
        "assumption: the team leader's estimate of the change (give a note)",
        gt=-100,
        le=1000,
    )

    @property
    def factor(self) -> float:
        return 1.0 + self.percent / 100.0


ScheduledEvent = Annotated[
    OffSick | PostVacant | AgencyLeaves | DemandChange, Field(discriminator="kind")
]
EVENT_KINDS = {
    "off_sick": OffSick,
    "post_vacant": PostVacant,
    "agency_leaves": AgencyLeaves,
    "demand_change": DemandChange,
}


def post_index(ref: str | int, team: TeamSpec) -> int:
    """The 0-based post a worker reference names; ValueError in words if there is none."""
    counts = [getattr(team, k) for k in ORDER]
    filled = sum(counts)
    if isinstance(ref, str) and ref.strip().isdigit():  # "3" from a form or a CSV
        ref = int(ref)
    if isinstance(ref, int):
        if not 1 <= ref <= filled:
            raise ValueError(
                f"post {ref} is not a filled post: the team has {_layout(counts)} on day 0"
            )
        return ref - 1
    found = _NAMED.match(ref)
    if found is None:
        raise ValueError(
            f"{ref!r} names no worker: write 'permanent 2', 'newly_qualified 1', "
            "'agency 1' or a post number"
        )
    kind, k = found.group(1), int(found.group(2))
    i = ORDER.index(kind)
    if k > counts[i]:
        raise ValueError(
            f"{ref!r}: the team has {counts[i]} {kind.replace('_', ' ')} worker(s) "
            f"({_layout(counts)})"
        )
    return sum(counts[:i]) + k - 1


def _layout(counts: list[int]) -> str:
    parts, first = [], 1
    for kind, n in zip(ORDER, counts, strict=True):
        if n:
            span = f"post {first}" if n == 1 else f"posts {first}-{first + n - 1}"
            parts.append(f"{span} {kind.replace('_', ' ')}")
        first += n
    return ", ".join(parts)


def check_events(events: list, team: TeamSpec) -> None:
    """Checks needing the team: workers exist, are of the right type, are not double-booked."""
    agency_from = team.permanent + team.newly_qualified
    sick: dict[int, list[tuple[int, OffSick]]] = {}
    leaves: dict[int, tuple[int, dt.date]] = {}
    for i, event in enumerate(events):
        if isinstance(event, DemandChange) or event.worker is None:
            continue
        try:
            post = post_index(event.worker, team)
        except ValueError as exc:
            raise ValueError(f"events[{i}].worker: {exc}") from None
        if isinstance(event, AgencyLeaves) and post < agency_from:
            raise ValueError(
                f"events[{i}].worker: {event.worker!r} is not an agency worker; use "
                "post_vacant for a council worker leaving"
            )
        if isinstance(event, OffSick):
            sick.setdefault(post, []).append((i, event))
        elif post in leaves:
            raise ValueError(f"events[{i}]: the same post already falls vacant in events")
        else:
            leaves[post] = (i, event.date)
    for post, absences in sick.items():
        absences.sort(key=lambda pair: pair[1].date)
        for (i, a), (j, b) in zip(absences, absences[1:], strict=False):
            if b.date < a.back:
                raise ValueError(
                    f"events[{j}]: overlaps events[{i}] (the same worker is already off "
                    f"until {a.back}); give one absence covering both"
                )
        if post in leaves and absences[-1][1].date >= leaves[post][1]:
            i, j = absences[-1][0], leaves[post][0]
            raise ValueError(
                f"events[{i}]: the worker has left by then (events[{j}]: the post falls "
                "vacant first)"
            )
