"""Every default's note cites a publication listed in docs/sources.md, or is a reasoned assumption.

The notes are read where a user sees them: the schema's ``source`` of every field, each step
of the built-in pathways, and the ``sources`` of every shipped scenario (with the file's text,
comments included, for ids and file references).
"""

from __future__ import annotations

import re
import typing
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

import workload_sim
import workload_sim.scenario as schema
from workload_sim.scenario import RUN_SETTING, Scenario, Strict, default_pathways
from workload_sim.scenario.assumptions import assumptions_table
from workload_sim.scenario.distributions import _Spec

from .conftest import ROOT, SCENARIOS

SOURCES = ROOT / "docs" / "sources.md"
PATHWAYS = ROOT / "workload_sim" / "data" / "pathways.yaml"
LIBRARY = sorted(SCENARIOS.glob("*.yaml"))

# an id is publisher-title-year (year 4 digits, or nd when undated) or seed-name
ID = re.compile(
    r"(?<![\w-])(?:seed-[a-z][a-z0-9-]*[a-z0-9]|[a-z][a-z0-9]*(?:-[a-z0-9]+)*-(?:\d{4}|nd))(?![\w-])"
)
FILE = re.compile(r"[\w./-]+\.(?:md|ya?ml|py|csv|txt|json|parquet|html)\b")
REPO_FILES = {
    p.relative_to(ROOT).as_posix()
    for p in ROOT.rglob("*")
    if p.is_file() and not {".git", ".venv", "__pycache__"} & set(p.relative_to(ROOT).parts)
}


def registry() -> dict[str, str]:
    """docs/sources.md entries: id -> the entry's text."""
    parts = re.split(r"^### (\S+)\s*$", SOURCES.read_text(), flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def _holds_sections(annotation: object) -> bool:
    """Whether a field holds sections (walked into by the table) rather than a value."""
    if isinstance(annotation, type):
        return issubclass(annotation, BaseModel) and not issubclass(annotation, _Spec)
    return any(_holds_sections(a) for a in typing.get_args(annotation))


def schema_notes() -> dict[str, str]:
    """Every note in the schema, by Class.field (a section's own notes by Class.field.key)."""
    notes = {}
    for cls in vars(schema).values():
        if not (isinstance(cls, type) and issubclass(cls, Strict)) or cls is Strict:
            continue
        for name, field in cls.model_fields.items():
            note = (field.json_schema_extra or {}).get("source")
            if isinstance(note, dict):
                notes |= {f"{cls.__name__}.{name}.{k}": v for k, v in note.items()}
            elif note != RUN_SETTING and name not in ("name", "description", "source", "sources"):
                if not _holds_sections(field.annotation):
                    notes[f"{cls.__name__}.{name}"] = note
    return notes


def pathway_notes() -> dict[str, str]:
    return {f"{p}.{s.name}": s.source for p, path in default_pathways().items() for s in path.steps}


def scenario_notes() -> dict[str, str]:
    return {
        f"{path.name}:{key}": note
        for path in LIBRARY
        for key, note in (yaml.safe_load(path.read_text()).get("sources") or {}).items()
    }


def all_notes() -> dict[str, str]:
    return schema_notes() | pathway_notes() | scenario_notes()


def texts() -> dict[str, str]:
    """Every note, and the whole text of the data files (their comments are notes too)."""
    return all_notes() | {p.name: p.read_text() for p in [PATHWAYS, *LIBRARY]}


def is_reasoned(note: str) -> bool:
    """An id citation, or "assumption" followed by a reason (a few words, not the bare word)."""
    if any(i in registry() for i in ID.findall(note)):
        return True
    reason = re.sub(r"^assumption\b[\s:(]*", "", note) if note.startswith("assumption") else ""
    return len(re.findall(r"[A-Za-z]+", reason)) >= 4


def test_the_registry_is_well_formed():
    entries = registry()
    assert len(entries) >= 15
    for sid, text in entries.items():
        assert ID.fullmatch(sid), f"{sid}: ids are publisher-title-year or seed-name"
        for part in ("**Publisher:**", "**Title:**"):
            assert part in text, f"{sid}: says its {part}"
        assert "**Figures taken:**" in text or "**Taken:**" in text or "context" in text, sid


def test_notes_are_found_everywhere():
    # guards the collectors below: a rename must not make the checks vacuous
    assert len(schema_notes()) >= 60
    assert len(pathway_notes()) == 21
    assert len(scenario_notes()) >= 30


def test_every_cited_id_is_in_docs_sources():
    known = registry()
    unknown = {
        where: sorted(set(ID.findall(text)) - set(known))
        for where, text in texts().items()
        if set(ID.findall(text)) - set(known)
    }
    assert not unknown, unknown


def test_no_note_points_at_a_file_outside_the_repository():
    missing = {}
    for where, text in texts().items():
        for ref in FILE.findall(text):
            name = ref.removeprefix("./").lstrip("./")
            if not any(f == name or f.endswith("/" + name) for f in REPO_FILES):
                missing.setdefault(where, []).append(ref)
    assert not missing, missing


@pytest.mark.parametrize("kind", ["schema", "pathways", "scenarios"])
def test_every_note_cites_an_id_or_reasons_an_assumption(kind):
    notes = {"schema": schema_notes, "pathways": pathway_notes, "scenarios": scenario_notes}
    bad = {k: v for k, v in notes[kind]().items() if not is_reasoned(v)}
    assert not bad, bad


def test_every_registry_entry_is_used_or_marked_context():
    used = set().union(*(ID.findall(t) for t in texts().values()))
    unused = [sid for sid, text in registry().items() if sid not in used and "context" not in text]
    assert not unused, unused


def _numbers(text: str) -> set[float]:
    return {float(x.replace(",", "")) for x in re.findall(r"\d[\d,]*(?:\.\d+)?", text)}


@pytest.mark.parametrize("name", ["defaults", *(p.name for p in LIBRARY)])
def test_a_cited_number_shows_how_the_value_follows(name):
    # a value that cites a publication must appear in its note: either it is the published
    # figure itself, or the note's derivation ends at it ("1,280 a week / 5 = 256 a day")
    scenario = Scenario() if name == "defaults" else workload_sim.load_scenario(SCENARIOS / name)
    table = assumptions_table(scenario)
    cited = table[table["source"].map(lambda s: bool(ID.search(s)) and not s.startswith("assump"))]
    missing = []
    for row in cited.itertuples():
        try:
            value = float(row.value)
        except ValueError:
            continue  # a distribution, a flag or a mapping: the note names it in words
        if ".steps." in row.field:
            continue  # a step's note covers all its values in words
        section = next(
            (k for k in scenario.sources if row.field.startswith((k + ".", k + "["))), None
        )
        if section is not None and row.field not in scenario.sources:
            continue  # a scenario's note on a whole section covers many values in words
        found = _numbers(row.source) | {x / 100 for x in _numbers(row.source)}
        if not any(abs(value - x) < 1e-9 for x in found):
            missing.append((row.field, row.value, row.source))
    assert not missing, missing


def test_the_wrong_attributions_of_issue_9_are_gone():
    table = assumptions_table(Scenario()).set_index("field")["source"]
    agency_leaving = table["workforce.agency.leaving_rate_per_year"]
    assert "14.5%" not in agency_leaving and agency_leaving.startswith("assumption")
    agency_day = table["workforce.agency.day_cost_gbp"]
    assert "1,800" in agency_day and "1,280" not in agency_day
    nq_cap = table["workforce.newly_qualified.caseload_cap"]
    assert nq_cap.startswith("assumption") and "14" in nq_cap
    assert not table.str.contains("CALIBRATION").any()


def test_the_guides_point_at_the_source_list():
    assert Path(ROOT / "docs" / "model.md").read_text().count("sources.md") >= 1


def test_the_checks_catch_a_bad_note():
    # the checks above are not vacuous: each kind of bad note is caught
    assert ID.findall("dfe-cswf-2042: agency 13.0% of FTE") == ["dfe-cswf-2042"]
    assert "dfe-cswf-2042" not in registry()
    assert not ID.findall("2023-24 long-term case-holding re-referral")
    assert not is_reasoned("assumption")
    assert not is_reasoned("assumption: vary it")
    assert not is_reasoned("DfE census 2022: 17.6% agency")  # a citation must use an id
    assert is_reasoned("assumption: half the day on duty; no published figure")
    assert FILE.findall("see ../shared/CALIBRATION.md") == ["../shared/CALIBRATION.md"]
