"""`run --trace` writes the event log and every stretch of work; the log accounts for the run."""

from __future__ import annotations

import pandas as pd
from typer.testing import CliRunner

from workload_sim.cli import app

from .conftest import DEFAULT

runner = CliRunner()


def test_trace_writes_the_event_log_that_accounts_for_every_referral_and_hour(tmp_path):
    out = tmp_path / "traced"
    args = ["run", str(DEFAULT), "--reps", "2", "--days", "40", "--warmup-days", "0", "--trace"]
    res = runner.invoke(app, [*args, "--out", str(out), "-q"])
    assert res.exit_code == 0, res.output
    events = pd.read_parquet(out / "events.parquet")
    tasks = pd.read_parquet(out / "tasks.parquet")
    cases = pd.read_parquet(out / "cases.parquet")
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert set(events["record"]) >= {"referrals", "spells", "work", "steps", "joins", "states"}
    # one referral row per referral, per replication
    referrals = events[events["record"] == "referrals"].groupby("rep").size()
    assert referrals.tolist() == cases.groupby("rep").size().tolist()
    # each referral's last spell says where it ended; closures agree with the cases table
    spells = events[events["record"] == "spells"].sort_values(["rep", "case", "start"])
    last = spells.groupby(["rep", "case"]).tail(1)
    closed = last[last["reason"].isin(["closed", "closed unworked", "closed at the door"])]
    table = cases.set_index(["rep", "id"])["closed_at"]
    got = closed.set_index(["rep", "case"])["end"]
    assert (table.loc[got.index].to_numpy() == got.to_numpy()).all()
    assert table.notna().sum() == len(got)
    # hours: every hour in the timeseries is an hour of some stretch of work
    worked = tasks["contract_hours"].sum() + tasks["overtime_hours"].sum()
    assert abs(worked - ts["case_hours"].sum()) < 1e-6 * max(1.0, worked)
    assert set(tasks["kind"]) <= {"triage", "case", "handover", "naas_prep", "cover"}


def test_tables_option_writes_only_what_was_asked_and_refuses_unknown_names(tmp_path):
    out = tmp_path / "tasks_only"
    args = ["run", str(DEFAULT), "--reps", "1", "--days", "20", "--tables", "tasks", "-q"]
    res = runner.invoke(app, [*args, "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert (out / "tasks.parquet").exists() and not (out / "events.parquet").exists()
    bad = runner.invoke(
        app, ["run", str(DEFAULT), "--tables", "everything", "--out", str(tmp_path)]
    )
    assert bad.exit_code == 2
    assert "--tables 'everything': choose from tasks, events" in bad.output
