"""Reading the DfE children's social work workforce census (CSWW) XML into the extract's
staff table (docs/data.md, "Standard returns").

Element names are the census's (as in Social Finance's liia-tools,
``liiatools/csww_pipeline/spec/pipeline.yml`` and its sample
``spec/samples/social_work_workforce_2022.xml``). Each ``CSWWWorker`` becomes one staff row
from these elements only; every other element (PersonBirthDate, GenderCurrent, Ethnicity,
QualInst, ...) is skipped and never kept:

- SWENo -> worker_id (replaced by a post number at the door)
- AgencyWorker 1 -> role agency; else OrgRole 1-3 (managers) and 6 (qualified without
  cases) -> manager, 4-5 (senior practitioner, case holder) -> experienced
- FTE (FTE30 if blank) -> fte; RoleStartDate -> start_date; RoleEndDate -> end_date;
  ReasonLeave -> end_reason (as its code)
- WorkingDaysLost -> sickness_days_12m (the census year to 30 September)

Not used: Absat30Sept (absent on the census date, not the as-of date), Cases30 (the open
cases come from Annex A List 6), LALevelVacancies, ContractWeeks, StartOrigin,
LeaverDestination, ReasonAbsence and the rest.
"""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

import pandas as pd

from .readers import ExtractError

READ = (
    "SWENo",
    "AgencyWorker",
    "OrgRole",
    "FTE",
    "FTE30",
    "RoleStartDate",
    "RoleEndDate",
    "ReasonLeave",
    "WorkingDaysLost",
)
MANAGER_ROLES = {"1", "2", "3", "6"}


def _tag(el) -> str:
    return el.tag.rsplit("}", 1)[-1]  # without a namespace


def read_csww(path: Path) -> tuple[pd.DataFrame, str | None]:
    """(staff rows as text with 'line' = the worker's place in the file, reference date)."""
    path = Path(path)
    rows: list[dict[str, str]] = []
    ref_date = None
    try:
        for _, el in ET.iterparse(path, events=("end",)):
            tag = _tag(el)
            if tag == "ReferenceDate":
                ref_date = (el.text or "").strip() or None
            elif tag == "CSWWWorker":
                got = {_tag(c): (c.text or "").strip() for c in el if _tag(c) in READ}
                rows.append({k: got.get(k, "") for k in READ})
                el.clear()  # the rest of the worker's elements are dropped unread
    except FileNotFoundError:
        raise ExtractError(f"--workforce {path}: no such file; check the path") from None
    except ET.ParseError as exc:
        raise ExtractError(
            f"--workforce {path.name}: not well-formed XML (line {exc.position[0]}); "
            "give the CSWW return as exported"
        ) from None
    except OSError as exc:
        raise ExtractError(f"--workforce {path.name}: cannot be read ({exc.strerror})") from None
    if not rows:
        raise ExtractError(
            f"--workforce {path.name}: no CSWWWorker elements; give the DfE children's "
            "social work workforce census XML"
        )
    frame = pd.DataFrame(rows, columns=list(READ))
    role = frame["OrgRole"].map(lambda r: "manager" if r in MANAGER_ROLES else "experienced")
    role = role.where(frame["AgencyWorker"].ne("1"), "agency")
    fte = frame["FTE"].where(frame["FTE"].ne(""), frame["FTE30"])
    reason = frame["ReasonLeave"].map(lambda r: f"census reason code {r}" if r else "")
    staff = pd.DataFrame(
        {
            "line": range(1, len(frame) + 1),
            "worker_id": frame["SWENo"],
            "role": role,
            "fte": fte,
            "start_date": frame["RoleStartDate"],
            "end_date": frame["RoleEndDate"],
            "end_reason": reason,
            "sickness_days_12m": frame["WorkingDaysLost"],
        }
    )
    return staff, ref_date
