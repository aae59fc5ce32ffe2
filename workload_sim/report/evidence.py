"""The evidence pack: everything a union or team leader hands over, in one folder and zip.

The pack holds the report, the summary, the per-replication table and the assumptions
with their sources as CSV (for spreadsheets), the per-case, per-day and per-worker tables
as Parquet (small enough to email at 200 replications; ``csv=True``, the command's
``--csv``, adds them as CSV too), the resolved scenario, the manifest, and SUMMARY.md: the
verdict and key numbers in plain English, what they mean and do not mean, and the one
command that reproduces them from the pack alone.
"""

from __future__ import annotations

import json
import math
import shutil
import zipfile
from pathlib import Path

import pandas as pd

from ..experiments.outputs import (
    OutputError,
    atomic_write,
    prepare_out_dir,
    reproduce_line,
    slug,
    write_csv,
    write_text,
)
from ..records.metrics import KEY_METRICS, METRICS
from ..scenario.assumptions import flagged as unsourced
from . import run_page
from .pages import read_folder
from .team_words import team_in_words
from .verdict import sentences

LIMITS = """## What these numbers mean, and what they do not
- They are the model's answer **given the assumptions listed in `assumptions.csv`**. Each
  has a source or is marked "assumption"; the answer is only as good as those inputs. Vary
  the assumptions that matter (see `docs/model.md`) before relying on a single run.
- Each figure is a mean over independent replications with a 95% confidence interval: an
  interval built this way contains the model's true long-run mean 95 times out of 100. It
  is not the range of outcomes for any one person or week.
- A trend whose interval includes zero is "not shown", not "shown to be zero".
- The model counts working days (weekends and bank holidays are not on the clock).
- Mean waits cover cases that were allocated; when the list runs away, read the share not
  allocated within target and the number still waiting instead.
"""


def _table(summary: pd.DataFrame) -> str:
    rows = ["| measure | mean | 95% CI | unit |", "|---|---|---|---|"]
    s = summary.set_index("metric")
    for m in (
        *KEY_METRICS,
        "wait_to_allocation_p90",
        "unallocated_end",
        "staff_cost_gbp",
        "agency_premium_gbp",
        "sickness_days_per_fte_year",
        "leavers",
    ):
        if m not in s.index or not math.isfinite(s.loc[m, "mean"]):
            continue
        r = s.loc[m]
        ci = (
            "" if not math.isfinite(r["ci_low"]) else f"{_num(r['ci_low'])} to {_num(r['ci_high'])}"
        )
        rows.append(f"| {METRICS[m][1]} | {_num(r['mean'])} | {ci} | {METRICS[m][0]} |")
    return "\n".join(rows)


_MD = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        "\\": "\\\\",
        "[": "\\[",
        "]": "\\]",
        "`": "\\`",
        "*": "\\*",
        "|": "\\|",
        "\n": " ",
        "\r": " ",
    }
)


def md_text(text: object) -> str:
    """A user's string as Markdown text: raw HTML, links, images, code and emphasis are
    shown as the characters they are, and it stays on its line (names, pathways and values
    are the user's; a Markdown viewer that allows HTML would otherwise run them)."""
    return "".join(c if c.isprintable() else " " for c in str(text).translate(_MD))


def md_code(text: object) -> str:
    """A user's string as a code span (shown literally): backticks and line breaks out."""
    clean = "".join(c if c.isprintable() else " " for c in str(text))
    return "`" + clean.replace("`", "'") + "`"


def _num(x: float) -> str:
    """Numbers as people write them: 633,989 not 6.34e+05; 3 significant figures below 1,000."""
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}"


def summary_text(folder: Path, all_cases: bool = False) -> str:
    d = read_folder(folder)
    sc, man = d["scenario"], d["manifest"]
    perm = sc["workforce"]["permanent"]
    targets = [u["allocation_target_days"] for u in sc["triage"]["urgency"].values()]
    verdict = "\n".join(
        f"- {md_text(s)}"
        for s in sentences(d["summary"], perm["caseload_cap"] * perm["fte"], targets[-1], sc, man)
    )
    a = d["assumptions"]
    flagged = a[a["source"].map(unsourced)] if len(a) else a
    flagged_text = (
        "Every value has a source or is marked as an assumption."
        if flagged.empty
        else "These values were set without a source; give each one before relying on them:\n"
        + "\n".join(f"- {md_code(r.field)} = {md_text(r.value)}" for r in flagged.itertuples())
    )
    n_assumed = int(a["source"].str.startswith("assumption").sum()) if len(a) else 0
    return f"""# Evidence: {md_text(sc["name"])}

{md_text(team_in_words(sc))}

{man["reps"]} replications (seed {man["seed"]}), {man["horizon_days"]} working days measured
after {man.get("warmup_days", 0)} days of warm-up. Package workload_sim {man.get("version")}.

## Verdict
{verdict}

## Key numbers
{_table(d["summary"])}

{LIMITS}
## Assumptions
`assumptions.csv` lists all {len(a)} parameters with value, unit and source;
{n_assumed} are marked "assumption" (no published figure). {flagged_text}

## Reproduce this exactly
With workload_sim {man.get("version")} installed (`pip install -e .` in its repository puts
the `workload-sim` command in `.venv/bin`; activate it with `source .venv/bin/activate`):

    {reproduce_line(sc["name"], man["reps"], man["seed"])}

run in this folder gives identical tables (same seed, same numbers). The files:
`report.html` (open in any browser, works offline), `summary.csv`, `replications.csv`,
`assumptions.csv`, `scenario.yaml`, `manifest.json`, and one row per case, per day and per
worker in `cases.parquet`, `timeseries.parquet` and `workers.parquet` (Parquet: pandas'
`read_parquet`, R's `arrow::read_parquet`; `workload-sim evidence RUN_FOLDER --csv` adds
them as CSV for a spreadsheet).{cases_note(man["reps"], all_cases)}
"""


def cases_note(reps: int, all_cases: bool = False) -> str:
    """What the pack's per-case table holds, when it is not every replication."""
    if all_cases or reps <= CASE_REPS:
        return ""
    return (
        f" `cases.parquet` holds the cases of replications 0-{CASE_REPS - 1} of {reps}, to "
        "keep the pack small; the command above writes every one, as does "
        "`workload-sim evidence RUN_FOLDER --all-cases`."
    )


BIG_TABLES = ("cases", "timeseries", "workers")  # one row per case, day or worker: Parquet
# Replications whose cases a pack holds unless asked for all: 50 of the default team's are
# about 4 MB of Parquet (200 are 16 MB: random times do not compress); the summary, the
# per-replication table and the per-day table always cover every replication.
CASE_REPS = 50
PACK_FILES = (
    "report.html",
    "summary.csv",
    "assumptions.csv",
    "scenario.yaml",
    "replications.csv",
    *(f"{name}.parquet" for name in BIG_TABLES),
    *(f"{name}.csv" for name in BIG_TABLES),  # only with csv=True (--csv)
    "manifest.json",
    "SUMMARY.md",
)


def _pack_folder(folder: Path, out: Path | None) -> Path:
    """The pack folder: new, empty, or a previous pack holding only pack files; never the
    run folder or a folder that contains it (``--out ..`` would zip the parent)."""
    pack = Path(out) if out else folder / "evidence"
    flag = "--out" if out else "evidence folder"
    if pack.exists() and not pack.is_dir():
        raise OutputError(f"{flag} {pack}: is a file, not a folder; give a new or empty folder")
    here, run = pack.resolve(), folder.resolve()
    if here == run or here in run.parents:
        raise OutputError(
            f"{flag} {pack}: is the run folder or holds it; give a new or empty folder, "
            "e.g. --out evidence-pack"
        )
    if pack.is_dir():
        foreign = [p.name for p in pack.iterdir() if p.name not in PACK_FILES or p.is_symlink()]
        if foreign:
            raise OutputError(
                f"{flag} {pack}: is not empty (holds {foreign[0]!r}) and not an evidence pack; "
                "give a new or empty folder"
            )
    return prepare_out_dir(pack, "evidence", force=True, flag=flag)


def _zip_of(pack: Path, flag: str) -> Path:
    """The pack's zip, next to it: new, or an earlier zip of this very pack (holding only
    pack files under the pack's name); anything else there is never replaced."""
    here = pack.resolve()
    archive = here.parent / f"{here.name}.zip"
    if not archive.exists() and not archive.is_symlink():
        return archive
    top = slug(here.name)
    refuse = OutputError(
        f"{flag} {pack}: {archive} already exists and is not this pack's zip; move it, or "
        "give another --out"
    )
    if archive.is_symlink() or not archive.is_file():
        raise refuse
    try:
        with zipfile.ZipFile(archive) as z:
            names = z.namelist()
    except (OSError, zipfile.BadZipFile):
        raise refuse from None
    if not names or any(n not in {f"{top}/{f}" for f in PACK_FILES} for n in names):
        raise refuse
    return archive


def _compact_parquet(table: pd.DataFrame, path: Path) -> None:
    """Parquet as small as it losslessly goes: zstd, and floats split byte by byte (times
    and hours are random in their last digits; their exponents repeat)."""
    floats = [c for c in table.columns if table[c].dtype.kind == "f"]
    others = [c for c in table.columns if c not in floats]
    table.to_parquet(
        path,
        index=False,
        compression="zstd",
        compression_level=9,
        use_byte_stream_split=floats or False,
        use_dictionary=others or False,
    )


def build_pack(
    folder: Path, out: Path | None = None, csv: bool = False, all_cases: bool = False
) -> tuple[Path, Path]:
    """Write the pack folder and its zip; returns (folder, zip).

    The per-day and per-worker tables go whole, as Parquet; the per-case table holds the
    first ``CASE_REPS`` replications (every one with ``all_cases``), so a 200-replication
    pack stays small enough to email; ``csv`` adds the three as CSV too.
    """
    folder = Path(folder)
    _zip_of(Path(out) if out else folder / "evidence", "--out" if out else "evidence folder")
    pack = _pack_folder(folder, out)
    if not (folder / "report.html").exists():
        run_page.build(folder)
    for name in ("report.html", "summary.csv", "assumptions.csv", "scenario.yaml"):
        src = folder / name
        if src.is_file() and not src.is_symlink():
            atomic_write(pack / name, lambda tmp, src=src: shutil.copyfile(src, tmp))
    write_csv(pack / "replications.csv", pd.read_parquet(folder / "replications.parquet"))
    for name in BIG_TABLES:
        table, table_csv = pd.read_parquet(folder / f"{name}.parquet"), pack / f"{name}.csv"
        if name == "cases" and not all_cases:
            table = table[table["rep"] < CASE_REPS].reset_index(drop=True)
        atomic_write(pack / f"{name}.parquet", lambda tmp, t=table: _compact_parquet(t, tmp))
        if csv:
            write_csv(table_csv, table)
        else:  # a CSV left by an earlier --csv pack in this folder is not this pack's
            table_csv.unlink(missing_ok=True)
    run = read_folder(folder)
    manifest = run["manifest"]
    # the same line SUMMARY.md gives, with the installed command
    manifest["reproduce_from_pack"] = reproduce_line(
        run["scenario"]["name"], manifest["reps"], manifest["seed"]
    )
    write_text(pack / "manifest.json", json.dumps(manifest, indent=2) + "\n")
    write_text(pack / "SUMMARY.md", summary_text(folder, all_cases))
    archive = _zip_of(pack, "--out")
    top = slug(pack.resolve().name)

    def zip_to(tmp: Path) -> None:
        # exactly the pack's own files, by relative name; a symlink is never followed
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
            for name in PACK_FILES:
                f = pack / name
                if f.is_file() and not f.is_symlink():
                    z.write(f, arcname=f"{top}/{name}")

    atomic_write(archive, zip_to)
    return pack, archive
