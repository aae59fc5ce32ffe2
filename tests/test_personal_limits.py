"""Personal limits on unpaid hours: each worker's own evening and weekly limits.

Each worker draws a factor once (gamma, mean ``overtime.personal_limit_scale``, coefficient
of variation ``overtime.personal_limit_spread``; the k-th worker to join gets the k-th draw
of the stream ``overtime.personal_limits``) and their limits are the team's times it
(docs/model.md, "The limits are personal"). Here: the limits are honoured worker by worker,
read from the raw event log against limits drawn afresh by the test; the draws have the
documented mean and spread; and the spread shows in the hours people work.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
import pytest

import workload_sim
from workload_sim.experiments.replication import simulate_replication
from workload_sim.model.simulation import Simulation
from workload_sim.model.streams import Streams
from workload_sim.model.working_hours import WorkingHours
from workload_sim.records.summary import t_interval
from workload_sim.scenario import OvertimeSpec

from .conftest import DEFAULT

W_WORKER, W_FINISHED, W_OVERTIME = 0, 9, 12  # columns of a log.work row
SMALL = ["horizon_days=120", "warmup_days=20", "team.permanent=4", "team.newly_qualified=1"]


def _drawn_factors(seed: int, rep: int, n: int, scale: float, spread: float) -> np.ndarray:
    """The first ``n`` workers' factors, as docs/model.md says they are drawn."""
    shape = 1.0 / spread**2
    rng = Streams(seed, rep).get("overtime.personal_limits")
    return rng.gamma(shape, scale / shape, size=n)


def _evenings(log) -> dict[tuple[int, int], float]:
    """Unpaid hours per (worker, day) from the raw log: an evening stretch is logged at the
    instant its day ends, so it belongs to the day before that instant."""
    late: dict[tuple[int, int], float] = defaultdict(float)
    for row in log.work:
        if row[W_OVERTIME] > 0.0:
            late[row[W_WORKER], math.ceil(row[W_FINISHED]) - 1] += row[W_OVERTIME]
    return late


@pytest.mark.parametrize("rep", [0, 1, 2])
def test_no_worker_passes_their_own_limits(rep):
    # a busy shipped team with a wide spread: some limits far above the team's, some far below
    sc = workload_sim.load_scenario(
        DEFAULT, ["demand.referrals_per_week=40", "overtime.personal_limit_spread=1.0"]
    )
    sim = Simulation(sc, rep).run()
    ot = sc.overtime
    ids = sorted({j[0] for j in sim.log.joins})
    assert ids == list(range(len(ids)))  # workers are numbered in joining order
    factor = _drawn_factors(sim.seed, rep, len(ids), ot.personal_limit_scale, 1.0)
    daily, weekly = ot.max_hours_per_day * factor, ot.max_hours_per_week * factor
    late = _evenings(sim.log)
    assert late, "nobody stayed on: the check would be empty"
    for (w, d), hours in late.items():
        assert hours <= daily[w] + 1e-6, f"worker {w} day {d}: {hours:.3f} h > {daily[w]:.3f}"
        week = sum(late.get((w, d - k), 0.0) for k in range(5))
        assert week <= weekly[w] + 1e-6, f"worker {w} to day {d}: {week:.3f} h > {weekly[w]:.3f}"
    # not vacuous: someone worked past the team's one evening limit (their own is higher),
    # and someone with a low limit was held to it
    assert max(late.values()) > ot.max_hours_per_day + 1e-6
    most = defaultdict(float)
    for (w, _), hours in late.items():
        most[w] = max(most[w], hours)
    assert any(
        daily[w] < ot.max_hours_per_day and h == pytest.approx(daily[w]) for w, h in most.items()
    )
    # and the model used exactly these limits
    model = sim.workforce.hours
    for w in most:
        assert model.personal_limits(w) == pytest.approx((daily[w], weekly[w]))


def test_one_limit_for_all_without_a_spread():
    hours = WorkingHours(OvertimeSpec(personal_limit_scale=1.5, personal_limit_spread=0.0))
    assert hours.personal_limits(0) == hours.personal_limits(7) == (3.0, 15.0)


def test_a_workers_factor_does_not_depend_on_when_the_others_are_seen():
    spec = OvertimeSpec(personal_limit_scale=1.1, personal_limit_spread=0.7)
    first = WorkingHours(spec, Streams(5, 0).get("overtime.personal_limits"))
    later = WorkingHours(spec, Streams(5, 0).get("overtime.personal_limits"))
    f3 = later.factor(3)  # worker 3 seen first
    assert [first.factor(k) for k in range(5)][3] == f3
    assert later.factor(0) == first.factor(0)


@pytest.mark.parametrize(("scale", "spread"), [(1.1, 0.7), (1.2, 0.7), (1.0, 1.5)])
def test_the_factors_have_the_documented_mean_and_spread(scale, spread):
    # 4,000 workers' factors on a fixed seed; the tolerance is the draws' own 99% interval
    spec = OvertimeSpec(personal_limit_scale=scale, personal_limit_spread=spread)
    hours = WorkingHours(spec, Streams(101, 0).get("overtime.personal_limits"))
    f = np.array([hours.factor(k) for k in range(4000)])
    assert (f > 0).all()
    mean, _, lo, hi, _ = t_interval(f, 0.99)
    assert lo <= scale <= hi, f"mean {mean:.3f} not {scale}"
    # E[(f - scale)^2] / scale^2 is the squared coefficient of variation
    cv2, _, lo, hi, _ = t_interval(((f - scale) / scale) ** 2, 0.99)
    assert lo <= spread**2 <= hi, f"CV^2 {cv2:.3f} not {spread**2:.3f}"


def test_the_spread_shows_in_the_hours_people_work():
    # a small busy team, 16 replications on a fixed seed, with and without the spread (same
    # mean factor) on common random numbers: people's average unpaid hours differ more, and
    # some average more than the one weekly limit would allow anyone; paired 95% intervals
    # busy whatever the shipped calibration: behind (and staying on) past half a day
    busy = [*SMALL, "demand.referrals_per_week=18", "overtime.behind_when_queued_days=0.5"]
    runs = {}
    for spread in (0.0, 0.7):
        sc = workload_sim.load_scenario(
            DEFAULT, [*busy, f"overtime.personal_limit_spread={spread}"]
        )
        ot = sc.overtime
        one_limit = ot.max_hours_per_week * ot.personal_limit_scale  # the team's 10 h x 1.1
        per_rep = []
        for rep in range(16):
            r = simulate_replication(sc, rep, 101, extra=("hours",))
            h = r.hours[r.hours["day"] >= sc.warmup_days]
            per = h.groupby("worker").agg(days=("day", "size"), unpaid=("unpaid_hours", "sum"))
            weekly = (per["unpaid"] / per["days"] * 5.0)[per["days"] >= 10].to_numpy()
            per_rep.append((weekly.std(), (weekly > one_limit + 1e-9).mean(), weekly.max()))
        runs[spread] = np.array(per_rep)
    _, _, lo, _, _ = t_interval(runs[0.7][:, 0] - runs[0.0][:, 0])
    assert lo > 0, "the spread of personal limits did not widen the spread of hours"
    assert runs[0.0][:, 2].max() <= one_limit + 1e-9  # one limit: nobody above it
    _, _, lo, _, _ = t_interval(runs[0.7][:, 1])
    assert lo > 0, "with personal limits nobody averaged more than the one limit"
