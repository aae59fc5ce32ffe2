"""The team in words, from its resolved values: what the report and SUMMARY.md say it is.

A scenario's ``description`` is free text that a copied file keeps while its numbers
change; the pages describe the team from the values actually run instead.
"""

from __future__ import annotations


def _count(n: int | float, one: str, many: str | None = None) -> str:
    n = int(n)
    return f"{n} {one if n == 1 else (many or one + 's')}"


def team_in_words(sc: dict) -> str:
    """E.g. 'A team of 10 social workers (9 experienced, 1 newly qualified; 1 post vacant),
    receiving 28 referrals a week, rising 4% a year.'"""
    team, demand = sc.get("team", {}), sc.get("demand", {})
    kinds = [
        (team.get("permanent", 0), "experienced"),
        (team.get("newly_qualified", 0), "newly qualified"),
        (team.get("agency", 0), "agency"),
    ]
    total = sum(int(n) for n, _ in kinds)
    parts = ", ".join(f"{int(n)} {word}" for n, word in kinds if n)
    vacant = int(team.get("vacant", 0) or 0)
    if vacant:
        parts += f"; {_count(vacant, 'post')} vacant"
    head = f"A team of {_count(total, 'social worker')}" + (f" ({parts})" if parts else "")
    per_week = demand.get("referrals_per_week")
    if per_week is None:
        return head + "."
    growth = float(demand.get("annual_growth", 0) or 0)
    trend = f", {'rising' if growth > 0 else 'falling'} {abs(growth):.0%} a year" if growth else ""
    return f"{head}, receiving {float(per_week):g} referrals a week{trend}."
