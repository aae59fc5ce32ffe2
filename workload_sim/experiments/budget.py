"""Memory a run's optional tables will take, worked out before any work.

The event log (``events``) and every stretch of work (``tasks``) grow with the referrals a
replication sees, and every replication's tables are held until the end, then stacked and
written. Measured on the shipped scenarios (any team size: the rows follow the referrals):
11.4 event rows of about 355 bytes and 5.8 task rows of about 161 bytes per referral in
memory, so about 5.0 KB per referral; stacking and writing them about doubles the peak
(issue 18 measured 5.08 GB for 10 replications of 700 referrals a week for 313 days, which
this gives as 4.6 GB). Above ``BUDGET_BYTES`` a run is refused unless ``--allow-large``.
"""

from __future__ import annotations

from ..scenario import Scenario

BYTES_PER_REFERRAL = {"events": 11.4 * 355, "tasks": 5.8 * 161}
PEAK_FACTOR = 2.2  # the tables held, stacked into one, and written
BUDGET_BYTES = 2 * 1024**3  # the documented budget (docs/engine.md)
SAY_ABOVE_BYTES = 256 * 1024**2  # an estimate this large is said before the run


def referrals_per_replication(scenario: Scenario) -> float:
    """Referrals one replication sees: the weekly rate over the run, with growth."""
    weeks = scenario.total_days / 5
    years = scenario.total_days / 253
    growth = (1 + scenario.demand.annual_growth) ** (years / 2)  # the run's middle
    return scenario.demand.referrals_per_week * weeks * growth


def optional_tables_bytes(scenario: Scenario, reps: int, tables: tuple[str, ...]) -> float:
    """Peak memory the optional ``tables`` of ``reps`` replications will take."""
    per_referral = sum(BYTES_PER_REFERRAL.get(t, 0.0) for t in tables)
    return PEAK_FACTOR * reps * referrals_per_replication(scenario) * per_referral


def gigabytes(n: float) -> str:
    return f"{n / 1024**3:.1f} GB" if n >= 1024**3 / 10 else f"{n / 1024**2:.0f} MB"


def check_optional_tables(
    scenario: Scenario, reps: int, tables: tuple[str, ...], flag: str
) -> tuple[str | None, str | None]:
    """(refusal, note): a one-line refusal above the budget, else a note when large."""
    need = optional_tables_bytes(scenario, reps, tables)
    if need <= SAY_ABOVE_BYTES:
        return None, None
    per_rep = need / reps
    fit = int(BUDGET_BYTES // per_rep)
    words = (
        f"{flag}: the {', '.join(tables)} tables of {reps} replications of about "
        f"{referrals_per_replication(scenario):,.0f} referrals each need about "
        f"{gigabytes(need)} of memory"
    )
    if need > BUDGET_BYTES:
        return (
            f"{words}, over the budget of {gigabytes(BUDGET_BYTES)}; run at most {fit} "
            "replications (--reps, or --max-reps), a shorter --days, or add --allow-large",
            None,
        )
    return None, f"note: {words}"
