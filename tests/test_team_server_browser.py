"""The team server in a real browser, started as an admin would
(``./run.sh team --store ... --oidc ...``), with Debian's headless Chromium
and a real local OpenID provider (oidc-provider-mock, on localhost).

- Signed out, every page's URL shows the sign-in page, and Streamlit's
  "Page not found" for anything else.
- Signed in, each role moves to every page's URL inside its session (as the
  browser's address history does): its own pages open, any other gets "Page
  not found" and the role's home page.
- Single sign-on: the whole round trip through the provider ends on the Team
  page as the manager bound to that identity; an unbound identity gets no
  access and says so.
- The server answers to its configured host name and refuses any other.
- Nothing is fetched from outside this machine by the server's pages.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest
import study_gen as g

from sharing import studies, teamlog, teamstore
from team.accounts import Accounts
from testkit import stop_group
from testkit.browser import VIEWPORT, chromium, free_port

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery"
EVERY_PAGE = sorted(p.stem for p in (ROOT / "pages").glob("*.py") if p.stem != "__init__")
MAY_SEE = {"root": {"team": "Team", "accounts": "Accounts"}, "ann": {"team": "Team"}, "rita": {"explore": "Explore"}}
HOME = {"root": "Team", "ann": "Team", "rita": "Explore"}
SIGN_IN = "Workprint team server"
SCREENSHOTS = ROOT / "tests" / "out" / "screenshots" / "team"
# The provider's own page links a stylesheet on a CDN (oidc_provider_mock/templates/_base.html); it is blocked.
PROVIDER_CDN = "cdn.jsdelivr.net"


class TeamServer:
    def __init__(self, args: list[str], env: dict, log: Path, port: int) -> None:
        self.port = port
        self.command = ["./run.sh", "team", *args, "--port", str(self.port)]
        self.env, self.log, self.proc = env, log, None

    def start(self, timeout: float = 60) -> "TeamServer":
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(self.command, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"team server exited {self.proc.returncode}:\n{self.log.read_text()[-3000:]}")
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/_stcore/health", timeout=1) as reply:
                    if reply.status == 200:
                        return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"team server did not answer within {timeout} s:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc is not None:
            stop_group(self.proc)


@pytest.fixture(scope="module")
def provider():
    from oidc_provider_mock import User, run_server_in_thread

    users = [User(sub="sub-ann", claims={"email": "ann@example.org"}),
             User(sub="sub-eve", claims={"email": "eve@example.org"})]
    with run_server_in_thread(port=free_port(), user_claims=users) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture(scope="module")
def server(tmp_path_factory, provider):
    tmp = tmp_path_factory.mktemp("team-server")
    store = teamstore.create(tmp / "store")
    (store.root / "releases" / "Design").mkdir(parents=True)
    g.build(store.root, g.study("sleep-study", ("activity", "categories")), {"A": 6}, days=5, store=store)
    state = tmp / "state"
    env = {**os.environ, "WORKPRINT_TEAM_STATE": str(state)}
    env.pop("WORKPRINT_MODE", None)
    book = Accounts(state / "accounts.duckdb")
    book.add("root", "admin", [], PASSWORD)
    book.add("ann", "manager", ["Design"], PASSWORD)
    book.bind_oidc("ann", email="ann@example.org")  # ann@example.org signs in as ann through single sign-on
    book.add("rita", "researcher", ["sleep-study"], PASSWORD)
    port = free_port()
    settings = tmp / "oidc.toml"
    settings.write_text(f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n'
                        'client_id = "workprint-team"\nclient_secret = "not-a-real-secret"\n'
                        f'redirect_uri = "http://localhost:{port}/oauth2callback"\n')
    settings.chmod(0o600)
    team = TeamServer(["--store", str(store.root), "--state", str(state), "--oidc", str(settings),
                       "--allowed-host", "team.example"], env, tmp / "server.log", port)
    team.start()
    yield team
    team.stop()


@pytest.fixture(scope="module")
def browser():
    with chromium("--host-resolver-rules=MAP team.example 127.0.0.1, MAP evil.example 127.0.0.1") as launched:
        yield launched


@pytest.fixture
def tab(browser):
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.outside = []

    def guard(route):
        host = urlparse(route.request.url).hostname
        if host in ("localhost", "127.0.0.1", "team.example", "evil.example"):
            return route.continue_()
        page.outside.append(route.request.url)
        return route.abort()

    page.route("**/*", guard)
    page.ask_for = None

    def stream(ws):
        """Passes the browser's messages on; the next rerun request after ask_for is set names that page."""
        from streamlit.proto.BackMsg_pb2 import BackMsg

        upstream = ws.connect_to_server()

        def from_page(message):
            if isinstance(message, bytes) and page.ask_for is not None:
                msg = BackMsg()
                msg.ParseFromString(message)
                if msg.WhichOneof("type") == "rerun_script":
                    msg.rerun_script.page_script_hash = ""
                    msg.rerun_script.page_name = page.ask_for
                    page.ask_for = None
                    message = msg.SerializeToString()
            upstream.send(message)

        ws.on_message(from_page)

    page.route_web_socket("**/_stcore/stream", stream)
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    yield page
    context.close()
    assert all(PROVIDER_CDN in url for url in page.outside), page.outside


def settled(page, timeout: float = 30_000) -> None:
    """The script run finished and nothing on the page is stale."""
    page.wait_for_function("""() => {
        const app = document.querySelector('[data-testid="stApp"]');
        return app && app.getAttribute('data-test-script-state') === 'notRunning'
            && !document.querySelector('[data-stale="true"]');
    }""", timeout=timeout, polling=50)
    page.wait_for_timeout(300)


def heading(page) -> str:
    page.wait_for_selector("h1", timeout=30_000)
    return page.locator("h1").first.inner_text().strip()


def not_found_shown(page) -> bool:
    with contextlib.suppress(Exception):
        page.get_by_text("Page not found").first.wait_for(timeout=5_000)
        return True
    return False


def sign_in(page, base: str, name: str) -> None:
    page.goto(base + "/")
    settled(page)
    page.get_by_role("textbox", name="Account name").fill(name)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_selector('[data-testid="stSidebar"]', timeout=30_000)
    settled(page)


def go_within_session(page, path: str) -> None:
    """Ask the server for another page's URL from within the signed-in browser session.

    Streamlit's frontend only ever asks for pages it was told about (an
    unknown path in the address bar reruns the current page), so the rerun
    request it sends is rewritten to name ``path``, as a hand-made request
    would: the server alone decides what runs.
    """
    page.ask_for = path
    page.evaluate("p => { history.pushState({}, '', p); window.dispatchEvent(new PopStateEvent('popstate')); }",
                  "/" + path)
    page.wait_for_timeout(300)
    settled(page)


def base(server, host: str = "127.0.0.1") -> str:
    return f"http://{host}:{server.port}"


def test_every_url_while_signed_out_shows_only_sign_in(server, tab):
    for name in EVERY_PAGE:
        tab.goto(f"{base(server)}/{name}")
        settled(tab)
        assert heading(tab) == SIGN_IN, name
        if name != "signin":
            assert not_found_shown(tab), name
        assert not tab.locator('[data-testid="stSidebarNav"]').count(), name
    tab.screenshot(path=str(SCREENSHOTS / "signed-out.png"))
    assert not tab.errors


@pytest.mark.parametrize("name", ["root", "ann", "rita"])
def test_each_role_reaches_its_pages_and_no_other(server, tab, name):
    sign_in(tab, base(server), name)
    assert heading(tab) == HOME[name]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SCREENSHOTS / f"{name}-home.png"))
    for page in EVERY_PAGE:
        go_within_session(tab, page)
        if page in MAY_SEE[name]:
            assert heading(tab) == MAY_SEE[name][page], page
        else:
            assert not_found_shown(tab), (name, page)
            assert heading(tab) == HOME[name], (name, page)
        tab.keyboard.press("Escape")  # close the dialog
    assert not tab.errors


def test_single_sign_on_round_trip_ends_on_the_team_page(server, provider, tab):
    tab.goto(f"http://localhost:{server.port}/")
    settled(tab)
    tab.get_by_role("button", name="Sign in with single sign-on").click()
    tab.wait_for_url(f"{provider}/**", timeout=30_000)
    tab.get_by_role("button", name="sub-ann").click()  # the provider's "predefined user" button
    tab.wait_for_url(f"http://localhost:{server.port}/**", timeout=30_000)
    tab.wait_for_selector('[data-testid="stSidebar"]', timeout=30_000)
    settled(tab)
    assert heading(tab) == "Team"
    assert "Signed in as ann (manager, single sign-on)" in tab.locator('[data-testid="stSidebar"]').inner_text()
    tab.screenshot(path=str(SCREENSHOTS / "sso-team.png"))
    go_within_session(tab, "explore")
    assert not_found_shown(tab) and heading(tab) == "Team"


def test_an_unbound_identity_gets_no_access(server, provider, tab):
    tab.goto(f"http://localhost:{server.port}/")
    settled(tab)
    tab.get_by_role("button", name="Sign in with single sign-on").click()
    tab.wait_for_url(f"{provider}/**", timeout=30_000)
    tab.get_by_role("button", name="sub-eve").click()
    tab.wait_for_url(f"http://localhost:{server.port}/**", timeout=30_000)
    settled(tab)
    assert heading(tab) == SIGN_IN
    assert "(eve@example.org) is not bound to an account" in tab.inner_text("body")
    assert not tab.locator('[data-testid="stSidebarNav"]').count()


def test_the_configured_host_name_is_served_and_others_refused(server, tab):
    tab.goto(base(server, "team.example") + "/")
    settled(tab)
    assert heading(tab) == SIGN_IN
    reply = tab.goto(base(server, "evil.example") + "/")
    assert reply.status == 403
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(urllib.request.Request(base(server) + "/", headers={"Host": "evil.example"}), timeout=5)
    assert refused.value.code == 403


def test_metrics_are_not_served(server):
    with pytest.raises(urllib.error.HTTPError) as closed:
        urllib.request.urlopen(base(server) + "/_stcore/metrics", timeout=5)
    assert closed.value.code == 404



def test_a_researcher_explores_their_study_and_each_read_reaches_the_access_logs(server, tab):
    """rita, researcher of sleep-study, signs in: Explore draws the study's chart, an SQL query's rows show, and
    every person the study covers finds rita's reads in their access log."""
    store = teamstore.open_store(Path(server.command[server.command.index("--store") + 1]))
    people = {studies.parse_release_key(k)[2] for k in store.list(studies.release_prefix("sleep-study"))}
    sign_in(tab, base(server), "rita")
    assert heading(tab) == "Explore"
    tab.wait_for_selector(".js-plotly-plot", timeout=60_000)
    assert "Study sleep-study" in tab.inner_text("body") and "Demo data" not in tab.inner_text("body")
    tab.get_by_role("tab", name="SQL").click()
    box = tab.get_by_role("textbox", name="SQL (read-only)")
    box.fill("SELECT weekday, count(*) AS person_days FROM days GROUP BY weekday ORDER BY weekday")
    tab.get_by_role("button", name="Run").click()
    settled(tab)
    tab.get_by_text("Logged in 6 people's access logs").wait_for(timeout=30_000)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SCREENSHOTS / "rita-explore-sql.png"), full_page=True)
    for person in people:
        whats = [e.what for e in teamlog.entries(store, person) if e.who.startswith("researcher rita")]
        assert "study SQL query" in whats and "study results: active_minutes" in whats, whats
    assert not tab.errors
