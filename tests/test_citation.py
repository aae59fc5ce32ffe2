"""The model can be cited and checked: one version in the package, pyproject.toml,
CITATION.cff, --version, page footers and manifests; CITATION.cff is valid CFF 1.2.0 in its
required keys; the licence is the one pyproject.toml states."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path

import tomllib
import yaml

ROOT = Path(__file__).resolve().parents[1]
VERSION_LINE = re.compile(r'^__version__ = "([^"]+)"$', re.M)


def _package_version() -> str:
    """Read from the file, not imported: the check does not trust the code it checks."""
    return VERSION_LINE.search((ROOT / "workload_sim" / "__init__.py").read_text()).group(1)


def _cff() -> dict:
    return yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))


def test_citation_cff_has_the_required_keys_and_valid_values():
    cff = _cff()
    for key in ("cff-version", "message", "title", "authors", "version", "date-released"):
        assert key in cff, f"CITATION.cff has no {key}"
    assert cff["cff-version"] == "1.2.0"
    assert cff["type"] == "software"
    assert isinstance(cff["message"], str) and cff["message"].strip()
    assert cff["authors"] and all(a.get("name") or a.get("family-names") for a in cff["authors"])
    dt.date.fromisoformat(str(cff["date-released"]))  # YYYY-MM-DD
    assert isinstance(cff["version"], str)


def test_one_version_in_package_pyproject_and_citation():
    version = _package_version()
    assert re.fullmatch(r"\d+\.\d+\.\d+", version)
    assert _cff()["version"] == version
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" in project["project"]["dynamic"] and "version" not in project["project"]
    dynamic = project["tool"]["setuptools"]["dynamic"]["version"]
    assert dynamic == {"attr": "workload_sim.__version__"}


def test_version_printed_by_the_command_line_is_the_citations():
    done = subprocess.run(
        [sys.executable, "-m", "workload_sim", "--version"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"workload-sim {_cff()['version']}"


def test_licence_file_matches_pyproject_and_citation():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == {"text": "MIT"}
    assert _cff()["license"] == "MIT"
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License") and "Permission is hereby granted" in text


def test_changelog_names_the_current_version():
    version = _package_version()
    text = (ROOT / "CHANGELOG.md").read_text()
    assert re.search(rf"^## {re.escape(version)} \(\d{{4}}-\d\d-\d\d\)$", text, re.M)
    released = re.search(rf"^## {re.escape(version)} \((.+)\)$", text, re.M).group(1)
    assert released == str(_cff()["date-released"])


def test_page_footer_and_manifest_carry_the_version(tmp_path):
    from workload_sim.cli.experiments import _manifest
    from workload_sim.report.pages import page

    version = _package_version()
    footer = re.search(r"<footer>(.*?)</footer>", page("t", "<p>b</p>")).group(1)
    assert f"workload_sim {version}," in footer
    _manifest(tmp_path, {"kind": "sweep"}, "workload-sim sweep x.yaml")
    assert json.loads((tmp_path / "manifest.json").read_text())["version"] == version
