"""``--scheduler`` pointing at something that is not a Dask scheduler: one line, exit 2.

Before, a web server there gave an 83-line traceback (Dask read its reply as a message
length and tried to allocate exabytes) and a port that accepts and stays silent hung for
ever. Now the scheduler's greeting is checked first (a Dask scheduler greets a new
connection at once), so each gets one line naming the address and what to check, and no
folder is left behind. Each command runs as a user types it, a process of its own, with a
timeout that only guards against a hang (how long the refusal takes is not asserted: the
connect and greeting waits are 5 s each).
"""

from __future__ import annotations

import http.server
import os
import socket
import subprocess
import sys
import threading

import pytest

from .conftest import DEFAULT, ROOT

pytest.importorskip("distributed", reason="needs dask[distributed] (pip install -e '.[dask]')")

HANG_GUARD_S = 120


def _refused(address: str, tmp_path) -> str:
    """The command's stderr, checked: exit 2, one line, the address named, no folder."""
    out = tmp_path / "out"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    args = ["run", DEFAULT, "--reps", "2", "--days", "20", "--warmup-days", "5"]
    done = subprocess.run(
        [sys.executable, "-m", "workload_sim", *map(str, args), "--scheduler", address]
        + ["--out", str(out)],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD_S,
        env=env,
    )
    assert done.returncode == 2, done.stderr[-3000:]
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr[-3000:]
    assert lines[0].startswith(f"error: --scheduler {address}: "), lines[0]
    assert not out.exists()
    return lines[0]


@pytest.fixture
def listening():
    """Sockets and servers on free loopback ports, closed at the end."""
    closers = []

    def make(kind: str) -> str:
        if kind == "http":  # a web server (the dashboard, say): answers only when asked
            server = http.server.ThreadingHTTPServer(
                ("127.0.0.1", 0), http.server.BaseHTTPRequestHandler
            )
            threading.Thread(target=server.serve_forever, daemon=True).start()
            closers.append(server.shutdown)
            closers.append(server.server_close)
            return f"tcp://127.0.0.1:{server.server_address[1]}"
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        held = []

        def serve() -> None:
            while True:
                try:
                    conn, _ = sock.accept()
                except OSError:
                    return
                if kind == "greets":  # a service that speaks first, but not Dask
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi")
                    conn.close()
                else:  # silent: accepts, never answers, never closes
                    held.append(conn)

        threading.Thread(target=serve, daemon=True).start()
        closers.append(sock.close)
        closers.append(lambda: [c.close() for c in held])
        return f"tcp://127.0.0.1:{sock.getsockname()[1]}"

    yield make
    for close in reversed(closers):
        close()


def test_a_silent_port_is_refused_in_one_line(listening, tmp_path):
    line = _refused(listening("silent"), tmp_path)
    assert "sent nothing in 5 s" in line and "not a Dask scheduler" in line
    assert "'Scheduler at:'" in line  # where the right address is printed


def test_a_web_server_is_refused_in_one_line(listening, tmp_path):
    line = _refused(listening("http"), tmp_path)
    assert "not a Dask scheduler" in line and "8787" in line  # the dashboard's port


def test_a_service_that_speaks_first_but_not_dask_is_refused_in_one_line(listening, tmp_path):
    line = _refused(listening("greets"), tmp_path)
    assert "not a Dask scheduler (it sent 'HTTP/1.1 200 OK')" in line


def test_nothing_listening_and_no_such_machine_are_one_line(tmp_path):
    with socket.socket() as sock:  # a port just freed: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert "no Dask scheduler is listening there" in _refused(f"tcp://127.0.0.1:{port}", tmp_path)
    assert "not an address" in _refused("tcp://127.0.0.1:port", tmp_path)


class _Future:
    """Stands in for a distributed Future that did not finish."""

    def __init__(self, status: str, exc: BaseException | None = None) -> None:
        self.status, self._exc, self.key = status, exc, "k"

    def exception(self):
        return self._exc


class _Client:
    status = "running"

    def __init__(self, workers: int) -> None:
        self.n = workers

    def scheduler_info(self, n_workers=-1):
        return {"type": "Scheduler", "n_workers": self.n, "workers": {}}


def _backend(workers: int):
    from workload_sim.experiments.backends import DaskBackend

    backend = DaskBackend.__new__(DaskBackend)  # no cluster: only its error messages
    backend.address, backend.flag = "tcp://10.0.0.5:8786", "--scheduler tcp://10.0.0.5:8786"
    backend._client = _Client(workers)
    return backend


def _message(future, workers: int = 1, folder="results/x") -> str:
    from workload_sim.experiments.backends import ClusterLost, _Watch
    from workload_sim.experiments.tasks import Task

    backend = _backend(workers)
    task = Task(None, 7, 3, 1)
    with pytest.raises(ClusterLost) as caught:
        backend._result(future, task, _Watch(backend))
    line = str(caught.value.resume_in(folder))
    assert "\n" not in line and line.startswith("--scheduler tcp://10.0.0.5:8786: ")
    return line


def test_work_lost_on_the_cluster_is_one_line_naming_resume():
    from distributed import KilledWorker

    line = _message(_Future("cancelled"), workers=0)
    assert "point 7 replication 3 was lost: every worker has gone" in line
    assert line.endswith("run the same command again with --resume results/x")
    line = _message(_Future("error", KilledWorker("run_task-1", "tcp://w", 3)))
    assert "died while running it (out of memory, or killed)" in line and "--resume" in line
    # without a folder (no store), the same line without --resume
    assert _message(_Future("cancelled"), folder=None).endswith("run the same command again")


def test_workers_that_cannot_run_the_code_are_told_to_install_it():
    line = _message(_Future("error", ModuleNotFoundError("No module named 'workload_sim'")))
    assert "ModuleNotFoundError: No module named 'workload_sim'" in line
    assert "every worker needs workload_sim installed" in line and "--resume" not in line


def test_the_waits_are_dask_settings(monkeypatch):
    from workload_sim.experiments.backends import WORKERS_GONE_SECONDS, _setting

    assert _setting("workers-gone", WORKERS_GONE_SECONDS) == WORKERS_GONE_SECONDS
    import dask

    with dask.config.set({"workload-sim.workers-gone": "2 minutes"}):
        assert _setting("workers-gone", WORKERS_GONE_SECONDS) == 120
    with dask.config.set({"workload-sim.workers-gone": "soon"}):  # unreadable: the default
        assert _setting("workers-gone", WORKERS_GONE_SECONDS) == WORKERS_GONE_SECONDS
