"""The command line: ``workload-sim COMMAND`` (or ``python -m workload_sim``, ``python run.py``).

One module per command group: ``run`` (the app, validate, assumptions, run,
report, evidence), ``experiments`` (compare), ``sweep``, ``staffing``, ``calibrate``,
``discover`` (scenario discovery on a sweep),
``app`` (the team leader's page in a browser), ``records`` (import a team's records,
export a run's history as records) and ``backtest`` (would the model have predicted what the
records show?); the options they share are in ``options``, the
behaviour they share in ``common``.

A command module imports only typer and the light modules here at its top, and the model
(pandas, scipy, plotly, numpy, pydantic) inside the command that uses it, so that
``--version`` and ``--help`` answer at once (tests/test_startup.py checks every command's
``--help``).
"""

from __future__ import annotations

from . import app as _app_command  # noqa: F401
from . import (  # noqa: F401  (register their commands)
    backtest,
    calibrate,
    discover,
    experiments,
    records,
    staffing,
    sweep,
)
from .run import app, main

__all__ = ["app", "main"]
