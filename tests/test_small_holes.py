"""Issue 18, item 6: the smaller holes, each pinned by a test that failed before its fix.

A parts/ link under --force, an unrelated X.zip replaced by evidence --out X, raw HTML and
links in SUMMARY.md (checked by rendering it with markdown-it, as a viewer that allows
HTML would), and values that passed validate but could not run or were stored silently:
a start date in the year 9999, an allocation target of 2^63 days, a NUL in a name, a
mapping given as a source note.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest
import yaml
from markdown_it import MarkdownIt
from typer.testing import CliRunner

from workload_sim.cli import app

from .conftest import DEFAULT

runner = CliRunner()
QUICK = ["--days", "20", "--reps", "2", "--quiet"]


def _one_line_refusal(result, *words: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert all(w in result.output for w in words), result.output


def test_force_never_writes_through_a_parts_link(tmp_path):
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (out / "parts").symlink_to(elsewhere)
    result = runner.invoke(app, ["run", str(DEFAULT), *QUICK, "--out", str(out), "--force"])
    assert result.exit_code == 0, result.output
    assert list(elsewhere.iterdir()) == []  # nothing written outside --out
    assert (out / "manifest.json").is_file()


def test_resume_refuses_a_parts_link(tmp_path):
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert runner.invoke(app, ["run", str(DEFAULT), *QUICK, "--out", str(out)]).exit_code == 0
    (out / "manifest.json").unlink()  # unfinished
    (out / "parts").symlink_to(elsewhere)
    result = runner.invoke(app, ["run", str(DEFAULT), *QUICK, "--resume", str(out)])
    _one_line_refusal(result, "parts", "--force")
    assert list(elsewhere.iterdir()) == []


@pytest.fixture(scope="module")
def evil_run(tmp_path_factory) -> Path:
    """A run whose name, pathway, step and urgency names are HTML and Markdown links."""
    here = tmp_path_factory.mktemp("evil")
    path = here / "evil.yaml"
    pathway = "<script>alert(2)</script>"
    path.write_text(
        yaml.safe_dump(
            {
                "name": "x",
                "pathways": {pathway: {"steps": [{"name": "<b>step</b>", "effort_hours": 1}]}},
                "triage": {"case_mix": {pathway: 1}},
            }
        )
    )
    name = "<img src=x onerror=alert(1)> [click](http://evil.example) ![i](http://e.x/i.png) `"
    out = here / "run"
    result = runner.invoke(app, ["run", str(path), *QUICK, "--name", name, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_summary_md_renders_no_user_html_or_links(evil_run, tmp_path):
    result = runner.invoke(app, ["evidence", str(evil_run), "--out", str(tmp_path / "pack")])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "pack" / "SUMMARY.md").read_text()
    rendered = MarkdownIt("commonmark", {"html": True}).render(text)
    for tag in ("<script", "<img", "<b>", "<a ", "onerror=alert(1)>"):
        assert tag not in rendered, tag
    # the names are still there, as text
    assert "&lt;img src=x onerror=alert(1)&gt;" in rendered
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in rendered


def test_evidence_out_never_replaces_an_unrelated_zip(evil_run, tmp_path):
    mine = tmp_path / "pack.zip"
    mine.write_bytes(b"my own archive")
    result = runner.invoke(app, ["evidence", str(evil_run), "--out", str(tmp_path / "pack")])
    _one_line_refusal(result, "pack.zip")
    assert mine.read_bytes() == b"my own archive"
    assert not (tmp_path / "pack").exists()  # refused before anything was written


def test_evidence_again_to_the_same_pack_replaces_its_own_zip(evil_run, tmp_path):
    args = ["evidence", str(evil_run), "--out", str(tmp_path / "pack")]
    assert runner.invoke(app, args).exit_code == 0
    first = zipfile.ZipFile(tmp_path / "pack.zip").namelist()
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert zipfile.ZipFile(tmp_path / "pack.zip").namelist() == first


@pytest.mark.parametrize(
    "override, words",
    [
        ("calendar.start_date=9999-06-01", ["calendar.start_date", "9999"]),
        (f"triage.urgency.standard.allocation_target_days={2**63}", ["allocation_target_days"]),
        ("sources.team.permanent={a: 1}", ["sources.team.permanent", "text"]),
        ("sources.team.permanent=[1, 2]", ["sources.team.permanent", "text"]),
        ('name="a\\0b"', ["name", "control"]),
    ],
)
def test_values_that_could_not_run_or_were_stored_silently_are_refused(override, words):
    _one_line_refusal(runner.invoke(app, ["validate", str(DEFAULT), "--set", override]), *words)


def test_a_start_date_that_fits_still_validates():
    result = runner.invoke(
        app, ["validate", str(DEFAULT), "--set", "calendar.start_date=2990-01-01"]
    )
    assert result.exit_code == 0, result.output


def test_a_name_with_a_nul_is_refused_in_the_file_and_on_the_command_line(tmp_path):
    path = tmp_path / "nul.yaml"
    path.write_text('name: "team\\0x"\n')
    _one_line_refusal(runner.invoke(app, ["validate", str(path)]), "name", "control")
    result = runner.invoke(app, ["run", str(DEFAULT), *QUICK, "--name", "a\x00b"])
    _one_line_refusal(result, "--name", "control")


def test_an_empty_lock_being_taken_is_not_stale(tmp_path):
    """Another command between creating .lock and writing its id: the folder is in use."""
    import time

    out = tmp_path / "out"
    out.mkdir()
    (out / ".lock").write_text("")
    result = runner.invoke(app, ["run", str(DEFAULT), *QUICK, "--out", str(out)])
    _one_line_refusal(result, "lock")
    assert (out / ".lock").read_text() == ""  # still the other command's
    old = time.time() - 3600  # an empty lock an hour old was left by a crash: taken over
    os.utime(out / ".lock", (old, old))
    result = runner.invoke(app, ["run", str(DEFAULT), *QUICK, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert not (out / ".lock").exists()


def test_a_lock_is_never_seen_without_its_process_id(tmp_path, monkeypatch):
    from workload_sim.experiments import outputs

    seen = []
    real_link = os.link

    def watching_link(src, dst):
        seen.append(Path(src).read_text())  # what .lock will hold the moment it appears
        return real_link(src, dst)

    monkeypatch.setattr(outputs.os, "link", watching_link)
    with outputs.FolderLock(tmp_path):
        assert (tmp_path / ".lock").read_text() == f"{os.getpid()}\n"
    assert seen == [f"{os.getpid()}\n"]
    assert [p.name for p in tmp_path.iterdir()] == []  # no temporary file left behind


@pytest.mark.parametrize(
    "command, words",
    [
        (["calibrate", str(DEFAULT), "--targets"], ["targets file needs", "parameters"]),
        (["sweep"], ["sweep file needs", "fields"]),
    ],
)
def test_an_empty_targets_or_sweep_file_is_named_for_what_it_is(command, words, tmp_path):
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    result = runner.invoke(app, [*command, str(empty), "--out", str(tmp_path / "o")])
    _one_line_refusal(result, *words)
    assert "a scenario needs" not in result.output
