"""Query benchmark: every reader-facing named query, warm, on a realistic database.

    .venv/bin/python bench/query_bench.py --db bench/out/heavy-year.duckdb [--days 7 30 365] [--runs 5]
    .venv/bin/python bench/query_bench.py --db bench/out/thousand.duckdb --only-hourly

Build the databases first with bench/gen_datasets.py. For each query and each
range (the last N days of data), runs it once to warm up and then --runs times,
and prints the median and the worst, flagging medians over the 200 ms target.
The database is opened read-only the way the dashboard reads it (one
connection per query, through capture.client.read).

``--compare`` also times every query on a plaintext copy of the file (made
first, beside it in a temporary folder) and prints each ratio: encryption's
cost on reading.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import tempfile
import time
from pathlib import Path

import queries  # noqa: E402
from store import client, compact  # noqa: E402
from store import paths as config  # noqa: E402

TARGET_MS = 200
# Extra parameters a query needs; everything else takes its defaults.
EXTRA = {
    "distribution": [{"measure": m} for m in ("iki", "hold", "dwell", "session", "click_interval")],
    "percentiles": [{"measure": m} for m in ("iki", "hold", "dwell")],
    "measure_sample": [{"measure": "iki"}],
    "sequence_occurrences": [{"sequence": "Code > Firefox"}],
    "recent_events": [{}],
}
# Queries that read only the hourly rollup: the ones that scale to 1,000 workers.
HOURLY = ("daily_activity", "hourly_activity", "weekday_hour_heatmap", "weekly_trend")


def newest(paths) -> dt.datetime:
    table = client.read(paths, "SELECT max(hour) + INTERVAL 1 HOUR AS t FROM hourly")
    value = table.column("t")[0].as_py()
    if value is None:
        raise SystemExit("the database has no hourly rollup: build it with bench/gen_datasets.py")
    return value


def time_query(paths, name: str, params: dict, runs: int) -> tuple[float, float, int]:
    query, bound = queries.bind(name, params)
    client.read(paths, query.sql, bound)  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        table = client.read(paths, query.sql, bound)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), max(times), table.num_rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--days", type=int, nargs="+", default=[1, 7, 30, 365])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only-hourly", action="store_true", help="only the queries that read the hourly rollup")
    parser.add_argument("--query", action="append", help="only these queries")
    parser.add_argument("--compare", action="store_true", help="also on a plaintext copy, with the ratios")
    args = parser.parse_args()
    paths = config.paths(args.db)
    end = newest(paths)
    plain_dir = tempfile.TemporaryDirectory(prefix="wpbench-plain-") if args.compare else None
    plain = None
    if plain_dir:
        os.environ["WORKPRINT_PLAINTEXT"] = "1"  # the copy stays plaintext when opened
        plain = config.paths(Path(plain_dir.name) / "plain.duckdb")
        compact.copy_plaintext(paths.db, plain.db)
    ratios = []
    names = args.query or [n for n in queries.names() if not args.only_hourly or n in HOURLY]
    slow = []
    print(f"{Path(args.db).name}: data up to {end:%Y-%m-%d %H:%M} UTC; median / worst of {args.runs} warm runs")
    for days in args.days:
        start = end - dt.timedelta(days=days)
        for name in names:
            for extra in EXTRA.get(name, [{}]):
                params = {**extra}
                if "start" in queries.catalog()[name].params:
                    params.update(start=start, end=end)
                median, worst, rows = time_query(paths, name, params, args.runs)
                label = name + "".join(f" {k}={v}" for k, v in extra.items())
                flag = "" if median <= TARGET_MS else "  <-- over target"
                if plain:
                    base = time_query(plain, name, params, args.runs)[0]
                    ratios.append(median / base)
                    flag = f"  plaintext {base:7.1f} ms ({median / base:.2f}x)" + flag
                print(f"  {days:>4}d  {label:<40} {median:8.1f} ms  (worst {worst:7.1f})  {rows:>7} rows{flag}")
                if median > TARGET_MS:
                    slow.append((days, label, median))
    print(f"{len(slow)} of the timings had a median over {TARGET_MS} ms" + (":" if slow else "."))
    for days, label, median in slow:
        print(f"  {days}d {label}: {median:.0f} ms")
    if ratios:
        print(f"encrypted / plaintext, per timing: median {statistics.median(ratios):.2f}x, "
              f"min {min(ratios):.2f}x, max {max(ratios):.2f}x over {len(ratios)} timings")
        plain_dir.cleanup()


if __name__ == "__main__":
    main()
