"""Writing run outputs: atomic files (temp + rename), checked folders and a manifest.

An interrupted run never leaves a half-written file: each file is written to a
temporary name in the same folder and renamed into place only when complete. The
manifest comes last, so a folder with a manifest is a complete run. Output folders
are checked before any work (a file, a read-only place and someone else's folder
are refused) and locked while a command writes them.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import shlex
import tempfile
import time
import unicodedata
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import yaml

from .. import __version__
from ..records import OPTIONAL_TABLES

_UMASK = os.umask(0)
os.umask(_UMASK)


def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` then rename tmp to ``path``; the temp file is removed on failure."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; results are meant to be shared
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def write_text(path: Path, text: str) -> Path:
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_parquet(path: Path, frame: pd.DataFrame, fingerprint: dict | None = None) -> Path:
    """A table as Parquet; ``fingerprint`` (what produced it, and its rows) goes into the
    file's metadata, where ``integrity.check_run_folder`` reads it back."""
    if fingerprint is None:
        return atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=False))

    def write(tmp: Path) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(frame, preserve_index=False)
        note = json.dumps({**fingerprint, "rows": len(frame)}, default=str).encode()
        pq.write_table(
            table.replace_schema_metadata({**(table.schema.metadata or {}), b"workload_sim": note}),
            tmp,
        )

    return atomic_write(path, write)


def write_csv(path: Path, frame: pd.DataFrame) -> Path:
    return atomic_write(path, lambda tmp: frame.to_csv(tmp, index=False))


def scenario_yaml(resolved: dict) -> str:
    return yaml.safe_dump(resolved, sort_keys=False, allow_unicode=True)


def scenario_hash(resolved: dict) -> str:
    """SHA-256 of the resolved scenario in canonical JSON (same scenario, same hash)."""
    canonical = json.dumps(resolved, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class OutputError(ValueError):
    """An output folder that cannot or must not be written; the message is one line."""


def slug(name: str) -> str:
    """A folder-name form of a scenario name: letters, digits, '-' and '_' only, so a name
    such as '../../evil' or one with NUL or '/' can never leave the results folder."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    text = re.sub(r"[^A-Za-z0-9_-]+", "-", ascii_name).strip("-_")[:60].strip("-_")
    return text or "run"


def default_out_dir(name: str, root: Path = Path("results")) -> Path:
    """A new folder under ``root``: name and time, and -2, -3... when two runs start in the
    same second (the second must not be refused as 'already holds a finished run')."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    base = root / f"{slug(name)}-{stamp}"
    folder, n = base, 1
    while folder.exists():
        n += 1
        folder = base.with_name(f"{base.name}-{n}")
    return folder


# What marks a folder as a previous output of each command.
_OWN_MARKERS = {
    "run": "experiment.json",
    "compare": "experiment.json",
    "sweep": "experiment.json",
    "staffing": "staffing.json",
    "calibrate": "calibration.json",
    "evidence": "SUMMARY.md",
    "backtest": "backtest.csv",
}


def previous_output(folder: Path, command: str) -> bool:
    """Whether ``folder`` was written by ``command`` before (so writing there again is safe)."""
    marker = Path(folder) / _OWN_MARKERS[command]
    if not marker.is_file():
        return False
    if marker.name != "experiment.json":
        return True
    try:
        return json.loads(marker.read_text("utf-8")).get("kind") == command
    except (OSError, ValueError):
        return False


def prepare_out_dir(folder: Path, command: str, force: bool = False, flag: str = "--out") -> Path:
    """Check and create an output folder: refuse a file, a folder that cannot be written and
    a non-empty folder that is not a previous output of ``command`` (unless ``force``)."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{flag} {folder}: is a file, not a folder; give a new or empty folder")
    if folder.is_dir() and any(p.name != ".lock" for p in folder.iterdir()) and not force:
        if not previous_output(folder, command):
            raise OutputError(
                f"{flag} {folder}: the folder is not empty and is not a previous '{command}' "
                "output; choose a new folder, or add --force to write into it"
            )
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass  # a real write: permissions, read-only mounts and quotas all show here
    except OSError as exc:
        raise OutputError(f"{flag} {folder}: cannot write there ({exc.strerror})") from None
    return folder


FRESH_LOCK_SECONDS = 10  # an empty .lock younger than this is being taken, not stale


class FolderLock:
    """One command at a time per output folder: ``.lock`` holds the owner's process id.

    A lock whose process is gone (killed, crashed) is stale and taken over, so a
    ``kill -9`` never leaves a folder stuck.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.path = self.folder / ".lock"

    def __enter__(self) -> FolderLock:
        for _ in range(3):
            if self._create():
                return self
            owner = self._owner()
            if owner is not None and _alive(owner):
                raise OutputError(
                    f"{self.folder}: another run (process {owner}) is using this folder; "
                    "wait for it to finish, or choose another folder"
                )
            if owner is None and self._age() < FRESH_LOCK_SECONDS:
                # no process id yet: another command is taking the lock right now (an
                # older version wrote it in two steps), not a dead one
                raise OutputError(
                    f"{self.folder}: another run is taking this folder's lock now; wait for "
                    "it to finish, or choose another folder"
                )
            self.path.unlink(missing_ok=True)  # stale: its process has gone
        raise OutputError(f"{self.folder}: could not take the folder's lock; try again")

    def _create(self) -> bool:
        """Make .lock with our process id in it, in one step: the id is written to a
        temporary file first and linked into place, so a .lock is never seen empty."""
        fd, tmp = tempfile.mkstemp(prefix=".lock.", suffix=".tmp", dir=self.folder)
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(f"{os.getpid()}\n")
            try:
                os.link(tmp, self.path)
            except FileExistsError:
                return False
            except OSError:  # a file system without hard links: create, then write
                try:
                    lock = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
                except FileExistsError:
                    return False
                with os.fdopen(lock, "w") as fh:
                    fh.write(f"{os.getpid()}\n")
            return True
        finally:
            os.unlink(tmp)

    def _age(self) -> float:
        try:
            return time.time() - self.path.stat().st_mtime
        except OSError:
            return float("inf")

    def _owner(self) -> int | None:
        try:
            return int(self.path.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def __exit__(self, *exc) -> None:
        if self._owner() == os.getpid():
            self.path.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


def reproduce_line(
    name: str,
    reps: int,
    seed: int,
    scenario: Path = Path("scenario.yaml"),
    out: Path = Path("rerun"),
) -> str:
    """The command that runs a saved scenario again: same tables, same name (a run's name
    defaults from its file's, and a run folder's file is called scenario.yaml)."""
    args = ["workload-sim", "run", str(scenario), "--reps", str(reps), "--seed", str(seed)]
    if Path(scenario).stem != name:
        args += ["--name", name]
    return " ".join(shlex.quote(a) for a in [*args, "--out", str(out)])


def write_run(out_dir: Path, results, resolved: dict, command: str) -> list[Path]:
    """Write the tables, resolved scenario, assumptions and manifest of a run into ``out_dir``."""
    from ..scenario.assumptions import assumptions_table
    from .integrity import file_sha256, table_fingerprint

    out_dir = Path(out_dir)
    made = table_fingerprint(scenario_hash(resolved), results.seed, results.reps)
    written = [
        write_csv(out_dir / "assumptions.csv", assumptions_table(results.scenario)),
        write_parquet(out_dir / "timeseries.parquet", results.timeseries, made),
        write_parquet(out_dir / "cases.parquet", results.cases, made),
        write_parquet(out_dir / "workers.parquet", results.workers, made),
        write_parquet(out_dir / "replications.parquet", results.per_rep, made),
        *(
            write_parquet(out_dir / f"{name}.parquet", getattr(results, name), made)
            for name in OPTIONAL_TABLES
            if getattr(results, name, None) is not None
        ),
        write_csv(out_dir / "summary.csv", results.summary),
        write_text(out_dir / "scenario.yaml", scenario_yaml(resolved)),
    ]
    manifest = {
        "package": "workload_sim",
        "version": __version__,
        "scenario": resolved.get("name"),
        "scenario_sha256": scenario_hash(resolved),
        "seed": results.seed,
        "reps": results.reps,
        "warmup_days": resolved.get("warmup_days"),
        "horizon_days": resolved.get("horizon_days"),
        "wall_seconds": round(results.wall_seconds, 3),
        "created_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "command": command,
        "reproduce": reproduce_line(
            str(resolved.get("name")),
            results.reps,
            results.seed,
            out_dir / "scenario.yaml",
            Path(f"{out_dir}-rerun"),
        ),
        "files": [p.name for p in written] + ["report.html"],
        # every file's checksum: report and evidence check the folder against them
        "checksums": {p.name: file_sha256(p) for p in written},
        **({"precision": results.extra["precision"]} if "precision" in results.extra else {}),
        "failed_tasks": [
            {"point": f.point, "rep": f.rep, "seed": f.seed, "error": f.error}
            for f in results.failures
        ],
    }
    # The manifest means "complete": it is written under a pending name now and renamed into
    # place by commit_manifest only after the report exists.
    written.append(write_text(out_dir / PENDING_MANIFEST, json.dumps(manifest, indent=2) + "\n"))
    return written


PENDING_MANIFEST = ".manifest.pending.json"


def commit_manifest(out_dir: Path) -> Path:
    """Rename the pending manifest into place: the last step of every run."""
    target = Path(out_dir) / "manifest.json"
    os.replace(Path(out_dir) / PENDING_MANIFEST, target)
    return target
