"""The command line starts without the heavy libraries: --version and --help import neither
pandas, scipy nor plotly (nor the model), so they answer at once. Not a timing test: what is
imported is counted, in a fresh interpreter (timing lives in benchmarks/bench_startup.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pandas", "scipy", "plotly", "numpy", "simpy", "pydantic")

PROBE = """
import json, sys
import workload_sim.cli
sys.argv = ["workload-sim", *{args!r}]
code = 0
try:
    workload_sim.cli.main()
except SystemExit as exc:
    code = exc.code
print(json.dumps({{"code": code, "loaded": sorted(m for m in {heavy!r} if m in sys.modules)}}))
"""


def _probe(args: list[str]) -> tuple[dict, str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=args, heavy=HEAVY)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    *printed, last = done.stdout.strip().splitlines()
    return json.loads(last), "\n".join(printed)


def test_importing_the_command_line_loads_no_heavy_library():
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sys, workload_sim, workload_sim.cli; "
            f"print([m for m in {HEAVY!r} if m in sys.modules])",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


@pytest.mark.parametrize("args", [["--version"], ["--help"]])
def test_version_and_help_load_no_heavy_library(args):
    result, printed = _probe(args)
    assert result["code"] in (0, None)
    assert result["loaded"] == [], f"{args} imported {result['loaded']}"
    assert "workload-sim" in printed or "Usage" in printed


def test_the_version_printed_is_the_packages():
    import workload_sim

    result, printed = _probe(["--version"])
    assert printed.strip() == f"workload-sim {workload_sim.__version__}"


def test_public_names_still_import_from_the_package():
    """The package's names load on first use (PEP 562), and are the modules' own."""
    import workload_sim
    from workload_sim.experiments.replications import Results, run_replications
    from workload_sim.scenario import Scenario
    from workload_sim.scenario.loading import ScenarioError, load_scenario
    from workload_sim.theory.team_load import LoadCheck, compare_with_simulation

    assert workload_sim.Results is Results
    assert workload_sim.run_replications is run_replications
    assert workload_sim.Scenario is Scenario
    assert workload_sim.ScenarioError is ScenarioError
    assert workload_sim.load_scenario is load_scenario
    assert workload_sim.LoadCheck is LoadCheck
    assert workload_sim.compare_with_simulation is compare_with_simulation
    assert set(workload_sim.__all__) <= set(dir(workload_sim))
    with pytest.raises(AttributeError):
        workload_sim.no_such_name  # noqa: B018


def test_calibrates_default_in_help_is_the_models():
    from workload_sim.cli.calibrate import DEFAULT_MAX_EVALUATIONS
    from workload_sim.experiments.calibration import DEFAULT_MAX_EVALUATIONS as model_default

    assert DEFAULT_MAX_EVALUATIONS == model_default


EVERY_HELP = """
import json, sys
from typer.main import get_command
from typer.testing import CliRunner
from workload_sim.cli import app
runner = CliRunner()
names = sorted(get_command(app).commands)
seen = {}
for name in names:
    result = runner.invoke(app, [name, "--help"])
    seen[name] = [result.exit_code, sorted(m for m in ("pandas", "scipy", "plotly")
                                         if m in sys.modules)]
print(json.dumps(seen))
"""


def test_every_commands_help_works_without_pandas_scipy_or_plotly():
    done = subprocess.run(
        [sys.executable, "-c", EVERY_HELP], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert {"run", "sweep", "staffing", "calibrate", "compare", "validate"} <= set(seen)
    for name, (code, loaded) in seen.items():
        assert code == 0, f"{name} --help exited {code}"
        assert loaded == [], f"{name} --help imported {loaded}"


def test_the_help_states_the_packs_real_default():
    from workload_sim.cli.run import EVIDENCE_CASE_REPS
    from workload_sim.report.evidence import CASE_REPS

    assert EVIDENCE_CASE_REPS == CASE_REPS
