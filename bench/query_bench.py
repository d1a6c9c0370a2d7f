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

``--daemon`` times every query again through a capture daemon's socket, as
the dashboard reads while capture runs: on a copy of the file (a demo file
with its demo mark taken off, since a daemon never serves generated data as
its own), with a replay backend making one event a second.

Where a plain DuckDB query does the core of a named query's work, it is timed
the same way and the ratio printed (``SELECT 1`` is the cost of opening the
file alone, the floor under every query).
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
# Plain DuckDB queries doing the core of a named query's work, timed alike.
BASELINES = {
    "transitions": "SELECT src, dst, count(*) AS n FROM (SELECT app AS src, lead(app) OVER (PARTITION BY worker ORDER BY "
                   "start) AS dst FROM spans WHERE kind = 'focus' AND start >= $start AND start < $end) "
                   "WHERE dst IS NOT NULL GROUP BY ALL",
    "app_time": "SELECT app, sum(epoch(least(stop, $end)) - epoch(greatest(start, $start))) AS seconds FROM spans "
                "WHERE kind = 'focus' AND stop > $start AND start < $end GROUP BY app",
    "event_counts": "SELECT kind, count(*) AS n FROM events WHERE ts >= $start AND ts < $end GROUP BY kind",
    "daily_activity": "SELECT CAST(hour AS DATE) AS day, sum(active_s) AS active_s FROM hourly_total "
                      "WHERE hour >= $start AND hour < $end GROUP BY ALL",
}
FLOOR = "SELECT 1 AS one"

# Queries that read only the hourly rollup: the ones that scale to 1,000 workers.
HOURLY = ("daily_activity", "hourly_activity", "weekday_hour_heatmap", "weekly_trend")


def newest(paths) -> dt.datetime:
    table = client.read(paths, "SELECT max(hour) + INTERVAL 1 HOUR AS t FROM hourly")
    value = table.column("t")[0].as_py()
    if value is None:
        raise SystemExit("the database has no hourly rollup: build it with bench/gen_datasets.py")
    return value


def time_sql(paths, sql: str, params: dict, runs: int) -> tuple[float, float, int]:
    client.read(paths, sql, params)  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        table = client.read(paths, sql, params)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), max(times), table.num_rows


def time_query(paths, name: str, params: dict, runs: int) -> tuple[float, float, int]:
    query, bound = queries.bind(name, params)
    return time_sql(paths, query.sql, bound, runs)


def served_copy(db: Path, folder: Path):
    """A daemon serving a copy of ``db`` (demo mark off, consent given, a replay
    backend making one event a second), started and waited on."""
    from testkit import DaemonProcess, cli, connect, copy_db

    copy = copy_db(db, folder / "served.duckdb")
    con = connect(copy)
    con.execute("DELETE FROM meta WHERE key = 'demo'")
    con.close()
    cli("consent", "--accept", "--db", str(copy))
    return DaemonProcess(copy, "--backend", "replay", "--replay", "rate=1").start(wait=60)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--days", type=int, nargs="+", default=[1, 7, 30, 365])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only-hourly", action="store_true", help="only the queries that read the hourly rollup")
    parser.add_argument("--query", action="append", help="only these queries")
    parser.add_argument("--compare", action="store_true", help="also on a plaintext copy, with the ratios")
    parser.add_argument("--daemon", action="store_true", help="also through a daemon's socket (on a copy)")
    args = parser.parse_args()
    paths = config.paths(args.db)
    end = newest(paths)
    plain_dir = tempfile.TemporaryDirectory(prefix="wpbench-plain-") if args.compare else None
    plain = None
    if plain_dir:
        os.environ["WORKPRINT_PLAINTEXT"] = "1"  # the copy stays plaintext when opened
        plain = config.paths(Path(plain_dir.name) / "plain.duckdb")
        compact.copy_plaintext(paths.db, plain.db)
    served_dir = tempfile.TemporaryDirectory(prefix="wpbench-daemon-") if args.daemon else None
    daemon = served_copy(Path(args.db), Path(served_dir.name)) if served_dir else None
    ratios = []
    names = args.query or [n for n in queries.names() if not args.only_hourly or n in HOURLY]
    slow = []
    print(f"{Path(args.db).name}: data up to {end:%Y-%m-%d %H:%M} UTC; median / worst of {args.runs} warm runs, "
          f"target {TARGET_MS} ms")
    floor = time_sql(paths, FLOOR, {}, args.runs)[0]
    print(f"  opening the file alone (SELECT 1): {floor:.1f} ms"
          + (f"; through the daemon {time_sql(daemon.paths, FLOOR, {}, args.runs)[0]:.1f} ms" if daemon else ""))
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
                if name in BASELINES and not extra:
                    base = time_sql(paths, BASELINES[name], {"start": start, "end": end}, args.runs)[0]
                    flag = f"  plain DuckDB {base:7.1f} ms ({median / base:.2f}x)" + flag
                if daemon:
                    served = time_query(daemon.paths, name, params, args.runs)[0]
                    flag = f"  daemon {served:7.1f} ms" + ("" if served <= TARGET_MS else " (over)") + flag
                    if served > TARGET_MS:
                        slow.append((days, label + " (daemon)", served))
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
    if daemon:
        daemon.stop()
        served_dir.cleanup()


if __name__ == "__main__":
    main()
