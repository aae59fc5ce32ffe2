"""Scenario discovery on a sweep: where in the inputs does a condition on a result hold?

``discover(folder, "backlog_growth_per_week > 0")`` reads the runs a sweep wrote (one row
per point and replication, sweep.parquet), marks each run where the condition holds, and
finds boxes of the varied fields where it mostly does with PRIM (``prim.py``): each box's
coverage (the share of all runs meeting the condition that fall inside it), density (the
share of the runs inside that meet it), mass (the share of all runs inside), the fields
it restricts, and how often each field is restricted across bootstrap resamples of the
design points. A CART tree (scikit-learn) is grown as a cross-check.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import prim

MIN_RUNS = 20  # fewer runs than this cannot support a box
NOT_INPUTS = {"point", "rep", "seed"}
OPS = {">": np.greater, ">=": np.greater_equal, "<": np.less, "<=": np.less_equal}
OP_WORDS = {">": "is above", ">=": "is at least", "<": "is below", "<=": "is at most"}
_CONDITION = re.compile(
    r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(>=|<=|>|<)\s*"
    r"([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*$"
)


class DiscoveryError(ValueError):
    """Bad input: an unknown metric, a condition that does not parse, not a sweep folder."""


class NothingToFind(ValueError):
    """The sweep cannot answer: too few runs, or the condition holds in none or all."""


@dataclass
class Condition:
    metric: str
    op: str
    threshold: float

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.threshold:g}"


def parse_condition(text: str) -> Condition:
    m = _CONDITION.match(text or "")
    if not m:
        raise DiscoveryError(
            f"--when {text!r}: write METRIC OP NUMBER with OP one of > >= < <=, "
            "e.g. --when 'backlog_growth_per_week > 0'"
        )
    return Condition(m.group(1), m.group(2), float(m.group(3)))


def read_runs(folder: Path) -> tuple[pd.DataFrame, list[str]]:
    """A sweep folder's runs (sweep.parquet) and the fields it varied (design.parquet)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DiscoveryError(f"{folder}: not a folder; give the folder `workload-sim sweep` wrote")
    missing = [n for n in ("sweep.parquet", "design.parquet") if not (folder / n).is_file()]
    if missing:
        raise DiscoveryError(
            f"{folder}: not a finished sweep folder (no {missing[0]}); give the folder "
            "`workload-sim sweep` wrote"
        )
    try:
        runs = pd.read_parquet(folder / "sweep.parquet")
        design = pd.read_parquet(folder / "design.parquet")
    except Exception as exc:  # a damaged table: pyarrow raises several kinds
        raise DiscoveryError(
            f"{folder}: its tables cannot be read ({exc}); rerun the sweep"
        ) from None
    fields = [c for c in design.columns if c not in NOT_INPUTS]
    lost = [f for f in fields if f not in runs.columns]
    if not fields or lost or "point" not in runs.columns:
        raise DiscoveryError(f"{folder}: sweep.parquet does not match design.parquet; rerun it")
    return runs, fields


def label(runs: pd.DataFrame, fields: list[str], cond: Condition) -> np.ndarray:
    """Whether each run meets the condition; the metric must be a result of the sweep."""
    metrics = [
        c
        for c in runs.columns
        if c not in NOT_INPUTS and c not in fields and pd.api.types.is_numeric_dtype(runs[c])
    ]
    if cond.metric not in metrics:
        close = difflib.get_close_matches(cond.metric, metrics, n=3)
        hint = f"did you mean {', '.join(close)}?" if close else f"known: {', '.join(metrics)}"
        raise DiscoveryError(f"--when: {cond.metric!r} is not a result of this sweep; {hint}")
    return OPS[cond.op](runs[cond.metric].to_numpy(dtype=float), cond.threshold)


@dataclass
class Discovery:
    condition: Condition
    fields: list[str]
    runs: int
    hits: int
    dropped: int  # runs without a value of the metric
    boxes: pd.DataFrame  # one row per box (PRIM, then CART's leaves where it holds)
    peeling: pd.DataFrame  # the first box's trajectory
    stability: pd.DataFrame  # field, share of resamples restricting it
    qp: pd.DataFrame  # box, field, side, quasi-p
    cart_text: str
    cart_splits: list[tuple[int, str, float]]  # (depth, field, threshold), top levels
    sentences: list[str]


def _inputs(runs: pd.DataFrame, fields: list[str]) -> tuple[np.ndarray, list[bool], dict]:
    """The fields as numbers: words become codes (in sorted order), true/false 0/1."""
    cols, categorical, codes = [], [], {}
    for f in fields:
        s = runs[f]
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            cols.append(s.astype(float).to_numpy())
            categorical.append(False)
        else:
            names = sorted(s.astype(str).unique())
            codes[f] = names
            cols.append(s.astype(str).map({n: i for i, n in enumerate(names)}).to_numpy(float))
            categorical.append(True)
    return np.column_stack(cols), categorical, codes


def discover(
    runs: pd.DataFrame,
    fields: list[str],
    cond: Condition,
    min_density: float | None = None,
    resamples: int = 30,
    max_boxes: int = 3,
    seed: int = 0,
    words: dict[str, tuple[str, str]] | None = None,
) -> Discovery:
    """PRIM boxes, resampling stability and a CART cross-check for ``cond`` on ``runs``."""
    hit = label(runs, fields, cond)
    known = runs[cond.metric].notna().to_numpy()
    runs, hit = runs[known].reset_index(drop=True), hit[known]
    n, k = len(runs), int(hit.sum())
    varied = [f for f in fields if runs[f].nunique() > 1]
    if n < MIN_RUNS:
        raise NothingToFind(
            f"{cond}: only {n} runs with a value of {cond.metric}; too few to find a region "
            f"(at least {MIN_RUNS}): run the sweep with more points or replications"
        )
    if k in (0, n):
        lo, hi = runs[cond.metric].min(), runs[cond.metric].max()
        how = "none" if k == 0 else "all"
        raise NothingToFind(
            f"{cond} holds in {how} of the {n} runs ({cond.metric} runs from {lo:.4g} to "
            f"{hi:.4g}): there is no region to find; choose a threshold inside that range"
        )
    if not varied:
        raise NothingToFind(f"{cond}: no field varies across these runs; nothing to divide")
    x, categorical, codes = _inputs(runs, varied)
    y = hit.astype(float)
    found = prim.find_boxes(x, y, categorical, max_boxes, min_density)
    groups = runs["point"].to_numpy()
    stab = prim.stability(x, y, categorical, groups, resamples, min_density, seed)
    tree_text, splits, leaves = _cart(x, y, varied, seed)
    rows = [_box_row("prim", i + 1, f, varied, codes) for i, f in enumerate(found)]
    rows += [_box_row("cart", i + 1, f, varied, codes) for i, f in enumerate(leaves)]
    first = found[0]
    peeling = pd.DataFrame(first.trajectory)
    peeling.insert(0, "step", range(len(peeling)))
    peeling["chosen"] = peeling["step"] == first.chosen
    qp = pd.DataFrame(
        [
            {
                "box": i + 1,
                "field": varied[j],
                "bound": {"lo": "lower", "hi": "upper"}.get(s, s),
                "quasi_p": p,
            }
            for i, f in enumerate(found)
            for (j, s), p in sorted(f.qp.items())
        ],
        columns=["box", "field", "bound", "quasi_p"],
    )
    words = words or {}
    boxes = pd.DataFrame(rows)
    return Discovery(
        condition=cond,
        fields=varied,
        runs=n,
        hits=k,
        dropped=int((~known).sum()),
        boxes=boxes,
        peeling=peeling,
        stability=pd.DataFrame({"field": varied, "restricted_share": stab}),
        qp=qp,
        cart_text=tree_text,
        cart_splits=splits,
        sentences=[box_sentence(r, cond, varied, words) for r in rows if r["method"] == "prim"],
    )


def _box_row(method: str, i: int, f: prim.Found, fields: list[str], codes: dict) -> dict:
    row = {
        "method": method,
        "box": i,
        "coverage": f.coverage,
        "density": f.density,
        "mass": f.mass,
        "runs": f.runs,
        "runs_meeting": f.hits,
        "restricted": ";".join(fields[j] for j in f.restricted),
    }
    for j, name in enumerate(fields):
        if j in f.box.cats:
            allowed = sorted(codes[name][int(c)] for c in f.box.cats[j])
            row[f"{name} values"] = "|".join(allowed) if j in f.restricted else ""
            continue
        lo, hi = f.box.lo[j], f.box.hi[j]
        row[f"{name} low"] = lo if lo > f.start.lo[j] and math.isfinite(lo) else np.nan
        row[f"{name} high"] = hi if hi < f.start.hi[j] and math.isfinite(hi) else np.nan
    return row


def _cart(x: np.ndarray, y: np.ndarray, fields: list[str], seed: int):
    """A shallow classification tree: its rules as text, its top splits, and its leaves
    where the condition holds in most runs, as boxes (words are split on their codes). A
    split whose two sides give the same answer is folded away."""
    from sklearn.tree import DecisionTreeClassifier

    tree = DecisionTreeClassifier(
        max_depth=3, min_samples_leaf=max(5, len(y) // 50), random_state=seed
    ).fit(x, y)
    t = tree.tree_
    holds = tree.classes_[t.value[:, 0, :].argmax(axis=1)] > 0.5
    splits, leaves, lines = [], [], []
    total = y.sum()
    start = prim.full_box(x, [False] * x.shape[1])

    def answer(node: int) -> bool | None:
        """The subtree's one answer, or None when its leaves differ."""
        if t.children_left[node] == -1:
            return bool(holds[node])
        a, b = answer(int(t.children_left[node])), answer(int(t.children_right[node]))
        return a if a is not None and a == b else None

    def walk(node: int, depth: int, box: prim.Box, rule: list[str]) -> None:
        if answer(node) is not None:
            mask = box.inside(x)
            runs, hits = int(mask.sum()), int(y[mask].sum())
            said = "holds" if answer(node) else "does not hold"
            share = f"{hits / runs:.0%}" if runs else "n/a"
            lines.append(
                f"{' and '.join(rule) or 'everywhere'}: {said} ({share} of {runs:,} runs meet it)"
            )
            if answer(node) and runs:
                leaves.append(
                    prim.Found(
                        box=box,
                        coverage=hits / total,
                        density=hits / runs,
                        mass=runs / len(y),
                        runs=runs,
                        hits=hits,
                        restricted=prim.restricted(box, start),
                        qp={},
                        trajectory=[],
                        chosen=0,
                        start=start,
                    )
                )
            return
        j, cut = int(t.feature[node]), float(t.threshold[node])
        if depth < 2:
            splits.append((depth, fields[j], cut))
        left, right = box.copy(), box.copy()
        left.hi[j] = min(left.hi[j], cut)
        right.lo[j] = max(right.lo[j], np.nextafter(cut, np.inf))
        walk(int(t.children_left[node]), depth + 1, left, [*rule, f"{fields[j]} <= {cut:.4g}"])
        walk(int(t.children_right[node]), depth + 1, right, [*rule, f"{fields[j]} > {cut:.4g}"])

    walk(0, 0, start.copy(), [])
    return "\n".join(lines), splits, leaves


def _num(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3g}"


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _unit_words(unit: str) -> str:
    """A unit after a number: none for headcounts and shares, "referrals/week" as
    "referrals a week"."""
    if unit in ("", "headcount", "fraction", "count"):
        return ""
    return " " + re.sub(r"/(week|day|year|month)\b", r" a \1", unit)


def clause(row: dict, field: str, words: dict[str, tuple[str, str]]) -> str | None:
    """One field's limits in words ("referrals per week is at least 31.2"), or None."""
    meaning, unit = words.get(field, (field, ""))
    name = _lower_first(meaning)
    unit = _unit_words(unit)
    if f"{field} values" in row:
        v = row[f"{field} values"]
        return f"{name} is {' or '.join(v.split('|'))}" if v else None
    lo, hi = row.get(f"{field} low", np.nan), row.get(f"{field} high", np.nan)
    if pd.notna(lo) and pd.notna(hi):
        return f"{name} is between {_num(lo)} and {_num(hi)}{unit}"
    if pd.notna(lo):
        return f"{name} is at least {_num(lo)}{unit}"
    if pd.notna(hi):
        return f"{name} is at most {_num(hi)}{unit}"
    return None


def condition_words(cond: Condition) -> str:
    from ..records.metrics import METRICS

    unit, meaning = METRICS.get(cond.metric, ("", cond.metric))
    meaning = _lower_first(meaning or cond.metric)
    if unit == "fraction":  # a share: "the share of cases ... is at least 20%"
        return f"the share of {meaning} {OP_WORDS[cond.op]} {cond.threshold:.0%}"
    return f"{meaning} {OP_WORDS[cond.op]} {cond.threshold:g}{_unit_words(unit)}"


def box_sentence(row: dict, cond: Condition, fields: list[str], words: dict) -> str:
    """The box in words: its density, then its coverage."""
    parts = [c for f in fields if (c := clause(row, f, words))]
    if not parts:
        return (
            f"No region of the fields varied stands out: {condition_words(cond)} in "
            f"{row['density']:.0%} of all {row['runs']:,} runs, and no box of them does "
            "clearly better."
        )
    where = " and ".join(parts)
    before = "" if row["box"] == 1 else "Outside the box" + ("es" if row["box"] > 2 else "")
    before += " above, i" if before else "I"
    return (
        f"{before}n {row['density']:.0%} of the runs where {where}, {condition_words(cond)}; "
        f"{row['coverage']:.0%} of all the runs where it does are inside this box "
        f"({row['runs']:,} runs, {row['mass']:.0%} of the sweep)."
    )


def write(folder: Path, d: Discovery, resamples: int) -> list[Path]:
    """discovery.csv (the boxes), the peeling trajectory, the stability table and
    discovery.json (the condition, the sentences, quasi-p values and the CART rules)."""
    import json

    from .. import __version__
    from .outputs import write_csv, write_text

    folder = Path(folder)
    info = {
        "version": __version__,
        "condition": str(d.condition),
        "condition_words": condition_words(d.condition),
        "runs": d.runs,
        "hits": d.hits,
        "dropped": d.dropped,
        "fields": d.fields,
        "resamples": resamples,
        "sentences": d.sentences,
        "quasi_p": d.qp.to_dict("records"),
        "cart_splits": d.cart_splits,
        "cart_text": d.cart_text,
    }
    return [
        write_csv(folder / "discovery.csv", d.boxes),
        write_csv(folder / "discovery_peeling.csv", d.peeling),
        write_csv(folder / "discovery_stability.csv", d.stability),
        write_text(folder / "discovery.json", json.dumps(info, indent=2) + "\n"),
    ]
