"""Memory before work starts: ``run --reps 1000000000`` must not build every task first.

Starts the command in a subprocess, samples its resident memory (RSS, from /proc) every
second for ``--seconds``, then stops it. Tasks are made one at a time as the backend has
room, so the RSS stays flat; when every task was built up front (issue 18) it grew by
about 42 MB a second and nothing ran.

    python benchmarks/bench_task_memory.py [--seconds 30] [--repo PATH]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("--repo", type=Path, default=ROOT, help="the checkout to measure")
    args = ap.parse_args()
    scenario = args.repo / "scenarios" / "adult_safeguarding_team.yaml"
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "workload_sim", "run", str(scenario), "--reps",
               "1000000000", "--days", "3", "--quiet", "--out", f"{tmp}/out"]  # fmt: skip
        env = {**os.environ, "PYTHONPATH": str(args.repo)}
        proc = subprocess.Popen(
            cmd, env=env, cwd=args.repo, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        samples = []
        try:
            for second in range(1, args.seconds + 1):
                time.sleep(1)
                if proc.poll() is not None:
                    break
                samples.append((second, rss_mb(proc.pid)))
        finally:
            proc.kill()
            proc.wait()
        parts = len(list(Path(tmp, "out", "parts").glob("metrics-*.json")))
    for second, mb in samples:
        print(f"{second:3d} s  {mb:8.1f} MB")
    if samples:
        print(f"RSS after {samples[-1][0]} s: {samples[-1][1]:.0f} MB; replications done: {parts}")


if __name__ == "__main__":
    main()
