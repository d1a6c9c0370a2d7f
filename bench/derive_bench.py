"""Derived tables: the typing-study import and the daemon's per-flush refresh.

    .venv/bin/python bench/derive_bench.py [--flushes 200] [--days 2,60]

1. The typing study's shared 389-participant sample, imported as the tests do
   (python -m capture import keystrokes ... --format aalto136m
   --skip-bad-rows): the whole process's time against the 10 s target; then
   in-process, the time in the one refresh of all 389 workers
   (derive.refresh_many) against 389 refreshes of one worker each, which is
   what the import did before.
2. The daemon's refresh after every flush: one generated worker's history of
   --days days derived, then a working day written in 10-second flushes, each
   followed by derive.refresh (the one-worker statements) or by
   derive.refresh_many of that one worker (the all-workers statements).
   Medians of wall and CPU time per refresh.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pyarrow.compute as pc  # noqa: E402

import store  # noqa: E402
from demo import generate  # noqa: E402
from demo.day import worker_day  # noqa: E402
from demo.model import make_worker, utc_offset  # noqa: E402
from store import derive  # noqa: E402
from testkit import shared  # noqa: E402

IMPORT_TARGET_S = 10.0


def study_import(tmp: Path) -> None:
    archive = shared("keystrokes", "aalto136m-every6th.tar.gz")
    db = tmp / "study.duckdb"
    began = time.perf_counter()
    subprocess.run([sys.executable, "-m", "capture", "import", "keystrokes", str(archive), "--format", "aalto136m",
                    "--skip-bad-rows", "--db", str(db)], cwd=ROOT, check=True, capture_output=True)
    whole = time.perf_counter() - began
    print(f"typing-study import (389 workers), whole process: {whole:.1f} s  (target {IMPORT_TARGET_S:.0f} s, "
          f"{'met' if whole < IMPORT_TARGET_S else 'NOT met'})")

    # The refresh alone, both ways, on the events that import stored.
    con = store.open_writable(db)
    try:
        workers = dict(con.execute("SELECT worker, min(ts) FROM raw_events GROUP BY worker").fetchall())
        timings = {}
        for how in ("one refresh of all workers", f"{len(workers)} refreshes of one worker"):
            with store.transaction(con):
                for table in ("keystrokes", "bursts", "derive_state"):
                    con.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
            began = time.perf_counter()
            if how.startswith("one"):
                derive.refresh_many(con, workers)
            else:
                for worker, since in workers.items():
                    derive.refresh(con, worker, since)
            timings[how] = time.perf_counter() - began
    finally:
        con.close()
    (many, a), (each, b) = timings.items()
    print(f"  derived tables: {many} {a:.2f} s, {each} {b:.2f} s ({b / a:.0f}x)")


def flushes(tmp: Path, days: int, n: int) -> None:
    results = {}
    for how, refresh in (("refresh (one-worker statements)", derive.refresh),
                         ("refresh_many of one worker", lambda con, w: derive.refresh_many(con, {w: None}))):
        con = store.open_writable(tmp / f"flush-{days}-{len(results)}.duckdb")
        try:
            w = make_worker(7, 0, 1, 1)
            end = dt.date(2026, 11, 25)  # a Wednesday
            generate.write_worker(con, w, [end - dt.timedelta(days=days - i) for i in range(days)], 7)
            derive.refresh(con, w.id)
            events = worker_day(w, end, 7, generate._first_key_seq(end))
            offset = utc_offset(w.zone, end)
            day = generate.to_arrow([(events, generate._midnight_us(end, offset), offset)], w.id).sort_by("ts")
            ts = pc.cast(day.column("ts"), "int64").to_numpy()
            start = ts[0] + 2 * 3600 * 1_000_000  # two hours into the day
            wall, cpu = [], []
            for i in range(n):
                lo, hi = np.searchsorted(ts, [start + i * 10_000_000, start + (i + 1) * 10_000_000])
                if hi > lo:
                    store.write_batches(con, [(generate.batch_id("flush", i), day.slice(lo, hi - lo), "raw_events")],
                                        source="capture")
                t, c = time.perf_counter(), time.process_time()
                refresh(con, w.id)
                wall.append(time.perf_counter() - t)
                cpu.append(time.process_time() - c)
            rows = con.execute("SELECT count(*) FROM raw_events").fetchone()[0]
        finally:
            con.close()
        results[how] = (statistics.median(wall) * 1000, statistics.median(cpu) * 1000)
        print(f"per-flush refresh, {days} days ({rows:,} events), {how}: "
              f"median {results[how][0]:.1f} ms wall, {results[how][1]:.1f} ms CPU over {n} flushes")
    (_, (a, _)), (_, (b, _)) = results.items()
    print(f"  the all-workers statements take {b / a:.2f}x as long for one worker")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--flushes", type=int, default=200)
    parser.add_argument("--days", default="2,60", help="history lengths for the per-flush refresh (default 2,60)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="wpbench-derive-") as tmp_name:
        tmp = Path(tmp_name)
        os.environ["WORKPRINT_KEY_DIR"] = str(tmp / "keys")  # the bench's keys go with its files; the CLI inherits it
        study_import(tmp)
        for days in (int(d) for d in args.days.split(",")):
            flushes(tmp, days, args.flushes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
