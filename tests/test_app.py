"""The team leader's page, headless (Streamlit's AppTest), and the form behind it.

The page's load check is checked against ``workload_sim.load_check`` on the scenario the
test writes out itself as --set overrides (not the form's code); the downloaded scenario
is re-run by the command line and must give the page's summary.csv byte for byte.
"""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest
from typer.testing import CliRunner

import workload_sim
from workload_sim.app import team_form as tf
from workload_sim.cli import app as cli
from workload_sim.experiments.outputs import write_csv

from .conftest import DEFAULT, ROOT

testing = pytest.importorskip("streamlit.testing.v1", reason="pip install -e '.[app]'")
PAGE = ROOT / "workload_sim" / "app" / "page.py"
TODAY = dt.date(2026, 12, 1)
runner = CliRunner()

# The run every page test makes: 3 months, 2 replications, the default adult team.
BY_HAND = [
    "calendar.start_date=2026-12-01",
    "warmup_days=0",
    "horizon_days=63",  # 3 months of 253/12 working days
    "replications=2",
    "warm_start.unallocated=12",
    "warm_start.cases_per_worker=15",
]


def _page():
    at = testing.AppTest.from_file(str(PAGE), default_timeout=120)
    at.run()
    at.date_input(key="today").set_value(TODAY)
    at.number_input(key="months").set_value(3)
    at.number_input(key="reps").set_value(2)
    at.number_input(key="waiting").set_value(12)
    at.number_input(key="caseload").set_value(15.0)
    return at


def _text(at) -> str:
    return "\n".join(m.value for m in at.markdown)


@pytest.fixture(scope="module")
def two_runs():
    """Run "my team as it is", then the same team with 4 permanent workers instead of 9."""
    at = _page()
    at.button(key="run").click().run()
    assert not at.exception and not at.error
    first = _text(at)
    at.number_input(key="permanent").set_value(4)
    at.button(key="run").click().run()
    assert not at.exception and not at.error
    return at, first


def test_run_shows_the_verdict_and_the_load_check_of_the_same_scenario(two_runs):
    at, first = two_runs
    assert "The unallocated list is" in first
    check = workload_sim.load_check(DEFAULT, BY_HAND)
    need, have = check.demand_hours_per_day, check.available_hours_per_day
    assert f"needs {need:.1f} h a day; it has {have:.1f} h" in first
    assert f"{check.load_contract:.0%} loaded" in first
    # the key numbers and the four figures are there
    assert len(at.dataframe) == 1 and "95% confidence interval" in at.dataframe[0].value.columns
    assert first.count("95% CI") >= 3


def test_second_run_is_compared_with_the_first_where_the_paired_ci_excludes_zero(two_runs):
    at, first = two_runs
    assert 'This is "my team as it is"' in first
    later = _text(at)
    # 4 workers instead of 9 on the same referrals: each holds more cases (fewer hands)
    assert "caseload per case-holding fte at work is higher than my team as it is" in later
    statements = [line for line in later.splitlines() if "than my team as it is" in line]
    assert statements and all(" is higher " in s or " is lower " in s for s in statements)
    # undecided or practically-equal differences are not said: only higher or lower
    assert not any("NOT SHOWN" in s or "same as" in s for s in statements)


def test_downloaded_scenario_reruns_from_the_cli_with_identical_summary(two_runs, tmp_path):
    at, _ = two_runs
    run = at.session_state["runs"][-1]
    (tmp_path / "my_team.yaml").write_text(tf.scenario_text(run["resolved"]))
    command = at.code[0].value
    assert command == "workload-sim run my_team.yaml --reps 2 --seed 20261123"
    args = command.split()[1:]
    args[1] = str(tmp_path / "my_team.yaml")
    out = tmp_path / "rerun"
    result = runner.invoke(cli, [*args, "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    page_csv = write_csv(tmp_path / "page_summary.csv", run["results"].summary)
    assert page_csv.read_bytes() == (out / "summary.csv").read_bytes()


def test_bad_scenario_file_is_explained_field_by_field_not_a_traceback():
    at = testing.AppTest.from_file(str(PAGE), default_timeout=60)
    at.run()
    at.radio(key="start").set_value("A scenario file of my own").run()
    at.text_area(key="pasted").set_value("team: {permanent: -3}\nreferals: 30\n").run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert any("team.permanent" in e and "greater than or equal to 0" in e for e in errors)
    assert any("referals" in e for e in errors)
    assert not at.button  # nothing to run until the file is fixed


def _form(**changes) -> tf.TeamForm:
    values = dict(
        start_date=TODAY,
        permanent=9,
        newly_qualified=1,
        agency=2,
        referrals_per_week=30.0,
        waiting_today=10,
        caseload_today=14.0,
        months=7,
        replications=3,
    )
    return tf.TeamForm(**{**values, **changes})


def test_form_counts_and_events_become_the_scenario_they_describe():
    form = _form(
        off_now=[tf.Absence("permanent 1", 16), tf.Absence("agency 2", 4)],
        naas_date=dt.date(2027, 3, 1),
        naas_share=0.5,
        vacancy_worker="permanent 3",
        vacancy_date=dt.date(2027, 2, 1),
        demand_date=dt.date(2027, 1, 4),
        demand_percent=20.0,
        cover_policy="Cases wait for the worker's return",
    )
    scenario, resolved = tf.build(form, tf.base_data("The adult safeguarding team"))
    assert (scenario.team.permanent, scenario.team.newly_qualified, scenario.team.agency) == (
        9,
        1,
        2,
    )
    assert scenario.demand.referrals_per_week == 30.0
    assert (scenario.warm_start.unallocated, scenario.warm_start.cases_per_worker) == (10, 14.0)
    assert scenario.horizon_days == 148 and scenario.warmup_days == 0  # 7 x 253/12 = 147.6
    assert resolved["events"] == [
        {"kind": "off_sick", "worker": "permanent 1", "date": "2026-12-01", "weeks": 16},
        {"kind": "off_sick", "worker": "agency 2", "date": "2026-12-01", "weeks": 4},
        {"kind": "post_vacant", "worker": "permanent 3", "date": "2027-02-01"},
        {"kind": "demand_change", "date": "2027-01-04", "percent": 20.0},
    ]
    assert [(r.date, r.share_tested) for r in scenario.naas.rounds] == [(dt.date(2027, 3, 1), 0.5)]
    assert scenario.cover.urgent_to_colleagues_after_days is None
    assert scenario.cover.reallocate_after_days is None
    # the same scenario as the command line's --set on the shipped file
    by_cli = workload_sim.load_scenario(DEFAULT, tf.overrides(form))
    assert by_cli == scenario


def test_cover_policy_in_words_sets_n_days():
    form = _form(
        cover_policy="Urgent tasks go to colleagues after N days; cases otherwise wait",
        cover_days=5,
    )
    scenario, _ = tf.build(form, tf.base_data())
    assert scenario.cover.urgent_to_colleagues_after_days == 5
    assert scenario.cover.reallocate_after_days is None


def test_form_errors_name_the_box_in_words():
    with pytest.raises(tf.FormError) as bad:
        tf.build(_form(permanent=-1), tf.base_data())
    assert bad.value.problems[0].startswith("Permanent social workers (team.permanent):")
    with pytest.raises(tf.FormError) as bad:
        tf.build(_form(off_now=[tf.Absence("permanent 40", 3)]), tf.base_data())
    assert bad.value.problems[0].startswith("Who is off / planned events (events[0].worker)")
    assert "9 permanent" in bad.value.problems[0]  # says what the team has
    with pytest.raises(tf.FormError) as bad:
        tf.build(_form(naas_date=dt.date(2030, 1, 1)), tf.base_data())
    assert "NAAS round" in bad.value.problems[0] and "move the date" in bad.value.problems[0]


def test_app_command_serves_the_page_on_localhost(monkeypatch):
    called = []
    monkeypatch.setattr(subprocess, "call", lambda cmd: called.append(cmd) or 0)
    assert runner.invoke(cli, ["app"]).exit_code == 0
    cmd = called[0]
    assert cmd[cmd.index("run") + 1] == str(PAGE) and PAGE.is_file()
    assert cmd[cmd.index("--server.address") + 1] == "localhost"
    assert cmd[cmd.index("--server.port") + 1] == "8501"
    runner.invoke(cli, ["app", "--port", "9000", "--host", "0.0.0.0"])
    assert called[1][called[1].index("--server.port") + 1] == "9000"
    assert called[1][called[1].index("--server.address") + 1] == "0.0.0.0"


def test_app_command_without_streamlit_is_one_line(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "streamlit" else real(name)
    )
    result = runner.invoke(cli, ["app"])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and "streamlit" in result.output.lower()


def test_staffing_question_and_evidence_pack_from_the_page(two_runs):
    import io
    import zipfile

    at, _ = two_runs
    at.number_input(key="within").set_value(5)
    at.button(key="staffing_button").click().run()
    assert not at.exception
    answer = at.success[0].value
    assert answer.startswith("To keep 90% of waits for allocation within 5 working days")
    assert "permanent social workers" in answer
    at.button(key="evidence_button").click().run()
    names = zipfile.ZipFile(io.BytesIO(at.session_state["evidence"])).namelist()
    assert {"report.html", "summary.csv", "scenario.yaml", "assumptions.csv"} <= {
        n.split("/")[-1] for n in names
    }


def test_several_people_off_now_each_become_an_absence_from_today():
    at = _page()
    at.number_input(key="n_off").set_value(2).run()
    at.selectbox(key="off_worker_0").set_value("permanent 2")
    at.number_input(key="off_weeks_0").set_value(16)
    at.selectbox(key="off_worker_1").set_value("newly_qualified 1")
    at.number_input(key="off_weeks_1").set_value(4)
    at.number_input(key="months").set_value(1)
    at.button(key="run").click().run()
    assert not at.exception and not at.error
    events = at.session_state["runs"][-1]["resolved"]["events"]
    assert [(e["worker"], e["date"], e["weeks"]) for e in events] == [
        ("permanent 2", "2026-12-01", 16),
        ("newly_qualified 1", "2026-12-01", 4),
    ]


def test_an_uploaded_file_is_the_starting_point():
    text = (ROOT / "scenarios" / "team_leader_example.yaml").read_bytes()
    start = tf.defaults(tf.base_data(upload=text))
    assert (start["permanent"], start["agency"], start["waiting_today"]) == (9, 2, 10)
    with pytest.raises(tf.FormError) as bad:
        tf.base_data(upload=b"team: [1, 2\n")
    assert bad.value.problems[0].startswith("The uploaded file:")
