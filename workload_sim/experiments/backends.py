"""Where tasks run: serially, on a local process pool, or on a Dask cluster.

Every backend takes a list of tasks and yields their results as they finish, in
whatever order. Results depend only on each task's (scenario, rep, seed), never
on the backend or the number of workers, so any backend gives the same tables.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

from ..scenario import Scenario
from ..scenario.loading import resolved_dict
from .tasks import (
    Changes,
    PointTask,
    Task,
    TaskResult,
    run_point_task,
    run_task,
    scenario_changes,
    with_changes,
)

BACKENDS = ("serial", "process", "dask")
CONNECT_SECONDS = 5  # an unreachable scheduler is reported after this long, not dask's 30 s
DASK_WINDOW = 256  # tasks submitted ahead of the results (at least 4 per worker)
HANDSHAKE_SECONDS = 5  # a service that does not greet as a Dask scheduler within this long
POLL_SECONDS = 1.0  # how often the cluster's workers are counted while results are awaited
FETCH_SECONDS = 30.0  # one try at fetching a finished result (large tables take time)
WORKERS_GONE_SECONDS = 60.0  # no worker at all for this long mid-run: stop (--resume later)
FIRST_WORKER_SECONDS = 600.0  # a scheduler whose workers are still queued is waited for


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity, which containers and
    ``taskset`` narrow), not the machine's count."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - platforms without affinity
        return os.cpu_count() or 1


class BackendError(RuntimeError):
    """A backend that cannot start (no dask installed, an unreachable scheduler); one line."""


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


def _exit_with_parent(parent: int) -> None:
    """Pool initializer: a worker whose parent has died (``kill -9`` of the command) exits
    within a second instead of running on for minutes."""

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


class ProcessBackend(Backend):
    """A pool of local processes; at most ``2 x workers`` tasks in flight at once."""

    name = "process"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or available_cores()
        self._pool = ProcessPoolExecutor(
            max_workers=self.workers, initializer=_exit_with_parent, initargs=(os.getpid(),)
        )

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
        except ImportError:  # pragma: no cover - depends on the install
            raise BackendError(
                "--backend dask: needs dask[distributed]; install it with pip install -e '.[dask]'"
            ) from None
        self._cluster = None
        self.address = scheduler or "a local Dask cluster"
        self.flag = f"--scheduler {scheduler}" if scheduler else "--backend dask"
        if scheduler:
            _quiet_client_logs()
            self._client = _connect(Client, scheduler)
        else:
            n = workers or available_cores()
            self._cluster = LocalCluster(
                n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None
            )
            self._client = Client(self._cluster)
        self.workers = _worker_count(self._client) or (workers or 1)

    def run(self, tasks: Iterable[Task]) -> Iterator[TaskResult]:
        """Submit tasks as they are wanted, at most a window ahead of the results (a
        billion replications are never all made, or all sent to the scheduler, at once).

        A cluster without a worker yet is waited for (``workload-sim.first-worker`` in
        Dask's config, 10 minutes by default); one that loses every worker for longer than
        ``workload-sim.workers-gone`` (60 s), or its scheduler, stops with a one-line
        :class:`BackendError`: what finished is saved by then, so ``--resume`` completes it."""
        import itertools

        from distributed import as_completed

        todo = iter(tasks)
        first = next(todo, None)
        if first is None:
            return
        self._wait_for_a_worker()
        submit = self._submitter(first.scenario)
        ahead = itertools.islice(todo, max(DASK_WINDOW, 4 * self.workers) - 1)
        queue = as_completed([submit(t) for t in itertools.chain([first], ahead)])
        watch = _Watch(self)
        while not queue.is_empty():
            if not queue.has_ready():
                watch.check()  # no worker at all, for too long: stop
                time.sleep(0.05)
                continue
            future = next(queue)
            try:
                result = self._result(future, watch)
            except BackendError:
                raise
            except Exception as exc:  # noqa: BLE001 - a task's own errors come back as results
                # so this is the cluster: its last worker lost, the scheduler gone
                reason = (str(exc).splitlines() or [""])[0][:160]
                raise BackendError(
                    f"{self.flag}: the Dask cluster stopped running tasks "
                    f"({type(exc).__name__}: {reason}; "
                    "its workers may all be gone)"
                ) from None
            yield result
            future.release()  # the driver keeps what it needs; the cluster need not
            nxt = next(todo, None)
            if nxt is not None:
                queue.add(submit(nxt))

    def _result(self, future, watch: _Watch) -> TaskResult:
        """A future's result; one whose worker has just gone is recomputed, meanwhile the
        workers are counted (none for too long: a BackendError)."""
        import asyncio  # here, not at the top: the CLI starts without it

        while True:
            try:
                return future.result(timeout=FETCH_SECONDS)
            except (TimeoutError, asyncio.TimeoutError):  # distinct before Python 3.11
                watch.check()

    def _wait_for_a_worker(self) -> None:
        """A scheduler without workers yet (a batch job still queued) is waited for, up
        to ``workload-sim.first-worker`` (10 minutes by default), saying so."""
        if _worker_count(self._client):
            return
        limit = _setting("first-worker", FIRST_WORKER_SECONDS)
        sys.stderr.write(
            f"waiting up to {limit:.0f} s for a worker to join the Dask scheduler at "
            f"{self.address}\n"
        )
        sys.stderr.flush()
        try:
            self._client.wait_for_workers(1, timeout=limit)
        except Exception:  # noqa: BLE001 - a timeout, or the scheduler gone
            raise BackendError(
                f"{self.flag}: no worker joined the Dask scheduler in {limit:.0f} s; start "
                f"workers ('dask worker {self.address}', or your job queue's)"
            ) from None

    def _submitter(self, base: Scenario):
        """A function submitting one task: the base scenario goes to every worker once
        (scattered); each task carries only its changes from it."""
        sent = self._client.scatter(base, broadcast=True, hash=False)
        convert = point_converter(base)

        def submit(task: Task):
            t = convert(task)
            if isinstance(t, Task):
                return self._client.submit(run_task, t, pure=False)
            return self._client.submit(run_point_task, sent, t, pure=False)

        return submit

    def payloads(self, tasks: list[Task]) -> list[tuple]:
        """(function, arguments) to submit per task: the first task's scenario goes to
        every worker once (scattered); each task carries only its changes from it."""
        if not tasks:
            return []
        base = tasks[0].scenario
        sent = self._client.scatter(base, broadcast=True, hash=False)
        return [
            (run_task, (t,)) if isinstance(t, Task) else (run_point_task, (sent, t))
            for t in as_point_tasks(base, tasks)
        ]

    def close(self) -> None:
        _safe(lambda: self._client.close(timeout=CONNECT_SECONDS), None)
        if self._cluster is not None:
            self._cluster.close()


def _setting(name: str, default: float) -> float:
    """A duration from Dask's config (``workload-sim.<name>``: YAML, or an environment
    variable such as ``DASK_WORKLOAD_SIM__WORKERS_GONE=30s``), else ``default``."""
    import dask.config
    from dask.utils import parse_timedelta

    try:
        value = dask.config.get(f"workload-sim.{name}", default=None)
        return float(parse_timedelta(value, default="seconds")) if value else default
    except (TypeError, ValueError, KeyError):
        return default


class _Watch:
    """Counts the cluster's workers every few seconds while results are awaited; none (or
    no scheduler) for longer than ``workload-sim.workers-gone`` raises BackendError."""

    def __init__(self, backend: DaskBackend) -> None:
        self.backend = backend
        self.limit = _setting("workers-gone", WORKERS_GONE_SECONDS)
        self.none_since: float | None = None
        self.checked = 0.0

    def check(self) -> None:
        now = time.monotonic()
        if now - self.checked < 2 * POLL_SECONDS:
            return
        self.checked = now
        client = self.backend._client
        running = _running(client)
        if running and _worker_count(client):
            self.none_since = None
            return
        self.none_since = self.none_since or now
        if now - self.none_since >= self.limit:
            what = (
                f"every Dask worker has gone (none for {self.limit:.0f} s)"
                if running
                else f"the Dask scheduler has not answered for {self.limit:.0f} s"
            )
            raise BackendError(
                f"{self.backend.flag}: the Dask cluster stopped running tasks: {what}"
            )


def _running(client) -> bool:
    """Whether the client is still connected to its scheduler (not reconnecting, closed)."""
    status = getattr(client, "status", "running")
    return getattr(status, "name", status) == "running"


def _worker_count(client) -> int:
    """Workers connected to the client's scheduler now (0 when it cannot be asked)."""

    def ask():
        try:
            info = client.scheduler_info(n_workers=0)  # totals only, where supported
        except TypeError:  # older distributed
            info = client.scheduler_info()
        return int(info.get("n_workers", len(info.get("workers", {}))))

    return _safe(ask, 0)


def _safe(fn, default):
    try:
        return fn()
    except Exception:  # noqa: BLE001 - a cluster that is going away answers oddly
        return default


def _quiet_client_logs() -> None:
    """The client's own log lines (reconnecting, a lost worker) would bury the one line
    this command prints about them."""
    import logging

    for name in (
        "distributed.client",
        "distributed.core",
        "distributed.comm",
        "distributed.batched",
    ):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def _connect(client_class, scheduler: str):
    """A client of a running scheduler, or a one-line BackendError within CONNECT_SECONDS.

    Nothing is left behind on failure: the half-made client is closed, so the same command
    can simply be run again once the scheduler is up."""
    problem = _not_dask(scheduler)
    if problem:
        raise BackendError(
            f"--scheduler {scheduler}: {problem}; give the address of a Dask scheduler "
            "(tcp://host:8786 by default; 8787 is its dashboard), or leave out --scheduler "
            "to run on this machine"
        )
    try:
        client = client_class(scheduler, timeout=f"{CONNECT_SECONDS}s")
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if len(reason) > 160:
            reason = reason[:157] + "..."
        if "Worker.identity" in reason or "Nanny.identity" in reason:
            raise BackendError(
                f"--scheduler {scheduler}: that is a Dask worker's address, not the "
                "scheduler's; give the address 'dask scheduler' prints as 'Scheduler at:' "
                "(tcp://host:8786 by default), or leave out --scheduler to run on this machine"
            ) from None
        raise BackendError(
            f"--scheduler {scheduler}: no Dask scheduler answered within {CONNECT_SECONDS} s "
            f"({reason}); start one ('dask scheduler'), check the address (tcp://host:port), "
            "or leave out --scheduler to run on this machine"
        ) from None
    kind = _safe(lambda: client.scheduler_info().get("type", "Scheduler"), "Scheduler")
    if kind != "Scheduler":  # a worker's or a nanny's address
        _safe(lambda: client.close(timeout=CONNECT_SECONDS), None)
        raise BackendError(
            f"--scheduler {scheduler}: that is a Dask {kind.lower()}'s address, not the "
            "scheduler's; give the address 'dask scheduler' prints as 'Scheduler at:' "
            "(tcp://host:8786 by default), or leave out --scheduler to run on this machine"
        )
    return client


def _not_dask(scheduler: str) -> str | None:
    """Why the service at a tcp:// address is not a Dask scheduler (None if it greets as
    one, or the address is not plain TCP, or nothing listens: the client says that).

    A Dask scheduler speaks first: on accepting a connection it sends its handshake, one
    length-prefixed message naming its compression, Python and pickle protocol. A web
    server waits for a request and a silent port says nothing, so both are found within
    HANDSHAKE_SECONDS instead of hanging or reading HTTP as a message length."""
    import socket
    from urllib.parse import urlsplit

    address = scheduler if "://" in scheduler else f"tcp://{scheduler}"
    try:
        parts = urlsplit(address)
        host, port = parts.hostname, parts.port
    except ValueError:
        return None  # the client's own parsing reports a bad address
    if parts.scheme != "tcp" or not host or not port:
        return None
    try:
        conn = socket.create_connection((host, port), timeout=HANDSHAKE_SECONDS)
    except OSError:
        return None  # nothing listening: the client's message says so
    data = b""
    deadline = time.monotonic() + HANDSHAKE_SECONDS
    with conn:
        while len(data) < 4096 and b"pickle-protocol" not in data:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            conn.settimeout(left)
            try:
                chunk = conn.recv(4096)
            except OSError:  # a timeout, or a reset
                break
            if not chunk:
                break
            data += chunk
    if b"pickle-protocol" in data and int.from_bytes(data[:8], "little") < 1 << 20:
        return None
    if not data:
        return (
            f"something listens there but sent nothing in {HANDSHAKE_SECONDS} s; a Dask "
            "scheduler greets every connection at once"
        )
    if data[:5] == b"HTTP/" or b"<html" in data[:4096].lower():
        return "a web (HTTP) service answered, not a Dask scheduler"
    return "the service there does not speak Dask's protocol"


def point_converter(base: Scenario):
    """A function giving each task as its changes from ``base``, worked out and checked
    once per scenario.

    A scenario that its changes would not rebuild exactly (equal field by field, in
    the same order) travels whole instead, so a task never runs on a scenario other than its own."""
    base_data = resolved_dict(base)
    known: dict[int, tuple[Scenario, Changes | None]] = {}  # the scenario kept: ids stay unique

    def convert(t: Task) -> PointTask | Task:
        key = id(t.scenario)
        if key not in known:
            diff = scenario_changes(base, t.scenario, base_data)
            rebuilt = with_changes(base, diff, base_data)
            # equal field by field, and every mapping in the same order (draws follow it)
            same = rebuilt == t.scenario and json.dumps(resolved_dict(rebuilt)) == json.dumps(
                resolved_dict(t.scenario)
            )
            known[key] = (t.scenario, diff if same else None)
        diff = known[key][1]
        return t if diff is None else PointTask(diff, t.point, t.rep, t.seed, t.tables)

    return convert


def as_point_tasks(base: Scenario, tasks: list[Task]) -> list[PointTask | Task]:
    """Each task as its changes from ``base`` (see :func:`point_converter`)."""
    convert = point_converter(base)
    return [convert(t) for t in tasks]


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
