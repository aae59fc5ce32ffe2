"""A referral and, once opened, the case it becomes: who holds it and where it is."""

from __future__ import annotations

from .pathway import PlannedStep

NFA, SIGNPOST, OPEN = "no_further_action", "signpost", "open_case"


class Case:
    """One referral's life: triage, wait for allocation, its steps, closure.

    Times are working days on the simulation clock; ``None`` means "not yet".
    """

    __slots__ = (
        "id",
        "arrival",
        "outcome",
        "urgency",
        "rank",
        "pathway",
        "weight",
        "plan",
        "truncated",
        "step",
        "attempt",
        "triaged_at",
        "allocated_at",
        "closed_at",
        "worker",
        "holders",
        "warm_start",
        "completion_target",
        "allocation_target",
        "waiting_since",
        "place",
        "place_worker",
        "since",
        "pending",
        "closed_unworked",
    )

    def __init__(self, case_id: int, arrival: float) -> None:
        self.id = case_id
        self.arrival = arrival
        self.outcome: str | None = None
        self.urgency = ""
        self.rank = 0  # 0 = most urgent
        self.pathway = ""
        self.weight = 0.0
        self.plan: list[PlannedStep] = []
        self.truncated = False
        self.step = 0  # index into plan of the step in hand
        self.attempt = 0  # failed attempts so far at the step in hand
        self.triaged_at: float | None = None
        self.allocated_at: float | None = None
        self.closed_at: float | None = None
        self.worker = None
        self.holders = 0  # allocations so far (the first one starts the plan)
        self.warm_start = False
        self.completion_target: float | None = None
        self.allocation_target = 0.0
        self.waiting_since: float | None = None
        # the spell in progress (for the event log): events.TRIAGE/LIST/WORKER or None
        self.place: str | None = None
        self.place_worker = -1
        self.since = 0.0
        self.pending: list | None = None  # tasks waiting for the next worker to take the case
        self.closed_unworked = False
