"""Building blocks of the scenario schema: fields with units and sources."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

ASSUMPTION = "assumption"
RUN_SETTING = "run setting (a choice about the experiment, not the world)"
TOL = 1e-6


def F(
    default: Any,
    description: str,
    unit: str = "",
    source: str | dict[str, str] = ASSUMPTION,
    **kw: Any,
) -> Any:
    """A field with its unit and source recorded for docs and the assumptions table.

    ``source`` cites a publication by its id in docs/sources.md or says "assumption: why".
    A section whose default sets values of its own (the agency worker type, the built-in
    pathways) gives a mapping instead: each such value's path inside the section -> its note.
    """
    extra = {"unit": unit, "source": source}
    return Field(default, description=description, json_schema_extra=extra, **kw)


Probability = Annotated[float, Field(ge=0.0, le=1.0)]


class Strict(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False
    )


def sums_to_one(table: dict[str, float], what: str) -> dict[str, float]:
    total = sum(table.values())
    if abs(total - 1.0) > TOL:
        raise ValueError(f"{what} must sum to 1 (they sum to {total:g})")
    return table


# --- calendar and demand -------------------------------------------------------------
