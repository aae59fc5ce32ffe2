"""Every page type in a real browser: no console errors, charts drawn, laptop-readable.

Uses Debian's chromium driven by Playwright (no browser download). `.ci/run`
installs chromium; where no browser can be installed the tests skip, saying so.
Screenshots are saved under results/screenshots/ for a person to look at.
"""

from __future__ import annotations

import shutil

import pytest
from typer.testing import CliRunner

from workload_sim.cli import app

from .conftest import DEFAULT, MMC, ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright not installed: pip install -e '.[test]'"
)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no chromium on this machine: apt-get install chromium (as .ci/run does)",
)
SHOTS = ROOT / "results" / "screenshots"
LAPTOP = {"width": 1366, "height": 800}
MAX_BYTES = 2_500_000
runner = CliRunner()


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    base = tmp_path_factory.mktemp("pages")
    short = ["--set", "horizon_days=80", "--set", "warmup_days=20", "-q"]
    assert (
        runner.invoke(
            app, ["run", str(DEFAULT), "--reps", "3", "--out", str(base / "run"), *short]
        ).exit_code
        == 0
    )
    agency = ROOT / "scenarios" / "agency_heavy.yaml"
    assert (
        runner.invoke(
            app,
            [
                "compare",
                str(DEFAULT),
                str(agency),
                "--reps",
                "3",
                "--out",
                str(base / "compare"),
                *short,
            ],
        ).exit_code
        == 0
    )
    sweep = base / "sweep.yaml"
    sweep.write_text(
        f"base: {DEFAULT}\nset: [horizon_days=40, warmup_days=10]\ndesign: grid\nreps: 2\n"
        "fields:\n  team.permanent: {values: [8, 10]}\n"
        "  demand.referrals_per_week: {low: 24, high: 32, steps: 2}\n"
    )
    assert (
        runner.invoke(app, ["sweep", str(sweep), "--out", str(base / "sweep"), "-q"]).exit_code == 0
    )
    result = runner.invoke(
        app,
        [
            "staffing",
            str(MMC),
            "--target",
            "wait_to_allocation_days <= 0.3",
            "--reps",
            "3",
            "--out",
            str(base / "staffing"),
            "--set",
            "horizon_days=200",
            "-q",
        ],
    )
    assert result.exit_code == 0, result.output
    return {
        "report": (base / "run" / "report.html", 9),
        "compare": (base / "compare" / "compare.html", 7),
        "sweep": (base / "sweep" / "sweep.html", 12),
        "staffing": (base / "staffing" / "staffing.html", 1),
    }


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield b
        b.close()


@pytest.mark.parametrize("kind", ["report", "compare", "sweep", "staffing"])
def test_page_opens_cleanly_with_its_charts(pages, browser, kind):
    path, min_charts = pages[kind]
    size = path.stat().st_size
    assert size < MAX_BYTES, f"{kind} page is {size:,} bytes"
    page = browser.new_page(viewport=LAPTOP)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    page.wait_for_function(
        f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {min_charts}",
        timeout=20_000,
    )
    assert errors == []
    assert all(url.startswith("file:") or url.startswith("data:") for url in requests), requests
    charts = page.locator(".js-plotly-plot").count()
    assert charts >= min_charts
    # readable at a laptop width: nothing wider than the window
    assert page.evaluate("document.documentElement.scrollWidth") <= LAPTOP["width"]
    if kind in ("report", "staffing"):
        assert page.locator(".verdict li").count() >= 1
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{kind}.png"), full_page=True)
    page.close()
