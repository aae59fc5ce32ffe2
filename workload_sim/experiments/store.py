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

from .outputs import PENDING_MANIFEST, atomic_write, write_parquet, write_text
from .tasks import TaskResult

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
        self.parts = self.root / "parts"
        self.failures_dir = self.root / "failures"
        marker = self.root / "experiment.json"
        if replace and not resume:  # --force: an earlier experiment here starts over
            for name in ("experiment.json", "manifest.json", PENDING_MANIFEST):
                (self.root / name).unlink(missing_ok=True)
            for folder in (self.parts, self.failures_dir):
                if folder.is_dir() and not folder.is_symlink():
                    shutil.rmtree(folder)
        if resume:
            if not marker.exists():
                raise ExperimentMismatch(
                    f"--resume {self.root}: no experiment.json there; it is not a run folder"
                )
            saved = json.loads(marker.read_text())
            if saved.get("sha256") != identity.get("sha256"):
                raise ExperimentMismatch(
                    f"--resume {self.root}: that folder holds a different experiment "
                    f"({saved.get('kind')} {saved.get('name')}, seed {saved.get('seed')}); "
                    "resume with the same file and options, or choose a new --out"
                )
            if (self.root / "manifest.json").exists() and not self.failures():
                raise ExperimentFinished(f"{self.root}: this experiment is already complete")
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
        for name in TABLES:
            frame = getattr(result, name)
            if frame is not None:
                write_parquet(self.parts / self._name(name, p, r, "parquet"), frame)
        record = {
            "point": p,
            "rep": r,
            "seed": result.seed,
            "seconds": result.seconds,
            **result.metrics,
        }
        atomic_write(
            self.parts / self._name("metrics", p, r, "json"),
            lambda tmp: tmp.write_text(json.dumps(record) + "\n"),
        )
        stale = self.failures_dir / self._name("failure", p, r, "json")
        if stale.exists():
            stale.unlink()

    def load(self, keys: set[tuple[int, int]], with_tables: bool) -> list[TaskResult]:
        """Results of finished tasks, read back from their parts."""
        out = []
        for p, r in sorted(keys):
            record = json.loads((self.parts / self._name("metrics", p, r, "json")).read_text())
            res = TaskResult(p, r, record.pop("seed"), seconds=record.pop("seconds", 0.0))
            record.pop("point"), record.pop("rep")
            res.metrics = record
            if with_tables:
                for name in TABLES:
                    path = self.parts / self._name(name, p, r, "parquet")
                    if path.exists():
                        setattr(res, name, pd.read_parquet(path))
            out.append(res)
        return out

    def failures(self) -> list[dict]:
        if not self.failures_dir.exists():
            return []
        return [json.loads(p.read_text()) for p in sorted(self.failures_dir.glob("*.json"))]
