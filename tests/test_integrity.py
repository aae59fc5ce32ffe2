"""Nothing mixed: every part and table carries a fingerprint of what produced it, and
``--resume``, ``report`` and ``evidence`` refuse a folder whose files disagree.

The tampered and damaged folders come from tests/hostile/tamper.py (a part from another
scenario or seed, a table deleted or cut short, a manifest edited, a file damaged...).
Each must be refused with exit 2 in one line naming the file; an untampered interrupted
run must still resume to the very tables an uninterrupted run writes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent / "hostile"))
import tamper  # noqa: E402

from workload_sim.experiments.integrity import parquet_fingerprint  # noqa: E402


@pytest.fixture(scope="module")
def bases(tmp_path_factory) -> dict[str, Path]:
    return tamper.make_bases(tmp_path_factory.mktemp("bases"))


@pytest.mark.parametrize("case", tamper.all_cases(), ids=lambda c: c.name)
def test_a_tampered_or_damaged_folder_is_refused_in_one_line_naming_the_file(case, bases, tmp_path):
    row = tamper.try_case(case, bases, tmp_path)
    assert row["one_line"], row["output"]
    assert row["names_file"], row["output"]
    assert "--force" in row["output"], row["output"]  # the way out


def test_the_kinds_of_tampering_cover_the_issue():
    names = {c.name for c in tamper.resume_cases()}
    assert len(names) >= 10
    assert {"part_from_another_scenario", "part_from_another_seed"} <= names
    assert "cases_table_deleted_metrics_kept" in names


def test_an_untampered_interrupted_run_resumes_to_the_uninterrupted_tables(bases, tmp_path):
    import shutil

    folder = tmp_path / "resumed"

    shutil.copytree(bases["interrupted"], folder)
    (folder / "parts" / f"metrics-{tamper.R1}.json").unlink()  # replication 1 not finished
    result = tamper.invoke(["run", tamper.ADULT, *tamper.QUICK, "--resume", folder])
    assert result.exit_code == 0, result.output
    whole = bases["complete"]
    for name in ("cases", "timeseries", "replications"):
        pd.testing.assert_frame_equal(
            pd.read_parquet(folder / f"{name}.parquet"), pd.read_parquet(whole / f"{name}.parquet")
        )
    # and the finished folder passes its own check
    assert tamper.invoke(["report", folder]).exit_code == 0


def test_the_manifest_agrees_with_the_tables_it_lists(bases):
    folder = bases["complete"]
    manifest = json.loads((folder / "manifest.json").read_text())
    reps = pd.read_parquet(folder / "replications.parquet")
    assert manifest["reps"] == len(reps) == reps["rep"].nunique()
    for name in ("cases", "timeseries", "workers", "replications"):
        fp = parquet_fingerprint(folder / f"{name}.parquet")
        assert fp["seed"] == manifest["seed"] and fp["reps"] == manifest["reps"]
        assert fp["rows"] == len(pd.read_parquet(folder / f"{name}.parquet"))
    assert set(manifest["checksums"]) >= {"cases.parquet", "summary.csv", "scenario.yaml"}


def test_every_part_names_its_experiment_and_tables(bases):
    experiment = json.loads((bases["interrupted"] / "experiment.json").read_text())
    for path in (bases["interrupted"] / "parts").glob("metrics-*.json"):
        fp = json.loads(path.read_text())["fingerprint"]
        assert fp["experiment"] == experiment["sha256"] and fp["seed"] == experiment["seed"]
        for info in fp["tables"].values():
            table = pd.read_parquet(path.parent / info["file"])
            assert len(table) == info["rows"]


def test_a_finished_sweep_or_comparison_is_checked_before_resume_trusts_it(tmp_path):
    import yaml

    spec = {
        "name": "tiny",
        "base": str(tamper.ADULT),
        "design": "grid",
        "reps": 1,
        "set": ["horizon_days=20"],
        "fields": {"team.permanent": {"values": [7, 8]}},
    }
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(spec))
    sweep = ["sweep", path, "-q", "--out", tmp_path / "sw"]
    compare = ["compare", tamper.ADULT, tamper.ADULT, "--reps", "2", "--days", "20", "-q"]
    compare += ["--out", tmp_path / "cmp"]
    for args, table in ((sweep, "sweep.parquet"), (compare, "comparison_reps.parquet")):
        folder = args[-1]
        assert tamper.invoke(args).exit_code == 0
        fp = parquet_fingerprint(folder / table)
        assert fp["experiment"] == json.loads((folder / "manifest.json").read_text())["sha256"]
        again = [*args[:-2], "--resume", folder]
        assert tamper.invoke(again).exit_code == 0  # untouched: already complete
        tamper._cut(folder / table)
        result = tamper.invoke(again)
        assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1
        assert table in result.output and "--force" in result.output, result.output
