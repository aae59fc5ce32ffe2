"""Every fenced ```bash command in README.md and docs/*.md runs, scaled down.

Commands run in-process (typer's CliRunner, the line parsed with shlex) in a scratch
copy of scenarios/ and docs/examples/, in the order the page gives them. Each run is
made small (--reps 2, --days 20, --warmup-days 10, --max-reps 4; example sweeps shrunk to a
few points); a folder a command
needs that the page does not make (results/my_team-...) is made first by a real run. The
README's set-up lines are checked by parsing (no pip): they must install the package
whose console script is the ``workload-sim`` the docs then use.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib
import yaml
from typer.testing import CliRunner

from workload_sim.cli import app

from .conftest import DEFAULT, ROOT

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
EXPERIMENTS = {"run", "compare", "sweep", "staffing", "calibrate"}
SMALL = {"--reps": "2", "--days": "20", "--warmup-days": "10", "--max-reps": "4"}
SET_UP = ("python3 -m venv", ".venv/bin/pip install", ".venv/bin/pytest", "source ")


def fenced_commands(page: Path) -> list[str]:
    """The command lines of a page's ```bash blocks (comments and blank lines dropped)."""
    lines = []
    for block in re.findall(r"```bash\n(.*?)```", page.read_text("utf-8"), re.S):
        for line in block.splitlines():
            line = line.split(" #", 1)[0].strip()
            if line and not line.startswith("#"):
                lines.append(line)
    return lines


PLACEHOLDER = re.compile(r"\b[A-Z]{2,}\b|\.\.\.|\[|\bA\.yaml")


def inline_commands(page: Path) -> list[str]:
    """Complete commands quoted in the text (`workload-sim run scenarios/x.yaml ...`);
    syntax with placeholders (FILE, DIR, [C.yaml ...]) is left to the fenced examples."""
    text = re.sub(r"```.*?```", "", page.read_text("utf-8"), flags=re.S)
    spans = (" ".join(m.split()) for m in re.findall(r"`(workload-sim [^`]+)`", text))
    return [s for s in spans if len(s.split()) > 2 and not PLACEHOLDER.search(s)]


ALL = [
    (p.relative_to(ROOT).as_posix(), c)
    for p in PAGES
    for c in [*fenced_commands(p), *inline_commands(p)]
]


def test_every_page_uses_the_installed_command():
    stale = [f"{p.name}: {m}" for p in PAGES for m in re.findall(r".*run\.py.*", p.read_text())]
    assert not stale, stale
    assert len(ALL) >= 15, ALL  # the pages do give their commands in fenced blocks


def test_readme_set_up_installs_the_command_the_docs_use():
    setup = [c for page, c in ALL if page == "README.md" and c.startswith(SET_UP[0])]
    assert setup and all(".venv/bin/pip install" in c for c in setup)
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["workload-sim"] == "workload_sim.cli:main"
    readme = (ROOT / "README.md").read_text()
    assert "source .venv/bin/activate" in readme.split("## Using it", 1)[1][:600]
    # the command pip installed beside this interpreter is the one the docs use
    script = Path(sys.executable).parent / "workload-sim"
    done = subprocess.run([script, "--version"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip().startswith("workload-sim ")


def _scaled(args: list[str]) -> list[str]:
    """The command made small: --reps/--days/--warmup-days/--max-reps set low."""
    if args[0] not in EXPERIMENTS:
        return args
    args = list(args)
    if args[0] == "run" and "--reps" not in args:  # keep "added until decided", from 2
        args += ["--set", "replications=2", "--max-reps", SMALL["--max-reps"]]
    for flag, value in SMALL.items():
        if flag == "--reps" and args[0] == "run" and "--reps" not in args:
            continue
        if flag == "--max-reps" and args[0] == "sweep" and "--precision" not in args:
            continue
        if flag == "--max-reps" and args[0] == "calibrate":  # it caps evaluations instead
            continue
        if flag in args:
            args[args.index(flag) + 1] = value
        elif flag != "--max-reps" or args[0] != "compare":
            args += [flag, value]
    if args[0] == "sweep" and "--backend" in args and "process" in args:
        args += ["--workers", "2"]  # two cores on the test machine
    return args


def _prepare(args: list[str], here: Path) -> None:
    """Make what a command refers to but the page does not make: a scenario copy, a run
    folder for report/evidence, an interrupted sweep for --resume."""
    for a in args[1:]:
        if a.endswith(".yaml") and a.startswith("scenarios/") and not (here / a).exists():
            shutil.copy(DEFAULT, here / a)
    if args[0] in ("report", "evidence") and not (here / args[1]).exists():
        _invoke(["run", "scenarios/adult_safeguarding_team.yaml", "--out", args[1]], here)
    if "--resume" in args:
        folder = here / args[args.index("--resume") + 1]
        if not folder.exists():
            _invoke([*_scaled(args[:2]), "--out", str(folder)], here)
            (folder / "manifest.json").unlink()  # as if killed: unfinished, a part lost
            parts = sorted((folder / "parts").glob("metrics-*.json"))
            if parts:
                parts[-1].unlink()
            else:  # parts are removed once complete; put one back unfinished
                (folder / "parts").mkdir()


def _invoke(args: list[str], here: Path):
    result = CliRunner().invoke(app, _scaled(args), catch_exceptions=False)
    return result


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    here = tmp_path_factory.mktemp("docs")
    shutil.copytree(ROOT / "scenarios", here / "scenarios")
    shutil.copytree(ROOT / "docs" / "examples", here / "docs" / "examples")
    for example in (here / "docs" / "examples").glob("*.yaml"):
        _shrink(example)
    return here


def _shrink(sweep: Path) -> None:
    """An example sweep made small: two values a field, four points (its form kept)."""
    spec = yaml.safe_load(sweep.read_text())
    if "fields" not in spec:  # not a sweep (a calibration targets file)
        return
    spec["points"] = min(spec.get("points", 4), 4)
    for field in spec["fields"].values():
        if "values" in field:
            field["values"] = field["values"][:2]
        if "steps" in field:
            field["steps"] = 2
    sweep.write_text(yaml.safe_dump(spec))


@pytest.mark.parametrize("page", [p.relative_to(ROOT).as_posix() for p in PAGES])
def test_every_fenced_command_runs(page, scratch, monkeypatch):
    commands = [c for p, c in ALL if p == page]
    monkeypatch.chdir(scratch)
    for line in commands:
        words = shlex.split(line)
        if line.startswith(SET_UP) or words[0] == ".venv/bin/pytest":
            continue  # checked by parsing above
        if words[0] == "cp":
            shutil.copy(words[1], words[2])
            continue
        assert words[0] in ("workload-sim", ".venv/bin/workload-sim"), (
            f"{page}: {line!r}: a command this test does not know; use workload-sim"
        )
        args = words[1:]
        if "--scheduler" in args:
            _unreachable_scheduler(args, scratch)
            continue
        if args[0] == "app":  # a server that runs until stopped: check what it would start
            _app_would_serve(args, monkeypatch)
            continue
        _prepare(args, scratch)
        result = _invoke(args, scratch)
        # 1: target not met (small run); nothing to discover (a shrunk sweep: too few runs)
        ok = (0, 1) if args[0] in ("staffing", "discover") else (0,)
        assert result.exit_code in ok, f"{page}: {line}\n{result.output}"
        if args[0] in EXPERIMENTS | {"report", "evidence"}:
            last = result.stdout.strip().splitlines()[-1]
            assert re.fullmatch(r"[a-z ]+ written to \S+/.*", last), (line, last)


def _app_would_serve(args: list[str], monkeypatch) -> None:
    """``workload-sim app ...`` as the page gives it: its options are accepted and it would
    start Streamlit on the page (not started: it serves until stopped)."""
    started = []
    monkeypatch.setattr(subprocess, "call", lambda cmd: started.append(cmd) or 0)
    result = CliRunner().invoke(app, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert started and started[0][1:4] == ["-m", "streamlit", "run"], started


def _unreachable_scheduler(args: list[str], here: Path) -> None:
    """A scheduler nobody runs: one line, exit 2 (as typed: a process of its own), and no
    folder left behind (tests/test_cli_vocabulary.py runs it twice). How long the refusal
    takes is measured by benchmarks/bench_refusals.py, not asserted here."""
    out = here / "results" / "unreachable"
    for _ in range(1):
        done = subprocess.run(
            [sys.executable, "-m", "workload_sim", *_scaled(args), "--out", str(out)],
            capture_output=True,
            text=True,
            timeout=600,  # a hang guard, not a time limit
            cwd=here,
        )
        assert done.returncode == 2, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert "--scheduler tcp://host:8786" in done.stderr and "Traceback" not in done.stderr
        assert not out.exists()
