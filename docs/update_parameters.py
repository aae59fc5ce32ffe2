"""Regenerate the parameter reference in docs/model.md from the scenario schema.

python docs/update_parameters.py
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from workload_sim.scenario import EVENT_KINDS, Scenario
from workload_sim.scenario.assumptions import assumptions_table, markdown

DOC = Path(__file__).with_name("model.md")
START, END = "<!-- parameters:start -->", "<!-- parameters:end -->"


def reference() -> str:
    table = (
        assumptions_table(Scenario())
        .drop(columns=["value"])
        .assign(default=assumptions_table(Scenario())["value"])
    )
    return markdown(
        pd.concat([table, event_fields()])[["field", "default", "unit", "meaning", "source"]]
    )


def event_fields() -> pd.DataFrame:
    """The fields of each kind of scheduled event (the default scenario has none)."""
    rows = []
    for kind, cls in EVENT_KINDS.items():
        for name, field in cls.model_fields.items():
            extra = field.json_schema_extra or {}
            rows.append(
                {
                    "field": f"events[] ({kind}).{name}",
                    "default": _default(kind, name, field),
                    "unit": extra.get("unit", ""),
                    "meaning": field.description or "",
                    "source": extra.get("source", ""),
                }
            )
    return pd.DataFrame(rows)


def _default(kind: str, name: str, field) -> str:
    if name == "kind":
        return kind
    if field.is_required():
        return "required"
    return "null" if field.default is None else str(field.default)


def updated(text: str) -> str:
    block = f"{START}\n{reference()}{END}"
    return re.sub(re.escape(START) + r".*?" + re.escape(END), lambda _m: block, text, flags=re.S)


if __name__ == "__main__":
    DOC.write_text(updated(DOC.read_text()))
    print(f"updated {DOC}")
