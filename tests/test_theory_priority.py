"""Urgency classes against Cobham's formula for the non-preemptive priority M/M/c queue.

``scenarios/validation/priority_mmc.yaml`` reduces the engine to c identical
servers (caseload cap 1, one exponential step), Poisson referrals in three
urgency classes, the list served most urgent first and a case in hand never
taken back. Cobham (1954): the mean wait in queue of class k is

    W_k = C(c, a) / (c mu) / ((1 - s_{k-1}) (1 - s_k)),  s_k = rho_1 + ... + rho_k,

with C the Erlang C probability of waiting. By PASTA every class finds all c
servers busy with that same probability C. Tolerances are 95% Student-t
intervals across replications; the seed is fixed, so the test is deterministic.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from scipy import stats

import workload_sim
from workload_sim.records.summary import t_interval
from workload_sim.scenario.loading import load_scenario

from .conftest import SCENARIOS

PRIORITY = SCENARIOS / "validation" / "priority_mmc.yaml"
MU = 1.0  # 7.4 h mean effort at 7.4 case hours a day: one case per working day


def erlang_c(c: int, a: float) -> float:
    """Probability that an arrival waits in M/M/c with offered load a = lambda/mu.

    From Erlang B, which is the Poisson(a) probability of c given at most c.
    """
    b = stats.poisson.pmf(c, a) / stats.poisson.cdf(c, a)
    rho = a / c
    return float(b / (1.0 - rho * (1.0 - b)))


def cobham_waits(c: int, mu: float, lams: list[float]) -> list[float]:
    """Mean wait in queue of each class, most urgent first (Cobham 1954)."""
    lam = sum(lams)
    assert lam < c * mu, "unstable queue"
    w0 = erlang_c(c, lam / mu) / (c * mu)
    s = np.concatenate(([0.0], np.cumsum(np.asarray(lams) / (c * mu))))
    return [w0 / ((1 - s[k]) * (1 - s[k + 1])) for k in range(len(lams))]


def _design() -> tuple[int, list[str], list[float]]:
    """(c, urgency names most urgent first, arrival rate per working day of each)."""
    sc = load_scenario(PRIORITY)
    lam = sc.demand.referrals_per_week / 5.0 * sc.triage.open_case
    names = list(sc.triage.urgency)
    return sc.team.permanent, names, [lam * sc.triage.urgency[n].share for n in names]


def test_cobham_formula_reduces_to_erlang_c():
    """Checks the formula as coded: one class is Erlang C, and priority keeps the mean wait."""
    c, lam = 4, 3.6
    (single,) = cobham_waits(c, MU, [lam])
    assert single == pytest.approx(erlang_c(c, lam) / (c * MU - lam), rel=1e-12)
    shares = [0.2, 0.3, 0.5]
    mixed = cobham_waits(c, MU, [lam * s for s in shares])
    assert sum(s * w for s, w in zip(shares, mixed, strict=True)) == pytest.approx(single)
    # a textbook value: M/M/2 at a = 1 waits with probability 1/3
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)


def test_priority_header_states_the_cobham_values():
    text = PRIORITY.read_text()
    c, names, lams = _design()
    theory = cobham_waits(c, MU, lams)
    for name, w in zip(names, theory, strict=True):
        stated = float(re.search(rf"W_{name} = ([0-9.]+)", text).group(1))
        assert stated == pytest.approx(w, abs=5e-5), name
    stated_c = float(re.search(r"C\(4, 3\.6\) = ([0-9.]+)", text).group(1))
    assert stated_c == pytest.approx(erlang_c(c, sum(lams) / MU), abs=5e-5)
    assert sum(lams) / (c * MU) == pytest.approx(0.9)


@pytest.fixture(scope="module")
def priority_run():
    """The validation file as shipped: 20 replications of 2000 days after 200 days' warm-up."""
    return workload_sim.run(PRIORITY)


def _per_rep(res, column: str, reducer) -> dict[str, np.ndarray]:
    """Per urgency: one value per replication over the referrals after warm-up."""
    measured = res.cases[~res.cases["warmup"] & (res.cases["triage_outcome"] == "open_case")]
    out = {}
    for name, group in measured.groupby("urgency"):
        out[name] = group.groupby("rep")[column].agg(reducer).to_numpy()
    return out


def test_each_urgency_waits_as_cobham_says(priority_run):
    c, names, lams = _design()
    theory = dict(zip(names, cobham_waits(c, MU, lams), strict=True))
    # still waiting at the horizon: too few to bias the allocated-only mean
    opened = priority_run.cases[~priority_run.cases["warmup"]]
    assert opened["allocated_at"].isna().mean() < 0.005
    waits = _per_rep(priority_run, "wait_to_allocation", "mean")
    intervals = {}
    for name in names:
        mean, _, lo, hi, n = t_interval(waits[name])
        assert n == 20
        assert lo <= theory[name] <= hi, (name, theory[name], mean, lo, hi)
        # informative: far narrower than the quantity, and than the gaps between classes
        assert hi - lo < 0.25 * theory[name], (name, lo, hi)
        intervals[name] = (lo, hi)
    # the classes are told apart: a first-come-first-served list would fail here
    ordered = [intervals[n] for n in names]
    assert all(a[1] < b[0] for a, b in zip(ordered, ordered[1:], strict=False))


def test_each_urgency_finds_all_workers_busy_with_erlang_c_probability(priority_run):
    c, names, lams = _design()
    p_wait = erlang_c(c, sum(lams) / MU)
    waited = _per_rep(priority_run, "wait_to_allocation", lambda w: float((w > 1e-12).mean()))
    for name in names:
        mean, _, lo, hi, _ = t_interval(waited[name])
        assert lo <= p_wait <= hi, (name, p_wait, mean, lo, hi)
        assert hi - lo < 0.05
