"""Where tasks run: serially, on a local process pool, or on a Dask cluster.

Every backend takes a list of tasks and yields their results as they finish, in
whatever order. Results depend only on each task's (scenario, rep, seed), never
on the backend or the number of workers, so any backend gives the same tables.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

from .tasks import Task, TaskResult, run_task

BACKENDS = ("serial", "process", "dask")


class Backend:
    name = "serial"
    workers = 1

    def run(self, tasks: Iterable[Task]) -> Iterator[TaskResult]:
        for task in tasks:
            yield run_task(task)

    def close(self) -> None:
        """Release workers (nothing to do for serial)."""

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class ProcessBackend(Backend):
    """A pool of local processes; at most ``2 x workers`` tasks in flight at once."""

    name = "process"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1
        self._pool = ProcessPoolExecutor(max_workers=self.workers)

    def run(self, tasks: Iterable[Task]) -> Iterator[TaskResult]:
        todo = iter(tasks)
        running = set()
        for task in todo:
            running.add(self._pool.submit(run_task, task))
            if len(running) >= 2 * self.workers:
                break
        while running:
            done, running = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                yield future.result()
                nxt = next(todo, None)
                if nxt is not None:
                    running.add(self._pool.submit(run_task, nxt))

    def close(self) -> None:
        self._pool.shutdown(cancel_futures=True)


class DaskBackend(Backend):
    """Dask distributed: a LocalCluster of processes, or an existing scheduler."""

    name = "dask"

    def __init__(self, workers: int | None = None, scheduler: str | None = None) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise RuntimeError(
                "the dask backend needs dask[distributed]: pip install -e '.[dask]'"
            ) from exc
        self._cluster = None
        if scheduler:
            self._client = Client(scheduler)
        else:
            n = workers or os.cpu_count() or 1
            self._cluster = LocalCluster(
                n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None
            )
            self._client = Client(self._cluster)
        self.workers = len(self._client.scheduler_info().get("workers", {})) or (workers or 1)

    def run(self, tasks: Iterable[Task]) -> Iterator[TaskResult]:
        from distributed import as_completed

        futures = self._client.map(run_task, list(tasks), pure=False)
        for future in as_completed(futures):
            yield future.result()
            future.release()  # the driver keeps what it needs; the cluster need not

    def close(self) -> None:
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()


def make_backend(
    name: str = "serial", workers: int | None = None, scheduler: str | None = None
) -> Backend:
    if scheduler and name != "dask":
        name = "dask"
    if name == "serial":
        return Backend()
    if name == "process":
        return ProcessBackend(workers)
    if name == "dask":
        return DaskBackend(workers, scheduler)
    raise ValueError(f"unknown backend {name!r}; use one of {', '.join(BACKENDS)}")
