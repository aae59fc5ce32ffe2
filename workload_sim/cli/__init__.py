"""The command line: ``workload-sim COMMAND`` (or ``python -m workload_sim``, ``python run.py``).

One module per command group: ``run`` (the app, shared options, validate, assumptions, run,
report, evidence) and ``experiments`` (compare, sweep, staffing).
"""

from __future__ import annotations

from . import experiments  # noqa: F401  (registers compare, sweep and staffing)
from .run import app, main

__all__ = ["app", "main"]
