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

from .experiments.replications import Results, run_replications  # noqa: E402
from .scenario import Scenario  # noqa: E402
from .scenario.loading import ScenarioError, load_scenario  # noqa: E402


def run(
    scenario: str | Path | dict | Scenario,
    reps: int | None = None,
    seed: int | None = None,
    days: int | None = None,
    overrides: list[str] | None = None,
    backend: str = "serial",
    workers: int | None = None,
) -> Results:
    """Run a scenario (file path, mapping or Scenario) and return its tables as DataFrames.

    ``days`` replaces the horizon (working days after warm-up); ``overrides``
    are ``"field.path=value"`` strings, as ``--set`` on the command line;
    ``backend`` is "serial", "process" or "dask" (same results on each).
    """
    from .experiments.backends import make_backend

    overrides = list(overrides or [])
    if days is not None:
        overrides.append(f"horizon_days={days}")
    sc = load_scenario(scenario, overrides)
    with make_backend(backend, workers) as pool:
        return run_replications(sc, reps=reps, seed=seed, backend=pool)


def evaluate(
    scenario: str | Path | dict | Scenario,
    reps: int = 5,
    seed: int | None = None,
    **overrides,
) -> dict[str, float]:
    """Outcome metrics (means across replications) of a scenario with fields overridden.

    Field paths use double underscores for dots, so any tool that calls a plain
    function (EMA Workbench, SALib, a notebook) can drive the model::

        workload_sim.evaluate("scenarios/adult_safeguarding_team.yaml",
                              team__permanent=8, demand__referrals_per_week=35)
        # {'wait_to_allocation_days': 4.1, 'unallocated_mean': 12.3, ...}

    Every call with the same seed uses the same random numbers, so two calls
    differ only by the overrides.
    """
    sets = [f"{key.replace('__', '.')}={_text(value)}" for key, value in overrides.items()]
    res = run_replications(load_scenario(scenario, sets), reps=reps, seed=seed)
    return {row.metric: float(row.mean) for row in res.summary.itertuples()}


def _text(value) -> str:
    import json

    return json.dumps(value) if isinstance(value, (dict, list, bool)) else str(value)


__all__ = [
    "Results",
    "Scenario",
    "ScenarioError",
    "evaluate",
    "load_scenario",
    "run",
    "__version__",
]
