"""Where tasks run: serially, on a local process pool, or on a Dask cluster.

Every backend takes a list of tasks and yields their results as they finish, in
whatever order. Results depend only on each task's (scenario, rep, seed), never
on the backend or the number of workers, so any backend gives the same tables.
"""

from __future__ import annotations

import json
import os
import queue
import struct
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
CONNECT_SECONDS = 5  # an unreachable or silent scheduler is reported after this long each
# (to connect, then to be greeted), not dask's 30 s or never


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
        self.workers = workers or os.cpu_count() or 1
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
    address = "a local Dask cluster"
    flag = "--backend dask"

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
            n = workers or os.cpu_count() or 1
            self._cluster = LocalCluster(
                n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None
            )
            self._client = Client(self._cluster)
        self.workers = _worker_count(self._client) or (workers or 1)

    def run(self, tasks: Iterable[Task]) -> Iterator[TaskResult]:
        """Results as they finish. A cluster that loses every worker (for longer than
        ``workload-sim.workers-gone`` in Dask's config, 60 s by default), its scheduler,
        or the work itself stops with a one-line :class:`ClusterLost`; what finished is
        already saved by then, so ``--resume`` completes the run."""
        tasks = list(tasks)
        if not tasks:
            return
        self._wait_for_a_worker()
        finished: queue.SimpleQueue = queue.SimpleQueue()
        which = {}
        try:
            payloads = self.payloads(tasks)
            for task, (fn, args) in zip(tasks, payloads, strict=True):
                future = self._client.submit(fn, *args, pure=False)
                which[future.key] = task
                future.add_done_callback(finished.put)
        except ClusterLost:
            raise
        except Exception as exc:  # noqa: BLE001 - the scheduler went away while sending
            raise self._lost(f"sending the work failed ({_first_line(exc)})") from None
        watch = _Watch(self)
        left = len(which)
        while left:
            try:
                future = finished.get(timeout=POLL_SECONDS)
            except queue.Empty:
                watch.check()
                continue
            left -= 1
            result = self._result(future, which.get(future.key), watch)
            future.release()  # the driver keeps what it needs; the cluster need not
            yield result

    def _result(self, future, task: Task | None, watch: _Watch) -> TaskResult:
        """A finished future's result; anything else (a task that killed its workers, lost
        data, workers that cannot run the code) is a one-line ClusterLost."""
        import asyncio  # here, not at the top: the CLI starts without it

        where = f"point {task.point} replication {task.rep}" if task else "a task"
        if future.status == "finished":
            while True:  # fetched from its worker; if that worker has just gone, recomputed
                try:
                    return future.result(timeout=FETCH_SECONDS)
                except (TimeoutError, asyncio.TimeoutError):  # distinct before Python 3.11
                    watch.check()
                except Exception as exc:  # noqa: BLE001 - lost on the way back
                    raise self._lost(f"{where}: {_first_line(exc)}") from None
        if future.status == "cancelled":
            if not _running(self._client):
                why = "the scheduler stopped answering"
            elif _worker_count(self._client) == 0:
                why = "every worker has gone"
            else:
                why = "its input was on workers that left"
            raise self._lost(f"{where} was lost: {why}")
        exc = _safe(future.exception, None)
        kind = type(exc).__name__
        if kind == "KilledWorker":
            raise self._lost(
                f"{where} was running on every worker that died while running it (out of "
                "memory, or killed); give the workers more memory"
            )
        raise ClusterLost(
            f"{self.flag}: the Dask workers could not run {where} "
            f"({kind}: {_first_line(exc)}); every worker needs workload_sim installed, the "
            "same version as here (pip install -e . in the environment the workers run in)"
        )

    def _lost(self, what: str) -> ClusterLost:
        return ClusterLost(
            f"{self.flag}: {what}; the finished replications are saved: "
            "start workers and run the same command again with --resume {folder}"
        )

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
            raise ClusterLost(
                f"{self.flag}: no worker joined in {limit:.0f} s; start "
                f"workers ('dask worker {self.address}', or your job queue's) and run the "
                "same command again with --resume {folder}"
            ) from None

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


class ClusterLost(BackendError):
    """The cluster stopped doing the work mid-run: one line ending in what to run next.

    ``{folder}`` in the message is the run's folder, filled in by whoever knows it
    (:func:`~workload_sim.experiments.replications.execute`)."""

    def resume_in(self, folder) -> ClusterLost:
        text = str(self.args[0]) if self.args else "the cluster was lost"
        if folder is None:
            text = text.replace(" with --resume {folder}", "")
        return ClusterLost(text.replace("{folder}", str(folder)))


POLL_SECONDS = 1.0
FETCH_SECONDS = 30.0  # one try at fetching a finished result (large tables take time)
WORKERS_GONE_SECONDS = 60.0  # no worker at all for this long mid-run: stop (--resume later)
FIRST_WORKER_SECONDS = 600.0  # a scheduler whose workers are still queued is waited for


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
    """Counts the cluster's workers every few seconds while results are awaited; none for
    too long (or no scheduler) raises ClusterLost."""

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
            what = "worker" if running else "scheduler"
            raise self.backend._lost(
                f"every Dask {what} has gone (none for {self.limit:.0f} s)"
                if running
                else f"the Dask {what} has not answered for {self.limit:.0f} s"
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


def _first_line(exc: BaseException | None) -> str:
    text = str(exc).strip().splitlines()[0] if exc is not None and str(exc).strip() else ""
    text = text or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."


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


SCHEDULER_HELP = (
    "use the address 'dask scheduler' prints as 'Scheduler at:' (tcp://host:8786 by default; "
    "not the dashboard's port, 8787), or leave out --scheduler to run on this machine"
)


def _connect(client_class, scheduler: str):
    """A client of a running Dask scheduler, or a one-line BackendError within about
    2 x CONNECT_SECONDS: nothing listening, a silent port, a service that is not Dask,
    a worker's address instead of the scheduler's.

    Nothing is left behind on failure: the half-made client is closed, so the same command
    can simply be run again once the scheduler is up."""
    _check_greeting(scheduler)
    try:
        client = client_class(scheduler, timeout=f"{CONNECT_SECONDS}s")
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        reason = _first_line(exc)
        if "Worker.identity" in reason or "Nanny.identity" in reason:
            raise BackendError(
                f"--scheduler {scheduler}: that is a Dask worker's address, not the "
                f"scheduler's; {SCHEDULER_HELP}"
            ) from None
        raise BackendError(
            f"--scheduler {scheduler}: no Dask scheduler answered within {CONNECT_SECONDS} s "
            f"({reason}); start one ('dask scheduler'), check the address (tcp://host:port), "
            "or leave out --scheduler to run on this machine"
        ) from None
    kind = _safe(lambda: client.scheduler_info().get("type", "Scheduler"), "Scheduler")
    if kind != "Scheduler":
        _safe(lambda: client.close(timeout=CONNECT_SECONDS), None)
        raise BackendError(
            f"--scheduler {scheduler}: that is a Dask {kind.lower()}'s address, not the "
            f"scheduler's; {SCHEDULER_HELP}"
        )
    return client


def _check_greeting(scheduler: str) -> None:
    """For tcp:// addresses: a Dask scheduler greets a new connection at once with a small
    framed message; anything else (nothing listening, a silent port, a web server) is
    refused here, in one line, before Dask's client (which would wait for ever on a silent
    port, or try to allocate exabytes for a web server's reply) is started."""
    import socket

    try:
        from distributed.comm.addressing import parse_address, parse_host_port

        scheme, loc = parse_address(scheduler)
        if scheme != "tcp":
            return  # tls://, ucx://...: left to Dask's own connect, with its timeout
        host, port = parse_host_port(loc)
    except (ValueError, TypeError) as exc:
        raise BackendError(
            f"--scheduler {scheduler}: not an address ({_first_line(exc)}); give it as "
            "tcp://host:port, e.g. tcp://10.0.0.5:8786"
        ) from None
    try:
        addresses = _resolve(host, port)
    except OSError as exc:
        raise BackendError(
            f"--scheduler {scheduler}: cannot find the machine {host!r} ({_first_line(exc)}); "
            f"check the host name, or {SCHEDULER_HELP}"
        ) from None
    last: OSError | None = None
    for family, kind, proto, _, address in addresses:
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(CONNECT_SECONDS)
            try:
                sock.connect(address)
            except OSError as exc:
                last = exc
                continue
            _read_greeting(sock, scheduler)
            return
        finally:
            sock.close()
    why = "no answer" if isinstance(last, TimeoutError) else _first_line(last)
    raise BackendError(
        f"--scheduler {scheduler}: no Dask scheduler is listening there ({why}); start one "
        f"('dask scheduler'), check the address and any firewall between, or leave out "
        "--scheduler to run on this machine"
    )


def _resolve(host: str, port: int) -> list:
    """getaddrinfo, given at most CONNECT_SECONDS (it has no timeout of its own)."""
    import socket

    found: list = []
    failed: list = []

    def look() -> None:
        try:
            found.extend(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except OSError as exc:
            failed.append(exc)

    thread = threading.Thread(target=look, name="resolve-scheduler", daemon=True)
    thread.start()
    thread.join(CONNECT_SECONDS)
    if failed:
        raise failed[0]
    if not found:
        raise OSError(f"no address found within {CONNECT_SECONDS} s")
    return found


def _read_greeting(sock, scheduler: str) -> None:
    """The first bytes a Dask server sends: an 8-byte length, then msgpack frames naming
    the sender's compression, python and pickle-protocol."""
    deadline = time.monotonic() + CONNECT_SECONDS
    data = b""
    wanted = 8
    while len(data) < wanted:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = sock.recv(max(64, wanted - len(data)))
        except TimeoutError:
            if data:
                break  # a partial greeting, then silence
            raise BackendError(
                f"--scheduler {scheduler}: something there accepted the connection but "
                f"sent nothing in {CONNECT_SECONDS} s, where a Dask scheduler greets at once; "
                f"it is not a Dask scheduler (a web page or another service?); {SCHEDULER_HELP}"
            ) from None
        except OSError:
            break
        if not chunk:
            break
        data += chunk
        if wanted == 8 and len(data) >= 8:
            (size,) = struct.unpack("<Q", data[:8])
            if not 16 <= size <= 65_536:
                break
            wanted = 8 + size
    if len(data) >= wanted and b"pickle-protocol" in data:
        return
    shown = repr(data[:40].decode("latin-1").split("\r")[0].split("\n")[0]) if data else ""
    said = f"it sent {shown}" if data else "it closed the connection without a word"
    raise BackendError(
        f"--scheduler {scheduler}: the service there is not a Dask scheduler ({said}); "
        f"{SCHEDULER_HELP}"
    )


def as_point_tasks(base: Scenario, tasks: list[Task]) -> list[PointTask | Task]:
    """Each task as its changes from ``base``, worked out and checked once per scenario.

    A scenario that its changes would not rebuild exactly (equal field by field, in
    the same order) travels whole instead, so a task never runs on a scenario other than its own."""
    base_data = resolved_dict(base)
    changes: dict[int, Changes | None] = {}
    out: list[PointTask | Task] = []
    for t in tasks:
        key = id(t.scenario)
        if key not in changes:
            diff = scenario_changes(base, t.scenario, base_data)
            rebuilt = with_changes(base, diff, base_data)
            # equal field by field, and every mapping in the same order (draws follow it)
            same = rebuilt == t.scenario and json.dumps(resolved_dict(rebuilt)) == json.dumps(
                resolved_dict(t.scenario)
            )
            changes[key] = diff if same else None
        diff = changes[key]
        out.append(t if diff is None else PointTask(diff, t.point, t.rep, t.seed, t.tables))
    return out


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
