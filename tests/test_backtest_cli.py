"""The backtest command on the example extract (a simulated team's year, docs/examples/):
it fits on the records before --at, starts from the state it rebuilds for that date, and
scores every series week by week; options it cannot use are refused in one line."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from workload_sim.cli import app
from workload_sim.experiments.backtest import SERIES

from .conftest import ROOT

EXTRACT = ROOT / "docs" / "examples" / "extract"
runner = CliRunner()


def test_a_backtest_scores_every_series_and_writes_its_page(tmp_path):
    out = tmp_path / "bt"
    result = runner.invoke(
        app, ["backtest", str(EXTRACT), "--at", "2027-01-06", "--reps", "19", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    scores = pd.read_csv(out / "backtest.csv")
    assert set(scores["series"]) == set(SERIES)
    # 2027-01-06 to the records' last day, 2027-03-31: 12 whole weeks
    assert (scores["weeks"] == 12).all()
    assert scores["inside_90%"].between(0, 1).all()
    weeks = pd.read_csv(out / "backtest_weeks.csv")
    ahead = weeks[(weeks["series"] == "referrals") & (weeks["week"] >= 0)]
    assert (ahead["low_90%"] <= ahead["median"]).all() and (
        ahead["median"] <= ahead["high_90%"]
    ).all()
    # what happened before the date is the records', with no band (it was fitted on)
    before = weeks[(weeks["series"] == "referrals") & (weeks["week"] < 0)]
    assert len(before) >= 20 and before["median"].isna().all()
    # run again into its own folder: allowed (a folder it wrote before), not a crash
    again = runner.invoke(
        app, ["backtest", str(EXTRACT), "--at", "2027-03-10", "--reps", "9", "--out", str(out)]
    )
    assert again.exit_code == 0, again.output
    page = (out / "backtest.html").read_text()
    assert "rebuilt from referrals.csv" in page and "Where it missed" in page


@pytest.mark.parametrize(
    "args, words",
    [
        (["--at", "2026-04-20"], "--at 2026-04-20: the records begin 2026-04-01"),
        (["--at", "2027-03-25"], "give a date at least two weeks after --at 2027-03-25"),
        (["--at", "2027-01-06", "--until", "2028-01-01"], "the records run only to 2027-03-31"),
        (["--at", "6 Jan"], "--at '6 Jan': expected a date as YYYY-MM-DD"),
    ],
)
def test_dates_it_cannot_use_are_refused_in_one_line(tmp_path, args, words):
    result = runner.invoke(app, ["backtest", str(EXTRACT), *args, "--out", str(tmp_path / "x")])
    assert result.exit_code != 0
    assert words in result.output and "Traceback" not in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
