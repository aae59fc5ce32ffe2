"""Reading scenario files, applying ``--set`` overrides, and explaining bad input.

Every problem becomes one line naming the field path, the bad value and what
is allowed; :class:`ScenarioError` carries all of them so ``validate`` can
print each and exit 2, never a traceback.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from . import Scenario
from .assumptions import OVERRIDDEN, unknown_source_keys

_DIST_TAGS = {"fixed", "exponential", "lognormal", "gamma", "triangular", "uniform"}


class ScenarioError(ValueError):
    """Bad scenario input; ``problems`` holds one human-readable line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class _UniqueKeyLoader(yaml.SafeLoader):
    """A SafeLoader that refuses duplicate keys (YAML would silently keep the last)."""


def _no_duplicates(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False):
    seen: set = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            line = key_node.start_mark.line + 1
            raise ScenarioError([f"line {line}: key {key!r} appears twice; keep only one"])
        seen.add(key)
    return loader.construct_mapping(node, deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)
# Dates stay text for pydantic to judge: YAML's own timestamp parser raises on 2026-13-45.
_UniqueKeyLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse_yaml(text: str, origin: str = "scenario") -> dict:
    """YAML text -> a mapping, or a one-line ScenarioError."""
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown place"
        raise ScenarioError(
            [f"{origin}: not valid YAML at {where}: {exc.problem}; check indentation and colons"]
        ) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([f"{origin}: not valid YAML: {exc}"]) from None
    except ScenarioError as exc:
        raise ScenarioError([f"{origin}: {p}" for p in exc.problems]) from None
    if data is None:
        raise ScenarioError(
            [
                f"{origin}: the file is empty; a scenario needs at least 'name: ...' "
                "(copy scenarios/adult_safeguarding_team.yaml to start)"
            ]
        )
    if not isinstance(data, dict):
        raise ScenarioError(
            [
                f"{origin}: the top level must be a mapping of fields (name: ..., team: ...), "
                f"not a {type(data).__name__}"
            ]
        )
    return data


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


def _one_line(text: str) -> str:
    return " ".join(text.split("\n")).replace("\r", " ")


def _allowed_keys(model: type[BaseModel] | None) -> list[str]:
    if model is None:
        return []
    return sorted(f.alias or name for name, f in model.model_fields.items())


def _model_at(loc: tuple) -> type[BaseModel] | None:
    """The pydantic model that owns the mapping at ``loc`` (for unknown-key hints)."""
    model: Any = Scenario
    for item in loc[:-1]:
        if isinstance(item, int) or item in _DIST_TAGS:
            continue
        fields = getattr(model, "model_fields", None)
        if fields is None or item not in fields:
            return None
        ann = fields[item].annotation
        args = getattr(ann, "__args__", ())
        candidates = [ann, *args]
        model = next(
            (c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)),
            None,
        )
        if model is None and args:  # dict[str, Model] / list[Model]
            inner = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
            model = inner[0] if inner else None
            if model is not None:
                continue
        if model is None:
            return None
    return model


def explain(exc: ValidationError) -> list[str]:
    """One line per pydantic error: field path, bad value, what is allowed."""
    lines = []
    for err in exc.errors(include_url=False):
        loc = err["loc"]
        path = _path(loc)
        value = err.get("input")
        if err["type"] == "extra_forbidden":
            allowed = _allowed_keys(_model_at(loc))
            hint = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
            fix = f"did you mean {hint[0]!r}?" if hint else f"allowed here: {', '.join(allowed)}"
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
            shown = repr(value)
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
            value = yaml.safe_load(raw)
        except yaml.YAMLError:
            value = raw
        path = path.strip()
        if path.startswith("sources."):  # a source note's key is itself a dotted field path
            data.setdefault("sources", {})[path.removeprefix("sources.")] = str(value)
            continue
        problem = _set_path(data, path, value)
        if problem:
            problems.append(f"--set {item!r}: {problem}")
            continue
        key = _source_key(data, path)
        if not any(p == n or p.startswith(n + ".") for n in noted for p in (key, path)):
            # a note in the file described the old value, not this one
            data.setdefault("sources", {})[key] = OVERRIDDEN
    if problems:
        raise ScenarioError(problems)
    return data


def field_value(data: Any, path: str) -> Any:
    """The value at a dotted field path of a resolved scenario mapping (None if absent)."""
    node = data
    for key in path.split("."):
        if isinstance(node, list) and key.isdigit() and int(key) < len(node):
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
        if isinstance(node, list) and key.isdigit() and int(key) < len(node):
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
            if not key.isdigit() or int(key) >= len(node):
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
        if not path.is_file():
            raise ScenarioError([f"{path}: no such scenario file; see scenarios/ for examples"])
        try:
            text = path.read_text("utf-8")
        except UnicodeDecodeError:
            raise ScenarioError([f"{path}: not a text file; a scenario is YAML text"]) from None
        data = parse_yaml(text, str(path))
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
                "'python run.py assumptions FILE' lists them, e.g. demand.referrals_per_week"
                for key in bad
            ]
        )
