"""A --scheduler that is not Dask: a silent port, a web service, something else. Each is
one line within seconds (issue 18: a silent port hung for ever, HTTP gave an 83-line
traceback); a real Dask scheduler still passes the check."""

from __future__ import annotations

import socket
import threading

import pytest
from typer.testing import CliRunner

from workload_sim.cli import app
from workload_sim.experiments import backends

from .conftest import DEFAULT

runner = CliRunner()


def _serve(greeting: bytes | None) -> tuple[str, socket.socket]:
    """A local service that sends ``greeting`` on every connection (None: says nothing)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held = []

    def accept() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            held.append(conn)  # kept open: a silent port never closes either
            if greeting is not None:
                conn.sendall(greeting)

    threading.Thread(target=accept, daemon=True).start()
    return f"tcp://127.0.0.1:{server.getsockname()[1]}", server


@pytest.mark.parametrize(
    "greeting, words",
    [
        (None, "sent nothing"),
        (b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", "web (HTTP)"),
        (b"SSH-2.0-OpenSSH_9.6\r\n", "does not speak Dask"),
    ],
)
def test_a_scheduler_that_is_not_dask_is_one_line(greeting, words, monkeypatch, tmp_path):
    pytest.importorskip("distributed")
    monkeypatch.setattr(backends, "HANDSHAKE_SECONDS", 0.5)
    address, server = _serve(greeting)
    out = tmp_path / "o"
    args = ["run", str(DEFAULT), "--reps", "1", "--days", "20", "-q", "--out", str(out)]
    try:
        result = runner.invoke(app, [*args, "--scheduler", address])
    finally:
        server.close()
    assert result.exit_code == 2, result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert result.output.startswith(f"error: --scheduler {address}: "), result.output
    assert words in result.output and "leave out --scheduler" in result.output
    assert not out.exists()


def test_a_real_scheduler_passes_the_handshake_check():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=0, processes=False, protocol="tcp://", host="127.0.0.1", dashboard_address=None
    ) as cluster:
        assert cluster.scheduler_address.startswith("tcp://")
        assert backends._not_dask(cluster.scheduler_address) is None


def test_a_cluster_that_stops_running_tasks_is_one_line_saying_resume(monkeypatch, tmp_path):
    """Losing the last worker: what finished is kept, and the line says how to go on."""
    from workload_sim.experiments.backends import Backend, BackendError

    class LosesItsWorkers(Backend):
        def run(self, tasks):
            yield from super().run([next(iter(tasks))])  # one replication finishes
            raise BackendError("the Dask cluster stopped running tasks (CancelledError: x)")

    monkeypatch.setattr(backends, "make_backend", lambda *a: LosesItsWorkers())
    out = tmp_path / "o"
    args = ["run", str(DEFAULT), "--reps", "3", "--days", "20", "-q", "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert f"--resume {out}" in result.output and "stopped running tasks" in result.output
    assert len(list((out / "parts").glob("metrics-*.json"))) == 1  # the finished one is kept
    monkeypatch.undo()
    again = runner.invoke(app, [*args[:-2], "--resume", str(out)])
    assert again.exit_code == 0, again.output


def test_a_dask_future_that_fails_becomes_a_backend_error(monkeypatch):
    distributed = pytest.importorskip("distributed")
    from workload_sim.experiments.backends import BackendError, DaskBackend
    from workload_sim.experiments.tasks import Task
    from workload_sim.scenario.loading import load_scenario

    def lost(*_a):
        raise distributed.client.FutureCancelledError("key", reason="worker lost")

    monkeypatch.setattr(backends, "run_task", lost)
    monkeypatch.setattr(backends, "run_point_task", lost)
    with distributed.LocalCluster(
        n_workers=1, processes=False, protocol="tcp://", host="127.0.0.1", dashboard_address=None
    ) as cluster:
        backend = DaskBackend(scheduler=cluster.scheduler_address)
        try:
            sc = load_scenario(DEFAULT, ["horizon_days=20"])
            with pytest.raises(BackendError, match="stopped running tasks"):
                list(backend.run([Task(sc, 0, 0, 1)]))
        finally:
            backend.close()
