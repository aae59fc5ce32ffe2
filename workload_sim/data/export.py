"""``workload-sim export RUN --format csv``: the extract a team with a run's history would
have produced, as at a date (default: the run's last day), in docs/data.md's format.

It reads one replication's event log (a run with ``--trace``): referrals, who held each
case when, each stretch of work and each worker's absences. Nothing after the as-of date is
written: the extract is what the case system would have shown on that date. Ids are made up
(R000001, W001); the history is synthetic.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ..model.calendar import WorkCalendar

NEEDED = ("events.parquet", "tasks.parquet", "cases.parquet", "workers.parquet", "scenario.yaml")
ROLE = {"permanent": "experienced", "newly_qualified": "newly_qualified", "agency": "agency"}


class ExportError(Exception):
    pass


def export_csv(run: Path, out: Path, as_of: dt.date | None = None, rep: int = 0) -> dict[str, int]:
    """Write referrals, open_cases, staff, absences and allocations CSVs; rows per file."""
    run = Path(run)
    missing = [n for n in NEEDED if not (run / n).is_file()]
    if missing:
        raise ExportError(
            f"{run}: no {missing[0]}; export needs a run made with --trace "
            "(workload-sim run SCENARIO --trace --out FOLDER)"
        )
    sc = yaml.safe_load((run / "scenario.yaml").read_text("utf-8"))
    ev = pd.read_parquet(run / "events.parquet")
    if rep not in set(ev["rep"]):
        raise ExportError(f"--rep {rep}: the run has replications {sorted(set(ev['rep']))}")
    ev = ev[ev["rep"] == rep]
    cases = pd.read_parquet(run / "cases.parquet").query("rep == @rep")
    tasks = pd.read_parquet(run / "tasks.parquet").query("rep == @rep")
    workers = pd.read_parquet(run / "workers.parquet").query("rep == @rep")
    cal_spec = sc.get("calendar", {})
    start = dt.date.fromisoformat(str(cal_spec.get("start_date")))
    n_days = int(sc.get("warmup_days", 0)) + int(sc.get("horizon_days", 253))
    cal = WorkCalendar(start, n_days, cal_spec.get("country", "GB"), cal_spec.get("subdivision"))
    dates = cal.dates
    if as_of is None:
        as_of = dates[-1].astype(dt.date)
    if not dates[0].astype(dt.date) <= as_of <= dates[-1].astype(dt.date):
        raise ExportError(
            f"--as-of {as_of}: outside the run ({dates[0]} to {dates[-1]}); give a date in it"
        )
    cut = float(np.searchsorted(dates, np.datetime64(as_of, "D"), side="right"))  # times < cut

    def day(t, upto: float = cut) -> pd.Series:
        """Dates of clock times; blank where none or not yet happened (from ``upto`` on)."""
        t = pd.Series(t, dtype=float).reset_index(drop=True)
        ok = t.notna() & (t < upto)
        i = np.clip(np.floor(t.fillna(0)).astype(int), 0, n_days - 1)
        out = pd.Series(dates[i].astype("datetime64[D]").astype(str))
        return out.where(ok, "")

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    spells = ev[ev["record"] == "spells"][["case", "place", "worker", "start", "end"]]
    spells = spells[spells["start"] < cut]
    rows = {}
    rows["referrals"] = _referrals(cases, spells, day, cut, out)
    rows["open_cases"] = _open_cases(cases, spells, tasks, sc, day, cut, out)
    rows.update(_staff(ev, workers, dates, day, cut, out))
    alloc = spells[spells["place"] == "worker"].sort_values(["start", "case"])
    pd.DataFrame(
        {
            "case_id": [f"C{int(c):06d}" for c in alloc["case"]],
            "referral_id": [f"R{int(c):06d}" for c in alloc["case"]],
            "worker_id": [f"W{int(w):03d}" for w in alloc["worker"]],
            "from": day(alloc["start"]).to_numpy(),
            "to": day(alloc["end"]).to_numpy(),
        }
    ).to_csv(out / "allocations.csv", index=False)
    rows["allocations"] = len(alloc)
    return rows


def _last_worker(spells: pd.DataFrame) -> dict[int, int]:
    held = spells[spells["place"] == "worker"].sort_values("start")
    return dict(zip(held["case"].astype(int), held["worker"].astype(int), strict=False))


def _referrals(cases, spells, day, cut, out: Path) -> int:
    c = cases[~cases["warm_start"] & (cases["arrival"] < cut)].sort_values("arrival")
    opened = c["triage_outcome"].eq("open_case")
    triaged = c["triaged_at"] < cut
    outcome = np.where(opened, c["pathway"], c["triage_outcome"])
    outcome = np.where(triaged & c["triage_outcome"].ne("awaiting_triage"), outcome, "")
    holder = _last_worker(spells)
    worker = [f"W{holder[i]:03d}" if i in holder else "" for i in c["id"].astype(int)]
    closed = c["closed_at"].where(opened)
    reason = np.where(c["closed_unworked"], "closed without the work done", "work completed")
    frame = pd.DataFrame(
        {
            "referral_id": [f"R{int(i):06d}" for i in c["id"]],
            "received": day(c["arrival"]).to_numpy(),
            "triage_date": day(c["triaged_at"]).to_numpy(),
            "outcome": outcome,
            "urgency": c["urgency"].to_numpy(),
            "allocated": day(c["allocated_at"].where(opened)).to_numpy(),
            "worker_id": worker,
            "stage_start": day(c["allocated_at"].where(opened)).to_numpy(),
            "stage_end": day(c["enquiry_done_at"].where(opened)).to_numpy(),
            "closed": day(closed).to_numpy(),
        }
    )
    frame["closure_reason"] = np.where(frame["closed"].ne(""), reason, "")
    frame.to_csv(out / "referrals.csv", index=False)
    return len(frame)


def _open_cases(cases, spells, tasks, sc, day, cut, out: Path) -> int:
    c = cases[
        cases["triage_outcome"].eq("open_case")
        & (cases["triaged_at"] < cut)
        & ~(cases["closed_at"] < cut)
    ]
    now = spells[(spells["start"] < cut) & ~(spells["end"] < cut)]
    now = now.drop_duplicates("case", keep="last").set_index("case")
    steps = {
        p: [s["name"] for s in spec.get("steps", [])]
        for p, spec in (sc.get("pathways") or {}).items()
    }
    t = tasks[(tasks["kind"] == "case") & (tasks["queued_at"] < cut)]
    rows = []
    for case in c.itertuples():
        cid = int(case.id)
        where = now.loc[cid] if cid in now.index else None
        if where is None or where["place"] == "triage":
            continue
        mine = t[(t["case"] == cid) & (t["pathway"] == case.pathway)]
        stage, since = _stage(mine, steps.get(case.pathway, []), cut)
        held = where["place"] == "worker"
        rows.append(
            {
                "case_id": f"C{cid:06d}",
                "referral_date": day([case.arrival])[0],
                "pathway": case.pathway,
                "urgency": case.urgency,
                "stage": stage,
                "stage_since": day([since])[0] if since is not None else "",
                "worker_id": f"W{int(where['worker']):03d}" if held else "",
                "waiting_since": "" if held else day([where["start"]])[0],
            }
        )
    frame = pd.DataFrame(
        rows,
        columns=[
            "case_id",
            "referral_date",
            "pathway",
            "urgency",
            "stage",
            "stage_since",
            "worker_id",
            "waiting_since",
        ],
    )
    frame.to_csv(out / "open_cases.csv", index=False)
    return len(frame)


def _stage(mine: pd.DataFrame, order: list[str], cut: float) -> tuple[str, float | None]:
    """The step the case is at on the date: its first task not done by then, else the step
    after the last one done (blank: nothing started)."""
    if mine.empty:
        return "", None
    done = mine["finished"].notna() & (mine["finished"] < cut) & mine["status"].eq("done")
    pending = mine[~done]
    if len(pending):
        first = pending.sort_values("queued_at").iloc[0]
        return str(first["step_name"]), float(first["queued_at"])
    last = mine[done].sort_values("finished").iloc[-1]
    name = str(last["step_name"])
    if name in order and order.index(name) + 1 < len(order):
        return order[order.index(name) + 1], float(last["finished"])
    return name, float(last["queued_at"])


def _staff(ev, workers, dates, day, cut, out: Path) -> dict[str, int]:
    states = ev[ev["record"] == "states"][["worker", "time", "state"]].sort_values(
        ["worker", "time"]
    )
    spans = []
    for w, g in states.groupby("worker"):
        times = g["time"].to_numpy()
        ends = np.append(times[1:], np.inf)
        for s, e, st in zip(times, ends, g["state"], strict=True):
            if st in ("sick", "leave") and s < cut:
                spans.append((int(w), s, e, st))
    year_ago = np.datetime64(dates[min(int(cut), len(dates)) - 1], "D") - np.timedelta64(365, "D")
    first12 = float(np.searchsorted(dates, year_ago, side="right"))
    sick12: dict[int, float] = {}
    absent: dict[int, float] = {}
    for w, s, e, st in spans:
        if st == "sick":
            lo, hi = max(s, first12), min(e, cut)
            sick12[w] = sick12.get(w, 0.0) + max(0.0, np.ceil(hi) - np.ceil(lo))
            if s < cut <= e or (s < cut and e == np.inf):
                absent[w] = e
    w = workers[workers["joined_at"] < cut].sort_values("worker")
    left = w["left_at"] < cut
    staff = pd.DataFrame(
        {
            "worker_id": [f"W{int(i):03d}" for i in w["worker"]],
            "role": w["kind"].map(ROLE).to_numpy(),
            "fte": w["fte"].to_numpy(),
            "start_date": day(w["joined_at"]).to_numpy(),
            "end_date": day(w["left_at"]).to_numpy(),
            "end_reason": np.where(left, w["leave_reason"].fillna(""), ""),
            "caseload_cap": w["caseload_cap"].to_numpy(),
            "sickness_days_12m": [int(sick12.get(int(i), 0)) for i in w["worker"]],
            "absent_now": ["yes" if int(i) in absent else "no" for i in w["worker"]],
            "expected_back": [
                day([absent[int(i)]], upto=len(dates))[0]  # expected back: known on the date
                if absent.get(int(i), np.inf) < len(dates)
                else ""
                for i in w["worker"]
            ],
        }
    )
    posts = ev[(ev["record"] == "posts") & (ev["time"] < cut)].sort_values("time")
    vacant = posts.drop_duplicates("post", keep="last")
    vacant = vacant[vacant["vacant"].astype(str).eq("True")]
    for p in vacant["post"]:
        staff.loc[len(staff)] = [f"V{int(p):03d}", "vacant", 1.0, "", "", "", np.nan, 0, "no", ""]
    staff.to_csv(out / "staff.csv", index=False)
    ab = pd.DataFrame(spans, columns=["worker", "s", "e", "reason"])
    pd.DataFrame(
        {
            "worker_id": [f"W{int(i):03d}" for i in ab["worker"]],
            "from": day(ab["s"]).to_numpy(),
            "to": day(np.where(ab["e"] < cut, np.ceil(ab["e"]) - 1, np.nan)).to_numpy(),
            "reason": ab["reason"]
            .replace({"sick": "sickness", "leave": "annual leave"})
            .to_numpy(),
        }
    ).to_csv(out / "absences.csv", index=False)
    return {"staff": len(staff), "absences": len(ab)}
