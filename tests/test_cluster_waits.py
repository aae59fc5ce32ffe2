"""The waits of a Dask run: for a first worker, and for workers that have all gone.

Both are Dask settings (``workload-sim.first-worker``, ``workload-sim.workers-gone``);
a cluster with no worker for longer than the second stops in one line naming the address.
The real thing (processes on loopback) is tests/test_real_cluster.py."""

from __future__ import annotations

import pytest

pytest.importorskip("distributed", reason="needs dask[distributed] (pip install -e '.[dask]')")


class _Client:
    status = "running"

    def __init__(self, workers: int) -> None:
        self.n = workers

    def scheduler_info(self, n_workers=-1):
        return {"type": "Scheduler", "n_workers": self.n, "workers": {}}


def _backend(workers: int):
    from workload_sim.experiments.backends import DaskBackend

    backend = DaskBackend.__new__(DaskBackend)  # no cluster: only its checks
    backend.address, backend.flag = "tcp://10.0.0.5:8786", "--scheduler tcp://10.0.0.5:8786"
    backend._client = _Client(workers)
    return backend


def test_no_worker_for_too_long_is_one_line_naming_the_address():
    import dask

    from workload_sim.experiments.backends import BackendError, _Watch

    with dask.config.set({"workload-sim.workers-gone": "0s"}):
        _Watch(_backend(1)).check()  # a worker: nothing to say
        with pytest.raises(BackendError) as caught:
            _Watch(_backend(0)).check()
    line = str(caught.value)
    assert "\n" not in line and line.startswith("--scheduler tcp://10.0.0.5:8786: ")
    assert "stopped running tasks" in line and "every Dask worker has gone" in line


def test_the_waits_are_dask_settings():
    import dask

    from workload_sim.experiments.backends import WORKERS_GONE_SECONDS, _setting

    assert _setting("workers-gone", WORKERS_GONE_SECONDS) == WORKERS_GONE_SECONDS
    with dask.config.set({"workload-sim.workers-gone": "2 minutes"}):
        assert _setting("workers-gone", WORKERS_GONE_SECONDS) == 120
    with dask.config.set({"workload-sim.workers-gone": "soon"}):  # unreadable: the default
        assert _setting("workers-gone", WORKERS_GONE_SECONDS) == WORKERS_GONE_SECONDS
