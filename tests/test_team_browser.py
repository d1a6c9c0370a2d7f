"""The Team page in a real browser, on a fresh machine's demo team store.

``./run.sh dashboard`` starts on a demo database without a team store next to
it, so its ``demo --if-needed`` has to make one; Debian's Chromium then opens
the Team page in the light and the dark theme, 1400 and 800 px wide, waits
until every chart has drawn, and leaves full-page screenshots in
tests/out/screenshots/team-*.png for a person to look at. It fails if a chart
does not draw (plotly.js rejected a figure: an empty box for the user), if
the page shows an error or a JavaScript error, if the demo is not marked, or
if a row of choices or a table is cut off at 800 px.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from demo import team as demo_team
from testkit import copy_db
from testkit.browser import Dashboard, Tab, chromium, registered_pages

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "tests" / "out" / "screenshots"
TEAM = next(p for p in registered_pages(ROOT / "app.py") if p.name == "team")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(dashboard_db, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("team-browser")
    copy_db(dashboard_db, tmp / "demo.duckdb")  # a demo database, and no team store beside it yet
    run_dir = tempfile.mkdtemp(prefix="wp-")
    env = {"WORKPRINT_DEMO_DB": str(tmp / "demo.duckdb"), "WORKPRINT_DB": str(tmp / "own.duckdb"),
           "WORKPRINT_RUNTIME_DIR": run_dir}
    dashboard = Dashboard(env, tmp / "streamlit.log").start(timeout=120)
    try:
        yield dashboard, tmp
    finally:
        dashboard.stop()
        shutil.rmtree(run_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


def test_run_sh_made_the_demo_team_store(server):
    _, tmp = server
    assert demo_team.ready(tmp / "demo-team"), (tmp / "streamlit.log").read_text()[-2000:]


CUT_JS = """() => {
  const cut = [];
  for (const g of document.querySelectorAll('[data-testid="stButtonGroup"]'))
    if ([...g.querySelectorAll('button')].some(b => b.getBoundingClientRect().right > g.getBoundingClientRect().right + 1))
      cut.push(g.innerText);
  for (const c of document.querySelectorAll('[data-testid="stPlotlyChart"]'))
    if (c.getBoundingClientRect().right > document.querySelector('[data-testid="stMain"]').getBoundingClientRect().right + 1)
      cut.push('a chart wider than the page');
  return cut;
}"""


@pytest.mark.parametrize("width", [1400, 800])
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_team_page_draws_in_both_themes_and_widths(server, browser, theme, width):
    dashboard, _ = server
    ctx = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=theme)
    try:
        tab = Tab(ctx.new_page())
        js_errors = []
        tab.page.on("pageerror", lambda exc: js_errors.append(str(exc)))
        tab.open(dashboard.url(TEAM), timeout=180)
        tab.screenshot(SCREENSHOTS / f"team-{theme}-{width}px.png")
        # The first tab is Design (under k, no figure): the heatmap of a team with figures, shown.
        tab.page.get_by_role("tab", name="Engineering").first.click()
        tab.page.wait_for_timeout(500)
        tab.page.locator('[data-testid="stPlotlyChart"]:visible').first.screenshot(
            path=SCREENSHOTS / f"team-{theme}-{width}px-heatmap.png")
        main = tab.page.locator('[data-testid="stMain"]').inner_text()
        assert "Demo data" in main, "the demo is not marked"
        assert not tab.page.locator('[data-testid="stException"]').all_inner_texts()
        assert not tab.page.locator('[data-testid="stAlertContentError"]').all_inner_texts()
        shown, drawn = tab.charts()
        assert shown >= 8 and drawn == shown, f"{shown - drawn} of {shown} charts did not draw"
        assert not tab.page.evaluate(CUT_JS)
        assert not js_errors, js_errors
    finally:
        ctx.close()
