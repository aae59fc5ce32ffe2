"""Building blocks of the scenario schema: fields with units and sources."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic import Strict as StrictType

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
# Dates arrive as text (YAML's own timestamp type is off) and are parsed by pydantic.
Date = Annotated[dt.date, StrictType(False)]
DAY_LIMIT = 5060  # working days in 20 years: the longest run, so the most any delay can use
MAX_TEXT = 10_000  # characters in any text field (a description is a paragraph)


class Strict(BaseModel):
    # strict: true is not a headcount and '8' is not a number (docs/model.md, Input limits)
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        populate_by_name=True,
        allow_inf_nan=False,
        strict=True,
        str_max_length=MAX_TEXT,
    )


def sums_to_one(table: dict[str, float], what: str) -> dict[str, float]:
    total = sum(table.values())
    if abs(total - 1.0) > TOL:
        raise ValueError(f"{what} must sum to 1 (they sum to {total:g})")
    return table


# --- calendar and demand -------------------------------------------------------------
