"""Driving the dashboard in a real browser: the server as the README starts
it, Debian's headless Chromium through Playwright, and the "fully rendered"
condition. tests/test_browser.py and bench/dashboard_bench.py both use it, so
the test and the figures mean the same thing."""

from __future__ import annotations

import ast
import contextlib
import os
import secrets
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from .processes import stop_group

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"  # Debian's; never a downloaded one
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1400, "height": 900}

# True once the page is fully drawn: the script finished, no element is stale
# (left from the previous run), every plotly chart has drawn its SVG.
RENDERED_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelector('[data-stale="true"]')) return false;
  return [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
    .every(c => c.querySelector('.js-plotly-plot .main-svg'));
}"""


@dataclass(frozen=True)
class PageRef:
    """A page as app.py registers it with st.Page."""

    path: str  # relative to app.py, e.g. "pages/overview.py"
    title: str
    url: str  # URL path without the leading slash; "" for the default page
    default: bool

    @property
    def name(self) -> str:
        return Path(self.path).stem


def registered_pages(app: Path = ROOT / "app.py") -> list[PageRef]:
    """Every ``st.Page("pages/x.py", title=..., default=...)`` in app.py, in order.

    Raises ValueError when app.py registers none this way (pages built in a
    loop, say), so tests fail loudly instead of testing nothing.
    """
    found = []
    for node in ast.walk(ast.parse(app.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "Page"):
            continue
        if not (node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            continue
        path = node.args[0].value
        kw = {k.arg: k.value.value for k in node.keywords if isinstance(k.value, ast.Constant)}
        default = bool(kw.get("default", False))
        url = "" if default else kw.get("url_path") or Path(path).stem
        found.append((node.lineno, node.col_offset, PageRef(path, kw.get("title") or Path(path).stem, url, default)))
    if not found:
        raise ValueError(f"no st.Page('...py') calls found in {app}")
    return [page for *_, page in sorted(found, key=lambda f: f[:2])]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PortTaken(RuntimeError):
    """Another process took the free port before the server could."""


class Dashboard:
    """The dashboard in a subprocess, started as the README says (``./run.sh
    dashboard``) or, with ``command=[...]``, any other way; stopped by its pid."""

    def __init__(self, env: dict, log: Path, command: list[str] | None = None, cwd: Path = ROOT) -> None:
        self.port = free_port()
        self.command = (command or ["./run.sh", "dashboard"]) + [
            "--server.port", str(self.port), "--server.headless", "true"]
        self.env = {**os.environ, **env}
        # The owner's key (dashboard.access): ./run.sh keeps one given in the environment.
        self.token = self.env.setdefault("WORKPRINT_DASHBOARD_TOKEN", secrets.token_urlsafe(16))
        self.log, self.cwd = log, cwd
        self.proc: subprocess.Popen | None = None
        self.started_in: float | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, page: PageRef | None = None, token: str | None = None) -> str:
        """The page's address (the default page's without one), with the owner's key unless ``token`` is given."""
        path = page.url if page else ""
        return f"{self.base}/{path}?token={self.token if token is None else token}"

    def start(self, timeout: float = 60) -> "Dashboard":
        """Start and wait until it answers; another free port if this one was taken meanwhile."""
        for _ in range(3):
            try:
                return self._start(timeout)
            except PortTaken:
                self.port = free_port()
                self.command[self.command.index("--server.port") + 1] = str(self.port)
        return self._start(timeout)

    def _start(self, timeout: float) -> "Dashboard":
        self.log.parent.mkdir(parents=True, exist_ok=True)
        offset = self.log.stat().st_size if self.log.exists() else 0
        t0 = time.perf_counter()
        with open(self.log, "ab") as out:
            # Its own session, so stop() can end run.sh's streamlit and anything it started.
            self.proc = subprocess.Popen(self.command, cwd=self.cwd, env=self.env, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                output = self.log.read_bytes()[offset:].decode(errors="replace")
                if "is not available" in output or "already in use" in output:
                    raise PortTaken(output)
                raise RuntimeError(f"dashboard exited {self.proc.returncode}:\n{output[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.base}/_stcore/health", timeout=1) as reply:
                    if reply.status == 200:
                        self.started_in = time.perf_counter() - t0
                        return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"dashboard did not answer within {timeout} s:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc is not None:
            stop_group(self.proc)

    def __enter__(self) -> "Dashboard":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def launch_chromium(playwright, *extra_args: str):
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: run ./run.sh test, which installs Debian's chromium")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *extra_args])


@contextlib.contextmanager
def chromium(*extra_args: str):
    """Debian's Chromium, headless, under Playwright, for a with-block (a test module's browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = launch_chromium(pw, *extra_args)
        try:
            yield browser
        finally:
            browser.close()


class Tab:
    """A browser page that knows when the dashboard has finished drawing.

    Counts the server's "script finished" messages on the websocket, so a
    wait never mistakes the moment before a run starts for the end of one.
    """

    def __init__(self, page) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        self.page = page
        self.finished = 0
        done = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR}

        def on_frame(payload) -> None:
            if isinstance(payload, (bytes, bytearray)):
                msg = ForwardMsg()
                with contextlib.suppress(Exception):
                    msg.ParseFromString(bytes(payload))
                    if msg.WhichOneof("type") == "script_finished" and msg.script_finished in done:
                        self.finished += 1

        page.on("websocket", lambda ws: ws.on("framereceived", on_frame))

    def wait_rendered(self, since: int, timeout: float = 30) -> None:
        """Wait for a finished run after ``since`` finished runs, then for the DOM."""
        deadline = time.monotonic() + timeout
        while self.finished <= since:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no finished script run within {timeout} s at {self.page.url}")
            self.page.wait_for_timeout(10)
        left = max(deadline - time.monotonic(), 0.1)
        self.page.wait_for_function(RENDERED_JS, timeout=left * 1000, polling=20)

    def open(self, url: str, timeout: float = 30) -> float:
        """Load ``url``; seconds until fully rendered."""
        before, t0 = self.finished, time.perf_counter()
        self.page.goto(url)
        self.wait_rendered(before, timeout)
        return time.perf_counter() - t0

    def switch(self, page: PageRef, timeout: float = 30) -> float:
        """Click the page in the sidebar navigation; seconds until fully rendered."""
        before, t0 = self.finished, time.perf_counter()
        self.page.click(f'[data-testid="stSidebarNav"] a[href$="/{page.url}"]')
        self.wait_rendered(before, timeout)
        return time.perf_counter() - t0

    def screenshot(self, path: Path) -> None:
        """The whole page as a PNG. Streamlit scrolls inside stMain (and the
        sidebar), not the document, so the window is made as tall as their
        content first; the width stays, so nothing is laid out anew."""
        size = self.page.viewport_size
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            for _ in range(5):  # content below the fold (tables) may grow once it is in view
                height = self.page.evaluate("""() => Math.max(...['stMain', 'stSidebarContent'].map(id => {
                    const e = document.querySelector(`[data-testid="${id}"]`);
                    return e ? e.scrollHeight : 0; }))""")
                if height <= self.page.viewport_size["height"]:
                    break
                self.page.set_viewport_size({"width": size["width"], "height": height})
                self.page.wait_for_timeout(150)
            self.page.wait_for_function(RENDERED_JS, timeout=10_000, polling=20)
            self.page.wait_for_timeout(200)
            self.page.screenshot(path=path, full_page=True)
        finally:
            self.page.set_viewport_size(size)

    def nav_text(self) -> str:
        nav = self.page.query_selector('[data-testid="stSidebarNav"]')
        return nav.inner_text() if nav else ""

    def shows_app_navigation(self, pages: list[PageRef]) -> bool:
        """True when the sidebar lists app.py's pages by their titles (not the pages/ folder's files)."""
        text = self.nav_text()
        return all(p.title in text for p in pages)

    def charts(self) -> tuple[int, int]:
        """(plotly charts on the page, of them drawn)."""
        return self.page.evaluate("""() => {
          const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
          return [charts.length, charts.filter(c => c.querySelector('.js-plotly-plot .main-svg')).length];
        }""")


# --- the benchmark --------------------------------------------------------------------------


