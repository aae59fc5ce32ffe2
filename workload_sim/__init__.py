"""workload_sim: discrete-event simulation of social work team workload.

Quick use::

    import workload_sim
    res = workload_sim.run("scenarios/adult_safeguarding_team.yaml", reps=10, seed=1)
    res.summary        # one row per metric with 95% confidence intervals
    res.timeseries     # one row per (rep, working day)
"""

from __future__ import annotations

__version__ = "0.1.0"

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported when first used (below), so the command line starts fast
    from .experiments.replications import Results
    from .scenario import Scenario
    from .theory.team_load import LoadCheck

# The public names, each imported from its module when first asked for (PEP 562): pandas,
# scipy and plotly load only when a simulation or a table needs them.
_LAZY = {
    "Results": "experiments.replications",
    "run_replications": "experiments.replications",
    "Scenario": "scenario",
    "ScenarioError": "scenario.loading",
    "load_scenario": "scenario.loading",
    "LoadCheck": "theory.team_load",
    "compare_with_simulation": "theory.team_load",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


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
    from .experiments.replications import run_replications
    from .scenario.loading import load_scenario

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
    from .experiments.replications import run_replications
    from .scenario.loading import load_scenario

    sets = [f"{key.replace('__', '.')}={_text(value)}" for key, value in overrides.items()]
    res = run_replications(load_scenario(scenario, sets), reps=reps, seed=seed)
    return {row.metric: float(row.mean) for row in res.summary.itertuples()}


def load_check(
    scenario: str | Path | dict | Scenario, overrides: list[str] | None = None
) -> LoadCheck:
    """The load check of a scenario, from the scenario alone (no simulation)::

        check = workload_sim.load_check("scenarios/adult_safeguarding_team.yaml")
        check.sentence()   # "The team's case work needs 45.9 h a day; it has 43.4 h: ..."
        check.load_contract, check.load_with_overtime, check.load_caseload

    Raises :class:`ScenarioError` for a bad scenario, or one whose branches loop
    without end (infinite expected visits).
    """
    from .scenario.loading import load_scenario
    from .theory.team_load import load_check as _check

    return _check(load_scenario(scenario, list(overrides or [])))


def _text(value) -> str:
    import json

    return json.dumps(value) if isinstance(value, (dict, list, bool)) else str(value)


__all__ = [
    "Results",
    "Scenario",
    "ScenarioError",
    "LoadCheck",
    "compare_with_simulation",
    "evaluate",
    "load_check",
    "load_scenario",
    "run",
    "__version__",
]
