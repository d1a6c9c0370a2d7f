"""Capture benchmark: the real listener path under Xvfb, and the write path.

    .venv/bin/python bench/capture_bench.py [--seconds 60] [--rate 2000]

Prints figures and their targets:
1. Sustained input (XTest key events injected into Xvfb at --rate events/s):
   events lost, callback time median / p99 (time spent in Workprint's key
   callback), daemon CPU.
2. Flush throughput: rows/s for the writer's conversion + Arrow insert, on
   1-second batches and on large batches; executemany as the baseline.
3. Human rate (~20 events/s) for --seconds: daemon CPU share and resident memory.

Files are encrypted, as Workprint writes them. ``--plain`` runs on plaintext
files instead (WORKPRINT_PLAINTEXT=1); ``--compare`` runs each part both ways,
encrypted first, and prints the ratios (encryption's cost).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

import store  # noqa: E402
from store import events as ev  # noqa: E402
from store import paths as config  # noqa: E402
from testkit import DaemonProcess, XSession, cli, rows  # noqa: E402


def inject_keys(display_name: str, rate: float, seconds: float) -> int:
    """Press and release 'a' via XTest at ``rate`` events/s; return events sent."""
    import Xlib.display
    import Xlib.X
    from Xlib.ext import xtest

    display = Xlib.display.Display(display_name)
    keycode = display.keysym_to_keycode(ord("a"))
    interval = 1.0 / rate
    sent = 0
    start = time.perf_counter()
    end = start + seconds
    due = start
    while due < end:
        xtest.fake_input(display, Xlib.X.KeyPress if sent % 2 == 0 else Xlib.X.KeyRelease, keycode)
        sent += 1
        due += interval
        if sent % 20 == 0:
            display.flush()
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
    if sent % 2:  # leave no key held down
        xtest.fake_input(display, Xlib.X.KeyRelease, keycode)
        sent += 1
    display.sync()
    display.close()
    return sent


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def sustained(session: XSession, tmp: Path, rate: float, seconds: float) -> dict:
    db = tmp / f"sustained-{_mode()}.duckdb"
    cli("consent", "--accept", "--db", str(db))
    timings = tmp / "callback_ns.txt"
    env = {"DISPLAY": session.display, "WORKPRINT_BENCH_TIMINGS": str(timings)}
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "timed_run.py"), "--db", str(db), "--backend", "x11"],
        cwd=ROOT, env={**os.environ, **env},
    )
    socket_path = config.paths(db).socket
    deadline = time.monotonic() + 20
    while not socket_path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    cpu0, t0 = cpu_seconds(proc.pid), time.monotonic()
    sent = inject_keys(session.display, rate, seconds)
    elapsed = time.monotonic() - t0
    time.sleep(1.5)
    cpu = cpu_seconds(proc.pid) - cpu0
    peak = rss_mb(proc.pid)
    proc.send_signal(2)
    proc.wait(60)
    stored = rows(db, "SELECT count(*) FROM events WHERE kind IN ('key_down','key_up')")[0][0]
    ns = sorted(int(x) for x in timings.read_text().split())
    p = lambda q: ns[min(len(ns) - 1, int(q * len(ns)))] / 1000  # noqa: E731
    print(f"sustained input: {sent} key events injected in {elapsed:.1f} s ({sent / elapsed:,.0f}/s)")
    print(f"  stored {stored}, lost {sent - stored} (target 0)")
    print(f"  callback time: median {p(0.5):.1f} us, p99 {p(0.99):.1f} us, max {ns[-1] / 1000:.0f} us "
          f"over {len(ns)} callbacks (target median < 50 us)")
    print(f"  daemon CPU {100 * cpu / elapsed:.1f}% of one core, RSS {peak:.0f} MB")
    return {"sustained daemon CPU %": 100 * cpu / elapsed, "sustained lost": sent - stored}


def flush_throughput(tmp: Path) -> dict:
    con = store.open_writable(tmp / f"flush-{_mode()}.duckdb")
    figures = {}
    t_ns = time.time_ns()
    letter = ev.KEY_CLASS_INDEX["letter"]

    def make(n):
        return [(t_ns + i * 1000, ev.KEY_DOWN if i % 2 == 0 else ev.KEY_UP, letter, i // 2) for i in range(n)]

    for label, size, repeats in (("1-second batches of 2,000", 2000, 200), ("batches of 200,000", 200_000, 5)):
        batch = make(size)
        offsets = ev.OffsetCache()
        start = time.perf_counter()
        for _ in range(repeats):
            store.write_batch(con, store.new_batch_id(), ev.to_table(batch, offsets), "bench")
        took = time.perf_counter() - start
        print(f"flush ({label}): {size * repeats / took:,.0f} rows/s including tuple->Arrow conversion")
        figures[f"flush {label}, rows/s"] = size * repeats / took
    table = ev.to_table(make(1_000_000))
    start = time.perf_counter()
    store.write_batch(con, store.new_batch_id(), table, "bench")
    arrow_rate = 1_000_000 / (time.perf_counter() - start)
    print(f"flush (Arrow insert alone, 1M rows): {arrow_rate:,.0f} rows/s (target >= 200,000)")
    figures["Arrow insert 1M rows, rows/s"] = arrow_rate
    start = time.perf_counter()
    con.execute("CHECKPOINT")
    figures["checkpoint after the flushes, s"] = time.perf_counter() - start
    con.execute("CREATE TABLE em (ts TIMESTAMPTZ, kind VARCHAR, key_class VARCHAR)")
    data = [(f"2026-01-01 00:00:{i % 60:02d}+00", "key_down", "letter") for i in range(20_000)]
    start = time.perf_counter()
    con.executemany("INSERT INTO em VALUES (?, ?, ?)", data)
    em_rate = 20_000 / (time.perf_counter() - start)
    print(f"baseline executemany: {em_rate:,.0f} rows/s; Arrow insert is {arrow_rate / em_rate:,.0f}x faster")
    con.close()
    return figures


def human_rate(session: XSession, tmp: Path, seconds: float) -> dict:
    db = tmp / f"human-{_mode()}.duckdb"
    cli("consent", "--accept", "--db", str(db))
    with DaemonProcess(db, "--backend", "x11", env={"DISPLAY": session.display}) as daemon:
        time.sleep(1)
        pid = daemon.proc.pid
        cpu0, t0 = cpu_seconds(pid), time.monotonic()
        peak = 0.0
        done = threading.Event()

        def sample():
            nonlocal peak
            while not done.wait(1):
                peak = max(peak, rss_mb(pid))

        sampler = threading.Thread(target=sample)
        sampler.start()
        sent = inject_keys(session.display, 20, seconds)
        elapsed = time.monotonic() - t0
        cpu = cpu_seconds(pid) - cpu0
        done.set()
        sampler.join()
    stored = rows(db, "SELECT count(*) FROM events WHERE kind IN ('key_down','key_up')")[0][0]
    print(f"human rate: {sent} events over {elapsed:.0f} s, stored {stored}")
    print(f"  daemon CPU {100 * cpu / elapsed:.2f}% of one core (target < 2%), peak RSS {peak:.0f} MB (target < 150 MB)")
    return {"human-rate daemon CPU %": 100 * cpu / elapsed}


def _mode() -> str:
    return "plain" if os.environ.get("WORKPRINT_PLAINTEXT") == "1" else "encrypted"


def run_parts(args, session, tmp: Path) -> dict:
    print(f"--- {_mode()} files")
    figures = {}
    if args.only in (None, "flush"):
        figures.update(flush_throughput(tmp))
    if args.only in (None, "sustained"):
        figures.update(sustained(session, tmp, args.rate, args.seconds))
    if args.only in (None, "human"):
        figures.update(human_rate(session, tmp, args.seconds))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--rate", type=float, default=2000)
    parser.add_argument("--only", choices=("sustained", "flush", "human"))
    parser.add_argument("--plain", action="store_true", help="plaintext files (WORKPRINT_PLAINTEXT=1), not encrypted")
    parser.add_argument("--compare", action="store_true", help="each part encrypted, then plaintext, and the ratios")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="wpbench-") as tmp_name:
        tmp = Path(tmp_name)
        os.environ["WORKPRINT_RUNTIME_DIR"] = str(tmp)
        os.environ["WORKPRINT_KEY_DIR"] = str(tmp / "keys")  # the bench's keys go with its files
        session = XSession(tmp).start() if args.only != "flush" else None
        try:
            modes = ("0", "1") if args.compare else ("1",) if args.plain else ("0",)
            results = []
            for plain in modes:
                os.environ["WORKPRINT_PLAINTEXT"] = plain  # the daemon and the CLI inherit it
                results.append(run_parts(args, session, tmp))
            if args.compare:
                print("--- encrypted / plaintext")
                for name, value in results[0].items():
                    base = results[1][name]
                    print(f"  {name}: {value:,.2f} vs {base:,.2f} ({value / base:.2f}x)" if base else
                          f"  {name}: {value:,.2f} vs {base:,.2f}")
        finally:
            if session:
                session.stop()


if __name__ == "__main__":
    main()
