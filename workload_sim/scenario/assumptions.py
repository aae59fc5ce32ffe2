"""The assumptions table: every parameter of a scenario with its value, unit and source.

This is what a union or a team leader shows to defend a result. Sources come
from, in order: the scenario's own ``sources`` notes; a pathway step's
``source``; a section's notes for the values its own default sets (the agency
worker type, the built-in pathways); the schema's documented source for a value
left at its default. Notes cite publications by their id in docs/sources.md.

A value changed from its default with no note of its own is marked as such,
never credited to the default's source, wherever it sits: list items (a NAAS
round, a step's branches) and new entries are compared with their own class's
defaults, and a field with no default at all (a round's date) always needs a note.

A note knows the value it supports: a scenario note copied from a shipped scenario (same
field, same words) supports that scenario's value there, so a copy whose value was edited
under the old note is flagged "changed without a source" (``STALE``), as a value changed
with ``--set`` or with no note at all is.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from . import ASSUMPTION, RUN_SETTING, FailureSpec, Scenario, StepSpec
from .distributions import _Spec

UNSOURCED = "set in this scenario; no source given (add one under 'sources')"
OVERRIDDEN = "set on the command line (--set); no source given"
STALE = "changed without a source:"  # a note copied from a shipped scenario, value edited
SHIPPED = Path(__file__).resolve().parents[2] / "scenarios"  # whose notes are the reference
# The shipped library, by name: a user's copy saved beside them (the team leader's guide
# copies the default to scenarios/my_team.yaml) is never a reference for its own notes.
LIBRARY = (
    "adult_safeguarding_team.yaml",
    "agency_heavy.yaml",
    "children_in_need_team.yaml",
    "demand_growth.yaml",
    "long_term_sickness.yaml",
    "naas_rollout.yaml",
    "team_leader_example.yaml",
    "vacancies_unfilled.yaml",
)


def flagged(source: str) -> bool:
    """Whether an assumptions-table source says the value was set without a source."""
    return source in (UNSOURCED, OVERRIDDEN) or str(source).startswith(STALE)


_SKIP = {"sources", "description", "name"}


def describe_value(value: Any) -> str:
    """A short human form of a field value (distributions in their own words)."""
    if isinstance(value, _Spec):
        data = value.model_dump(by_alias=True)
        kind = data.pop("dist")
        if kind == "fixed":
            return f"{data['value']:g}"
        return kind + "(" + ", ".join(f"{k}={v:g}" for k, v in data.items()) + ")"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {describe_value(v)}" for k, v in value.items())
    return str(value)


_MISSING = object()  # a field with no default: any value of it was chosen by the user


def _base_of(default: Any, name: str, field: FieldInfo) -> Any:
    """What a value is compared with: the same field of the default, or the schema default.

    A list item or mapping entry with no counterpart in the defaults (a NAAS round, a new
    branch or pathway) is compared with its own class's defaults, so an edited value is
    never credited to the schema's note for a different value.
    """
    if default is not None:
        return getattr(default, name, _MISSING)
    if field.is_required():
        return _MISSING
    return field.get_default(call_default_factory=True)


def _walk(
    model: BaseModel,
    default: Any,
    prefix: str,
    inherited: tuple[str, bool] | None,
    notes: dict[str, str],
):
    for name, field in type(model).model_fields.items():
        key = field.alias or name
        path = f"{prefix}{key}"
        if path in _SKIP or key in ("source", "name", "description"):
            continue
        value = getattr(model, name)
        base = _base_of(default, name, field)
        extra = field.json_schema_extra or {}
        note = extra.get("source", ASSUMPTION)
        if isinstance(note, dict):  # a section whose default sets its own values notes each
            notes = {**notes, **{f"{path}.{k}": v for k, v in note.items()}}
        if isinstance(value, FailureSpec) and value.probability == 0:
            value, base = value.probability, getattr(base, "probability", _MISSING)
            path, extra = path + ".probability", {"unit": "fraction"}
            field = FailureSpec.model_fields["probability"]
            note = field.json_schema_extra["source"]
        elif isinstance(value, BaseModel) and not isinstance(value, _Spec):
            base = base if isinstance(base, BaseModel) else None
            yield from _walk(value, base, path + ".", inherited, notes)
            continue
        if isinstance(value, dict) and value and isinstance(next(iter(value.values())), BaseModel):
            for k, item in value.items():
                item_base = base.get(k) if isinstance(base, dict) else None
                yield from _walk(item, item_base, f"{path}.{k}.", inherited, notes)
        elif isinstance(value, list) and value and isinstance(value[0], StepSpec):
            base_steps = {s.name: s for s in base} if isinstance(base, list) else {}
            for step in value:
                step_default = base_steps.get(step.name)
                # a step's own source covers its values unless they were edited under it
                old = step_default.source if step_default is not None else ASSUMPTION
                own = (step.source, step.source != old)
                yield from _walk(step, step_default, f"{path}.{step.name}.", own, notes)
        elif isinstance(value, list) and value and isinstance(value[0], BaseModel):
            for i, item in enumerate(value):
                item_base = base[i] if isinstance(base, list) and i < len(base) else None
                yield from _walk(item, item_base, f"{path}[{i}].", inherited, notes)
        else:
            if value == []:
                continue
            changed = base is _MISSING or value != base
            if extra.get("source") == RUN_SETTING:
                yield path, value, extra.get("unit", ""), field.description or "", RUN_SETTING
                continue
            fresh = False
            if inherited is not None and inherited[0] != ASSUMPTION:
                note, fresh = inherited  # the step's note (a bare default falls to the schema)
            else:
                note = _own_source(notes, path) or note
            source = UNSOURCED if changed and not fresh else note
            yield path, value, extra.get("unit", ""), field.description or "", source


def assumptions_table(scenario: Scenario) -> pd.DataFrame:
    """One row per parameter: field, value, unit, meaning, source."""
    rows = []
    defaults = Scenario()
    for path, value, unit, text, source in _walk(scenario, defaults, "", None, {}):
        key = _own_key(scenario.sources, path)
        own = None if key is None else scenario.sources[key]
        if own is not None:
            own = _stale(key, own, path, value) or own
        rows.append(
            {
                "field": path,
                "value": describe_value(value),
                "unit": unit,
                "meaning": text,
                "source": own or source,
            }
        )
    return pd.DataFrame(rows)


def _own_key(sources: dict[str, str], path: str) -> str | None:
    """The key of the scenario's note for ``path``: its own, or the nearest section's."""
    best = None
    for key in sources:
        if _under(path, key) and (best is None or len(_canonical(key)) > len(_canonical(best))):
            best = key
    return best


def _own_source(sources: dict[str, str], path: str) -> str | None:
    """The scenario's note for ``path``: its own, or that of the nearest section above it."""
    key = _own_key(sources, path)
    return None if key is None else sources[key]


@lru_cache(maxsize=1)
def _shipped_notes() -> dict[tuple[str, str], list[str]]:
    """(note's key, note's words) -> the shipped scenario files that give that note."""
    from .loading import ScenarioError  # loading imports this module
    from .safe_yaml import parse_yaml

    index: dict[tuple[str, str], list[str]] = {}
    for path in (SHIPPED / name for name in LIBRARY):
        try:
            notes = parse_yaml(path.read_text(), str(path)).get("sources") or {}
        except (OSError, ScenarioError):
            continue
        for key, note in notes.items() if isinstance(notes, dict) else ():
            index.setdefault((str(key), str(note)), []).append(path.name)
    return index


@lru_cache(maxsize=16)
def _shipped_values(name: str) -> dict[str, Any]:
    """Every field's value in a shipped scenario, by its path in the assumptions table."""
    from .loading import load_scenario

    return {
        row[0]: row[1] for row in _walk(load_scenario(SHIPPED / name), Scenario(), "", None, {})
    }


def _stale(key: str, note: str, path: str, value: Any) -> str | None:
    """'changed without a source: ...' when the note is a shipped scenario's, for another
    value at ``path``; None when the note is the user's own or its value is this one."""
    files = _shipped_notes().get((key, note))
    if not files:
        return None
    supported = [_shipped_values(f).get(path, _MISSING) for f in files]
    if any(v is not _MISSING and v == value for v in supported):
        return None
    was = "no value" if supported[0] is _MISSING else describe_value(supported[0])
    return (
        f"{STALE} {describe_value(value)}, but the note under sources.{key} is the one "
        f"scenarios/{files[0]} gives for {was}; give this value its own note under 'sources'"
    )


def _canonical(key: str) -> str:
    """A note's key as the table names it: ``naas.rounds.0.date`` is ``naas.rounds[0].date``."""
    return re.sub(r"\.(\d+)(?=\.|\[|$)", r"[\1]", key)


def _under(field: str, key: str) -> bool:
    """Whether ``key`` names ``field`` or a section (mapping or list) holding it."""
    key = _canonical(key)
    return field == key or field.startswith(key + ".") or field.startswith(key + "[")


def unknown_source_keys(scenario: Scenario) -> list[str]:
    """Keys of ``sources`` that name no field or section of the scenario.

    A key is known when it names a row of the assumptions table, or a field the
    scenario has even if its value gives no rows (an empty ``events`` list).
    """
    fields = [row[0] for row in _walk(scenario, Scenario(), "", None, {})]
    return [
        key
        for key, note in scenario.sources.items()
        if note != OVERRIDDEN
        and not any(_under(f, key) for f in fields)
        and not _resolves(scenario, key)
    ]


def _resolves(scenario: Scenario, key: str) -> bool:
    """Whether the dotted path names something in the scenario (fields, keys, indices)."""
    node: object = scenario
    for part in key.split("."):
        if isinstance(node, BaseModel) and part in type(node).model_fields:
            node = getattr(node, part)
        elif isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    return True


def markdown(frame: pd.DataFrame) -> str:
    """The table as GitHub-flavoured Markdown (no extra dependency)."""
    cols = list(frame.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, row in frame.iterrows():
        cells = [str(row[c]).replace("|", "/").replace("\n", " ") for c in cols]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
