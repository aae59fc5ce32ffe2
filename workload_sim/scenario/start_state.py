"""Scenario section for a team's state on a date, read from its own records.

``start_state`` lists the cases open on the as-of date (``workload-sim import`` writes it
from a council's extract): each case's pathway, the step it is at, how long it has been
open, its urgency and who holds it (a post number, never a person), or how long it has
waited for allocation. A run of such a scenario starts from that state on day 0 instead
of a synthetic warm start. Workers absent on that date are ``events:`` (off_sick, dated
the start date). Nothing personal is held here: no case ids, names or dates of birth.
"""

from __future__ import annotations

import datetime as dt

from .fields import DAY_LIMIT, MAX_TEXT, Date, F, Strict

STATE_NOTE = "assumption: no recorded state; the run starts empty or from warm_start"
RECORD_NOTE = (
    "assumption: no default; each value is the team's own record on the as-of date, written "
    "by workload-sim import from its extract"
)
MAX_CASES = 200_000  # the largest extract the import benchmark reads


class RecordedCase(Strict):
    """One case open on the as-of date."""

    pathway: str = F(..., "The case's pathway (a key of pathways)", "", RECORD_NOTE)
    step: str | None = F(
        None,
        "The step the case is at: earlier steps are done (null: not started)",
        "",
        RECORD_NOTE,
        max_length=200,
    )
    days_open: int = F(
        ...,
        "Working days from the referral to the as-of date",
        "working days",
        RECORD_NOTE,
        ge=0,
        le=DAY_LIMIT,
    )
    urgency: str = F(..., "The case's urgency (a key of triage.urgency)", "", RECORD_NOTE)
    holder: int | None = F(
        None,
        "The post holding the case, numbered from 1 in the team's order: permanent, "
        "then newly qualified, then agency (null: waiting for allocation)",
        "",
        RECORD_NOTE,
        ge=1,
        le=100_000,
    )
    waiting_days: int | None = F(
        None,
        "For a waiting case: working days on the list so far (null: since the referral)",
        "working days",
        RECORD_NOTE,
        ge=0,
        le=DAY_LIMIT,
    )


class StartStateSpec(Strict):
    as_of: Date | None = F(
        None, "The date the state was recorded: calendar.start_date", "date", STATE_NOTE
    )
    source: str = F("", "Where the state came from (file, rows, date)", "", max_length=MAX_TEXT)
    cases: list[RecordedCase] = F(
        [], "Every case open on the as-of date", "", STATE_NOTE, max_length=MAX_CASES
    )

    @property
    def active(self) -> bool:
        return bool(self.cases)

    def check(self, start_date: dt.date, pathways: dict, urgencies: dict, posts: int) -> None:
        """Refuse a state the run could not start from (names the case and the fix)."""
        if not self.active:
            return
        if self.as_of != start_date:
            raise ValueError(
                f"start_state.as_of ({self.as_of}) must equal calendar.start_date "
                f"({start_date}): the run starts on the day the state was recorded"
            )
        for i, case in enumerate(self.cases):
            where = f"start_state.cases[{i}]"
            if case.pathway not in pathways:
                raise ValueError(
                    f"{where}.pathway {case.pathway!r} is not in pathways "
                    f"(known: {sorted(pathways)})"
                )
            steps = [s.name for s in pathways[case.pathway].steps]
            if case.step is not None and case.step not in steps:
                raise ValueError(
                    f"{where}.step {case.step!r} is not a step of {case.pathway} (known: {steps})"
                )
            if case.urgency not in urgencies:
                raise ValueError(
                    f"{where}.urgency {case.urgency!r} is not in triage.urgency "
                    f"(known: {sorted(urgencies)})"
                )
            if case.holder is not None and case.holder > posts:
                raise ValueError(
                    f"{where}.holder {case.holder} is not a filled post: the team has {posts} "
                    "(permanent + newly_qualified + agency); give a post from 1 to that, or null"
                )
            if case.holder is not None and case.waiting_days is not None:
                raise ValueError(
                    f"{where}: a held case has no waiting_days; give holder or waiting_days"
                )
            if case.waiting_days is not None and case.waiting_days > case.days_open:
                raise ValueError(
                    f"{where}.waiting_days {case.waiting_days} is more than days_open "
                    f"{case.days_open}: a case cannot wait longer than it has been open"
                )
