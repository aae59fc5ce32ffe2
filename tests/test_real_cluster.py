"""A real Dask cluster: a ``dask scheduler`` and ``dask worker`` processes on 127.0.0.1.

The sweep runs as a user types it (``workload-sim sweep ... --scheduler tcp://...``, a
process of its own); a worker is killed (nanny and all, as when a node fails) once it has
done some of the work, and every point must still be done exactly once, bit for bit as the
process backend gives it. Losing the last worker stops in one line naming ``--resume``, and
``--resume`` then completes the sweep.

Every process is started in a session of its own and killed in the fixture's teardown,
whatever happens; every wait is bounded (generous: the test machine may be loaded), and
nothing here asserts how long anything took.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from .conftest import DEFAULT, ROOT

pytest.importorskip("distributed", reason="needs dask[distributed] (pip install -e '.[dask]')")

START_S = 180  # a process starting on a loaded machine: bounded, generous
SWEEP_S = 600  # a small sweep run to the end: a hang guard, not a time limit
KEY = ["point", "rep"]
SWEEP = f"""name: cluster
base: {DEFAULT}
design: grid
reps: 2
fields:
  demand.referrals_per_week: {{values: [20, 24, 28, 32, 36, 40]}}
  team.agency: {{values: [0, 1]}}
"""
POINTS, REPS = 12, 2
SMALL = ["--days", "20", "--warmup-days", "5"]


def _env(**extra: str) -> dict:
    """This checkout first on the path, so workers run the code under test (the venv's
    editable install may point at another copy)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    return {**env, **extra}


def _dask(*args: str) -> list[str]:
    script = Path(sys.executable).parent / "dask"
    return [str(script), *args] if script.exists() else [sys.executable, "-m", "dask", *args]


class Cluster:
    """A scheduler on a free port (the scheduler picks it: --port 0), and named workers."""

    def __init__(self, here: Path) -> None:
        self.here = here
        self.procs: dict[str, subprocess.Popen] = {}
        self.address = ""
        self._client = None

    def _start(self, name: str, args: list[str]) -> None:
        log = open(self.here / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        self.procs[name] = subprocess.Popen(
            args,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=_env(),
            cwd=self.here,
            start_new_session=True,  # its own process group: nanny and worker die together
        )
        log.close()

    def start_scheduler(self) -> str:
        info = self.here / "scheduler.json"
        self._start(
            "scheduler",
            _dask(
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                str(info),
            ),
        )
        deadline = time.monotonic() + START_S
        while not (info.exists() and info.stat().st_size):
            self._alive("scheduler")
            assert time.monotonic() < deadline, self.log("scheduler")
            time.sleep(0.2)
        time.sleep(0.2)  # the file is written in one go, but give it a moment
        self.address = json.loads(info.read_text())["address"]
        return self.address

    def start_worker(self, name: str) -> None:
        self._start(
            name,
            _dask(
                "worker",
                self.address,
                "--name",
                name,
                "--nworkers",
                "1",
                "--nthreads",
                "1",
                "--no-dashboard",
                "--local-directory",
                str(self.here / name),
            ),
        )

    @property
    def client(self):
        if self._client is None:
            from distributed import Client

            self._client = Client(self.address, timeout=f"{START_S}s")
        return self._client

    def wait_for_workers(self, n: int) -> None:
        self.client.wait_for_workers(n, timeout=START_S)

    def workers(self) -> dict[str, str]:
        """name -> address of the workers the scheduler has now."""
        info = self.client.scheduler_info(n_workers=-1)["workers"]
        return {str(w["name"]): address for address, w in info.items()}

    def executed(self) -> dict[str, int]:
        """name -> tasks each worker has finished (asked of the workers themselves)."""
        names = {a: n for n, a in self.workers().items()}
        counts = self.client.run(lambda dask_worker: dask_worker.state.executed_count)
        return {names.get(a, a): c for a, c in counts.items()}

    def kill(self, name: str) -> None:
        proc = self.procs[name]
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=60)

    def _alive(self, name: str) -> None:
        code = self.procs[name].poll()
        assert code is None, f"{name} exited ({code}):\n{self.log(name)}"

    def log(self, name: str) -> str:
        path = self.here / f"{name}.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def stop(self) -> None:
        if self._client is not None:
            try:
                self._client.close(timeout=10)
            except Exception:  # noqa: BLE001 - the scheduler may be gone already
                pass
        for name in list(self.procs):
            self.kill(name)


@pytest.fixture
def cluster(tmp_path):
    made = Cluster(tmp_path)
    try:
        made.start_scheduler()
        yield made
    finally:
        made.stop()


@pytest.fixture(scope="module")
def sweep_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sweep") / "sweep.yaml"
    path.write_text(SWEEP)
    return path


@pytest.fixture(scope="module")
def by_processes(sweep_file) -> dict[str, pd.DataFrame]:
    """The same sweep on the process backend: the tables every cluster run must equal."""
    out = sweep_file.parent / "processes"
    done = _workload_sim(
        "sweep", sweep_file, *SMALL, "--backend", "process", "--workers", "2", "--out", out
    )
    assert done.returncode == 0, done.stderr
    return _tables(out)


def _workload_sim(*args, env: dict | None = None, timeout: int = SWEEP_S):
    return subprocess.run(
        [sys.executable, "-m", "workload_sim", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env or _env(),
    )


def _start_sweep(sweep_file: Path, address: str, out: Path, **env: str) -> subprocess.Popen:
    args = ["sweep", sweep_file, *SMALL, "--scheduler", address, "--out", out, "--log", "json"]
    return subprocess.Popen(
        [sys.executable, "-m", "workload_sim", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(**env),
        start_new_session=True,
    )


def _finish(proc: subprocess.Popen) -> tuple[int, str, str]:
    try:
        stdout, stderr = proc.communicate(timeout=SWEEP_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        stdout, stderr = proc.communicate()
        pytest.fail(f"the sweep did not end within {SWEEP_S} s:\n{stderr[-3000:]}")
    return proc.returncode, stdout, stderr


def _parts(out: Path) -> int:
    return len(list((out / "parts").glob("metrics-*"))) if (out / "parts").is_dir() else 0


def _tables(out: Path) -> dict[str, pd.DataFrame]:
    """The result tables, in (point, rep) order: the order tasks finished in is free."""
    rows = pd.read_parquet(out / "sweep.parquet")
    assert not rows.duplicated(KEY).any(), "a replication is in the table twice"
    assert len(rows) == POINTS * REPS
    summary = pd.read_parquet(out / "sweep_summary.parquet")
    return {
        "sweep": rows.sort_values(KEY).reset_index(drop=True),
        "summary": summary.sort_values("point").reset_index(drop=True),
    }


def _same_tables(out: Path, expected: dict[str, pd.DataFrame]) -> None:
    got = _tables(out)
    for name, table in expected.items():
        pd.testing.assert_frame_equal(got[name], table, check_exact=True)


def _when(condition, what: str, proc: subprocess.Popen, wait_s: float = SWEEP_S):
    """Poll until condition() is true; fails (never hangs) if the sweep ends first."""
    deadline = time.monotonic() + wait_s
    while not condition():
        if proc.poll() is not None:
            return False
        assert time.monotonic() < deadline, f"{what}: not within {wait_s} s"
        time.sleep(0.05)
    return True


def test_a_sweep_survives_a_killed_worker_each_point_once_and_as_the_processes_give(
    cluster, sweep_file, by_processes, tmp_path
):
    cluster.start_worker("w1")
    cluster.start_worker("w2")
    cluster.wait_for_workers(2)
    out = tmp_path / "out"
    sweep = _start_sweep(sweep_file, cluster.address, out)
    try:
        # a worker that has finished at least one task is killed, nanny and all
        worked = {}

        def someone_worked() -> bool:
            if _parts(out) == 0:
                return False
            worked.update({n: c for n, c in cluster.executed().items() if c > 0})
            return bool(worked)

        assert _when(someone_worked, "a first result", sweep), "the sweep ended too soon"
        victim = sorted(worked)[0]
        cluster.kill(victim)
        parts_at_kill = _parts(out)
    finally:
        code, stdout, stderr = _finish(sweep)
    print(f"killed {victim} ({worked}) with {parts_at_kill} of {POINTS * REPS} results in")
    assert parts_at_kill < POINTS * REPS, "the sweep had finished before the kill"
    assert code == 0, stderr[-3000:]
    assert "Traceback" not in stderr
    assert stdout.strip().splitlines()[-1] == f"sweep written to {out}/"
    # the log names each replication once: none lost, none done twice
    events = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    done = [(e["point"], e["rep"]) for e in events if e["event"] == "task"]
    assert sorted(done) == [(p, r) for p in range(POINTS) for r in range(REPS)]
    assert all(e["ok"] for e in events if e["event"] == "task")
    assert [e["workers"] for e in events if e["event"] == "start"] == [2]
    _same_tables(out, by_processes)
    assert not (out / "parts").exists()  # complete: every part is in the tables


def test_losing_every_worker_stops_in_one_line_and_resume_completes(
    cluster, sweep_file, by_processes, tmp_path
):
    # a scheduler with no workers yet (a batch job still queued) is waited for, saying so
    early = tmp_path / "early"
    alone = _workload_sim(
        "sweep",
        sweep_file,
        *SMALL,
        "--scheduler",
        cluster.address,
        "--out",
        early,
        env=_env(DASK_WORKLOAD_SIM__FIRST_WORKER="3s"),
    )
    said = alone.stderr.strip().splitlines()
    assert alone.returncode == 2 and len(said) == 2, alone.stderr[-3000:]
    assert (
        said[0] == f"waiting up to 3 s for a worker to join the Dask scheduler at {cluster.address}"
    )
    assert said[1].startswith(f"error: --scheduler {cluster.address}: no worker joined")
    assert said[1].endswith(f"run the same command with --resume {early}")

    cluster.start_worker("only")
    cluster.wait_for_workers(1)
    # a worker's address in place of the scheduler's is named as such
    worker = cluster.workers()["only"]
    wrong = _workload_sim(
        "sweep", sweep_file, *SMALL, "--scheduler", worker, "--out", tmp_path / "w"
    )
    assert wrong.returncode == 2 and len(wrong.stderr.strip().splitlines()) == 1, wrong.stderr
    assert f"--scheduler {worker}: that is a Dask worker's address" in wrong.stderr
    assert not (tmp_path / "w").exists()

    out = tmp_path / "out"
    sweep = _start_sweep(sweep_file, cluster.address, out, DASK_WORKLOAD_SIM__WORKERS_GONE="5s")
    try:
        assert _when(lambda: _parts(out) > 0, "a first result", sweep), "ended too soon"
        cluster.kill("only")
    finally:
        code, stdout, stderr = _finish(sweep)
    assert code == 2, stderr[-3000:]
    lines = [line for line in stderr.strip().splitlines() if not line.startswith("{")]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr[-3000:]
    assert lines[0].startswith(f"error: --scheduler {cluster.address}: ")
    assert "the Dask cluster stopped running tasks" in lines[0]
    assert lines[0].endswith(f"run the same command with --resume {out}")
    assert not (out / "sweep.parquet").exists() and _parts(out) > 0

    cluster.start_worker("again")
    cluster.wait_for_workers(1)
    resumed = _workload_sim(
        "sweep", sweep_file, *SMALL, "--scheduler", cluster.address, "--resume", out
    )
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    _same_tables(out, by_processes)
