"""No lost work: every finished task is written to disk, atomically, as it lands.

An experiment folder holds ``experiment.json`` (what is being run, with a hash)
and ``parts/``: per task, its tables (Parquet) and last its metrics (JSON), the
file whose presence means "done". After a crash or ``kill -9``, ``--resume``
reads which tasks are done and runs only the rest; a half-written file never
exists because every write goes to a temporary name and is renamed into place.
Failed tasks are kept in ``failures/`` with their point, replication and seed.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd

from .integrity import FolderDamaged, check_part, part_fingerprint, read_json
from .outputs import PENDING_MANIFEST, atomic_write, write_parquet, write_text
from .tasks import Task, TaskResult

_DONE = re.compile(r"metrics-p(\d+)-r(\d+)\.json$")
TABLES = ("timeseries", "cases", "workers", "tasks", "events", "hours")


class ExperimentMismatch(ValueError):
    """--resume was pointed at a folder holding a different experiment."""


class ExperimentFinished(Exception):
    """--resume was pointed at an experiment that has nothing left to run."""


class PartStore:
    def __init__(
        self, root: Path, identity: dict, resume: bool = False, replace: bool = False
    ) -> None:
        self.root = Path(root)
        self.identity = identity
        self.parts = self.root / "parts"
        self.failures_dir = self.root / "failures"
        self.way_out = f"start again with --out {self.root} --force (without --resume)"
        marker = self.root / "experiment.json"
        if replace and not resume:  # --force: an earlier experiment here starts over
            for name in ("experiment.json", "manifest.json", PENDING_MANIFEST):
                (self.root / name).unlink(missing_ok=True)
            for folder in (self.parts, self.failures_dir):
                if folder.is_symlink():  # a link is removed, never followed
                    folder.unlink()
                elif folder.is_dir():
                    shutil.rmtree(folder)
        for folder in (self.parts, self.failures_dir):
            if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
                raise ExperimentMismatch(
                    f"{folder}: is a link or a file, not this run's folder; nothing is "
                    f"written through it: {self.way_out}"
                )
        if resume:
            if not marker.exists():
                raise ExperimentMismatch(
                    f"--resume {self.root}: no experiment.json there; it is not a run folder"
                )
            saved = read_json(marker, self.way_out)
            if saved.get("sha256") != identity.get("sha256"):
                raise ExperimentMismatch(
                    f"--resume {self.root}: that folder holds a different experiment "
                    f"({saved.get('kind')} {saved.get('name')}, seed {saved.get('seed')}); "
                    "resume with the same file and options, or choose a new --out"
                )
            edited = [k for k in identity if saved.get(k) != identity[k]]
            if edited:
                k = edited[0]
                raise FolderDamaged(
                    f"{marker}: says {k} {saved.get(k)!r}, but its hash is of {k} "
                    f"{identity[k]!r} (edited); {self.way_out}"
                )
            if (self.root / "manifest.json").exists() and not self.failures():
                raise ExperimentFinished(f"{self.root}: this experiment is already complete")
            self.check()
        elif marker.exists() or (self.root / "manifest.json").exists():
            finished = (self.root / "manifest.json").exists() and not self.parts.exists()
            raise ExperimentMismatch(
                f"--out {self.root}: already holds a finished run; choose another folder"
                if finished
                else f"--out {self.root}: already holds an experiment; use --resume "
                f"{self.root} to finish it, or choose another folder"
            )
        self.parts.mkdir(parents=True, exist_ok=True)
        if not resume:
            write_text(marker, json.dumps(identity, indent=2, default=str) + "\n")

    def check(self) -> None:
        """Every finished part belongs to this experiment and holds the tables it wrote;
        else one line naming the first that does not (before any work is done)."""
        for path in sorted(self.parts.glob("metrics-*.json")) if self.parts.is_dir() else []:
            m = _DONE.search(path.name)
            if m:
                check_part(path, (int(m.group(1)), int(m.group(2))), self.identity, self.way_out)

    @staticmethod
    def _name(kind: str, point: int, rep: int, ext: str) -> str:
        return f"{kind}-p{point:05d}-r{rep:05d}.{ext}"

    def done(self) -> set[tuple[int, int]]:
        found = set()
        for path in self.parts.glob("metrics-*.json"):
            m = _DONE.search(path.name)
            if m:
                found.add((int(m.group(1)), int(m.group(2))))
        return found

    def save(self, result: TaskResult) -> None:
        p, r = result.point, result.rep
        if not result.ok:
            record = {
                "point": p,
                "rep": r,
                "seed": result.seed,
                "error": result.error,  # one line, as the console shows it
                "traceback": result.traceback,  # all of it, for whoever fixes the model
            }
            write_text(
                self.failures_dir / self._name("failure", p, r, "json"), json.dumps(record) + "\n"
            )
            return
        tables = {}
        for name in TABLES:
            frame = getattr(result, name)
            if frame is not None:
                path = write_parquet(self.parts / self._name(name, p, r, "parquet"), frame)
                tables[name] = (path, len(frame))
        record = {
            "point": p,
            "rep": r,
            "seed": result.seed,
            "seconds": result.seconds,
            **result.metrics,
        }
        record["fingerprint"] = part_fingerprint(self.identity, record, tables)
        atomic_write(
            self.parts / self._name("metrics", p, r, "json"),
            lambda tmp: tmp.write_text(json.dumps(record) + "\n"),
        )
        stale = self.failures_dir / self._name("failure", p, r, "json")
        if stale.exists():
            stale.unlink()

    def load(self, task: Task) -> TaskResult:
        """The result of a finished task, read back from its part and checked against it:
        its experiment, seed, and every table the task asks for."""
        p, r = task.key
        path = self.parts / self._name("metrics", p, r, "json")
        record = check_part(path, task.key, self.identity, self.way_out)
        fp = record.pop("fingerprint")
        if record.get("seed") != task.seed:
            raise FolderDamaged(
                f"{path}: was run with seed {record.get('seed')}, this experiment's "
                f"replication uses {task.seed}; {self.way_out}"
            )
        lacking = [t for t in task.tables if t not in fp["tables"]]
        if lacking:
            raise FolderDamaged(
                f"{path}: was run without the {', '.join(lacking)} table(s) this command asks "
                f"for (--trace, --tables); resume with the options it began with, or "
                f"{self.way_out}"
            )
        res = TaskResult(p, r, record.pop("seed"), seconds=record.pop("seconds", 0.0))
        record.pop("point"), record.pop("rep")
        res.metrics = record
        for name in task.tables:
            table = self.parts / Path(str(fp["tables"][name]["file"])).name
            try:
                setattr(res, name, pd.read_parquet(table))
            except Exception as exc:  # noqa: BLE001 - damage found after the check
                raise FolderDamaged(
                    f"{table}: cannot be read ({type(exc).__name__}); {self.way_out}"
                ) from None
        return res

    def failures(self) -> list[dict]:
        if not self.failures_dir.exists():
            return []
        return [read_json(p, self.way_out) for p in sorted(self.failures_dir.glob("*.json"))]
