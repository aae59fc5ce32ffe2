"""Every column of every table a run, a comparison and a sweep write is in results/README.md.

The test runs each command small, reads the tables it wrote, and looks each column up in
the README's section for that file. A name in capitals there (``n_PATHWAY``) stands for a
family of columns; the family's members come from the run's own files (the metrics of its
summary.csv, the pathways and urgencies of its scenario.yaml, the sweep's design), not from
the code that writes the tables.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from workload_sim.cli import app

from .conftest import DEFAULT, ROOT, SCENARIOS

README = ROOT / "results" / "README.md"
SMALL = ["--reps", "2", "--days", "5", "--warmup-days", "0", "-q", "--backend", "serial"]


def _invoke(*args: str) -> None:
    result = CliRunner().invoke(app, [*args])
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """{file name: its columns} for a small run (every table), comparison and sweep."""
    tmp = tmp_path_factory.mktemp("tables")
    _invoke("run", str(DEFAULT), *SMALL, "--tables", "tasks,events", "--out", str(tmp / "run"))
    vacancies = str(SCENARIOS / "vacancies_unfilled.yaml")
    _invoke("compare", str(DEFAULT), vacancies, *SMALL, "--out", str(tmp / "cmp"))
    sweep = tmp / "sweep.yaml"
    sweep.write_text(
        f"name: tiny\nbase: {DEFAULT}\ndesign: grid\nreps: 2\n"
        "fields:\n  team.permanent: {values: [8, 9]}\n"
    )
    _invoke("sweep", str(sweep), *SMALL, "--out", str(tmp / "sweep"))
    tables = {}
    for folder in ("run", "cmp", "sweep"):
        for f in sorted((tmp / folder).iterdir()):
            if f.suffix == ".csv":
                tables[f.name] = list(pd.read_csv(f).columns)
            elif f.suffix == ".parquet":
                tables[f.name] = list(pd.read_parquet(f).columns)
    scenario = yaml.safe_load((tmp / "run" / "scenario.yaml").read_text())
    families = {
        "METRIC": set(pd.read_csv(tmp / "run" / "summary.csv")["metric"]),
        "PATHWAY": set(scenario["pathways"]),
        "URGENCY": set(scenario["triage"]["urgency"]),
        "FIELD": {"team.permanent"},
    }
    return tables, families, pd.read_csv(tmp / "run" / "summary.csv")


def _sections() -> dict[str, str]:
    """README text after '## Columns', by '### ' heading (the heading line included)."""
    text = README.read_text().split("\n## Columns", 1)[1]
    return {part.splitlines()[0]: part for part in text.split("\n### ")[1:]}


def _documented(section: str, families: dict[str, set[str]]) -> re.Pattern:
    """One pattern matching every column the section's tables name (first cell of a row)."""
    names = []
    for line in section.splitlines():
        if line.startswith("| `"):
            names += re.findall(r"`([^`]+)`", line.split("|")[1])
    alternatives = []
    for name in names:
        pattern = re.escape(name)
        for family, members in families.items():
            pattern = pattern.replace(family, "(" + "|".join(map(re.escape, members)) + ")")
        alternatives.append(pattern)
    return re.compile("^(" + "|".join(alternatives) + ")$")


def test_every_column_of_every_table_is_documented(outputs):
    tables, families, _ = outputs
    assert {"timeseries.parquet", "cases.parquet", "tasks.parquet", "comparison.csv"} <= set(tables)
    assert {"sweep.parquet", "sweep_summary.parquet", "design.parquet"} <= set(tables)
    sections = _sections()
    missing = []
    for name, columns in tables.items():
        # the section for the file: the one it heads, else the first that names it
        section = next((s for h, s in sections.items() if h.startswith(name)), None) or next(
            (s for s in sections.values() if f"`{name}`" in s), None
        )
        if section is None:
            missing.append(f"{name}: no section")
            continue
        documented = _documented(section, families)
        missing += [f"{name}: {c}" for c in columns if not documented.match(c)]
    assert not missing, "undocumented in results/README.md: " + ", ".join(missing)


def test_the_readme_says_how_each_kind_of_interval_is_made(outputs):
    *_, summary = outputs
    text = README.read_text()
    section = _sections()["summary.csv"]
    row = next(line for line in section.splitlines() if line.startswith("| `kind` |"))
    for kind in set(summary["kind"]):
        assert f"`{kind}`" in row, kind
    assert "log scale" in row and "logit scale" in row and "Student t" in row
    # the file table no longer calls every interval Student t
    intro = text.split("## Columns")[0]
    line = next(x for x in intro.splitlines() if x.startswith("| `summary.csv`"))
    assert "log scale" in line and "logit scale" in line
