"""The dashboard in a real browser, started the way the README says.

``./run.sh dashboard --server.port PORT --server.headless true`` runs in a
subprocess (run.sh finds .venv up to date and goes straight to ``streamlit
run app.py``, in well under a second, so the README's command is what is
tested), with the session's small demo database; headless Chromium (Debian's
/usr/bin/chromium, driven by Playwright) then opens every page registered in
app.py, waits until the server has finished the run and every plotly chart has
drawn its SVG, saves a full-page screenshot to tests/out/screenshots/<page>.png
and checks that the page shows its charts and no error. The server is always
stopped, by its process id.

What the browser adds over tests/test_dashboard.py: the frontend really draws
the figures (a figure plotly.js rejects is an empty box in AppTest's view),
URLs and deep links work, and there are no JavaScript errors.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from testkit.browser import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, Dashboard, Tab, chromium, registered_pages

ROOT = Path(__file__).resolve().parent.parent
PAGES = registered_pages(ROOT / "app.py")
SCREENSHOTS = ROOT / "tests" / "out" / "screenshots"
STAMP = ROOT / ".venv" / ".installed-requirements.txt.sha256"
# Pages whose point is their charts, and how many they show at least.
MIN_CHARTS = {"overview": 3, "timeline": 1, "workflow": 1, "timing": 1}
# Pages allowed to show an st.error on the demo data (none).
EXPECTED_ERRORS: set[str] = set()
# Pages that always show your own data, so no demo banner (as in test_dashboard.py).
OWN_DATA_ONLY = {"privacy"}


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def env(dashboard_db, tmp_path_factory):
    """The demo database, no own data, and a private socket folder."""
    tmp = tmp_path_factory.mktemp("browser")
    run_dir = tempfile.mkdtemp(prefix="wp-")  # short: a Unix socket path has 108 bytes at most
    yield {"WORKPRINT_DEMO_DB": str(dashboard_db), "WORKPRINT_DB": str(tmp / "own.duckdb"),
           "WORKPRINT_RUNTIME_DIR": run_dir}
    shutil.rmtree(run_dir, ignore_errors=True)


def start(env: dict) -> Dashboard:
    """``./run.sh dashboard`` with ``env``; its output goes to streamlit.log next to the own database."""
    return Dashboard(env, Path(env["WORKPRINT_DB"]).with_name("streamlit.log")).start(timeout=60)


@pytest.fixture(scope="module")
def stamp_before() -> int | None:
    """When run.sh last installed requirements.txt into .venv (before the server starts)."""
    return STAMP.stat().st_mtime_ns if STAMP.exists() else None


@pytest.fixture(scope="module")
def server(env, stamp_before):
    """``./run.sh dashboard`` with the demo data."""
    dashboard = start(env)
    try:
        yield dashboard
    finally:
        dashboard.stop()


@pytest.fixture(scope="module")
def context(browser, server):
    """One browser profile for the pages; "/" opened first, as a user's first visit would
    (a deep link first after a start is its own test below)."""
    ctx = browser.new_context(viewport=VIEWPORT)
    Tab(ctx.new_page()).open(server.url(), timeout=60)
    yield ctx
    ctx.close()


def test_run_sh_reuses_venv(server, stamp_before):
    """./run.sh dashboard did not reinstall anything: .venv's stamp matches requirements.txt
    and was not rewritten (a reinstall on every start would take minutes and need the network),
    also after ./run.sh test installed the test requirements."""
    want = hashlib.sha256((ROOT / "requirements.txt").read_bytes()).hexdigest()
    assert STAMP.read_text().strip() == want
    if stamp_before is None:
        pytest.skip(".venv was not made by run.sh (no stamp): this start installed, as it should")
    assert STAMP.stat().st_mtime_ns == stamp_before
    assert server.started_in < 20, f"the dashboard took {server.started_in:.1f} s to answer"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_page_in_browser(page, server, context):
    """Each page draws all its charts, shows no error, no exception and no
    JavaScript error, says when it shows demo data, and leaves a screenshot
    for a person to look at."""
    tab = Tab(context.new_page())
    js_errors = []
    tab.page.on("pageerror", lambda exc: js_errors.append(str(exc)))
    try:
        tab.open(server.url(page), timeout=60)
        tab.screenshot(SCREENSHOTS / f"{page.name}.png")

        assert tab.shows_app_navigation(PAGES), f"sidebar navigation is not app.py's: {tab.nav_text()!r}"
        exceptions = tab.page.locator('[data-testid="stException"]').all_inner_texts()
        assert not exceptions, exceptions
        errors = tab.page.locator('[data-testid="stAlertContentError"]').all_inner_texts()
        assert not errors or page.name in EXPECTED_ERRORS, errors
        banner = "You are looking at demo data" in tab.page.locator('[data-testid="stMain"]').inner_text()
        assert banner == (page.name not in OWN_DATA_ONLY), f"demo banner shown: {banner}"
        shown, drawn = tab.charts()
        assert drawn == shown, f"{shown - drawn} of {shown} charts did not draw"
        want = MIN_CHARTS.get(page.name, 0)
        assert shown >= want, f"{shown} charts, expected at least {want}"
        assert not js_errors, js_errors
    finally:
        tab.page.close()


def test_bookmarked_page_right_after_start(env, browser):
    """A bookmark to a page other than "/" works as the first visit after the
    dashboard starts: app.py's navigation and frame, not Streamlit's automatic
    pages/ folder navigation with "Nothing to show yet"."""
    page = next(p for p in PAGES if not p.default and "frame.context()" in (ROOT / p.path).read_text())
    dashboard = start(env)
    ctx = browser.new_context(viewport=VIEWPORT)
    try:
        tab = Tab(ctx.new_page())
        tab.open(dashboard.url(page), timeout=60)
        tab.screenshot(SCREENSHOTS / f"first-visit-{page.name}.png")
        assert tab.shows_app_navigation(PAGES), f"first visit to /{page.url} shows {tab.nav_text()!r}"
        assert "Nothing to show yet" not in tab.page.locator('[data-testid="stMain"]').inner_text()
    finally:
        ctx.close()
        dashboard.stop()


def _locked_out(tab: Tab) -> str:
    """What a browser without the owner's key sees; asserts it shows no data and no controls."""
    text = tab.page.locator("body").inner_text()
    assert list(tab.charts()) == [0, 0], "no chart may be drawn"
    buttons = tab.page.locator('[data-testid="stBaseButton-secondary"], [data-testid="stBaseButton-primary"]')
    assert buttons.count() == 0, buttons.all_inner_texts()
    assert "demo data" not in text and "Accept" not in text and "Start capture" not in text
    assert not any(name in text.lower() for name in ("timeline", "overview", "workflow", "privacy")), \
        "not even the pages' names are shown"
    return text


@pytest.mark.parametrize("token", ["", "not-the-key"], ids=["no key", "a wrong key"])
def test_without_the_owners_key_no_page_shows_data_and_no_button_acts(browser, server, token):
    """Hardening #1: another local user who finds the port (but cannot read the
    owner's environment or terminal) sees how to get in, nothing else, on any page."""
    ctx = browser.new_context(viewport=VIEWPORT)
    try:
        for page in (None, *[p for p in PAGES if p.name in ("privacy", "timing")]):
            tab = Tab(ctx.new_page())
            tab.open(server.url(page, token=token), timeout=60)
            assert "yours alone" in _locked_out(tab)
    finally:
        ctx.close()


def test_a_foreign_host_name_gets_nothing(browser, server):
    """Hardening #1: a web page elsewhere that rebinds its name to 127.0.0.1 (the
    Host header then names it) gets no data and no controls, even with the key:
    the server refuses it before Streamlit (dashboard.server)."""
    rebinding = browser.browser_type.launch(
        executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, "--host-resolver-rules=MAP rebind.example 127.0.0.1"])
    try:
        page = rebinding.new_page(viewport=VIEWPORT)
        response = page.goto(server.url().replace("127.0.0.1", "rebind.example"), timeout=60_000)
        assert response.status == 403
        assert page.inner_text("body").strip() == "This dashboard only answers on this machine."
    finally:
        rebinding.close()


def _get(server, path: str, host: str) -> tuple[int, bytes]:
    request = urllib.request.Request(server.base + path, headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.mark.parametrize("path", ["/", "/?token=KEY", "/_stcore/health", "/_stcore/host-config", "/_stcore/metrics",
                                  "/static/", "/_stcore/stream"])
def test_under_a_foreign_host_no_route_answers(server, path):
    """Every route, the page's own scripts and the websocket included, refuses a foreign Host."""
    status, body = _get(server, path.replace("KEY", server.token), "rebind.example")
    assert status == 403 and b"only answers on this machine" in body and b"<script" not in body


def test_the_metrics_route_is_closed(server):
    """Hardening #13: /_stcore/metrics (cache and session statistics) is not served, even to the owner."""
    assert _get(server, "/_stcore/health", f"127.0.0.1:{server.port}")[0] == 200  # the server does answer
    status, body = _get(server, "/_stcore/metrics", f"127.0.0.1:{server.port}")
    assert status == 404 and b"cache" not in body and b"session" not in body


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("runuser"), reason="needs root to act as another user")
def test_another_user_cannot_read_the_key(server):
    """The key lives in the dashboard's environment, which the kernel shows to its owner only."""
    result = subprocess.run(["runuser", "-u", "nobody", "--", "cat", f"/proc/{server.proc.pid}/environ"],
                            capture_output=True)
    assert result.returncode != 0 and server.token.encode() not in result.stdout
    own = Path(f"/proc/{server.proc.pid}/environ").read_bytes()
    assert server.token.encode() in own  # the check above is about permissions, not a missing key


LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def test_no_request_leaves_the_machine(server, browser):
    """Issue 9 #10: every request the browser makes while a user opens every
    page (and each page's tab icon) goes to this machine: a `:material/...`
    page icon made the browser fetch an SVG from a font CDN on every load,
    telling a third party when and which page the worker opened."""
    from urllib.parse import urlsplit

    ctx = browser.new_context(viewport=VIEWPORT)
    requests: list[str] = []
    ctx.on("request", lambda request: requests.append(request.url))
    try:
        tab = Tab(ctx.new_page())
        for page in PAGES:
            tab.open(server.url(page), timeout=60)
            tab.page.wait_for_timeout(300)  # the favicon is set after the run
        for page in PAGES:  # and by the sidebar's navigation, as a user clicks through
            tab.switch(page, timeout=60)
            tab.page.wait_for_timeout(300)
    finally:
        ctx.close()
    assert requests, "no request recorded: the test records nothing"
    leaving = sorted({u for u in requests if urlsplit(u).scheme in ("http", "https", "ws", "wss")
                      and urlsplit(u).hostname not in LOCAL_HOSTS})
    assert not leaving, f"requests leaving the machine: {leaving}"


NARROW = {"width": 800, "height": 900}
# Elements of a metric whose text is cut (CSS ellipsis or overflow) or ends in an ellipsis.
CUT_METRICS_JS = """() => [...document.querySelectorAll(
    '[data-testid="stMetricLabel"], [data-testid="stMetricLabel"] *, [data-testid="stMetricValue"], '
    + '[data-testid="stMetricValue"] *, [data-testid="stMetricDelta"], [data-testid="stMetricDelta"] *')]
  .filter(e => e.scrollWidth > e.clientWidth + 1 || /[…]\\s*$/.test(e.innerText))
  .map(e => e.closest('[data-testid="stMetric"]').innerText.replace(/\\n/g, ' | '))"""
# Tables that scroll sideways: a column on the right is out of sight.
HIDDEN_COLUMNS_JS = """() => [...document.querySelectorAll('[data-testid="stDataFrame"]')]
  .filter(t => [...t.querySelectorAll('.dvn-scroller')].some(s => s.scrollWidth > s.clientWidth + 1))
  .map(t => t.innerText.slice(0, 80))"""

# Rows of choices (segmented controls) whose last options are cut off at the right.
CUT_CHOICES_JS = """() => [...document.querySelectorAll('[data-testid="stButtonGroup"]')]
  .filter(g => [...g.querySelectorAll('button')].some(
      b => b.getBoundingClientRect().right > g.getBoundingClientRect().right + 1))
  .map(g => g.innerText.replace(/\\n/g, ' | '))"""


@pytest.mark.parametrize("page", [p for p in PAGES if p.name in MIN_CHARTS], ids=lambda p: p.name)
def test_at_800_px_nothing_is_cut_off(page, server, browser):
    """Issue 9 #12: in a window 800 px wide (the sidebar open) every metric's
    label and value are whole ("7 h 2…" and "App switches p…" said nothing),
    no table hides a column on the right behind a sideways scroll, and no row
    of choices loses its last ones off the edge."""
    ctx = browser.new_context(viewport=NARROW)
    try:
        tab = Tab(ctx.new_page())
        tab.open(server.url(page), timeout=60)
        # On a loaded machine the metrics may come a moment after the page says it is ready: wait for them.
        tab.page.locator('[data-testid="stMetric"]').first.wait_for(timeout=30_000)
        tab.screenshot(SCREENSHOTS / f"800px-{page.name}.png")
        assert tab.page.locator('[data-testid="stMetric"]').count(), "no metric to check"
        cut = tab.page.evaluate(CUT_METRICS_JS)
        assert not cut, f"metrics cut off at 800 px: {cut}"
        for table in tab.page.locator('[data-testid="stDataFrame"]').all():
            table.scroll_into_view_if_needed()
        tab.page.wait_for_timeout(300)
        hidden = tab.page.evaluate(HIDDEN_COLUMNS_JS)
        assert not hidden, f"tables with columns out of sight at 800 px: {hidden}"
        cut_choices = tab.page.evaluate(CUT_CHOICES_JS)
        assert not cut_choices, f"choices cut off at 800 px: {cut_choices}"
    finally:
        ctx.close()
