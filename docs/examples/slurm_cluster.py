"""Run a workload-sim command on a SLURM cluster, through dask-jobqueue (docs/cluster.md).

On the cluster's login node, in the environment where workload_sim is installed (the
workers, on the compute nodes, use the same Python: a shared file system)::

    pip install -e ".[slurm]"          # dask[distributed] and dask-jobqueue
    python docs/examples/slurm_cluster.py --account myproject --partition compute \\
        --jobs 4 -- workload-sim sweep docs/examples/sweep_staffing_demand.yaml \\
        --out results/grid

This starts a Dask scheduler here, asks SLURM for ``--jobs`` jobs of ``--cores`` worker
processes each (one thread each: a replication is single-threaded), runs the command after
``--`` with ``--scheduler`` set to this scheduler, and cancels the jobs when it ends. Results
stream back to ``--out`` here as each replication finishes. If the allocation is lost (the
wall time ends, jobs are pre-empted), the command stops in one line; run this again with
``--resume results/grid`` in place of ``--out results/grid``.

``--dry-run`` prints the job script SLURM would be given, and submits nothing.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time


def make_cluster(
    cores: int = 8,
    memory: str = "16GB",
    walltime: str = "02:00:00",
    account: str | None = None,
    partition: str | None = None,
    interface: str | None = None,
    python: str = sys.executable,
):
    """A dask-jobqueue SLURMCluster whose jobs each run ``cores`` single-threaded workers.

    Each worker retires a few minutes before the wall time (``--lifetime``), handing its
    data on, so a job that ends loses no finished work; ``interface`` is the network the
    compute nodes reach this node on (``ib0``, ``eth0``: ask your HPC team)."""
    from dask_jobqueue import SLURMCluster

    minutes = _minutes(walltime)
    return SLURMCluster(
        cores=cores,
        processes=cores,  # one worker process per core, one thread each
        memory=memory,
        walltime=walltime,
        account=account,
        queue=partition,
        interface=interface,
        python=python,
        scheduler_options={"dashboard_address": None},
        worker_extra_args=[
            "--lifetime",
            f"{max(1, minutes - 5)}m",
            "--lifetime-stagger",
            "2m",
        ],
        job_name="workload-sim",
    )


def _minutes(walltime: str) -> int:
    """SLURM's D-HH:MM:SS, HH:MM:SS or MM:SS (or minutes) as whole minutes."""
    days, _, clock = walltime.rpartition("-")
    parts = [int(p) for p in clock.split(":")]
    if len(parts) == 3:
        hours, mins, secs = parts
    elif len(parts) == 2:
        hours, mins, secs = 0, *parts
    else:
        hours, mins, secs = 0, parts[0], 0
    return int(days or 0) * 1440 + hours * 60 + mins + (1 if secs else 0)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    command = argv[argv.index("--") + 1 :] if "--" in argv else []
    ours = argv[: argv.index("--")] if "--" in argv else argv
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=2, help="SLURM jobs to ask for")
    ap.add_argument("--cores", type=int, default=8, help="cores (workers) per job")
    ap.add_argument("--memory", default="16GB", help="memory per job")
    ap.add_argument("--walltime", default="02:00:00", help="wall time per job")
    ap.add_argument("--account", default=None, help="SLURM account (-A)")
    ap.add_argument("--partition", default=None, help="SLURM partition (-p)")
    ap.add_argument("--interface", default=None, help="network interface, e.g. ib0")
    ap.add_argument("--dry-run", action="store_true", help="print the job script only")
    args = ap.parse_args(ours)
    cluster = make_cluster(
        args.cores, args.memory, args.walltime, args.account, args.partition, args.interface
    )
    try:
        if args.dry_run:
            print(cluster.job_script())
            return 0
        cluster.scale(jobs=args.jobs)
        print(f"Dask scheduler at {cluster.scheduler_address}; {args.jobs} job(s) submitted")
        if not command:
            print(f"run: workload-sim ... --scheduler {cluster.scheduler_address}; Ctrl-C ends")
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                return 0
        return subprocess.call([*command, "--scheduler", cluster.scheduler_address])
    finally:
        cluster.close()


if __name__ == "__main__":
    sys.exit(main())
