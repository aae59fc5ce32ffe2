"""Writing run outputs: atomic files (temp + rename) and a manifest.

An interrupted run never leaves a half-written file: each file is written to a
temporary name in the same folder and renamed into place only when complete.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import tempfile
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import yaml

from .. import __version__

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


def write_parquet(path: Path, frame: pd.DataFrame) -> Path:
    return atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=False))


def write_csv(path: Path, frame: pd.DataFrame) -> Path:
    return atomic_write(path, lambda tmp: frame.to_csv(tmp, index=False))


def scenario_yaml(resolved: dict) -> str:
    return yaml.safe_dump(resolved, sort_keys=False, allow_unicode=True)


def scenario_hash(resolved: dict) -> str:
    """SHA-256 of the resolved scenario in canonical JSON (same scenario, same hash)."""
    canonical = json.dumps(resolved, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def default_out_dir(name: str, root: Path = Path("results")) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return root / f"{name}-{stamp}"


def write_run(out_dir: Path, results, resolved: dict, command: str) -> list[Path]:
    """Write the tables, resolved scenario, assumptions and manifest of a run into ``out_dir``."""
    from ..scenario.assumptions import assumptions_table

    out_dir = Path(out_dir)
    written = [
        write_csv(out_dir / "assumptions.csv", assumptions_table(results.scenario)),
        write_parquet(out_dir / "timeseries.parquet", results.timeseries),
        write_parquet(out_dir / "cases.parquet", results.cases),
        write_parquet(out_dir / "workers.parquet", results.workers),
        write_parquet(out_dir / "replications.parquet", results.per_rep),
        *(
            write_parquet(out_dir / f"{name}.parquet", getattr(results, name))
            for name in ("tasks", "events")
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
        "reproduce": (
            f"python run.py run {out_dir / 'scenario.yaml'} --reps {results.reps} "
            f"--seed {results.seed} --out {out_dir}-rerun"
        ),
        "files": [p.name for p in written],
        **({"precision": results.extra["precision"]} if "precision" in results.extra else {}),
        "failed_tasks": [
            {"point": f.point, "rep": f.rep, "seed": f.seed, "error": f.error}
            for f in results.failures
        ],
    }
    written.append(write_text(out_dir / "manifest.json", json.dumps(manifest, indent=2) + "\n"))
    return written
