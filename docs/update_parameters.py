"""Regenerate the parameter reference in docs/model.md from the scenario schema.

python docs/update_parameters.py
"""

from __future__ import annotations

import re
from pathlib import Path

from workload_sim.scenario import Scenario
from workload_sim.scenario.assumptions import assumptions_table, markdown

DOC = Path(__file__).with_name("model.md")
START, END = "<!-- parameters:start -->", "<!-- parameters:end -->"


def reference() -> str:
    table = (
        assumptions_table(Scenario())
        .drop(columns=["value"])
        .assign(default=assumptions_table(Scenario())["value"])
    )
    return markdown(table[["field", "default", "unit", "meaning", "source"]])


def updated(text: str) -> str:
    block = f"{START}\n{reference()}{END}"
    return re.sub(re.escape(START) + r".*?" + re.escape(END), lambda _m: block, text, flags=re.S)


if __name__ == "__main__":
    DOC.write_text(updated(DOC.read_text()))
    print(f"updated {DOC}")
