"""The team leader's page in a real browser: ``workload-sim app`` on a free port, driven by
Debian's chromium through Playwright (no browser download), as tests/test_browser.py does.

The page must load with no console errors, every input must have a label, Run with the
default team must show the verdict and at least three charts, and the staffing button must
give an answer sentence. Screenshots at 1366x900 go to results/screenshots/ (before a run,
after it, after the staffing question) for a person to look at.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile

import pytest
from typer.testing import CliRunner

from workload_sim.cli import app as cli

from .chromium import needs_chromium
from .conftest import ROOT

pytest.importorskip("streamlit", reason="streamlit not installed: pip install -e '.[app]'")
pytestmark = needs_chromium
SHOTS = ROOT / "results" / "screenshots"
SCREEN = {"width": 1366, "height": 900}
EXAMPLE = "docs/examples/extract"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served():
    """``workload-sim app`` on a free port, in its own process group (stopped after)."""
    port = _free_port()
    env = {**os.environ, "WORKLOAD_SIM_APP_REPS": "2"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "workload_sim", "app", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://localhost:{port}"
    try:
        give_up = time.monotonic() + 300  # a hang guard, not a time limit
        while True:
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).status == 200:
                    break
            except OSError:
                if time.monotonic() > give_up:
                    pytest.fail("workload-sim app did not answer in 5 minutes: hung")
                time.sleep(0.25)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # the app and the streamlit server it started
        proc.wait(timeout=10)


def _download(page, name: str, folder):
    with page.expect_download() as got:
        page.get_by_role("button", name=name).click()
    path = folder / got.value.suggested_filename
    got.value.save_as(path)
    return path


def test_page_runs_the_default_team_and_answers_the_staffing_question(served, browser, tmp_path):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport=SCREEN)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(served)
    page.get_by_text("No personal data: counts only").wait_for(timeout=60_000)
    months = page.get_by_role("spinbutton", name="How far ahead to look (months)")
    months.wait_for(timeout=60_000)
    # every input has a label a screen reader can read; Streamlit draws the page in
    # pieces, so judge it once it has stopped changing (under load a widget can be
    # caught between being drawn and being labelled)
    unlabelled: list = []
    for _ in range(20):
        unlabelled = page.evaluate(
            """() => [...document.querySelectorAll('input, textarea, select')]
                .filter(e => e.type !== 'hidden' && e.type !== 'file')
                // a widget's own internals outside the tab order (the date picker's
                // fallback input) are not controls a person operates
                .filter(e => e.getAttribute('tabindex') !== '-1')
                .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
                              && !e.getAttribute('aria-labelledby'))
                .map(e => e.outerHTML.slice(0, 120))"""
        )
        if not unlabelled:
            break
        page.wait_for_timeout(250)
    assert unlabelled == []
    months.fill("2")
    months.press("Enter")
    page.wait_for_timeout(500)
    page.screenshot(path=str(SHOTS / "app-before-run.png"), full_page=False)
    started = time.perf_counter()
    page.get_by_role("button", name="Run", exact=True).click()
    page.get_by_text("The unallocated list is").wait_for(timeout=120_000)
    took = {"run_to_verdict_s": time.perf_counter() - started}
    charts = page.locator('[data-testid="stPlotlyChart"]')
    charts.nth(2).wait_for(timeout=30_000)  # the charts arrive after the text
    assert charts.count() >= 3
    page.locator(".js-plotly-plot").nth(2).wait_for(timeout=30_000)  # and are drawn
    page.get_by_text("Run 1: the verdict").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "app-after-run.png"))
    # the downloaded scenario re-runs from the command line with the page's summary.csv
    scenario = _download(page, "Scenario file (my_team.yaml)", tmp_path)
    tables = zipfile.ZipFile(_download(page, "Tables (CSV, zipped)", tmp_path))
    command = page.locator("code").filter(has_text="workload-sim run").inner_text().split()
    assert command[:3] == ["workload-sim", "run", "my_team.yaml"]
    out = tmp_path / "rerun"
    result = CliRunner().invoke(cli, ["run", str(scenario), *command[3:], "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "summary.csv").read_bytes() == tables.read("summary.csv")
    started = time.perf_counter()
    page.get_by_role("button", name="How many permanent workers do I need?").click()
    answer = page.get_by_text("To keep 90% of waits for allocation within")
    answer.wait_for(timeout=120_000)
    took["staffing_to_answer_s"] = time.perf_counter() - started
    # for the closing note: how long each step took here (2 replications, 2 months)
    (SHOTS / "app-timings.json").write_text(json.dumps(took, indent=2) + "\n")
    answer.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "app-after-staffing.png"))
    assert errors == []


def test_page_starts_from_the_example_extract(served, browser, tmp_path):
    """The real uploader: the example extract's files uploaded, read, reported and run."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport=SCREEN)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(served)
    page.get_by_text("My team's own records (an extract)").click(timeout=60_000)
    upload = page.locator('[data-testid="stFileUploader"] input[type="file"]')
    upload.set_input_files([str(p) for p in sorted((ROOT / EXAMPLE).glob("*.csv"))])
    page.get_by_role("button", name="Read my records").click(timeout=60_000)
    page.get_by_text("137 open cases, 0 waiting for allocation, as at 2027-03-31").wait_for(
        timeout=60_000
    )
    report = _download(page, "Data report (data_report.csv)", tmp_path)
    assert report.read_text().startswith("section,file,row,column")
    page.get_by_text("starts from your team's records on 2027-03-31").wait_for(timeout=30_000)
    months = page.get_by_role("spinbutton", name="How far ahead to look (months)")
    months.fill("1")
    months.press("Enter")
    page.wait_for_timeout(500)
    page.get_by_role("button", name="Run", exact=True).click()
    page.get_by_text("The unallocated list is").wait_for(timeout=120_000)
    page.screenshot(path=str(SHOTS / "app-from-records.png"))
    assert errors == []
