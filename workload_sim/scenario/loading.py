"""Reading scenario files, applying ``--set`` overrides, and explaining bad input.

Every problem becomes one line naming the field path, the bad value and what
is allowed; :class:`ScenarioError` carries all of them so ``validate`` can
print each and exit 2, never a traceback.
"""

from __future__ import annotations

import difflib
import re
import reprlib
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from . import EVENT_KINDS, Scenario
from .assumptions import OVERRIDDEN, unknown_source_keys
from .safe_yaml import (  # noqa: F401 - ScenarioError and the readers are used from here
    MAX_FILE_BYTES,
    ScenarioError,
    parse_value,
    parse_yaml,
    read_capped,
)

# tags of discriminated unions: pydantic puts them in an error's location; the user never wrote them
_DIST_TAGS = {"fixed", "exponential", "lognormal", "gamma", "triangular", "uniform", *EVENT_KINDS}


def _path(loc: tuple) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif item in _DIST_TAGS or str(item).startswith("function-"):
            continue
        elif isinstance(item, str) and _PLAIN_KEY.match(item):
            parts.append(("." if parts else "") + item)
        else:  # a key with spaces, dots or control characters: shown quoted
            parts.append(f"[{str(item)!r}]")
    return "".join(parts) or "(top level)"


_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_\-]+$")


_short_repr = reprlib.Repr()
_short_repr.maxstring = _short_repr.maxother = 60


def _one_line(text: str) -> str:
    return " ".join(text.split("\n")).replace("\r", " ")


def _allowed_keys(model: type[BaseModel] | None) -> list[str]:
    if model is None:
        return []
    return sorted(f.alias or name for name, f in model.model_fields.items())


def _model_at(loc: tuple, root: type[BaseModel] | None = None) -> type[BaseModel] | None:
    """The pydantic model that owns the mapping at ``loc`` (for unknown-key hints)."""
    model: Any = root or Scenario
    keyed = False  # the next loc item is a key of a dict[str, Model] (a name, not a field)
    for item in loc[:-1]:
        if item in EVENT_KINDS and not keyed:
            model = EVENT_KINDS[item]  # which kind of event the mapping was read as
            continue
        if isinstance(item, int) or item in _DIST_TAGS or keyed:
            keyed = False
            continue
        fields = getattr(model, "model_fields", None)
        if fields is None or item not in fields:
            return None
        model, keyed = _inner_model(fields[item].annotation)
        if model is None:
            return None
    return None if keyed else model


def _inner_model(ann: Any) -> tuple[type[BaseModel] | None, bool]:
    """(the model a field holds, whether it is held by name in a mapping)."""
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return ann, False
    for arg in getattr(ann, "__args__", ()):  # X | None, list[X], dict[str, X]
        model, keyed = _inner_model(arg)
        if model is not None:
            return model, keyed or typing.get_origin(ann) is dict
    return None, False


def explain(exc: ValidationError, root: type[BaseModel] | None = None) -> list[str]:
    """One line per pydantic error: field path, bad value, what is allowed."""
    lines = []
    for err in exc.errors(include_url=False):
        loc = err["loc"]
        path = _path(loc)
        value = err.get("input")
        if err["type"] == "extra_forbidden":
            allowed = _allowed_keys(_model_at(loc, root))
            hint = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
            fix = (
                f"did you mean {hint[0]!r}?"
                if hint
                else f"allowed here: {', '.join(allowed)}"
                if allowed
                else "see docs/model.md for the fields of this section"
            )
            lines.append(f"{path}: unknown field; {fix}")
            continue
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing":
            lines.append(f"{path}: required field is missing")
        elif not [p for p in loc if p not in _DIST_TAGS]:
            lines.append(msg)  # a check across fields; the message names them
        elif isinstance(value, (dict, list)) and err["type"] == "value_error":
            lines.append(f"{path}: {msg}")
        else:
            shown = _short_repr.repr(value)  # bounded: never builds a huge text
            if len(shown) > 60:
                shown = shown[:57] + "..."
            lines.append(f"{path}: got {shown}; {msg}")
    return [_one_line(line) for line in lines]


def validate(data: dict) -> Scenario:
    """A mapping -> Scenario, or ScenarioError with one line per problem."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(explain(exc)) from None


def resolved_dict(scenario: Scenario) -> dict:
    """The full scenario as plain data (every default filled in)."""
    return scenario.model_dump(mode="json", by_alias=True)


def apply_overrides(data: dict, overrides: list[str]) -> dict:
    """Apply ``a.b.c=value`` overrides to a resolved mapping (values parsed as YAML)."""
    problems = []
    noted = {  # fields given a fresh source note on the same command line
        i.split("=", 1)[0].strip().removeprefix("sources.")
        for i in overrides
        if "=" in i and i.strip().startswith("sources.")
    }
    for item in overrides:
        if "=" not in item:
            problems.append(f"--set {item!r}: expected FIELD.PATH=VALUE, e.g. team.permanent=10")
            continue
        path, raw = item.split("=", 1)
        try:
            value = parse_value(raw)
        except ScenarioError as exc:
            problems.append(f"--set {_short_repr.repr(item)}: {exc.problems[0]}")
            continue
        path = path.strip()
        bad = _bad_path(path)
        if bad:
            problems.append(f"--set {_short_repr.repr(item)}: {bad}")
            continue
        if path.startswith("sources."):  # a source note's key is itself a dotted field path
            if not isinstance(data.get("sources"), dict):
                problems.append(f"--set {item!r}: sources is a mapping of notes; set one note")
                continue
            if value is None or isinstance(value, (dict, list)):
                problems.append(
                    f"--set {_short_repr.repr(item)}: a source note is text, not "
                    f"{type(value).__name__ if value is not None else 'empty'}; quote it, e.g. "
                    f"--set {path}='our 2026 establishment'"
                )
                continue
            data["sources"][path.removeprefix("sources.")] = str(value)
            continue
        problem = _set_path(data, path, value)
        if problem:
            problems.append(f"--set {item!r}: {problem}")
            continue
        key = _source_key(data, path)
        if not isinstance(data.get("sources", {}), dict):
            problems.append(
                f"--set {item!r}: sources is a mapping of notes by field path; set one note, "
                "e.g. --set sources.team.permanent='our 2026 establishment'"
            )
            continue
        if not any(p == n or p.startswith(n + ".") for n in noted for p in (key, path)):
            # a note in the file described the old value, not this one
            data.setdefault("sources", {})[key] = OVERRIDDEN
    if problems:
        raise ScenarioError(problems)
    return data


_PATH_PART = re.compile(r"^[A-Za-z0-9_\-]+$")


def _bad_path(path: str) -> str | None:
    """Why a dotted field path cannot name a field (None if it can)."""
    if not path:
        return "the field path is empty; e.g. team.permanent=10"
    if len(path) > 200:
        return "the field path is over 200 characters"
    parts = path.split(".")
    if path.startswith("sources."):
        parts = parts[:1]  # a source note's key is a field path itself, checked later
    for part in parts:
        if not _PATH_PART.match(part):
            return (
                f"{part!r} is not a field name; a path is names and list indexes "
                "(0, 1, ...) joined by dots"
            )
    return None


def field_value(data: Any, path: str) -> Any:
    """The value at a dotted field path of a resolved scenario mapping (None if absent)."""
    node = data
    for key in path.split("."):
        if isinstance(node, list) and key.isascii() and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        elif isinstance(node, dict):
            node = node.get(key)
        else:
            return None
    return node


def _source_key(data: Any, path: str) -> str:
    """The assumptions-table name of a field path: list items named by their 'name'."""
    parts, node = [], data
    for key in path.split("."):
        if isinstance(node, list) and key.isascii() and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
            parts.append(str(node.get("name", key)) if isinstance(node, dict) else key)
        elif isinstance(node, dict):
            node = node.get(key)
            parts.append(key)
        else:
            parts.append(key)
    return ".".join(parts)


def _set_path(data: Any, path: str, value: Any) -> str | None:
    keys = path.split(".")
    node = data
    for depth, key in enumerate(keys):
        last = depth == len(keys) - 1
        here = ".".join(keys[: depth + 1])
        if isinstance(node, list):
            if not (key.isascii() and key.isdigit()) or int(key) >= len(node):
                return f"{here}: index must be 0..{len(node) - 1}"
            key = int(key)
        elif isinstance(node, dict):
            if key not in node and not (last and _open_mapping(keys[:depth])):
                hint = difflib.get_close_matches(key, [str(k) for k in node], n=1)
                fix = (
                    f"did you mean {hint[0]!r}?" if hint else f"known: {', '.join(map(str, node))}"
                )
                return f"{here}: no such field; {fix}"
        else:
            return f"{here}: {'.'.join(keys[:depth])} is a value, not a section"
        if last:
            node[key] = value
        else:
            node = node[key]
    return None


def _open_mapping(parent: list[str]) -> bool:
    """Mappings where a new key is legitimate (e.g. a new pathway or source note)."""
    return parent in (["pathways"], ["sources"], ["triage", "case_mix"], ["triage", "urgency"])


def load_scenario(
    source: str | Path | dict | Scenario, overrides: list[str] | None = None
) -> Scenario:
    """A Scenario from a YAML path, YAML text mapping or Scenario, with overrides applied."""
    if isinstance(source, Scenario):
        scenario = source
    elif isinstance(source, dict):
        scenario = validate(source)
    else:
        path = Path(source)
        data = parse_yaml(read_capped(path), str(path))
        try:
            scenario = validate(data)
            _check_sources(scenario)
        except ScenarioError as exc:
            raise ScenarioError([f"{path}: {p}" for p in exc.problems]) from None
    if overrides:
        scenario = validate(apply_overrides(resolved_dict(scenario), overrides))
    _check_sources(scenario)
    return scenario


def _check_sources(scenario: Scenario) -> None:
    bad = unknown_source_keys(scenario)  # the assumptions table defines the field names
    if bad:
        raise ScenarioError(
            [
                f"sources.{key}: names no field of the scenario; use a field path as "
                "'workload-sim assumptions FILE' lists them, e.g. demand.referrals_per_week"
                for key in bad
            ]
        )
