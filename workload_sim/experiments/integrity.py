"""Fingerprints: what produced each part and table, checked before anything is trusted.

Every finished task's metrics record (the file whose presence means "done") carries a
fingerprint: the experiment's hash, name and seed, the task's point, replication and
seed, the code version, a hash of the record itself, and each table it wrote with its
row count and checksum. ``--resume`` checks every part against the experiment it is
asked to finish before any work, so a part copied from another scenario or seed, a
table deleted or cut short, or an edited record is refused in one line naming the file.

A finished run folder's tables carry the same kind of fingerprint in their Parquet
metadata (scenario hash, seed, replications, code version, rows) and the manifest lists
every file's checksum, so ``report`` and ``evidence`` refuse a folder whose files
disagree with each other or with the manifest instead of mixing them.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from .. import __version__
from .outputs import PENDING_MANIFEST, OutputError

META_KEY = b"workload_sim"


class FolderDamaged(OutputError):
    """A run folder whose files are damaged or disagree; the message is one line."""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def record_sha256(record: dict) -> str:
    """The hash of a metrics record without its fingerprint (any edit changes it)."""
    body = {k: v for k, v in record.items() if k != "fingerprint"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_json(path: Path, way_out: str) -> dict:
    """A JSON file that must hold a mapping, or one line naming it and the way out."""
    try:
        data = json.loads(Path(path).read_text("utf-8"))
    except FileNotFoundError:
        raise FolderDamaged(f"{path}: missing; {way_out}") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        reason = type(exc).__name__ if isinstance(exc, UnicodeDecodeError) else "not JSON"
        raise FolderDamaged(f"{path}: damaged ({reason}); {way_out}") from None
    if not isinstance(data, dict):
        raise FolderDamaged(f"{path}: damaged (not a JSON object); {way_out}")
    return data


def parquet_rows(path: Path) -> int | None:
    """Rows of a Parquet file from its footer, or None when it cannot be read as one."""
    import pyarrow.parquet as pq

    try:
        return pq.read_metadata(path).num_rows
    except Exception:  # noqa: BLE001 - any damage reads as "cannot be read"
        return None


def parquet_fingerprint(path: Path) -> dict | None:
    import pyarrow.parquet as pq

    try:
        meta = pq.read_schema(path).metadata or {}
        return json.loads(meta[META_KEY]) if META_KEY in meta else None
    except Exception:  # noqa: BLE001 - a damaged file has no readable fingerprint
        return None


# --- parts ------------------------------------------------------------------------------
def part_fingerprint(identity: dict, record: dict, tables: dict[str, tuple[Path, int]]) -> dict:
    """The fingerprint stored in a part's metrics record (``tables``: name -> (file, rows))."""
    return {
        "experiment": identity.get("sha256"),
        "kind": identity.get("kind"),
        "name": identity.get("name"),
        "seed": identity.get("seed"),
        "point": record["point"],
        "rep": record["rep"],
        "version": __version__,
        "record_sha256": record_sha256(record),
        "tables": {
            name: {"file": path.name, "rows": rows, "sha256": file_sha256(path)}
            for name, (path, rows) in tables.items()
        },
    }


def check_part(path: Path, key: tuple[int, int], identity: dict, way_out: str) -> dict:
    """The metrics record at ``path`` (the part ``key``) if it belongs to the experiment
    ``identity`` and its tables are the ones it wrote; else one line naming what differs."""
    record = read_json(path, way_out)
    fp = record.get("fingerprint")
    if not isinstance(fp, dict):
        raise FolderDamaged(
            f"{path}: has no fingerprint (written by an older workload_sim or not by this "
            f"run); {way_out}"
        )
    if fp.get("experiment") != identity.get("sha256"):
        raise FolderDamaged(
            f"{path}: is a part of another experiment ({fp.get('kind')} {fp.get('name')!r}, "
            f"seed {fp.get('seed')}), not of this one ({identity.get('name')!r}, seed "
            f"{identity.get('seed')}); {way_out}"
        )
    where = (record.get("point"), record.get("rep"))
    if where != key or (fp.get("point"), fp.get("rep")) != key:
        raise FolderDamaged(
            f"{path}: holds point {where[0]} replication {where[1]}, not the point "
            f"{key[0]} replication {key[1]} its name says (renamed or copied); {way_out}"
        )
    if fp.get("version") != __version__:
        raise FolderDamaged(
            f"{path}: written by workload_sim {fp.get('version')}, this is {__version__}; "
            f"resume with that version, or {way_out}"
        )
    if fp.get("record_sha256") != record_sha256(record):
        raise FolderDamaged(f"{path}: was changed after it was written; {way_out}")
    for info in (fp.get("tables") or {}).values():
        table = path.parent / Path(str(info.get("file"))).name
        if not table.is_file():
            raise FolderDamaged(
                f"{table}: missing, though its replication's metrics say it was written "
                f"({info.get('rows')} rows); {way_out}"
            )
        if file_sha256(table) != info.get("sha256"):
            rows = parquet_rows(table)
            held = "cannot be read as Parquet" if rows is None else f"{rows} rows"
            raise FolderDamaged(
                f"{table}: is not the table written with its replication ({held}; "
                f"{info.get('rows')} rows were written); {way_out}"
            )
    return record


# --- finished run folders ---------------------------------------------------------------
def table_fingerprint(scenario_sha256: str, seed: int, reps: int) -> dict:
    """What a run folder's tables carry in their metadata (rows are added per table)."""
    return {"scenario_sha256": scenario_sha256, "seed": seed, "reps": reps, "version": __version__}


def experiment_fingerprint(identity: dict) -> dict:
    """What a sweep's or comparison's tables carry: the experiment's hash and seed."""
    return {
        "experiment": identity.get("sha256"),
        "seed": identity.get("seed"),
        "version": __version__,
    }


def folder_checksums(folder: Path, names: list[str]) -> dict[str, str]:
    """SHA-256 of the files an experiment wrote (by name) at the top of its folder; a
    user's own files there (``--force``) are not its to check."""
    return {n: file_sha256(Path(folder) / n) for n in names if (Path(folder) / n).is_file()}


def check_run_folder(folder: Path) -> dict:
    """The manifest of a finished folder (a run, a sweep, a comparison) whose files are the
    ones it wrote and agree with each other; else one line naming the file and what differs."""
    folder = Path(folder)
    again = f"run it again into it with --out {folder} --force"
    path = folder / "manifest.json"
    if not path.exists() and (folder / PENDING_MANIFEST).exists():
        path = folder / PENDING_MANIFEST
    manifest = read_json(path, again)
    sums = manifest.get("checksums")
    if not isinstance(sums, dict) or not sums:
        raise FolderDamaged(
            f"{path}: lists no checksums of its files (written by an older workload_sim or "
            f"edited), so its tables cannot be checked; {again}"
        )
    run = "scenario_sha256" in manifest
    for name, digest in sums.items():
        file = folder / Path(str(name)).name
        if not file.is_file():
            raise FolderDamaged(f"{file}: missing (the manifest lists it); {again}")
        if file_sha256(file) != digest:
            fp = parquet_fingerprint(file) if file.suffix == ".parquet" else None
            mine = manifest.get("scenario_sha256" if run else "sha256")
            theirs = fp and fp.get("scenario_sha256" if run else "experiment")
            other = (
                f" (a table of another {'run' if run else 'experiment'}: seed {fp.get('seed')}"
                f", hash {str(theirs)[:12]})"
                if fp and (theirs != mine or fp.get("seed") != manifest.get("seed"))
                else ""
            )
            raise FolderDamaged(f"{file}: changed or damaged since it was written{other}; {again}")
    if run:
        said = {k: manifest.get(k) for k in ("scenario_sha256", "seed", "reps", "version")}
    else:
        said = {"experiment": manifest.get("sha256"), "seed": manifest.get("seed")}
    for name in sums:
        if not str(name).endswith(".parquet"):
            continue
        fp = parquet_fingerprint(folder / name)
        if fp is None:
            raise FolderDamaged(f"{folder / name}: has no fingerprint of its run; {again}")
        differs = [k for k in said if fp.get(k) != said[k]]
        if differs:
            what = ", ".join(f"{k} {said[k]!r} (the tables: {fp.get(k)!r})" for k in differs)
            raise FolderDamaged(f"{path}: disagrees with {name}: it says {what}; {again}")
    return manifest
