"""Shared helpers: scenario paths, small runs, queueing theory."""

from __future__ import annotations

import os
from math import factorial
from pathlib import Path

import pytest
from hypothesis import settings

# Hypothesis draws the same examples on every run, in CI and locally: a failure
# reproduces as it was seen, and the suite's running time is fixed. Each property test
# sets its own number of examples (max_examples; 100 where it does not); no deadline,
# so a loaded machine cannot fail an example for being slow. To look for new failures,
# draw fresh examples: HYPOTHESIS_PROFILE=explore pytest ...
settings.register_profile(
    "ci", derandomize=True, database=None, deadline=None, max_examples=100, print_blob=True
)
settings.register_profile("explore", deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
DEFAULT = SCENARIOS / "adult_safeguarding_team.yaml"
MMC = SCENARIOS / "validation" / "mmc.yaml"


def erlang_c_wait(lam: float, mu: float, c: int) -> float:
    """Mean wait in queue of M/M/c (Erlang C)."""
    a = lam / mu
    rho = a / c
    assert rho < 1, "unstable queue"
    top = a**c / factorial(c) / (1 - rho)
    p_wait = top / (sum(a**k / factorial(k) for k in range(c)) + top)
    return p_wait / (c * mu - lam)


@pytest.fixture(scope="session")
def default_small():
    """The default scenario, 4 replications of a short year: shared by cheap tests."""
    import workload_sim

    return workload_sim.run(DEFAULT, reps=4, days=120)


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory):
    """One folder written by the CLI's run command, shared by the output and report tests."""
    from typer.testing import CliRunner

    from workload_sim.cli import app

    out = tmp_path_factory.mktemp("run") / "out"
    args = [
        "run",
        str(DEFAULT),
        "--reps",
        "3",
        "--seed",
        "5",
        "--days",
        "40",
        "--out",
        str(out),
        "--set",
        "team.permanent=8",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def browser():
    """One headless Debian chromium per test module (tests/chromium.py skips without it)."""
    from .chromium import CHROMIUM, sync_api

    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield b
        b.close()
