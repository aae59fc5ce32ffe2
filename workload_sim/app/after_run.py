"""After a run on the team leader's page: "How many do I need?" and "Take it away"."""

from __future__ import annotations

import streamlit as st

from workload_sim.app import results as res
from workload_sim.app import team_form as tf


def draw(run: dict, state) -> None:
    """The staffing question and the downloads for ``run`` (the page's latest run)."""
    # ---- 5. How many do I need? ------------------------------------------------------
    st.header("5. How many do I need?")
    within = st.number_input(
        "90% of people allocated within (working days)",
        1,
        260,
        5,
        key="within",
        help="The target: 9 in 10 referrals allocated a worker within this many working days",
    )
    if st.button("How many permanent workers do I need?", key="staffing_button"):
        bar = st.progress(0.0, text="Searching...")
        answer = res.staffing(
            run["scenario"],
            float(within),
            lambda d: bar.progress(min(1.0, d / 200), text=f"{d} replications run"),
        )
        bar.empty()
        state.staffing = answer.sentence()
    if "staffing" in state:
        st.success(state.staffing)

    # ---- 6. Take it away -------------------------------------------------------------
    st.header("6. Take it away")
    text = tf.scenario_text(run["resolved"], tf.PAGE_NAME)
    command = tf.run_command(f"{tf.PAGE_NAME}.yaml", run["results"].reps, run["results"].seed)
    a, b = st.columns(2)
    a.download_button(
        "Scenario file (my_team.yaml)",
        text,
        "my_team.yaml",
        "text/yaml",
        key="download_scenario",
        help="Reproduces this run from the command line",
    )
    b.download_button(
        "Tables (CSV, zipped)",
        res.tables_zip(run["results"]),
        "my_team_tables.zip",
        "application/zip",
        key="download_tables",
    )
    if st.button(
        "Prepare the evidence pack",
        key="evidence_button",
        help="The report, tables, assumptions with sources, and the scenario",
    ):
        state.evidence = res.evidence_zip(
            run["results"], {**run["resolved"], "name": tf.PAGE_NAME}, command
        )
    if "evidence" in state:
        st.download_button(
            "Evidence pack (zip)",
            state.evidence,
            "my_team_evidence.zip",
            "application/zip",
            key="download_evidence",
        )
    st.write("The command that re-runs this from the scenario file:")
    st.code(command, language="bash")
