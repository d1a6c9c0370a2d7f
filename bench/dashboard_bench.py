"""Dashboard benchmark: per page, navigation to fully rendered page in headless Chromium.

    .venv/bin/python bench/dashboard_bench.py                  # the default demo (data/demo.duckdb)
    .venv/bin/python bench/dashboard_bench.py --demo-db PATH   # another demo database
    .venv/bin/python bench/dashboard_bench.py --db PATH        # your own data (source 'own')
    .venv/bin/python bench/dashboard_bench.py --thousand       # bench/out/thousand.duckdb: 1,000 workers
                                                               # (build: bench/gen_datasets.py rollups)

For every page registered in app.py it prints, in seconds:

- cold: the page's URL as the first navigation after a server start, in a
  fresh browser (Streamlit's cache and the browser's empty; a server per page);
- cold via /: on that same server, "/" and then the page through the sidebar:
  its first visit when the start began at "/" (its own queries uncached);
- warm: the median of 5 loads of the page's URL after a warm-up, on one
  server (cache warm, a new browser session each time);
- switch: the median of 5 switches to the page through the sidebar from
  another page, in one browser session (what a user does most);

against the targets (warm <= 2 s, cold <= 5 s), and warm as a ratio of a
baseline measured in the same run: a one-line Streamlit page served and timed
the same way, the floor Streamlit and Chromium set on this machine. "Fully
rendered": the server reported the run finished, nothing on the page is stale,
and every plotly chart has drawn its SVG. The last column says when a cold
start showed something other than the page asked for (Streamlit's automatic
pages/ folder navigation instead of app.py's). Nothing is asserted.

The driver (server, browser, the rendered condition) is also what
tests/test_browser.py uses, so the test and the figures mean the same thing.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"  # Debian's; never a downloaded one
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1400, "height": 900}
WARM_TARGET_S, COLD_TARGET_S = 2.0, 5.0

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
        self.log, self.cwd = log, cwd
        self.proc: subprocess.Popen | None = None
        self.started_in: float | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, page: PageRef) -> str:
        return f"{self.base}/{page.url}"

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
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def __enter__(self) -> "Dashboard":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def launch_chromium(playwright):
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: run ./run.sh test, which installs Debian's chromium")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


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


def _fmt(seconds: float | None, target: float | None = None) -> str:
    if seconds is None:
        return "–"
    flag = " !" if target is not None and seconds > target else ""
    return f"{seconds:.2f}{flag}"


def _cold(browser, env: dict, page: PageRef, pages: list[PageRef], log: Path) -> dict:
    """A new server and a new browser: the page's URL first; then "/" and a switch to the page,
    its first visit after a start that began at "/" (its own queries still uncached)."""
    with Dashboard(env, log) as server:
        context = browser.new_context(viewport=VIEWPORT)
        try:
            tab = Tab(context.new_page())
            out = {"cold": tab.open(server.url(page), timeout=120), "page_ok": tab.shows_app_navigation(pages)}
            if not page.default:
                tab.open(server.base + "/", timeout=120)
                out["cold_switch"] = tab.switch(page, timeout=120)
            return out
        finally:
            context.close()


def _warm(browser, server: Dashboard, page: PageRef, runs: int) -> dict:
    """New browser sessions loading the page's URL on a server whose cache is warm."""
    context = browser.new_context(viewport=VIEWPORT)
    try:
        tab = Tab(context.new_page())
        tab.open(server.url(page), timeout=120)
        times = [tab.open(server.url(page)) for _ in range(runs)]
        return {"warm": statistics.median(times), "charts": tab.charts()[0]}
    finally:
        context.close()


def _switches(browser, server: Dashboard, pages: list[PageRef], runs: int) -> dict:
    """One session switching to each page through the sidebar, from its neighbour."""
    context = browser.new_context(viewport=VIEWPORT)
    try:
        tab = Tab(context.new_page())
        out = {}
        for i, page in enumerate(pages):
            other = pages[(i + 1) % len(pages)]
            tab.open(server.url(other))
            tab.switch(page)  # warm-up
            times = []
            for _ in range(runs):
                tab.open(server.url(other))
                times.append(tab.switch(page))
            out[page.path] = statistics.median(times)
        return out
    finally:
        context.close()


def _baseline(browser, env: dict, runs: int, log: Path) -> dict:
    """A one-line Streamlit page, timed the same way: Streamlit's and Chromium's floor here."""
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "baseline.py"
        script.write_text('import streamlit as st\nst.title("baseline")\n')
        cmd = [str(ROOT / ".venv" / "bin" / "streamlit"), "run", str(script)]
        with Dashboard(env, log, command=cmd, cwd=Path(tmp)) as server:
            context = browser.new_context(viewport=VIEWPORT)
            try:
                tab = Tab(context.new_page())
                cold = tab.open(server.base + "/", timeout=120)
                warm = statistics.median([tab.open(server.base + "/") for _ in range(runs)])
            finally:
                context.close()
    return {"cold": cold, "warm": warm}


def measure(env: dict, pages: list[PageRef], runs: int, log: Path, pw) -> dict:
    """Seconds per page (cold, cold_switch, warm, switch) and the baseline's; see the module doc."""
    browser = launch_chromium(pw)
    try:
        results = {p.path: _cold(browser, env, p, pages, log) for p in pages}
        with Dashboard(env, log) as server:
            for page in pages:
                results[page.path] |= _warm(browser, server, page, runs)
            for path, seconds in _switches(browser, server, pages, runs).items():
                results[path]["switch"] = seconds
        results["baseline"] = _baseline(browser, env, runs, log)
    finally:
        browser.close()
    return results


def print_table(pages: list[PageRef], results: dict, label: str) -> None:
    base = results["baseline"]
    print(f"\nDashboard pages, {label}")
    print(f"seconds from navigation to fully rendered; targets: cold <= {COLD_TARGET_S:.0f} s, "
          f"warm <= {WARM_TARGET_S:.0f} s; ! = over")
    print("  cold: the page's URL first after a server start; cold via /: '/' first, then this page in the "
          "sidebar;\n  warm: its URL again (median); switch: to it in the sidebar from another page (median)")
    head = (f"{'page':<24}{'cold':>8}{'cold via /':>12}{'warm':>8}{'switch':>8}{'warm/base':>11}{'charts':>8}"
            "  on a cold start the URL showed")
    print(head)
    print("-" * len(head))
    for p in pages:
        r = results[p.path]
        ratio = f"{r['warm'] / base['warm']:.1f}x"
        shown = "the page" if r["page_ok"] else "NOT the page: pages/ folder navigation"
        print(f"{'/' + p.url:<24}{_fmt(r['cold'], COLD_TARGET_S):>8}{_fmt(r.get('cold_switch'), COLD_TARGET_S):>12}"
              f"{_fmt(r['warm'], WARM_TARGET_S):>8}{_fmt(r['switch'], WARM_TARGET_S):>8}{ratio:>11}"
              f"{r['charts']:>8}  {shown}")
    print(f"{'baseline (1-line page)':<24}{_fmt(base['cold']):>8}{'':>12}{_fmt(base['warm']):>8}{'':>8}{'1.0x':>11}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--db", type=Path, help="your own database (shown as 'own' data)")
    source.add_argument("--demo-db", type=Path, help="a demo database (default: the dashboard's, data/demo.duckdb)")
    source.add_argument("--thousand", nargs="?", const=ROOT / "bench" / "out" / "thousand.duckdb", type=Path,
                        metavar="PATH", help="the 1,000-worker rollup database (default bench/out/thousand.duckdb)")
    parser.add_argument("--runs", type=int, default=5, help="timed navigations per page (default 5)")
    parser.add_argument("--pages", nargs="*", help="only these pages (file stems, e.g. overview timing)")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    demo_default = ROOT / "data" / "demo.duckdb"  # dashboard.data.DEMO_DB_DEFAULT, without importing streamlit here
    tmp = Path(tempfile.mkdtemp(prefix="wp-bench-"))
    log = ROOT / "bench" / "out" / "dashboard_bench.log"
    env = {"XDG_RUNTIME_DIR": os.environ.get("XDG_RUNTIME_DIR") or str(tmp)}
    try:
        if args.db:
            db = args.db.resolve()
            env |= {"WORKPRINT_DB": str(db), "WORKPRINT_DEMO_DB": str(tmp / "no-demo.duckdb")}
            label = f"own data {db}"
        else:
            db = (args.thousand or args.demo_db or demo_default).resolve()
            if not db.exists():
                if args.thousand:
                    raise SystemExit(f"{db} is missing: build it with .venv/bin/python bench/gen_datasets.py rollups")
                print(f"generating {db} with python -m capture demo ...", flush=True)
                subprocess.run([sys.executable, "-m", "capture", "demo", "--db", str(db)], cwd=ROOT, check=True)
            env |= {"WORKPRINT_DEMO_DB": str(db), "WORKPRINT_DB": str(tmp / "no-own-data.duckdb")}
            label = f"demo data {db}"
        pages = registered_pages()
        if args.pages:
            pages = [p for p in pages if p.name in args.pages]
        with sync_playwright() as pw:
            results = measure(env, pages, args.runs, log, pw)
        print_table(pages, results, label)
        print(f"\n{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; {CHROMIUM}; server log {log}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
