"""Runs the hostile corpus and classifies each case.

    python tests/hostile/drive.py OUTDIR             # one subprocess per case (for measuring)
    python tests/hostile/drive.py OUTDIR --in-process  # all cases in this process (the test)

Each case is "refused" (exit 2, at most 3 lines, no traceback), "accepted"
(exit 0), "traceback" (any other exit, or a traceback in the output) or "hang"
(over the time limit or killed for memory). Prints one JSON line per case.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from corpus import ROOT, build  # noqa: E402

SECONDS = 20
MEMORY = 2 * 1024**3


def classify(code: int | None, output: str) -> str:
    if code is None:
        return "hang"
    if "Traceback" in output or code not in (0, 2):
        return "traceback"
    if code == 0:
        return "accepted"
    return "refused" if len(output.strip().splitlines()) <= 3 else "long"


def limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def run_isolated(root: Path, args: list[str]) -> tuple[int | None, str, float]:
    started = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, str(ROOT / "run.py"), *args],
            cwd=root,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=SECONDS,
            preexec_fn=limit_memory,
        )
    except subprocess.TimeoutExpired:
        return None, "", time.perf_counter() - started
    code = proc.returncode
    if code < 0 or (code == 1 and "MemoryError" in proc.stderr):
        return None, proc.stderr[-300:], time.perf_counter() - started
    return code, proc.stdout + proc.stderr, time.perf_counter() - started


class _Overtime(BaseException):
    """Raised by the alarm; a BaseException so no ``except Exception`` swallows it."""


def _alarm(*_):
    raise _Overtime


def run_in_process(args: list[str]) -> tuple[int | None, str, float]:
    from typer.testing import CliRunner

    from workload_sim.cli import app

    started = time.perf_counter()
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(SECONDS)
    try:
        result = CliRunner().invoke(app, args, catch_exceptions=True)
    except (_Overtime, MemoryError):
        return None, "", time.perf_counter() - started
    finally:
        signal.alarm(0)
    output = result.output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        if isinstance(result.exception, (_Overtime, MemoryError)):
            return None, "", time.perf_counter() - started
        output += f"\nTraceback: {type(result.exception).__name__}: {result.exception}"
    return result.exit_code, output, time.perf_counter() - started


def main() -> None:
    root = Path(sys.argv[1]).resolve()
    in_process = "--in-process" in sys.argv
    cases = build(root)
    os.chdir(root)
    if in_process:
        limit_memory()
    for case in cases:
        if in_process:
            code, output, seconds = run_in_process(case.args)
        else:
            code, output, seconds = run_isolated(root, case.args)
        verdict = classify(code, output)
        line = {"case": case.name, "verdict": verdict, "code": code, "seconds": round(seconds, 2)}
        line["first"] = (output.strip().splitlines() or [""])[0][:300]
        line["output"] = output.strip()[-400:]
        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
