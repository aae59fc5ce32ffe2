"""Little's law, L = lambda x W, with its two sides read from independent records.

L is the recorder's time-average number of open cases: the timeseries' daily
``open_cases_mean`` (records/timeseries.py, what the reports plot), averaged over a
window after warm-up. lambda and W come from the raw event log, read here: a case
enters when its triage spell ends with it opened (``referrals`` outcome ``open_case``)
and leaves at the end of its spell that closed it (``spells``), so neither side reads
the other's code. Little's law holds on every stationary sample path; a recorder that
counted open cases wrongly (a place left out, a case counted after closing, a day
shifted) would break it. Both sides, and their paired difference, carry 95% Student-t
intervals across replications. (The engine's levels against M/M/c theory are in
test_queueing_theory.py.)
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from workload_sim.model import events as ev
from workload_sim.model.simulation import Simulation
from workload_sim.records import tables_of
from workload_sim.records.summary import t_interval
from workload_sim.scenario.loading import load_scenario

from .conftest import DEFAULT

HORIZON, WARMUP, TAIL = 1100, 250, 300
# 10 replications: the paired interval of L - lambda x W is 0.53 wide beside L ~43 (16 gave
# 0.38; the 5% test needs 2.1); fewer left the stationarity check at the edge of its interval
REPS = 10


@pytest.fixture(scope="module")
def stationary_default():
    """The default team, made stationary: per replication, the raw log and the timeseries.

    No demand growth, demand at 25 referrals a week (the default's 28, with bank-holiday weeks
    keeping their referrals, is past the team's tipping point: its list grows) and no
    open-ended long-term work; the team starts empty (the default's
    day-0 caseload of 14 a worker drains for over a year at this load, ~94% utilisation:
    open cases fall from 116 to about 62 over days 0-600) and all experienced (a newly
    qualified worker's terms change at day 253). Absence, turnover, recruitment, cover,
    failures and branches all stay on.
    """
    sc = load_scenario(
        DEFAULT,
        [
            f"horizon_days={HORIZON}",
            f"warmup_days={WARMUP}",
            "demand.annual_growth=0",
            "demand.referrals_per_week=25",
            "pathways.s42_enquiry.steps.8.branches=[]",  # review_and_close: no long-term work
            "warm_start.cases_per_worker=0",
            "team.permanent=10",
            "team.newly_qualified=0",
        ],
    )
    runs = []
    for rep in range(REPS):
        sim = Simulation(sc, rep).run()
        runs.append((sim.log, tables_of(sim).timeseries))
    return runs


def stays(log) -> tuple[np.ndarray, np.ndarray]:
    """(entered, left) of every opened case, from the raw log: entered when its triage
    spell ended, left when the spell that closed it ended (NaN: still open)."""
    opened = {r[0] for r in log.referrals if r[2] == "open_case" and not r[10]}
    entered: dict[int, float] = {}
    left: dict[int, float] = {}
    for case, place, _worker, _start, end, reason in log.spells:
        if case not in opened:
            continue
        if place == ev.TRIAGE:
            entered[case] = end
        elif reason in (ev.CLOSED, ev.CLOSED_UNWORKED):
            left[case] = end
    ids = sorted(entered)
    return np.array([entered[c] for c in ids]), np.array([left.get(c, math.nan) for c in ids])


def test_stays_by_hand():
    class Log:
        referrals = [
            (0, 0.2, "open_case", 0, "x", 1, 1, 1, [], False, False, 0),
            (1, 0.5, "signpost", 0, "x", 1, 1, 1, [], False, False, 0),
            (2, 0.7, "open_case", 0, "x", 1, 1, 1, [], False, False, 0),
            (3, 0.0, "open_case", 0, "x", 1, 1, 1, [], False, True, 0),  # warm start
        ]
        spells = [
            (0, ev.TRIAGE, -1, 0.2, 0.4, ev.TRIAGED),
            (1, ev.TRIAGE, -1, 0.5, 0.6, ev.AT_DOOR),
            (2, ev.TRIAGE, -1, 0.7, 0.9, ev.TRIAGED),
            (0, ev.LIST, -1, 0.4, 1.0, ev.ALLOCATED),
            (0, ev.WORKER, 3, 1.0, 2.0, ev.LEAVER),
            (0, ev.LIST, -1, 2.0, 2.5, ev.ALLOCATED),
            (3, ev.WORKER, 1, 0.0, 3.0, ev.CLOSED),
            (0, ev.WORKER, 4, 2.5, 4.0, ev.CLOSED),
            (2, ev.LIST, -1, 0.9, math.nan, ev.OPEN),
        ]

    entered, left = stays(Log)
    assert entered.tolist() == [0.4, 0.9]
    assert left[0] == 4.0 and math.isnan(left[1])


def test_littles_law_recorder_level_against_the_raw_logs_stays(stationary_default):
    # window after warm-up that ends TAIL days before the horizon, so (almost) every case
    # opened in it has closed and its time open is known
    start, stop = WARMUP, WARMUP + HORIZON - TAIL
    recorded, little, diffs, drift = [], [], [], []
    for log, ts in stationary_default:
        level = ts["open_cases_mean"].to_numpy()[start:stop]  # day d: the area over [d, d+1)
        big_l = level.mean()
        half = len(level) // 2
        drift.append(level[half:].mean() - level[:half].mean())
        entered, left = stays(log)
        inside = (entered >= start) & (entered < stop)
        assert np.isfinite(left[inside]).mean() > 0.995
        stay = np.where(np.isnan(left[inside]), float(log.n_days), left[inside]) - entered[inside]
        lam = inside.sum() / (stop - start)
        recorded.append(big_l)
        little.append(lam * stay.mean())
        diffs.append(big_l - lam * stay.mean())
    # stationary, as Little's law over a window needs: no drift from the first half to the second
    _, _, s_lo, s_hi, _ = t_interval(drift)
    assert s_lo <= 0.0 <= s_hi, ("open cases drift", s_lo, s_hi)
    l_mean, _, l_lo, l_hi, _ = t_interval(recorded)
    w_mean, _, w_lo, w_hi, _ = t_interval(little)
    d_mean, _, d_lo, d_hi, _ = t_interval(diffs)
    detail = {"L": (l_mean, l_lo, l_hi), "lambda*W": (w_mean, w_lo, w_hi), "L - lambda*W": d_mean}
    # each side's estimate inside the other's interval, and the paired difference covers 0
    assert l_lo <= w_mean <= l_hi and w_lo <= l_mean <= w_hi, detail
    assert d_lo <= 0.0 <= d_hi, detail
    # informative: the paired interval is narrow beside L (a 5% error would show)
    assert d_hi - d_lo < 0.05 * l_mean, detail
