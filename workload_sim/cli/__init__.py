"""The command line: ``workload-sim COMMAND`` (or ``python -m workload_sim``, ``python run.py``).

One module per command group: ``run`` (the app, shared options, validate, assumptions, run,
report, evidence), ``experiments`` (compare, staffing) and ``sweep``.
"""

from __future__ import annotations

from . import experiments, sweep  # noqa: F401  (register compare, staffing and sweep)
from .run import app, main

__all__ = ["app", "main"]
