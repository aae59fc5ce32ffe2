"""The team leader's page (Streamlit script): ``workload-sim app`` serves it.

Only drawing here: the form's meaning is in ``team_form``, the results in ``results``;
``records_upload`` draws 'start from my records', ``after_run`` the staffing question and
the downloads. Everything a user runs lives in ``st.session_state``, one per browser
session, so people sharing one server never see each other's runs.
"""

from __future__ import annotations

import datetime as dt
import os

import streamlit as st

from workload_sim.app import after_run
from workload_sim.app import records_upload as ru
from workload_sim.app import results as res
from workload_sim.app import team_form as tf

st.set_page_config(page_title="My team's workload", layout="wide")
state = st.session_state
state.setdefault("runs", [])  # every run of this session: the first is "my team as it is"

st.title("My team's workload: does the list grow, and how many do I need?")
st.info(
    "No personal data: counts only. Nothing you type here is stored after you close the "
    "page, and nobody else using this page sees your runs."
)

# ---- 1. Start from -------------------------------------------------------------------
st.header("1. Start from")
start = st.radio(
    "Which team is yours most like?",
    [*tf.STARTS, "A scenario file of my own", ru.RECORDS],
    key="start",
    help="The shipped teams use published figures (each value's source is in the evidence "
    "pack); a file of your own is one saved from this page or written for the command line.",
)
upload = records = None
if start == ru.RECORDS:
    records = ru.section(state)
if start == "A scenario file of my own":
    file = st.file_uploader(
        "Scenario file (YAML)", type=["yaml", "yml"], key="upload", help="A .yaml scenario file"
    )
    pasted = st.text_area(
        "...or paste the file's text here",
        key="pasted",
        help="The whole scenario file, as text",
    )
    upload = file.getvalue() if file is not None else (pasted.encode() if pasted else None)
if start == "A scenario file of my own" and upload is None:
    st.write("Upload a scenario file, or paste its text, to start from it.")
    st.stop()
try:
    data = records.data if records else tf.base_data(upload=upload) if upload else None
    data = data or tf.base_data(start)
except tf.FormError as exc:
    st.error("The scenario file has problems, field by field:")
    for line in exc.problems:
        st.error(line)
    st.stop()
start_values = tf.defaults(data, own_file=upload is not None or records is not None)
LIMITS = tf.LIMITS

# ---- 2. My team now ------------------------------------------------------------------
st.header("2. My team now")
st.caption(
    "Every post the run uses is here: the run has exactly these posts, vacant ones included."
)
c1, c2, c3, c4 = st.columns(4)
permanent = c1.number_input(
    "Permanent social workers (people)",
    *LIMITS["permanent"],
    start_values["permanent"],
    key="permanent",
    help="Permanent, qualified social workers in post today, counting anyone off sick",
)
newly_qualified = c2.number_input(
    "Newly qualified social workers (people)",
    *LIMITS["newly_qualified"],
    start_values["newly_qualified"],
    key="newly_qualified",
    help="Social workers in their first year (ASYE): a protected caseload",
)
agency = c3.number_input(
    "Agency social workers (people)",
    *LIMITS["agency"],
    start_values["agency"],
    key="agency",
    help="Agency (locum) social workers in post today",
)
vacant = c4.number_input(
    "Vacant posts (funded, nobody in post)",
    *LIMITS["vacant"],
    start_values["vacant"],
    key="vacant",
    help="Funded posts empty today and being recruited to; the run covers them as the "
    "scenario's recruitment rules say (agency while recruiting, for the shipped teams)",
)
c1, c2, c3 = st.columns(3)
referrals = c1.number_input(
    "Referrals a week",
    *LIMITS["referrals"],
    start_values["referrals_per_week"],
    step=1.0,
    key="referrals",
    help="New referrals (concerns) reaching the team in an average week",
)
waiting, caseload, today = 0, 0.0, records.as_of if records else None
if records:
    c2.markdown(f"**Open cases on {today}:** {records.open_cases:,} (from your records)")
    c3.markdown(f"**Waiting for allocation:** {records.waiting:,} (from your records)")
else:
    waiting = c2.number_input(
        "Cases waiting for allocation today (cases)",
        *LIMITS["waiting"],
        start_values["waiting_today"],
        key="waiting",
        help="Your unallocated list today: the run starts with this many waiting",
    )
    caseload = c3.number_input(
        "Average caseload today (cases per worker)",
        *LIMITS["caseload"],
        start_values["caseload_today"],
        step=1.0,
        key="caseload",
        help="Cases each worker holds today, on average",
    )
    today = st.date_input(
        "Today's date (the first day looked at)",
        dt.date.today(),
        key="today",
        help="The run starts today with your team as it is now",
    )
months = st.number_input(
    "How far ahead to look (months)",
    *LIMITS["months"],
    12,
    key="months",
    help="Months after today the run covers (about 21 working days a month)",
)

workers = (
    [f"permanent {i}" for i in range(1, permanent + 1)]
    + [f"newly_qualified {i}" for i in range(1, newly_qualified + 1)]
    + [f"agency {i}" for i in range(1, agency + 1)]
)
st.subheader("Who is off sick, now or from a date")
n_off = st.number_input(
    "How many absences do you know of (people off sick now or from a known date)",
    0,
    max(0, len(workers)),
    0,
    key="n_off",
    help="Each from today or a date you know, for the weeks you expect (a fit note's period)",
)
off_now = []
for i in range(int(n_off)):
    a, b, c = st.columns(3)
    who = a.selectbox(
        f"Who is off ({i + 1})",
        workers,
        index=min(i, len(workers) - 1),
        key=f"off_worker_{i}",
        help="Which post: 'permanent 1' is the first permanent worker (no names needed)",
    )
    since = b.date_input(
        f"Off from ({i + 1})",
        today,
        key=f"off_from_{i}",
        help="Today's date if they are off now; a later date if you know they go off then",
    )
    weeks = c.number_input(
        f"For how long ({i + 1}, weeks)",
        *LIMITS["off_weeks"],
        8,
        key=f"off_weeks_{i}",
        help="Expected length of the absence from its first day, in weeks",
    )
    off_now.append(tf.Absence(who, int(weeks), since if since != today else None))

st.subheader("Planned events")
naas = st.checkbox(
    "A NAAS round is planned",
    key="naas",
    help="National assessment and accreditation: time off case work to prepare and sit it",
)
naas_date = naas_share = None
if naas:
    a, b = st.columns(2)
    naas_date = a.date_input(
        "NAAS round date",
        today + dt.timedelta(days=90),
        key="naas_date",
        help="The day the round is sat",
    )
    naas_share = b.number_input(
        "Share of staff put forward (%)",
        *LIMITS["naas_share"],
        50,
        key="naas_share",
        help="Per cent of permanent and newly qualified workers",
    )
vacancy = st.checkbox(
    "A post falls vacant",
    key="vacancy",
    help="Someone leaves on a known date (a resignation, a retirement)",
)
vacancy_worker = vacancy_date = None
if vacancy and workers:
    a, b = st.columns(2)
    vacancy_worker = a.selectbox(
        "Whose post",
        workers,
        key="vacancy_worker",
        help="Which post falls vacant (no names needed)",
    )
    vacancy_date = b.date_input(
        "Last day in post",
        today + dt.timedelta(days=60),
        key="vacancy_date",
        help="The post is empty from this date",
    )
demand = st.checkbox(
    "Demand changes from a date",
    key="demand",
    help="A new hospital discharge route, a service closing, ...",
)
demand_date, demand_percent = None, 0.0
if demand:
    a, b = st.columns(2)
    demand_date = a.date_input(
        "From", today + dt.timedelta(days=30), key="demand_date", help="The date the change starts"
    )
    demand_percent = b.number_input(
        "Change in referrals (%)",
        *LIMITS["demand_percent"],
        20.0,
        step=5.0,
        key="demand_percent",
        help="+20 = 20% more referrals",
    )

st.subheader("Sick-leave cover")
a, b = st.columns([3, 1])
cover = a.selectbox(
    "When someone is off sick",
    list(tf.COVER_POLICIES),
    index=1,
    key="cover",
    help="Your team's rule for the cases of a worker who is off",
)
cover_days = b.number_input(
    "N (working days)",
    *LIMITS["cover_days"],
    3,
    key="cover_days",
    help="The N in the rule you chose",
)

with st.expander("Run settings"):
    reps = st.number_input(
        "Replications (runs of the same year with different chance events)",
        *LIMITS["reps"],
        int(os.environ.get("WORKLOAD_SIM_APP_REPS", 10)),
        key="reps",
        help="More gives narrower confidence intervals and takes longer",
    )
    seed = st.number_input(
        "Seed",
        *LIMITS["seed"],
        int(data.get("seed", 20261123)),
        key="seed",
        help="The same seed gives the same results, here and on the command line",
    )

form = tf.TeamForm(
    start_date=today,
    permanent=int(permanent),
    newly_qualified=int(newly_qualified),
    agency=int(agency),
    referrals_per_week=float(referrals),
    waiting_today=int(waiting),
    caseload_today=float(caseload),
    months=int(months),
    replications=int(reps),
    seed=int(seed),
    off_now=off_now,
    vacant=int(vacant),
    naas_date=naas_date,
    naas_share=(naas_share or 0) / 100,
    vacancy_worker=vacancy_worker,
    vacancy_date=vacancy_date,
    demand_date=demand_date,
    demand_percent=float(demand_percent),
    cover_policy=cover,
    cover_days=int(cover_days),
    recorded_events=records.events if records else [],
)

# ---- 3. Run --------------------------------------------------------------------------
st.header("3. Run")
st.caption(
    'The first run is "my team as it is"; each later run is compared with it on the same '
    "chance events. Pressing any button while a run goes stops it."
)
planned = None
try:
    planned, planned_resolved = tf.build(form, data)
except tf.FormError as exc:
    for line in exc.problems:
        st.error(line)
else:
    st.markdown(f"**The team that will run:** {tf.team_line(planned)}")
    seconds = tf.run_seconds(planned, bool(state.runs), res.worker_count())
    if seconds > 60:
        st.warning(
            f"This run will take about {tf.duration_words(seconds)} on this server "
            "(more replications, months, referrals or posts take longer)."
        )
# A run stopped by a button leaves "running" set: the page says so once, and only then.
if state.pop("running", False) and state.get("cancel"):
    st.warning("The run was cancelled; nothing from it was kept. Press Run to start again.")
if st.button("Run", type="primary", key="run", disabled=planned is None):
    if planned is not None:
        scenario, resolved = planned, planned_resolved
        total = scenario.replications * (2 if state.runs else 1)
        bar = st.progress(0.0, text="Running replications...")
        # Pressing any button reruns the page, which stops this run (the pool is shut down).
        stop = st.empty()
        stop.button("Cancel this run", key="cancel")
        state.running = True

        def progress(done: int, offset: int = 0) -> None:
            bar.progress(min(1.0, (done + offset) / total), text=f"{done + offset} of {total}")

        result = res.run_team(scenario, progress)
        differs = None
        if state.runs:
            reps_done = scenario.replications
            differs = res.compare_with_first(
                state.runs[0]["scenario"], scenario, lambda d: progress(d // 2, reps_done)
            )
        bar.empty()
        stop.empty()  # the run is over: nothing left to cancel
        state.pop("running", None)
        state.runs.append(
            dict(
                scenario=scenario,
                resolved=resolved,
                results=result,
                differs=differs,
                verdict=res.verdict(result, resolved),
            )
        )
        state.pop("evidence", None)
        state.pop("staffing", None)

if state.runs:
    run = state.runs[-1]
    st.subheader(f"Run {len(state.runs)}: the verdict")
    for sentence in run["verdict"]:
        st.markdown(f"- {sentence}")
    st.subheader("Key numbers (mean and 95% confidence interval)")
    st.dataframe(res.key_numbers(run["results"].summary), hide_index=True)
    for title, fig in res.figures(run["results"], run["resolved"]):
        st.plotly_chart(fig, key=f"chart-{title}")

    # ---- 4. Compare with today -------------------------------------------------------
    st.header("4. Compare with today")
    if run["differs"] is None:
        st.write(
            'This is "my team as it is". Change something above and Run again to compare with it.'
        )
    elif run["differs"]:
        for line in run["differs"]:
            st.markdown(f"- {line}")
    else:
        st.write(
            'Nothing is shown to differ from "my team as it is" (no paired 95% '
            "confidence interval excludes 0); more replications may tell."
        )

    after_run.draw(run, state)
