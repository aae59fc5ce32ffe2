"""Builds the hostile-input corpus: broken, malicious and absurd scenario files,
``--set`` values, sweep files and output paths, each with the command that reads it.

Nothing here is stored in git but this script: big files (over the size cap,
a billion-laughs bomb) are written when the corpus is built. Every case must be
refused with exit 2 and a short message, fast and within a memory cap.

    python tests/hostile/corpus.py OUTDIR      # writes OUTDIR/cases.json and the files
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = ROOT / "scenarios" / "adult_safeguarding_team.yaml"
RUN = ["--days", "20", "--reps", "1", "--quiet"]  # for files that used to pass validate


@dataclass
class Case:
    name: str
    args: list[str]  # the command line after 'python run.py', paths relative to the corpus
    files: dict[str, str] = field(default_factory=dict)  # relative path -> text


def _scenario(body: str) -> str:
    """A small scenario around ``body``; top-level keys the body sets are not repeated."""
    head = {"name": "hostile", "replications": "1", "horizon_days": "20"}
    given = {line.split(":")[0] for line in body.splitlines()}
    return "".join(f"{k}: {v}\n" for k, v in head.items() if k not in given) + body


# --- scenario files: YAML itself ---------------------------------------------------------
def _yaml_cases() -> list[Case]:
    laughs = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        ref = ",".join([f"*a{i - 1}"] * 9)
        laughs.append(f"a{i}: &a{i} [{ref}]")
    laughs.append("description: *a9")
    raw = {
        "billion_laughs": "name: x\n" + "\n".join(laughs) + "\n",
        "alias_into_field": "name: x\n" + "\n".join(laughs[:6]) + "\nteam: {permanent: *a5}\n",
        "deep_flow_nesting": "name: x\ndescription: " + "[" * 5000 + "]" * 5000 + "\n",
        "deep_mapping_nesting": "name: x\nsources: " + "{a: " * 2000 + "1" + "}" * 2000 + "\n",
        "huge_integer": _scenario("seed: " + "9" * 100_000 + "\n"),
        "bad_timestamp_tag": _scenario("calendar: {start_date: !!timestamp 2026-13-45}\n"),
        "bad_int_tag": _scenario("seed: !!int abc\n"),
        "bad_float_tag": _scenario("demand: {referrals_per_week: !!float xyz}\n"),
        "complex_key": _scenario("? [a, b]\n: 1\n"),
        "python_object_tag": _scenario("description: !!python/object/apply:os.system [id]\n"),
        "binary_tag": _scenario("description: !!binary aGVsbG8=\n"),
        "set_tag": _scenario("sources: !!set {a, b}\n"),
        "unknown_tag": _scenario("seed: !custom 5\n"),
        "recursive_alias": _scenario("sources: &s {a: *s}\n"),
        "recursive_list": _scenario("description: &d [*d]\n"),
        "merge_key_bomb": _scenario("base: &b {seed: 1}\nteam: {<<: *b}\n"),
        "null_key": _scenario("null: 1\n"),
        "int_key": _scenario("1: 2\n"),
        "bool_key": _scenario("team: {true: 1}\n"),
        "tab_indent": "name: x\nteam:\n\tpermanent: 3\n",
        "unterminated_string": "name: 'x\n",
        "only_comment": "# nothing\n",
        "top_scalar": "42\n",
        "two_documents": "name: a\n---\nname: b\n",
        "nul_in_name_escape": _scenario('description: x\nsources: {"a\\0b": c}\n'),
        "name_is_list": "name: [a, b]\n",
        "name_is_mapping": "name: {a: 1}\n",
        "long_line_key": _scenario("x" * 200_000 + ": 1\n"),
        "many_unknown_keys": _scenario("".join(f"k{i}: {i}\n" for i in range(5000))),
        "many_values_under_size_cap": _scenario(
            "sources:\n" + "".join(f"  k{i}: a\n" for i in range(150_000))
        ),
    }
    cases = [Case(k, ["validate", f"{k}.yaml"], {f"{k}.yaml": v}) for k, v in raw.items()]
    cases.append(Case("over_size_cap", ["validate", "big.yaml"], {"big.yaml": _big_yaml()}))
    cases.append(Case("dev_zero", ["validate", "/dev/zero"]))
    cases.append(Case("dev_urandom", ["validate", "/dev/urandom"]))
    cases.append(Case("a_directory", ["validate", "."]))
    cases.append(Case("missing_file", ["validate", "nope.yaml"]))
    cases.append(Case("latin1", ["validate", "latin1.yaml"], {"latin1.yaml": "\udce9"}))
    return cases


def _big_yaml() -> str:
    lines = ["name: big", "sources:"]
    lines += [f"  k{i}: '{'x' * 60}'" for i in range(90_000)]  # ~6 MB
    return "\n".join(lines) + "\n"


# --- scenario files: values the schema or the model cannot use ---------------------------
def _value_cases() -> list[Case]:
    raw = {
        "seed_true": "seed: true\n",
        "seed_negative": "seed: -1\n",
        "seed_too_big": f"seed: {2**70}\n",
        "seed_quoted": "seed: '8'\n",
        "seed_float": "seed: 8.5\n",
        "headcount_true": "team: {permanent: true}\n",
        "headcount_quoted": "team: {permanent: '8'}\n",
        "headcount_hex": "team: {permanent: 0x10}\n",
        "headcount_octal": "team: {permanent: 0o17}\n",
        "headcount_float": "team: {permanent: 8.0}\n",
        "headcount_huge": "team: {permanent: 100000000000000000000}\n",
        "rate_quoted": "demand: {referrals_per_week: '28'}\n",
        "rate_bool": "demand: {referrals_per_week: true}\n",
        "rate_nan": "demand: {referrals_per_week: .nan}\n",
        "probability_string": "triage: {open_case: 'half'}\n",
        "overtime_flag_number": "overtime: {enabled: 1}\n",
        "overtime_flag_yes": "overtime: {enabled: 'yes'}\n",
        "date_number": "calendar: {start_date: 20260401}\n",
        "date_impossible": "calendar: {start_date: 2026-02-30}\n",
        "date_year_zero": "calendar: {start_date: 0000-01-01}\n",
        "country_unknown": "calendar: {country: ZZ}\n",
        "subdivision_unknown": "calendar: {country: GB, subdivision: XXX}\n",
        "country_empty": "calendar: {country: ''}\n",
        "warm_start_huge": "warm_start: {cases_per_worker: 1000000}\n",
        "warm_start_unallocated_huge": "warm_start: {unallocated: 100000000}\n",
        "century_growth": "horizon_days: 25300\ndemand: {annual_growth: 0.04}\n",
        "horizon_too_long": "horizon_days: 100000\n",
        "unknown_key_in_urgency": "triage: {urgency: {high: {share: 1, foo: 1}}}\n",
        "unknown_key_in_pathway": (
            "pathways: {p: {stepz: [], steps: [{name: a}]}}\ntriage: {case_mix: {p: 1}}\n"
        ),
        "pathway_loops_forever": _loop("1.0"),
        "pathway_expected_too_long": _loop("0.999"),
        "pathways_mutual_loop": (
            "pathways:\n"
            "  a: {steps: [{name: x, branches: [{pathway: b, probability: 1.0}]}]}\n"
            "  b: {steps: [{name: y, branches: [{pathway: a, probability: 1.0}]}]}\n"
            "triage: {case_mix: {a: 1}}\n"
        ),
        "pathway_fan_out": _fan_out(),
        "step_name_empty_list": "pathways: {p: {steps: []}}\ntriage: {case_mix: {p: 1}}\n",
        "description_megabyte": "description: '" + "x" * 1_500_000 + "'\n",
        # issue 18: these passed validate, then failed every replication or ran silently
        "date_year_9999": "calendar: {start_date: 9999-06-01}\n",
        "allocation_target_2_to_63": "triage: {urgency: {standard: {share: 1, "
        f"allocation_target_days: {2**63}}}}}}}\n",
        "name_with_nul": 'name: "team\\0x"\n',
        "name_with_line_break": 'name: "team\\nx"\n',
    }
    cases = [
        Case(k, ["validate", f"{k}.yaml"], {f"{k}.yaml": _scenario(v)}) for k, v in raw.items()
    ]
    # these passed validate before and then crashed or ran out of memory in run
    for k in (
        "country_unknown",
        "warm_start_huge",
        "pathway_loops_forever",
        "century_growth",
        "pathway_fan_out",
    ):
        cases.append(
            Case(f"run_{k}", ["run", f"{k}.yaml", *RUN, "--out", f"out_{k}"], {})
        )  # files come from the validate case of the same name
    return cases


def _loop(p: str) -> str:
    return (
        "pathways:\n"
        "  p:\n"
        "    steps:\n"
        f"      - {{name: a, effort_hours: 1, branches: [{{pathway: p, probability: {p}}}]}}\n"
        "triage: {case_mix: {p: 1}}\n"
    )


def _fan_out() -> str:
    """Every step branches back with probability 0.9 from two steps: infinite expectation."""
    return (
        "pathways:\n"
        "  p:\n"
        "    steps:\n"
        "      - {name: a, branches: [{pathway: p, probability: 0.9}]}\n"
        "      - {name: b, branches: [{pathway: p, probability: 0.9}]}\n"
        "triage: {case_mix: {p: 1}}\n"
    )


# --- --set overrides --------------------------------------------------------------------
BAD_SETS = [
    "calendar.start_date=2026-02-30",
    "calendar.start_date=tomorrow",
    "sources=5",
    "sources=[1, 2]",
    "pathways.s42_enquiry.steps.\u00b2.effort_hours=1",
    "pathways.s42_enquiry.steps.-1.effort_hours=1",
    "pathways.s42_enquiry.steps.99.effort_hours=1",
    "pathways.s42_enquiry.steps=[]",
    "pathways.s42_enquiry=5",
    "pathways=5",
    "team=5",
    "team.permanent=true",
    "team.permanent='8'",
    "team.permanent=0x10",
    "team.permanent=[1, 2]",
    "team.permanent={a: 1}",
    "team.permanent=" + "9" * 5000,
    "team.permanent.x=1",
    "seed=-1",
    f"seed={2**70}",
    "seed=1e400",
    "demand.referrals_per_week=.inf",
    "demand.referrals_per_week=.nan",
    "demand.referrals_per_week=!!float xyz",
    "calendar.country=ZZ",
    "warm_start.cases_per_worker=1e6",
    "horizon_days=100000",
    "name=[a, b]",
    "description=&a [*a]",
    "=5",
    "..=5",
    "team..permanent=5",
    "no_equals_sign",
    "nosuchfield=1",
    "triage.urgency.high.foo=1",
    "sources.nosuch.field=x",
    "sources.team.permanent={a: 1}",  # issue 18: was stored as the text "{'a': 1}"
    "sources.team.permanent=[1, 2]",
    "calendar.start_date=9999-06-01",
    f"triage.urgency.standard.allocation_target_days={2**63}",
    'name="a\\0b"',
]


def _set_cases() -> list[Case]:
    return [
        Case(f"set_{i:02d}", ["validate", str(DEFAULT), "--set", s]) for i, s in enumerate(BAD_SETS)
    ]


# --- sweep files ------------------------------------------------------------------------
def _sweep(body: str) -> str:
    reps = "" if "reps:" in body else "reps: 1\n"
    return f"name: hostile_sweep\nbase: {DEFAULT}\n{reps}set: [horizon_days=20]\n" + body


def _sweep_cases() -> list[Case]:
    field_ok = "fields: {team.permanent: {values: [8, 9]}}\n"
    raw = {
        "unknown_metric": "design: grid\nmetrics: [nonsense]\n" + field_ok,
        "mapping_values": "design: grid\nfields: {team.permanent: {values: [{a: 1}, {b: 2}]}}\n",
        "string_values": "design: grid\nfields: {team.permanent: {values: [a, b]}}\n",
        "seed_negative": "design: grid\nseed: -1\n" + field_ok,
        "seed_huge": f"design: grid\nseed: {2**70}\n" + field_ok,
        "seed_bool": "design: grid\nseed: true\n" + field_ok,
        "grid_enormous": (
            "design: grid\nfields:\n"
            "  team.permanent: {low: 1, high: 100, steps: 100000}\n"
            "  team.agency: {low: 0, high: 100, steps: 100000}\n"
        ),
        "lhs_million": "design: lhs\npoints: 1000000\n"
        "fields: {team.permanent: {low: 5, high: 10}}\n",
        "sobol_huge": "design: sobol\npoints: 100000\n"
        "fields: {team.permanent: {low: 5, high: 10}, team.agency: {low: 0, high: 3}}\n",
        "field_unknown": "design: grid\nfields: {team.permanant: {values: [1, 2]}}\n",
        "field_is_section": "design: grid\nfields: {team: {values: [1, 2]}}\n",
        "fields_empty": "design: grid\nfields: {}\n",
        "base_missing": "design: grid\n" + field_ok,
        "reps_zero": "design: grid\nreps: 0\n" + field_ok,
        "reps_bool": "design: grid\nreps: true\n" + field_ok,
        "steps_huge_int": "design: grid\nfields: {team.permanent: {low: 1, high: 2, steps: "
        + "9" * 50
        + "}}\n",
        "low_nan": "design: lhs\nfields: {team.permanent: {low: .nan, high: 3}}\n",
        "values_out_of_range": "design: grid\nfields: {team.permanent: {values: [-5, 9]}}\n",
        "set_not_list": "design: grid\n" + field_ok,
    }
    files = {}
    for k, v in raw.items():
        text = _sweep(v)
        if k == "base_missing":
            text = text.replace(f"base: {DEFAULT}", "base: nowhere.yaml")
        if k == "set_not_list":
            text = text.replace("set: [horizon_days=20]", "set: horizon_days=20")
        files[f"sweep_{k}.yaml"] = text
    cases = [
        Case(f"sweep_{k}", ["sweep", f"sweep_{k}.yaml", "--quiet", "--out", f"sw_{k}"], {})
        for k in raw
    ]
    cases[0].files = files
    laughs = _yaml_cases()[0].files["billion_laughs.yaml"].replace("name: x\n", "")
    cases.append(
        Case(
            "sweep_billion_laughs",
            ["sweep", "sweep_bomb.yaml", "--quiet"],
            {"sweep_bomb.yaml": _sweep(laughs + field_ok.replace("fields", "fields"))},
        )
    )
    cases.append(
        Case(
            "sweep_over_size_cap",
            ["sweep", "big.yaml", "--quiet"],
        )
    )
    return cases


# --- output folders and commands on folders ---------------------------------------------
def _path_cases() -> list[Case]:
    only_summary = {"only_summary/summary.csv": "metric,mean\n"}
    unrelated = {"unrelated/notes.txt": "mine\n", "unrelated2/notes.txt": "mine\n"}
    quick = [str(DEFAULT), *RUN]
    return [
        Case("report_only_summary", ["report", "only_summary"], only_summary),
        Case("evidence_only_summary", ["evidence", "only_summary"]),
        Case("run_out_is_file", ["run", *quick, "--out", "a_file.txt"], {"a_file.txt": "x\n"}),
        Case("run_out_unwritable", ["run", *quick, "--out", "/proc/hostile-out"]),
        Case("run_out_not_empty", ["run", *quick, "--out", "unrelated"], unrelated),
        Case("run_resume_missing", ["run", *quick, "--resume", "never_ran"]),
        Case("run_resume_a_file", ["run", *quick, "--resume", "a_file.txt"]),
        Case("sweep_out_is_file", ["sweep", "sweep_unknown_metric.yaml", "--out", "a_file.txt"]),
        Case(
            "staffing_out_is_file",
            ["staffing", *quick[:1], "--target", "utilisation <= 2", "--out", "a_file.txt"],
        ),
        Case(
            "compare_out_not_empty",
            [
                "compare",
                str(DEFAULT),
                str(DEFAULT),
                "--reps",
                "2",
                "--quiet",
                "--out",
                "unrelated2",
            ],
        ),
    ]


def cases() -> list[Case]:
    return [*_yaml_cases(), *_value_cases(), *_set_cases(), *_sweep_cases(), *_path_cases()]


def build(root: Path) -> list[Case]:
    """Write every case's files under ``root``; returns the cases."""
    root.mkdir(parents=True, exist_ok=True)
    all_cases = cases()
    for case in all_cases:
        for rel, text in case.files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if rel == "latin1.yaml":
                path.write_bytes(b"name: caf\xe9\n")
            else:
                path.write_text(text, encoding="utf-8")
    (root / "cases.json").write_text(json.dumps([asdict(c) for c in all_cases], indent=1))
    return all_cases


if __name__ == "__main__":
    built = build(Path(sys.argv[1]))
    print(f"{len(built)} cases written to {sys.argv[1]}")
