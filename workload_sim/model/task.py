"""A task: a piece of work in a worker's queue, and its rows in the event log."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from .events import UNFINISHED

_NAN = float("nan")


class Task(NamedTuple):
    """A piece of work in a worker's queue; tasks order by (rank, queued_at, seq).

    ``seq`` is unique in the run, so a task keeps its identity (and its place
    in the queue order) when it moves between workers or is interrupted.
    """

    rank: int  # 0 = most urgent case work; duty work ranks before, NAAS prep after
    queued_at: float  # when the work first became ready
    seq: int
    hours: float  # hours still to do
    on_done: Callable
    item: object  # the case (or None): passed to on_done
    kind: str  # events.TRIAGE_TASK, CASE_TASK, HANDOVER_TASK, NAAS_PREP_TASK, COVER_TASK
    case: int  # case id, -1 for none
    step: int  # index of the step in the case's plan, -1 for none
    attempt: int
    failed: bool  # this attempt will fail (drawn when the case was opened)


_new = tuple.__new__


def new_task(*fields) -> Task:
    """``Task(*fields)``, built directly (the named tuple's own ``__new__`` is ~3x slower)."""
    return _new(Task, fields)


def with_hours(t: Task, hours: float) -> Task:
    """``t._replace(hours=hours)``, built directly (namedtuple's _replace is ~5x slower)."""
    return _new(Task, (t[0], t[1], t[2], hours, t[4], t[5], t[6], t[7], t[8], t[9], t[10]))


def log_waiting(log_work: Callable, worker: int, t: Task) -> None:
    """A task never started by the horizon (worker -1: its case is between workers)."""
    log_work(work_row(worker, t, _NAN, _NAN, 0.0, 0.0, UNFINISHED))


def work_row(
    worker: int,
    t: Task,
    started: float,
    finished: float,
    contract: float,
    overtime: float,
    status: str,
) -> tuple:
    """One ``work`` row of the event log (see ``events.py``): a stretch of work on a task."""
    _rank, queued_at, seq, hours, _on_done, _item, kind, case, step, attempt, failed = t
    return (
        worker,
        seq,
        case,
        kind,
        step,
        attempt,
        failed,
        queued_at,
        started,
        finished,
        hours,
        contract,
        overtime,
        status,
    )
