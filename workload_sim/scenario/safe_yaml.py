"""Reading YAML input under limits: size, nesting, aliases, digits and plain types only.

Scenario and sweep files come from anyone. Everything here happens before pydantic sees
the data: a file over the size cap is not read, a "billion laughs" is measured without
being expanded, and only the YAML 1.2 core types exist (``yes`` is text, ``0x10`` is
text, ``!!python/...`` is refused). The limits are stated in docs/model.md ("Input
limits"). Every refusal is a :class:`ScenarioError` with one line.
"""

from __future__ import annotations

import re
import stat
from pathlib import Path
from typing import Any

import yaml


class ScenarioError(ValueError):
    """Bad scenario input; ``problems`` holds one human-readable line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


# Input limits (stated in docs/model.md, "Input limits"): a scenario is a few kilobytes,
# so anything far beyond these is a mistake or an attack, refused before it is parsed.
MAX_FILE_BYTES = 2 * 1024 * 1024  # scenario and sweep files
MAX_DEPTH = 40  # nesting of mappings and lists
# Values, counted with every alias expanded: the largest scenario in scenarios/ has ~830,
# a "billion laughs" has 10^9.
MAX_NODES = 20_000
MAX_DIGITS = 20  # an integer with more digits than 2**63 has no use in any field


class _StrictLoader(yaml.SafeLoader):
    """A SafeLoader for scenario data: no duplicate keys, bounded nesting and aliases,
    and only the implicit types the schema needs (YAML 1.2 core: ``yes``, ``on``, ``0x10``,
    ``0o17`` and ``1_000`` stay text, and pydantic then refuses them where a number is due).
    """

    yaml_constructors = {}  # only the tags below: no !!binary, !!set, !!omap, !!timestamp
    yaml_implicit_resolvers = {}

    def compose_node(self, parent, index):
        depth = getattr(self, "_depth", 0) + 1
        if depth > MAX_DEPTH:
            mark = self.peek_event().start_mark
            raise ScenarioError(
                [
                    f"line {mark.line + 1}: nested more than {MAX_DEPTH} levels deep; a scenario "
                    "needs a handful"
                ]
            )
        self._depth = depth
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth = depth - 1


def _expanded_size(root: yaml.Node) -> int:
    """How many values the document holds once aliases are expanded (without expanding)."""
    sizes: dict[int, int] = {}
    busy: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in busy:
            mark = node.start_mark
            raise ScenarioError([f"line {mark.line + 1}: an alias refers to itself"])
        busy.add(key)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            total += sum(size(n) for n in node.value)
        elif isinstance(node, yaml.MappingNode):
            total += sum(size(k) + size(v) for k, v in node.value)
        busy.discard(key)
        sizes[key] = min(total, MAX_NODES + 1)
        return sizes[key]

    return size(root)


def _no_duplicates(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False):
    seen: set = set()
    for key_node, _ in node.value:
        line = key_node.start_mark.line + 1
        if not isinstance(key_node, yaml.ScalarNode):
            raise ScenarioError([f"line {line}: a key must be a plain name, not a list or mapping"])
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise ScenarioError([f"line {line}: key {key!r} appears twice; keep only one"])
        seen.add(key)
    return loader.construct_mapping(node, deep)


def _integer(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    text = loader.construct_scalar(node).replace("_", "")
    digits = text.lstrip("+-")
    if not digits.isascii() or not digits.isdigit():
        raise yaml.constructor.ConstructorError(
            None, None, f"{text!r} is not a whole number", node.start_mark
        )
    if len(digits) > MAX_DIGITS:
        raise yaml.constructor.ConstructorError(
            None,
            None,
            f"a {len(digits)}-digit number is beyond any field's range",
            node.start_mark,
        )
    return int(text)


def _real(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> float:
    text = loader.construct_scalar(node)
    try:
        return yaml.SafeLoader.construct_yaml_float(loader, node)
    except ValueError:
        raise yaml.constructor.ConstructorError(
            None, None, f"{text!r} is not a number", node.start_mark
        ) from None


def _boolean(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> bool:
    text = loader.construct_scalar(node)
    if text.lower() not in ("true", "false"):
        raise yaml.constructor.ConstructorError(
            None, None, f"{text!r} is not true or false", node.start_mark
        )
    return text.lower() == "true"


_TAG = "tag:yaml.org,2002:"
for _tag, _make in (
    ("null", yaml.SafeLoader.construct_yaml_null),
    ("bool", _boolean),
    ("int", _integer),
    ("float", _real),
    ("str", yaml.SafeLoader.construct_yaml_str),
    ("seq", yaml.SafeLoader.construct_yaml_seq),
    ("map", _no_duplicates),
):
    _StrictLoader.add_constructor(_TAG + _tag, _make)
_StrictLoader.add_constructor(None, yaml.SafeLoader.construct_undefined)  # any other tag
# YAML 1.2 core schema: dates stay text for pydantic to judge (2026-13-45 is its error).
for _tag, _pattern, _first in (
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("int", r"^[-+]?[0-9]+$", "-+0123456789"),
    (
        "float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+.0123456789",
    ),
    ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
):
    _StrictLoader.add_implicit_resolver(_TAG + _tag, re.compile(_pattern), list(_first))


def read_capped(path: Path, what: str = "scenario") -> str:
    """The text of a scenario or sweep file, refusing devices, folders and huge files
    before reading them (``/dev/zero`` would never end)."""
    try:
        info = path.stat()
    except OSError:
        raise ScenarioError([f"{path}: no such {what} file; see scenarios/ for examples"]) from None
    if not stat.S_ISREG(info.st_mode):
        raise ScenarioError([f"{path}: not a regular file; give a {what} YAML file"])
    if info.st_size > MAX_FILE_BYTES:
        raise ScenarioError(
            [
                f"{path}: {info.st_size:,} bytes is over the {MAX_FILE_BYTES:,}-byte limit for "
                f"a {what} file (a scenario is a few kilobytes)"
            ]
        )
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ScenarioError([f"{path}: cannot be read ({exc.strerror})"]) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError([f"{path}: not a text file; a {what} is YAML text (UTF-8)"]) from None


_FAST = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser where installed


def _prescan(text: str) -> None:
    """Nesting and size checked on the event stream (libyaml, no tree built), stopping at
    the first breach: building the tree of a huge file is what takes the time."""
    depth = count = 0
    for event in yaml.parse(text, Loader=_FAST):
        count += 1
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise ScenarioError(
                    [
                        f"line {event.start_mark.line + 1}: nested more than {MAX_DEPTH} levels "
                        "deep; a scenario needs a handful"
                    ]
                )
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
        if count > MAX_NODES:
            raise ScenarioError(
                [
                    f"line {event.start_mark.line + 1}: more than {MAX_NODES:,} values (limit); "
                    "a scenario holds a few hundred"
                ]
            )


def _load_yaml(text: str) -> Any:
    """YAML text -> data, with the nesting, alias and type limits of :class:`_StrictLoader`."""
    _prescan(text)
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_size(node) > MAX_NODES:
            raise ScenarioError(
                [
                    f"aliases expand to more than {MAX_NODES:,} values (limit); write the "
                    "values out, or use fewer aliases"
                ]
            )
        return loader.construct_document(node)
    finally:
        loader.dispose()


# what each kind of file needs at least, said when one is empty or not a mapping
NEEDS = {
    "scenario": ("a scenario needs at least 'name: ...' (copy "
                 "scenarios/adult_safeguarding_team.yaml to start)", "name: ..., team: ..."),
    "sweep": ("a sweep file needs 'base:' and 'fields:' (copy docs/examples/"
              "sweep_staffing_demand.yaml to start)", "base: ..., fields: ..."),
    "targets": ("a targets file needs 'targets:' and 'parameters:' (copy "
                "scenarios/targets/adult_safeguarding_team.yaml to start)",
                "targets: ..., parameters: ..."),
}  # fmt: skip


def parse_yaml(text: str, origin: str = "scenario", kind: str = "scenario") -> dict:
    """YAML text -> a mapping, or a one-line ScenarioError."""
    if len(text) > MAX_FILE_BYTES:
        raise ScenarioError([f"{origin}: over the {MAX_FILE_BYTES:,}-character limit"])
    try:
        data = _load_yaml(text)
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown place"
        problem = str(exc.problem)
        if problem.startswith("could not determine a constructor for the tag"):
            tag = problem.removeprefix("could not determine a constructor for the tag").strip()
            problem = f"the tag {tag} is not allowed; use plain values (numbers, text, true/false)"
        raise ScenarioError([f"{origin}: at {where}: {problem}"]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown place"
        raise ScenarioError(
            [f"{origin}: not valid YAML at {where}: {exc.problem}; check indentation and colons"]
        ) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([f"{origin}: not valid YAML: {_one_line(str(exc))}"]) from None
    except ScenarioError as exc:
        raise ScenarioError([f"{origin}: {p}" for p in exc.problems]) from None
    if data is None:
        raise ScenarioError([f"{origin}: the file is empty; {NEEDS[kind][0]}"])
    if not isinstance(data, dict):
        raise ScenarioError(
            [
                f"{origin}: the top level must be a mapping of fields ({NEEDS[kind][1]}), "
                f"not a {type(data).__name__}"
            ]
        )
    return data


def parse_value(raw: str) -> Any:
    """A ``--set`` value: YAML under the same limits as a file; text if it is not YAML,
    a one-line ScenarioError if it breaks a limit or names a type it does not have."""
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError([f"over the {MAX_FILE_BYTES:,}-character limit"])
    try:
        return _load_yaml(raw)
    except yaml.constructor.ConstructorError as exc:
        problem = str(exc.problem).replace("could not determine a constructor for", "unsupported")
        raise ScenarioError([problem]) from None
    except yaml.YAMLError:
        return raw


def _one_line(text: str) -> str:
    return " ".join(text.split("\n")).replace("\r", " ")
