"""Every page type in a real browser: no console errors, charts drawn, laptop-readable.

Uses Debian's chromium driven by Playwright (no browser download). `.ci/run`
installs chromium; where no browser can be installed the tests skip, saying so.
Screenshots are saved under results/screenshots/ (each page, and each chart) for a
person to look at; each chart's own screenshot is checked for ink in its plotting
area, so an empty or blank chart fails (a control chart with no data shows the check
can fail).
"""

from __future__ import annotations

import base64

import pytest
from typer.testing import CliRunner

from workload_sim.cli import app

from .chromium import needs_chromium
from .conftest import DEFAULT, MMC, ROOT

pytestmark = needs_chromium
SHOTS = ROOT / "results" / "screenshots"
LAPTOP = {"width": 1366, "height": 800}
MAX_BYTES = 2_500_000
runner = CliRunner()


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    base = tmp_path_factory.mktemp("pages")
    busy = ["--set", "demand.referrals_per_week=36"]
    short = ["--set", "horizon_days=80", "--set", "warmup_days=20", "-q"]
    assert (
        runner.invoke(
            app,
            # a load past the calibrated team's own 28 a week, so every chart has a list to draw
            ["run", str(DEFAULT), "--reps", "3", "--out", str(base / "run"), *short, *busy],
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
                *busy,
            ],
        ).exit_code
        == 0
    )
    sweep = base / "sweep.yaml"
    sweep.write_text(
        f"base: {DEFAULT}\nset: [horizon_days=40, warmup_days=10]\ndesign: grid\nreps: 2\n"
        "fields:\n  team.permanent: {values: [8, 10]}\n"
        "  demand.referrals_per_week: {low: 32, high: 44, steps: 2}\n"
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
        "report": (base / "run" / "report.html", 10),
        "compare": (base / "compare" / "compare.html", 8),
        "sweep": (base / "sweep" / "sweep.html", 14),  # 12 responses, 2 maps (1 flat: words)
        "staffing": (base / "staffing" / "staffing.html", 2),
    }


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
    _every_chart_has_axis_titles_and_data(page, kind)
    _no_table_overflows(page)
    if kind == "report":
        _verdict_colour_follows_its_answer(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{kind}.png"), full_page=True)
    _no_chart_is_blank(page, kind)
    page.close()


CHARTS_JS = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(gd => {
  const title = el => (el ? el.textContent.trim() : '');
  const n = t => Math.max((t.x || []).length, (t.y || []).length, (t.z || []).length);
  return {title: title(gd.querySelector('.gtitle')), x: title(gd.querySelector('.g-xtitle')),
          y: title(gd.querySelector('.g-ytitle')), traces: gd._fullData.length,
          points: gd._fullData.reduce((s, t) => s + n(t), 0)};
})"""


def _every_chart_has_axis_titles_and_data(page, kind: str) -> None:
    for chart in page.evaluate(CHARTS_JS):
        assert chart["x"] and chart["y"], f"{kind}: a chart lacks an axis title: {chart}"
        assert chart["traces"] and chart["points"], f"{kind}: a chart with no data: {chart}"
        assert "_" not in chart["x"] + chart["y"], f"{kind}: a field name on an axis: {chart}"


TABLES_JS = """() => Array.from(document.querySelectorAll('table')).map(t => {
  const box = t.closest('.scroll') || t.parentElement;
  const cue = box.previousElementSibling;
  return {table: Math.ceil(t.getBoundingClientRect().width), box: box.clientWidth,
          wide: box.scrollWidth > box.clientWidth + 1,
          cue: !!(cue && cue.classList.contains('scroll-cue') && cue.offsetParent !== null)};
})"""


def _no_table_overflows(page) -> None:
    """At a laptop's width every table fits its box; narrower, a table that must
    scroll sideways says so above it."""
    for t in page.evaluate(TABLES_JS):
        assert t["table"] <= t["box"] + 1 and not t["wide"], t
    page.set_viewport_size({"width": 420, "height": 800})
    page.evaluate("window.dispatchEvent(new Event('resize'))")
    narrow = page.evaluate(TABLES_JS)
    assert all(t["cue"] for t in narrow if t["wide"]), narrow
    page.set_viewport_size(LAPTOP)
    page.evaluate("window.dispatchEvent(new Event('resize'))")


def _verdict_colour_follows_its_answer(page) -> None:
    colours = {  # Okabe-Ito: vermillion, amber, bluish green
        "growing": "rgb(213, 94, 0)",
        "not-shown": "rgb(230, 159, 0)",
        "stable": "rgb(0, 158, 115)",
        "shrinking": "rgb(0, 158, 115)",
    }
    answer, colour = page.evaluate(
        """() => { const v = document.querySelector('.verdict');
        return [v.className.replace('verdict', '').trim(),
                getComputedStyle(v).borderLeftColor]; }"""
    )
    assert colours.get(answer, "rgb(0, 114, 178)") == colour, (answer, colour)


INK_JS = """async ([b64, l, t, w, h]) => {
  const img = new Image();
  img.src = 'data:image/png;base64,' + b64;
  await img.decode();
  const c = document.createElement('canvas');
  c.width = img.width; c.height = img.height;
  const ctx = c.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const d = ctx.getImageData(l, t, w, h).data;
  let ink = 0; const colours = new Set();
  for (let i = 0; i < d.length; i += 4) {
    const hi = Math.max(d[i], d[i + 1], d[i + 2]), lo = Math.min(d[i], d[i + 1], d[i + 2]);
    if (hi - lo > 40 || hi < 120) {
      ink++;
      colours.add((d[i] >> 4) + ',' + (d[i + 1] >> 4) + ',' + (d[i + 2] >> 4));
    }
  }
  return {ink: ink / (w * h), colours: colours.size};
}"""
# a drawn chart: some ink in its plotting area, in several shades (a trace's colour and
# its anti-aliased edges); an empty one has at most its axis or zero lines, in one shade
MIN_INK, MIN_SHADES = 0.0002, 5  # 0.0002: two 10 px markers in a 1,000 x 200 px area


def _ink(page, locator, path) -> dict:
    """Share of a chart's plotting area (inside its axes) in colour or dark ink, from the
    chart's screenshot: gridlines and white are not ink, data traces are."""
    png = locator.screenshot(path=str(path))
    size = locator.evaluate("gd => gd._fullLayout._size")
    box = [round(size["l"]) + 1, round(size["t"]) + 1, round(size["w"]) - 2, round(size["h"]) - 2]
    return page.evaluate(INK_JS, [base64.b64encode(png).decode(), *box])


def _drawn(ink: dict) -> bool:
    """Several shades of ink, or (a heatmap's flat cells, a filled area) much of the
    plotting area in at least two colours."""
    shades = ink["colours"] >= MIN_SHADES or (ink["ink"] >= 0.2 and ink["colours"] >= 2)
    return ink["ink"] >= MIN_INK and shades


def _no_chart_is_blank(page, kind: str) -> None:
    plots = page.locator(".js-plotly-plot")
    for i in range(plots.count()):
        ink = _ink(page, plots.nth(i), SHOTS / f"{kind}-chart-{i + 1}.png")
        assert _drawn(ink), f"{kind} chart {i + 1} looks blank: {ink}"


def test_the_blank_chart_check_can_fail(pages, browser):
    """Control: the same check on an empty chart with titled axes, and on one with data."""
    page = browser.new_page(viewport=LAPTOP)
    page.goto(pages["staffing"][0].as_uri())
    page.evaluate(
        """() => { for (const [id, data] of [['empty', []],
                ['full', [{x: [1, 2, 3], y: [2, 1, 3], type: 'scatter'}]]]) {
            const div = document.createElement('div'); div.id = id; document.body.prepend(div);
            Plotly.newPlot(div, data, {width: 600, height: 300, xaxis: {title: {text: 'x'}},
                                       yaxis: {title: {text: 'y'}}}); } }"""
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    empty = _ink(page, page.locator("#empty"), SHOTS / "control-empty.png")
    full = _ink(page, page.locator("#full"), SHOTS / "control-line.png")
    assert not _drawn(empty) and _drawn(full), (empty, full)
    page.close()
