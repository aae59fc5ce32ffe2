"""How long refusals take: bad input refused about as fast as a good file is checked.

The tests check that hostile input is refused (one line, exit 2, the step it must come
before never reached); how long that takes is measured here, not asserted in tests (a
loaded machine made the old limits fail for nobody's fault). Every figure is a ratio
against a baseline measured in the same run:

- in-process: ``validate`` of the shipped default scenario (a valid file, read, checked
  and built) against ``validate`` of an alias bomb (9**10 values if built), a 4 MB file
  (over the size limit) and a 1.5 MB file of 150,000 values (under the size limit, over
  the value limit). Target: each refusal no slower than the valid file (ratio <= 1).
- as a process: ``python -m workload_sim validate`` of the default scenario against
  ``run ... --scheduler tcp://host:8786`` (a scheduler nobody runs: the README's Dask
  line). Target: the refusal within a few start-ups (ratio <= 3; it waits a short
  connect timeout).
- the hostile corpus (tests/hostile/), in one process: the slowest case and the mean
  case against the in-process valid file. Target: the slowest case <= 10x.

    python benchmarks/bench_refusals.py [--repeats 5] [--no-corpus]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from typer.testing import CliRunner

from workload_sim.cli import app

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "scenarios" / "adult_safeguarding_team.yaml"
runner = CliRunner()


def _bad_files(folder: Path) -> dict[str, Path]:
    bomb = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    bomb += [f"a{i}: &a{i} [{','.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    long_values = "".join(f"  k{i}: '{'x' * 60}'\n" for i in range(60_000))
    files = {
        "alias bomb": "name: x\n" + "\n".join(bomb) + "\ndescription: *a9\n",
        "4 MB file": "name: big\nsources:\n" + long_values,
        "150,000 values": "name: x\nsources:\n" + "".join(f"  k{i}: a\n" for i in range(150_000)),
    }
    paths = {}
    for name, text in files.items():
        path = folder / (name.replace(" ", "_").replace(",", "") + ".yaml")
        path.write_text(text)
        paths[name] = path
    return paths


def in_process(path: Path, repeats: int, ok: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = runner.invoke(app, ["validate", str(path)])
        times.append(time.perf_counter() - started)
        assert result.exit_code == ok, result.output
    return statistics.median(times)


def as_process(args: list[str], repeats: int, ok: int, cwd: Path) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "workload_sim", *args], capture_output=True, cwd=cwd
        )
        times.append(time.perf_counter() - started)
        assert done.returncode == ok, done.stderr
    return statistics.median(times)


def corpus(folder: Path) -> list[float]:
    done = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "hostile" / "drive.py"), str(folder), "--in-process"],
        capture_output=True,
        text=True,
    )
    return [json.loads(line)["seconds"] for line in done.stdout.splitlines()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--no-corpus", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        here = Path(tmp)
        base = in_process(DEFAULT, args.repeats, 0)
        print(f"in process: validate the default scenario  median {base:.3f} s (baseline)")
        for name, path in _bad_files(here).items():
            took = in_process(path, args.repeats, 2)
            print(f"  {name:<15} refused  median {took:.3f} s  ratio {took / base:.2f}x  (<= 1)")
        start = as_process(["validate", str(DEFAULT)], args.repeats, 0, here)
        print(f"as a process: validate the default scenario  median {start:.3f} s (baseline)")
        sched = [
            "run", str(DEFAULT), "--reps", "2", "--days", "20", "--backend", "dask",
            "--scheduler", "tcp://host:8786", "--out", str(here / "unreachable"),
        ]  # fmt: skip
        took = as_process(sched, args.repeats, 2, here)
        ratio = took / start
        print(f"  unreachable scheduler refused  median {took:.3f} s  ratio {ratio:.2f}x (<= 3)")
        if not args.no_corpus:
            seconds = corpus(here / "corpus")
            print(
                f"hostile corpus, {len(seconds)} cases in one process: mean"
                f" {statistics.mean(seconds):.3f} s ({statistics.mean(seconds) / base:.2f}x),"
                f" slowest {max(seconds):.3f} s ({max(seconds) / base:.2f}x, <= 10x),"
                f" all {sum(seconds):.1f} s"
            )


if __name__ == "__main__":
    main()
