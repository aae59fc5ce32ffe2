"""The engine and its recorder against queueing theory (Erlang C for M/M/c).

The wait to allocation (a per-case metric), the time-average number of cases open (the
timeseries' daily open-case level) and the time-average number waiting on the list (its
daily list level) are each compared with the Erlang C figures, W_q, L = lambda (W_q +
1/mu) and L_q = lambda W_q, which owe nothing to the code under test. Tolerances are
the 95% Student-t confidence intervals across replications; the seeds are fixed, so
each test is deterministic.
"""

from __future__ import annotations

import re

import pytest

import workload_sim
from workload_sim.records.summary import t_interval

from .conftest import MMC, erlang_c_wait

MU = 1.0  # 7.4 h mean effort at 7.4 case hours a day

# (c, lambda per day, replications, horizon days); one set at utilisation 0.9
CASES = [
    pytest.param(5, 4.5, 20, 2000, id="c5-rho0.90"),
    pytest.param(3, 2.4, 20, 2000, id="c3-rho0.80"),
    pytest.param(10, 7.0, 10, 1000, id="c10-rho0.70"),
    pytest.param(1, 0.5, 20, 2000, id="c1-rho0.50"),
]


@pytest.mark.parametrize("c, lam, reps, days", CASES)
def test_wait_and_levels_match_erlang_c(c, lam, reps, days):
    res = workload_sim.run(
        MMC,
        reps=reps,
        overrides=[
            f"team.permanent={c}",
            f"demand.referrals_per_week={lam * 5}",
            f"horizon_days={days}",
        ],
    )
    row = res.metric("wait_to_allocation_days")
    theory = erlang_c_wait(lam, MU, c)
    assert row["ci_low"] <= theory <= row["ci_high"], (theory, row.to_dict())
    # and the interval is informative, not vacuously wide
    assert row["ci_high"] - row["ci_low"] < 0.5 * max(theory, 0.2)
    # the recorder's daily levels, averaged over the measured days of each replication
    measured = res.timeseries[~res.timeseries["warmup"]]
    for column, expected, informative in [
        ("open_cases_mean", lam * (theory + 1 / MU), 0.5 * lam / MU),  # L; tells L from L_q
        ("unallocated_mean", lam * theory, 0.5 * max(lam * theory, 0.2)),  # L_q
    ]:
        per_rep = measured.groupby("rep")[column].mean().to_numpy()
        mean, _, lo, hi, _ = t_interval(per_rep)
        detail = (column, expected, mean, lo, hi)
        assert lo <= expected <= hi, detail
        assert hi - lo < informative, detail


def test_mmc_header_states_the_erlang_c_value():
    text = MMC.read_text()
    stated = float(re.search(r"Wq = ([0-9.]+) working days", text).group(1))
    assert stated == pytest.approx(erlang_c_wait(4.5, MU, 5), abs=5e-4)
