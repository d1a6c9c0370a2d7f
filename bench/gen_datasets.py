"""Build the big demo datasets the query benchmarks need, and say how fast.

    .venv/bin/python bench/gen_datasets.py heavy   [--out bench/out/heavy-year.duckdb]
    .venv/bin/python bench/gen_datasets.py rollups [--out bench/out/thousand.duckdb] [--workers 1000 --teams 50]
    .venv/bin/python bench/gen_datasets.py all     [--out bench/out]   (both, into that folder)

The default names are the ones bench/query_bench.py is pointed at.

heavy: one worker of the Engineering team (the role that types most, about
40,000 events per working day) over a year, event by event through the same
generator and write path as ``python -m capture demo`` (raw events, then the
derived tables): about ten million events.

rollups: a thousand workers in fifty teams over a year, written straight
into ``hourly`` from the same workers, day plans and app model
(capture/demo_hourly.py), with the workers table; no events.

Both databases are marked as demo data. Each run prints what it wrote, the
wall time, the rate, and the peak resident memory (generation goes day by day
and writes in chunks, so memory stays flat however long the history).
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
import time
from pathlib import Path

import store  # noqa: E402
from demo import generate as demo  # noqa: E402
from demo import hourly as demo_hourly  # noqa: E402
from demo import model as demo_model  # noqa: E402
from store import derive  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"


def _fresh(path: Path):
    for p in (path, path.with_name(path.name + ".wal")):
        if p.exists():
            p.unlink()
    return store.open_writable(path)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def heavy(out: Path, end: dt.date, seed: int, days: int) -> None:
    con = _fresh(out)
    try:
        demo.prepare(con)
        w = demo_model.make_worker(seed, 0, 1, 1)
        demo.write_workers(con, [w])
        dates = [end - dt.timedelta(days=days - 1 - i) for i in range(days)]
        t0 = time.perf_counter()
        events, write_s = demo.write_worker(con, w, dates, seed)
        t1 = time.perf_counter()
        derive.refresh(con, w.id)
        t2 = time.perf_counter()
        worked = con.execute("SELECT count(*) FROM raw_events WHERE kind = 'start'").fetchall()[0][0]
    finally:
        con.close()
    print(f"heavy: 1 worker ({w.team}), {days} days ({worked} worked): {events:,} events "
          f"({events / max(worked, 1):,.0f} per worked day) -> {out}")
    print(f"  generated and written in {t1 - t0:.1f} s: {events / (t1 - t0):,.0f} events/s "
          f"(writing {write_s:.1f} s of it)")
    print(f"  derived tables in {t2 - t1:.1f} s; end to end {t2 - t0:.1f} s: {events / (t2 - t0):,.0f} events/s")
    print(f"  peak memory {_rss_mb():,.0f} MB")


def rollups(out: Path, end: dt.date, seed: int, days: int, n_workers: int, n_teams: int) -> None:
    con = _fresh(out)
    try:
        demo.prepare(con)
        workers = [demo_model.make_worker(seed, i, n_workers, n_teams) for i in range(n_workers)]
        demo.write_workers(con, workers)
        dates = [end - dt.timedelta(days=days - 1 - i) for i in range(days)]
        t0 = time.perf_counter()
        rows = demo_hourly.write_rollups(con, workers, dates, seed)
        t1 = time.perf_counter()
    finally:
        con.close()
    print(f"rollups: {n_workers:,} workers in {n_teams} teams, {days} days: {rows:,} hourly rows -> {out}")
    print(f"  generated and written in {t1 - t0:.1f} s: {rows / (t1 - t0):,.0f} rows/s")
    print(f"  peak memory {_rss_mb():,.0f} MB")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=("heavy", "rollups", "all"))
    parser.add_argument("--out", help="database file, or folder for 'all' (default: bench/out/heavy-year.duckdb, "
                        "bench/out/thousand.duckdb, bench/out)")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--workers", type=int, default=1000, help="rollups: how many workers (default 1000)")
    parser.add_argument("--teams", type=int, default=50, help="rollups: how many teams (default 50)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--end", type=dt.date.fromisoformat, default=dt.date(2026, 6, 30), metavar="YYYY-MM-DD",
                        help="last day (default 2026-06-30, fixed so runs compare)")
    args = parser.parse_args(argv)
    folder = Path(args.out) if args.what == "all" and args.out else OUT
    targets = {"heavy": folder / "heavy-year.duckdb", "rollups": folder / "thousand.duckdb"}
    if args.what != "all" and args.out:
        targets[args.what] = Path(args.out)
    wanted = ("heavy", "rollups") if args.what == "all" else (args.what,)
    for name in wanted:
        targets[name].parent.mkdir(parents=True, exist_ok=True)
    if "heavy" in wanted:
        heavy(targets["heavy"], args.end, args.seed, args.days)
    if "rollups" in wanted:
        rollups(targets["rollups"], args.end, args.seed, args.days, args.workers, args.teams)
    return 0


if __name__ == "__main__":
    sys.exit(main())
