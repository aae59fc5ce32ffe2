"""docs/examples/slurm_cluster.py, as far as it can be checked without SLURM: the job
script dask-jobqueue would submit (no job is submitted; the scheduler it makes is local)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from .conftest import ROOT

pytest.importorskip("dask_jobqueue", reason="needs dask-jobqueue (pip install dask-jobqueue)")

EXAMPLE = ROOT / "docs" / "examples" / "slurm_cluster.py"


def _example():
    spec = importlib.util.spec_from_file_location("slurm_cluster", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_job_script_asks_slurm_for_what_the_sweep_needs():
    example = _example()
    cluster = example.make_cluster(
        cores=16, memory="32GB", walltime="04:00:00", account="myproject", partition="compute"
    )
    try:
        script = cluster.job_script()
        address = cluster.scheduler_address
    finally:
        cluster.close()
    lines = script.splitlines()
    sbatch = [line for line in lines if line.startswith("#SBATCH")]
    for wanted in (
        "#SBATCH -J workload-sim",
        "#SBATCH -p compute",
        "#SBATCH -A myproject",
        "#SBATCH -n 1",
        "#SBATCH --cpus-per-task=16",
        "#SBATCH -t 04:00:00",
    ):
        assert wanted in sbatch, (wanted, sbatch)
    assert any(line.startswith("#SBATCH --mem=") for line in sbatch)
    worker = next(line for line in lines if "distributed.cli.dask_worker" in line)
    # this Python (the one with workload_sim installed), 16 single-threaded workers a job,
    # connecting to the scheduler made here, each retiring 5 minutes before the wall time
    assert worker.startswith(f"{sys.executable} -m distributed.cli.dask_worker {address} ")
    assert "--nworkers 16" in worker and "--nthreads 1" in worker
    assert "--lifetime 235m" in worker


def test_the_example_prints_its_job_script_without_submitting():
    done = subprocess.run(
        [sys.executable, str(EXAMPLE), "--dry-run", "--cores", "4", "--walltime", "1-00:00:00"],
        capture_output=True,
        text=True,
        timeout=300,  # a hang guard
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "#SBATCH --cpus-per-task=4" in done.stdout
    assert "#SBATCH -t 1-00:00:00" in done.stdout and "--lifetime 1435m" in done.stdout


def test_wall_times_in_slurm_forms():
    minutes = _example()._minutes
    assert [minutes(w) for w in ("30", "45:00", "02:00:00", "1-12:00:00", "00:10:30")] == [
        30,
        45,
        120,
        2160,
        11,
    ]
