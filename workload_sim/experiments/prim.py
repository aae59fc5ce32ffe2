"""PRIM (the patient rule induction method, Friedman and Fisher 1999) for scenario discovery.

Written here rather than taken from the EMA Workbench on purpose: ema_workbench 2.5
installs cleanly but brings statsmodels, seaborn, scikit-learn and Platypus with it
(about 150 MB) and takes over 4 s to import, for ~150 lines of peeling and pasting. This
module follows its choices so that the two agree: peels of ``alpha`` of the box at a
time, scored by the gain in density per run removed (its default "lenient1" objective),
ties going to a dimension already restricted; pasting back ``alpha`` of the runs just
outside a bound while density rises; and Bryant and Lempert's (2010) quasi-p values, a
one-sided binomial test of each bound. Unlike the workbench, which leaves choosing a box
to the analyst, the box is chosen here (best balance of coverage and density, or the
widest at a given density) and bounds whose quasi-p exceeds 0.05 are dropped.

Inputs are numbers (a field of words is peeled one value at a time); ``y`` is 0/1.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.stats import binom

ALPHA = 0.05  # share of the box peeled (or pasted back) at each step
MASS_MIN = 0.05  # peeling stops before a box would hold fewer than this share of runs
QP_MAX = 0.05  # a bound whose quasi-p value exceeds this is dropped


@dataclass
class Box:
    """Limits on each input: [lo, hi] for numbers, a set of allowed codes for words."""

    lo: np.ndarray
    hi: np.ndarray
    cats: dict[int, frozenset] = field(default_factory=dict)

    def copy(self) -> Box:
        return Box(self.lo.copy(), self.hi.copy(), dict(self.cats))

    def inside(self, x: np.ndarray) -> np.ndarray:
        mask = np.all((x >= self.lo) & (x <= self.hi), axis=1)
        for j, allowed in self.cats.items():
            mask &= np.isin(x[:, j], list(allowed))
        return mask


@dataclass
class Found:
    """A box with its numbers over the data it was found in."""

    box: Box
    coverage: float
    density: float
    mass: float
    runs: int
    hits: int
    restricted: list[int]
    qp: dict[tuple[int, str], float]
    trajectory: list[dict]  # coverage, density, mass, restricted count per peel
    chosen: int  # the peel (row of trajectory) the box was chosen at, before pasting
    start: Box | None = None  # the box of all the data: a bound equal to its is no limit


def full_box(x: np.ndarray, categorical: list[bool]) -> Box:
    box = Box(np.nanmin(x, axis=0), np.nanmax(x, axis=0))
    for j, is_cat in enumerate(categorical):
        if is_cat:
            box.cats[j] = frozenset(np.unique(x[:, j]).tolist())
            box.lo[j], box.hi[j] = -np.inf, np.inf
    return box


def restricted(box: Box, start: Box) -> list[int]:
    return [
        j
        for j in range(len(box.lo))
        if box.lo[j] > start.lo[j]
        or box.hi[j] < start.hi[j]
        or box.cats.get(j) != start.cats.get(j)
    ]


def _score(y_old: np.ndarray, y_new: np.ndarray) -> float:
    """Gain in density per run removed or added (the workbench's "lenient1")."""
    if len(y_new) == 0 or len(y_new) == len(y_old):
        return 0.0
    return (y_new.mean() - y_old.mean()) / abs(len(y_old) - len(y_new))


def _peels(x: np.ndarray, box: Box, alpha: float) -> list[tuple[Box, np.ndarray]]:
    """Candidate boxes with the runs (of ``x``, the runs in ``box``) each keeps: each number
    peeled by alpha from below and from above (at least one distinct value, so whole-number
    fields move), each allowed word removed."""
    out = []
    for j in range(x.shape[1]):
        xj = x[:, j]
        if j in box.cats:
            for c in box.cats[j]:
                if len(box.cats[j]) > 1:
                    new = box.copy()
                    new.cats[j] = box.cats[j] - {c}
                    out.append((new, xj != c))
            continue
        lo, hi = np.quantile(xj, [alpha, 1 - alpha])  # a partial sort, not a full one
        if xj.min() == xj.max():
            continue
        lo = lo if np.any(xj < lo) else xj[xj > lo].min()
        hi = hi if np.any(xj > hi) else xj[xj < hi].max()
        for side, value, keep in (("lo", lo, xj >= lo), ("hi", hi, xj <= hi)):
            new = box.copy()
            getattr(new, side)[j] = value
            out.append((new, keep))
    return out


def _stats(y: np.ndarray, mask: np.ndarray, total_hits: int, n_all: int) -> dict:
    hits, runs = int(y[mask].sum()), int(mask.sum())
    return {
        "coverage": hits / total_hits if total_hits else 0.0,
        "density": hits / runs if runs else 0.0,
        "mass": runs / n_all,
        "runs": runs,
        "hits": hits,
    }


def peel(x: np.ndarray, y: np.ndarray, start: Box, alpha: float, mass_min: float, n_all: int):
    """The peeling trajectory: every box from ``start`` until no peel raises the density or
    the box would fall below ``mass_min`` of ``n_all`` runs."""
    box, mask = start, start.inside(x)
    boxes = [(box, mask)]
    while True:
        best = None
        n_restricted = len(restricted(box, start))
        y_in = y[mask]
        for cand, inner in _peels(x[mask], box, alpha):
            score = _score(y_in, y_in[inner])
            # ties: the peel that restricts no new dimension
            key = (score, -len(restricted(cand, start)) + n_restricted)
            if inner.any() and (best is None or key > best[0]):
                best = (key, cand, inner)
        if best is None or best[0][0] <= 0:
            return boxes
        new_mask = mask.copy()
        new_mask[mask] = best[2]
        if new_mask.sum() < mass_min * n_all:
            return boxes
        box, mask = best[1], new_mask
        boxes.append((box, mask))


def paste(x: np.ndarray, y: np.ndarray, box: Box, start: Box, alpha: float) -> Box:
    """Widen restricted numeric bounds by alpha of the runs just outside them while that
    raises the density."""
    while True:
        mask = box.inside(x)
        best = None
        for j in restricted(box, start):
            if j in box.cats:
                continue  # words are not pasted back (the workbench's choice too)
            for side in ("lo", "hi"):
                wider = box.copy()
                getattr(wider, side)[j] = getattr(start, side)[j]
                outside = wider.inside(x) & ~mask
                if not outside.any():
                    continue
                xj = x[outside, j]
                value = np.quantile(xj, 1 - alpha) if side == "lo" else np.quantile(xj, alpha)
                cand = box.copy()
                getattr(cand, side)[j] = value
                inner = cand.inside(x)
                score = _score(y[mask], y[inner])
                if inner.sum() > mask.sum() and y[inner].mean() > y[mask].mean():
                    if best is None or score > best[0]:
                        best = (score, cand)
        if best is None or best[0] <= 0:
            return box
        box = best[1]


def quasi_p(x: np.ndarray, y: np.ndarray, box: Box, start: Box) -> dict[tuple[int, str], float]:
    """Each restricted bound's quasi-p value: how likely this many runs meeting the condition
    in the box would be if the bound were not there (one-sided binomial)."""
    mask = box.inside(x)
    runs, hits = int(mask.sum()), int(y[mask].sum())
    out = {}
    for j in restricted(box, start):
        sides = ["cats"] if j in box.cats else ["lo", "hi"]
        for side in sides:
            wider = box.copy()
            if side == "cats":
                wider.cats[j] = start.cats[j]
            elif getattr(box, side)[j] == getattr(start, side)[j]:
                continue
            else:
                getattr(wider, side)[j] = getattr(start, side)[j]
            w = wider.inside(x)
            p0 = y[w].mean()
            out[(j, side)] = float(binom.sf(hits - 1, runs, p0)) if runs else 1.0
    return out


def _prune(x: np.ndarray, y: np.ndarray, box: Box, start: Box) -> Box:
    """Drop the least significant bound while any quasi-p value exceeds QP_MAX."""
    while True:
        qp = quasi_p(x, y, box, start)
        if not qp:
            return box
        (j, side), worst = max(qp.items(), key=lambda kv: kv[1])
        if worst <= QP_MAX:
            return box
        box = box.copy()
        if side == "cats":
            box.cats[j] = start.cats[j]
        else:
            getattr(box, side)[j] = getattr(start, side)[j]


def choose(trajectory: list[dict], min_density: float | None) -> int:
    """The box to keep: the widest with at least ``min_density`` when given (or the densest
    if none reaches it); otherwise the best balance of coverage and density (their
    harmonic mean, the F1 score)."""
    if min_density is not None:
        meets = [i for i, t in enumerate(trajectory) if t["density"] >= min_density]
        if meets:
            return meets[0]
        return int(np.argmax([t["density"] for t in trajectory]))
    f1 = [
        2 * t["coverage"] * t["density"] / (t["coverage"] + t["density"])
        if t["coverage"] + t["density"]
        else 0.0
        for t in trajectory
    ]
    return int(np.argmax(f1))


def find_box(
    x: np.ndarray,
    y: np.ndarray,
    categorical: list[bool],
    min_density: float | None = None,
    alpha: float = ALPHA,
    mass_min: float = MASS_MIN,
    n_all: int | None = None,
    total_hits: int | None = None,
) -> Found:
    """One box: peel, choose a box on the trajectory, paste, drop insignificant bounds."""
    n_all = len(y) if n_all is None else n_all
    total_hits = int(y.sum()) if total_hits is None else total_hits
    start = full_box(x, categorical)
    boxes = peel(x, y, start, alpha, mass_min, n_all)
    trajectory = []
    for box, mask in boxes:
        row = _stats(y, mask, total_hits, n_all)
        row["restricted"] = len(restricted(box, start))
        trajectory.append(row)
    chosen = choose(trajectory, min_density)
    box = paste(x, y, boxes[chosen][0], start, alpha)
    box = _prune(x, y, box, start)
    s = _stats(y, box.inside(x), total_hits, n_all)
    return Found(
        box=box,
        restricted=restricted(box, start),
        qp=quasi_p(x, y, box, start),
        trajectory=trajectory,
        chosen=chosen,
        start=start,
        **s,
    )


def find_boxes(
    x: np.ndarray,
    y: np.ndarray,
    categorical: list[bool],
    max_boxes: int = 3,
    min_density: float | None = None,
    keep_density: float = 0.5,
    keep_coverage: float = 0.05,
) -> list[Found]:
    """Boxes one after another, each in the runs the earlier ones left (PRIM's covering);
    after the first, a box is kept only if the condition holds in at least
    ``keep_density`` (or ``min_density``, when given) of its runs and it holds
    ``keep_coverage`` of all runs meeting it."""
    keep_density = keep_density if min_density is None else min_density
    found: list[Found] = []
    left = np.ones(len(y), bool)
    total = int(y.sum())
    while len(found) < max_boxes and y[left].sum() > 0 and left.sum() >= 10:
        f = find_box(x[left], y[left], categorical, min_density, n_all=len(y), total_hits=total)
        if found and (not f.restricted or f.density < keep_density or f.coverage < keep_coverage):
            break
        found.append(f)
        left &= ~f.box.inside(x)
    return found


def stability(
    x: np.ndarray,
    y: np.ndarray,
    categorical: list[bool],
    groups: np.ndarray,
    resamples: int = 50,
    min_density: float | None = None,
    seed: int = 0,
) -> np.ndarray:
    """How often each input is restricted by the first box across bootstrap resamples of
    the design points (a point's replications are drawn together)."""
    rng = np.random.default_rng(seed)
    ids = np.unique(groups)
    rows = [np.flatnonzero(groups == g) for g in ids]
    counts = np.zeros(x.shape[1])
    done = 0
    for _ in range(resamples):
        pick = np.concatenate([rows[i] for i in rng.integers(0, len(ids), len(ids))])
        yb = y[pick]
        if yb.min() == yb.max():
            continue
        f = find_box(x[pick], yb, categorical, min_density)
        counts[f.restricted] += 1
        done += 1
    return counts / done if done else counts * np.nan
