"""What every experiment command shares: the backend, progress bars and JSON logs."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..experiments.tasks import TaskResult


class Session:
    """Opens the backend, shows progress (or logs JSON lines), closes everything."""

    def __init__(
        self, backend: str, workers: int | None, scheduler: str | None, quiet: bool, log: str
    ) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        from ..experiments.backends import make_backend

        self.backend = make_backend(backend, workers, scheduler)
        self.log_json = log == "json"
        self.console = Console(stderr=True)
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=self.console,
            disable=quiet or self.log_json or not self.console.is_terminal,
        )
        self._started = time.perf_counter()
        self._done = 0

    def __enter__(self) -> Session:
        self.progress.start()
        self._log({"event": "start", "backend": self.backend.name, "workers": self.backend.workers})
        return self

    def __exit__(self, *exc) -> None:
        self.progress.stop()
        self.backend.close()

    def tracker(self, total: int | None, label: str, where: Path | None = None):
        """A callback for each finished task: advances the bar (tasks done of ``total``, time
        elapsed and left, and the folder being written), logs a line. ``total`` None: not
        known ahead (a search), so the bar counts without a time left."""
        shown = f"{label} ({self.backend.name} x{self.backend.workers})"
        if where is not None:
            shown += f" -> {where}/"
        from rich.markup import escape

        bar = self.progress.add_task(escape(shown), total=total)  # a folder named [x] is text
        self._log(
            {
                "event": "progress",
                "label": label,
                "total": total,
                "out": None if where is None else str(where),
            }
        )

        def on_result(res: TaskResult) -> None:
            self._done += 1
            self.progress.advance(bar)
            self._log(
                {
                    "event": "task",
                    "point": res.point,
                    "rep": res.rep,
                    "seed": res.seed,
                    "ok": res.ok,
                    "seconds": round(res.seconds, 4),
                    "error": res.error,
                }
            )

        return on_result

    def finish(self) -> None:
        self._log(
            {
                "event": "end",
                "tasks": self._done,
                "seconds": round(time.perf_counter() - self._started, 3),
            }
        )

    def _log(self, record: dict) -> None:
        if self.log_json:
            sys.stderr.write(json.dumps(record) + "\n")
            sys.stderr.flush()
