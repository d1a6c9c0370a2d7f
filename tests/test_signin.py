"""Sign-in on the team server (dashboard.signin, pages/signin.py), through
app.py in AppTest: who gets which page, what a signed-out or wrong-role
request runs (nothing), expiry on a moved clock, and the Viewer handed to the
Team page.

A request for a page's URL is simulated as the frontend makes it (the page's
hash, calc_hash of its URL path); tests/test_team_server_browser.py does the
same with real URLs in Chromium. AppTest resets Streamlit's legacy
pages-folder mode before every run; the real server turns it off for the
whole process (dashboard/server.py), so the fixture does what the server does.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from dashboard import signin
from sharing import teamstore
from team import accounts
from team.accounts import Accounts
from team.viewer import Viewer

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"
PASSWORD = "correct horse battery"
EVERY_PAGE = sorted(p.stem for p in (ROOT / "pages").glob("*.py") if p.stem != "__init__")
WORKER_PAGES = ("overview", "timeline", "workflow", "timing", "privacy")
MAY_SEE = {"admin": {"team", "accounts"}, "manager": {"team"}, "researcher": {"explore"}}
HOME = {"admin": "Team", "manager": "Team", "researcher": "Explore"}


@pytest.fixture(autouse=True)
def no_legacy_pages(monkeypatch):
    original = PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False  # as dashboard/server.py does for the server's process

    monkeypatch.setattr(PagesManager, "__init__", init)


@pytest.fixture
def server(tmp_path, monkeypatch, clock):
    """A team server's environment: a store with two teams, and one account per role."""
    store = teamstore.create(tmp_path / "store")
    for team in ("Design", "Ops"):
        (store.root / "releases" / team).mkdir(parents=True)
    monkeypatch.setenv("WORKPRINT_MODE", "team")
    monkeypatch.setenv("WORKPRINT_TEAM_STORE", str(store.root))
    monkeypatch.setenv("WORKPRINT_TEAM_STATE", str(tmp_path / "state"))
    monkeypatch.delenv("WORKPRINT_DASHBOARD_TOKEN", raising=False)
    book = Accounts()
    book.add("root", "admin", [], PASSWORD)
    book.add("ann", "manager", ["Design"], PASSWORD)
    book.add("rita", "researcher", ["sleep-study"], PASSWORD)
    return book


class PageCode:
    """Which pages/*.py files ran any code (their module body is a call in the tracer)."""

    def __init__(self) -> None:
        self.ran: set[str] = set()

    def _trace(self, frame, event, arg):
        if event == "call":
            path = Path(frame.f_code.co_filename)
            if path.parent == ROOT / "pages":
                self.ran.add(path.stem)
        return None

    def __enter__(self):
        sys.settrace(self._trace)
        threading.settrace(self._trace)
        return self

    def __exit__(self, *exc):
        sys.settrace(None)
        threading.settrace(None)


def open_app() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=30)
    at.run()
    return at


def request(at: AppTest, page: str) -> PageCode:
    """What a browser sends for /<page> (the frontend names the page by its URL path); which pages ran."""
    at._page_hash = calc_hash(page)
    with PageCode() as code:
        at.run()
    return code


def sign_in(at: AppTest, name: str, password: str = PASSWORD) -> AppTest:
    at.text_input(key=signin.NAME_KEY).input(name)
    at.text_input(key=signin.PASSWORD_KEY).input(password)
    at.button[0].click()
    at.run()
    return at


def titles(at: AppTest) -> list[str]:
    return [t.value for t in at.title]


def nav(at: AppTest) -> set[str]:
    return {Path(p["script_path"]).stem for p in at._registered_pages.values() if p.get("script_path")}


def test_signed_out_only_the_sign_in_page_exists(server):
    at = open_app()
    assert not at.exception
    assert titles(at) == ["Workprint team server"]
    assert nav(at) == {"signin"}


@pytest.mark.parametrize("page", EVERY_PAGE)
def test_a_signed_out_request_for_any_page_runs_only_the_sign_in_page(server, page):
    """No URL gets past sign-in: the page's code never runs, whatever it would read."""
    at = open_app()
    code = request(at, page)
    assert not at.exception
    assert titles(at) == ["Workprint team server"]
    assert code.ran == {"signin"}


@pytest.mark.parametrize("params", [{"token": "x"}, {"role": "admin"}, {"account": "root", "session": "1"},
                                    {"user": "ann", "password": PASSWORD}])
def test_query_parameters_never_sign_anyone_in(server, params):
    at = AppTest.from_file(str(APP), default_timeout=30)
    at.query_params.update(params)
    at.run()
    assert titles(at) == ["Workprint team server"] and nav(at) == {"signin"}
    sign_in(at, "rita")
    at.query_params.update(params)
    at.run()
    assert titles(at) == ["Explore"] and nav(at) == {"explore"}  # nor switch a role


@pytest.mark.parametrize("role, name", [("admin", "root"), ("manager", "ann"), ("researcher", "rita")])
def test_each_role_lists_only_its_pages_and_a_request_for_any_other_runs_none(server, role, name):
    """A researcher asking for /team, or a manager for /explore, gets the home page, never the other's code."""
    at = sign_in(open_app(), name)
    assert not at.exception and titles(at)[0] == HOME[role]
    assert nav(at) == MAY_SEE[role]
    assert not set(WORKER_PAGES) & nav(at)  # no worker database on the team server
    for page in EVERY_PAGE:
        code = request(at, page)
        assert not at.exception
        if page in MAY_SEE[role]:
            assert code.ran == {page}
        else:
            assert code.ran == {("team" if role != "researcher" else "explore")}, page
            assert titles(at)[0] == HOME[role]


def test_a_wrong_password_and_an_unknown_name_get_the_same_words(server):
    at = sign_in(open_app(), "ann", "not the password")
    assert [e.value for e in at.error] == [accounts.NO_MATCH] and nav(at) == {"signin"}
    assert at.text_input(key=signin.PASSWORD_KEY).value == ""  # not kept in the form for the next person
    at = sign_in(open_app(), "nobody", "not the password")
    assert [e.value for e in at.error] == [accounts.NO_MATCH] and nav(at) == {"signin"}


def test_repeated_failures_lock_out_with_when_to_try_again(server):
    at = open_app()
    for _ in range(accounts.MAX_FAILURES):
        sign_in(at, "ann", "guess")
    sign_in(at, "ann")
    assert [e.value for e in at.error] == ["Too many failed sign-ins. Try again after 09:02 UTC (in 2 minutes)."]
    assert nav(at) == {"signin"}


def test_an_idle_session_goes_back_to_sign_in(server, clock):
    at = sign_in(open_app(), "ann")
    clock.move(minutes=20)
    at.run()
    assert titles(at)[0] == "Team"
    clock.move(minutes=30, seconds=1)
    code = request(at, "team")
    assert titles(at) == ["Workprint team server"] and code.ran == {"signin"}
    assert "no use for 30 minutes" in at.info[0].value


def test_a_session_past_its_absolute_time_goes_back_to_sign_in(server, clock):
    at = sign_in(open_app(), "ann")
    for _ in range(24):
        clock.move(minutes=20)
        at.run()
        assert titles(at)[0] == "Team"
    clock.move(minutes=1)
    at.run()
    assert titles(at) == ["Workprint team server"] and "8 h after signing in" in at.info[0].value


@pytest.mark.parametrize("change", ["remove", "role"])
def test_removing_an_account_or_changing_its_role_ends_its_open_session(server, change):
    at = sign_in(open_app(), "ann")
    assert titles(at)[0] == "Team"
    if change == "remove":
        server.remove("ann")
    else:
        server.set_role("ann", "researcher", ["sleep-study"])
    code = request(at, "team")
    assert titles(at) == ["Workprint team server"] and code.ran == {"signin"}
    assert "has ended" in at.info[0].value


def test_signing_out_from_the_sidebar(server):
    at = sign_in(open_app(), "ann")
    assert "Signed in as **ann** (manager, local account)" in at.sidebar.caption[0].value
    at.sidebar.button(key="_workprint_sign_out").click()
    at.run()
    assert titles(at) == ["Workprint team server"] and at.info[0].value == "You are signed out."
    assert server.session_count("ann") == 0


def test_the_admin_reads_accounts_without_hashes(server):
    at = sign_in(open_app(), "root")
    request(at, "accounts")
    table = at.dataframe[0].value
    assert list(table["account"]) == ["ann", "rita", "root"]
    assert "argon2" not in table.to_csv()


def test_the_viewer_the_team_page_gets(server, monkeypatch):
    """The Team page reads as whoever signed in, for the teams of that account only."""
    seen = {}
    original = signin.navigation

    def probe():
        page = original()
        seen["viewer"] = signin.viewer()
        return page

    monkeypatch.setattr(signin, "navigation", probe)
    at = open_app()
    assert seen["viewer"] is None
    sign_in(at, "ann")
    assert seen["viewer"] == Viewer("manager ann (local account)", "manager", frozenset({"Design"}))
    sign_in(open_app(), "root")
    assert seen["viewer"] == Viewer("admin root (local account)", "admin", frozenset({"Design", "Ops"}))
    sign_in(open_app(), "rita")
    assert seen["viewer"].teams == frozenset() and not seen["viewer"].may_read("Design")


def test_the_worker_dashboard_has_no_viewer(monkeypatch):
    monkeypatch.delenv("WORKPRINT_MODE", raising=False)
    assert signin.viewer() is None


@pytest.mark.parametrize("mode, host, allowed", [
    ("team", "team.example:8502", True), ("team", "TEAM.example", True), ("team", "127.0.0.1:8502", True),
    ("team", "evil.example:8502", False), ("team", "team.example.evil:8502", False),
    ("", "team.example:8502", False),  # the worker's own dashboard stays local-only whatever the environment says
    ("", "localhost:8501", True),
])
def test_the_team_server_answers_to_its_configured_names_only(monkeypatch, mode, host, allowed):
    from dashboard.access import host_allowed

    monkeypatch.setenv("WORKPRINT_MODE", mode)
    monkeypatch.setenv("WORKPRINT_TEAM_HOSTS", "team.example, other.example")
    assert host_allowed(host) is allowed


def test_a_foreign_host_gets_no_page_in_team_mode(server, monkeypatch):
    """Behind the server's own 403, app.py refuses too: no sign-in form for a rebinding page."""
    at = AppTest.from_file(str(APP), default_timeout=30)
    monkeypatch.setattr("streamlit.runtime.context.StreamlitHeaders.get",
                        lambda self, key, default=None: "evil.example" if key.lower() == "host" else default)
    with PageCode() as code:
        at.run()
    assert code.ran == set() and "only answers to the host names its admin configured" in at.error[0].value
