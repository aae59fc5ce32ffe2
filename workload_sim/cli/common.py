"""What every command does the same way: one-line errors (exit 2), output that is never
wrapped when piped, the output folder and its store, the backend session, and the last line
saying where the results went."""

from __future__ import annotations

import functools
import shlex
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console

from ..experiments.backends import BACKENDS, BackendError
from ..experiments.outputs import OutputError, prepare_out_dir
from ..experiments.store import ExperimentFinished, ExperimentMismatch, PartStore
from ..records.metrics import METRICS
from ..scenario.loading import ScenarioError, load_scenario
from .session import Session


def _console(stderr: bool = False) -> Console:
    """Soft-wrapped, and wide when piped: output sent to a file (YAML, tables) is never
    folded at 80 columns."""
    probe = Console(stderr=stderr)
    width = None if probe.is_terminal else 10_000
    return Console(stderr=stderr, soft_wrap=True, width=width)


err = _console(stderr=True)
out = _console()


def say_where(target: Path, what: str = "written to", note: str = "") -> None:
    """The last line of every command that writes: where (printed with --quiet too)."""
    out.print(f"{what} {target}/{note}", markup=False, highlight=False)


MAX_SHOWN = 3  # problems printed; a file with thousands of mistakes is one mistake repeated


def _fail(problems: list[str]) -> NoReturn:
    shown = problems if len(problems) <= MAX_SHOWN else problems[: MAX_SHOWN - 1]
    for line in map(_printable, shown):
        err.print(f"error: {line}", markup=False, highlight=False, soft_wrap=True)
    if len(shown) < len(problems):
        err.print(
            f"error: ... and {len(problems) - len(shown)} more problem(s); fix these first",
            markup=False,
            highlight=False,
        )
    raise typer.Exit(code=2)


def _printable(text: str) -> str:
    """Control characters (NUL, escape sequences) from input are shown escaped, never sent
    to the terminal."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def one_line_errors(command: Callable) -> Callable:
    """Bad input, an unusable folder or a failed write (disk full, read-only) end a command
    with one line and exit 2, never a traceback."""

    @functools.wraps(command)
    def guarded(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except ScenarioError as exc:
            _fail(exc.problems)
        except (OutputError, BackendError) as exc:  # BackendError: a cluster lost mid-run
            _fail([str(exc)])
        except OSError as exc:
            where = exc.filename or "output"
            _fail(
                [f"{where}: {exc.strerror or exc}; check the path, its permissions and free space"]
            )

    return guarded


def _out_target(
    out_dir: Path | None, resume: Path | None, default: Path, command: str, force: bool
) -> Path:
    """The folder a command writes: --resume's (which must be one), --out's (checked), or
    a new folder under results/ named after the scenario."""
    if resume is not None:
        if not resume.is_dir():
            _fail([f"--resume {resume}: not a folder; give the folder the interrupted run wrote"])
        return resume
    return prepare_out_dir(out_dir or default, command, force)


def _load(scenario: Path, sets: list[str] | None, extra: list[str] | None = None):
    try:
        return load_scenario(scenario, [*(sets or []), *(extra or [])])
    except ScenarioError as exc:
        _fail(exc.problems)


def run_name(sc, scenario: Path, sets: list[str] | None, name: str | None = None):
    """The run's name: --name, a --set name=..., else the file's name when it differs from
    ``name:`` (a copied file keeps the old ``name:``; its results must not pass for the
    old team's)."""
    if name is None and any(s.split("=", 1)[0].strip() == "name" for s in sets or []):
        return sc
    wanted = name if name is not None else scenario.stem
    if not wanted.strip():
        _fail(["--name: give a non-empty name"])
    return sc if wanted == sc.name else sc.model_copy(update={"name": wanted})


def _session(backend: str, workers: int | None, scheduler: str | None, quiet: bool, log: str):
    if log not in ("none", "json"):
        _fail([f"--log {log!r}: use 'none' or 'json'"])
    if backend not in BACKENDS:
        _fail([f"--backend {backend!r}: use one of {', '.join(BACKENDS)}"])
    try:
        return Session(backend, workers, scheduler, quiet, log)
    except BackendError as exc:
        _fail([str(exc)])


def _known_metrics(names: list[str]) -> None:
    unknown = [m for m in names if m not in METRICS]
    if unknown:
        _fail([f"unknown metric(s) {', '.join(unknown)}; known: {', '.join(METRICS)}"])


def _store(
    target: Path,
    identity: dict,
    resume: bool,
    rebuild: Callable[[], Path] | None = None,
    force: bool = False,
) -> PartStore:
    try:
        return PartStore(target, identity, resume=resume, replace=force)
    except ExperimentMismatch as exc:
        _fail([str(exc)])
    except ExperimentFinished as exc:
        if rebuild is not None:  # complete, but its page was lost (an older version's crash)
            out.print(f"{exc}; rebuilt {rebuild()}", markup=False, highlight=False)
        else:
            out.print(f"{exc}; nothing to resume", markup=False, highlight=False)
        raise typer.Exit(code=0) from None


def _report_failures(failures: list, target: Path, store: PartStore | None) -> None:
    if not failures:
        if store is not None and store.parts.exists():
            shutil.rmtree(store.parts)  # every part is in the final tables now
        return
    for f in failures:
        err.print(
            f"warning: point {f.point} replication {f.rep} (seed {f.seed}) failed: {f.error}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    err.print(
        f"{len(failures)} task(s) failed; the others are in {target}/. Re-run only what is "
        f"missing with the same command and --resume {target}",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    raise typer.Exit(code=3)


def command_line(args: list[str]) -> str:
    """The command as a user types it, with the installed ``workload-sim`` command."""
    return " ".join(["workload-sim", *(shlex.quote(a) for a in args)])
