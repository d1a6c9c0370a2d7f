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

The driver (server, browser, the rendered condition) is testkit.browser,
which tests/test_browser.py uses too: the test and the figures mean the same thing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from testkit.browser import (
    CHROMIUM,
    ROOT,
    VIEWPORT,
    Dashboard,
    PageRef,
    Tab,
    launch_chromium,
    registered_pages,
)

WARM_TARGET_S, COLD_TARGET_S = 2.0, 5.0


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
                tab.open(server.url(), timeout=120)
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
                cold = tab.open(server.url(), timeout=120)
                warm = statistics.median([tab.open(server.url()) for _ in range(runs)])
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
    env = {"WORKPRINT_RUNTIME_DIR": os.environ.get("WORKPRINT_RUNTIME_DIR") or str(tmp)}
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
