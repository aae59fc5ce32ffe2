"""workload_sim: discrete-event simulation of social work team workload.

Quick use::

    import workload_sim
    res = workload_sim.run("scenarios/adult_safeguarding_team.yaml", reps=10, seed=1)
    res.summary        # one row per metric with 95% confidence intervals
    res.timeseries     # one row per (rep, working day)
"""

from __future__ import annotations

__version__ = "0.1.0"

from pathlib import Path  # noqa: E402

from .experiment import Results, run_replications  # noqa: E402
from .loading import ScenarioError, load_scenario  # noqa: E402
from .scenario import Scenario  # noqa: E402


def run(
    scenario: str | Path | dict | Scenario,
    reps: int | None = None,
    seed: int | None = None,
    days: int | None = None,
    overrides: list[str] | None = None,
) -> Results:
    """Run a scenario (file path, mapping or Scenario) and return its tables as DataFrames.

    ``days`` replaces the horizon (working days after warm-up); ``overrides``
    are ``"field.path=value"`` strings, as ``--set`` on the command line.
    """
    overrides = list(overrides or [])
    if days is not None:
        overrides.append(f"horizon_days={days}")
    return run_replications(load_scenario(scenario, overrides), reps=reps, seed=seed)


__all__ = ["Results", "Scenario", "ScenarioError", "load_scenario", "run", "__version__"]
