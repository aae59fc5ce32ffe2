"""Start-up time of the command line, as ratios to baselines measured in the same run.

Each command is started as a fresh process REPEATS times and the best time kept (the best is
the least disturbed by other work on the machine). Baselines: ``python -c pass`` (the
interpreter alone) and ``python -c "import pandas, scipy.stats, plotly"`` (what every command
paid before the heavy libraries were imported where they are used). Targets: ``--version``
and ``--help`` within 8x bare Python (0.3 s where Python starts in 35-40 ms) and under 0.25x
the heavy imports. ``--profile`` adds the ten largest imports of ``--help`` from
``python -X importtime``.

    python benchmarks/bench_startup.py [--repeats 7] [--profile]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def best(commands: dict[str, list[str]], repeats: int) -> dict[str, float]:
    """The best of ``repeats`` starts of each command, taken in turn (so that other work on
    the machine falls on all of them alike)."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeats):
        for name, args in commands.items():
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, *args], cwd=ROOT, env=ENV, capture_output=True, check=True
            )
            times[name].append(time.perf_counter() - started)
    return {name: min(t) for name, t in times.items()}


def profile(args: list[str], top: int = 10) -> list[tuple[float, str]]:
    """The largest cumulative import times (seconds, module) of one start."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *args], cwd=ROOT, env=ENV, capture_output=True
    )
    rows = []
    for line in done.stderr.decode().splitlines():
        if line.startswith("import time:") and "|" in line:
            _, cumulative, name = line.split("|")
            if cumulative.strip().isdigit():
                rows.append((int(cumulative) / 1e6, name.rstrip()))
    return sorted(rows, reverse=True)[:top]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()
    cli = {
        "workload-sim --version": ["--version"],
        "workload-sim --help": ["--help"],
        "workload-sim run --help": ["run", "--help"],
        "workload-sim sweep --help": ["sweep", "--help"],
    }
    took = best(
        {
            "bare": ["-c", "pass"],
            "heavy": ["-c", "import pandas, scipy.stats, plotly.graph_objects"],
            **{name: ["-m", "workload_sim", *cmd] for name, cmd in cli.items()},
        },
        args.repeats,
    )
    bare, heavy = took["bare"], took["heavy"]
    print(f"python -c pass                      best {bare:.3f} s (baseline)")
    print(f"import pandas, scipy.stats, plotly  best {heavy:.3f} s ({heavy / bare:.1f}x bare)")
    for name in cli:
        aim = " (<= 8x bare, <= 0.25x heavy)" if name.endswith(("-version", "sim --help")) else ""
        print(
            f"{name:<35} best {took[name]:.3f} s  {took[name] / bare:.1f}x bare  "
            f"{took[name] / heavy:.2f}x heavy{aim}"
        )
    if args.profile:
        print("largest imports of --help (cumulative, python -X importtime):")
        for seconds, name in profile(["-m", "workload_sim", "--help"]):
            print(f"  {seconds:.3f} s  {name.strip()}")


if __name__ == "__main__":
    main()
