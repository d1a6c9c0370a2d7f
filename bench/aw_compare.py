"""Workprint vs ActivityWatch's own server: "time per app, active only".

    bash bench/aw_env.sh                       # once: aw-server 0.12.0 in bench/.aw-venv
    .venv/bin/python bench/aw_compare.py [--days 30] [--year-days 365] [--runs 5]

1. Generates --days of window + AFK data (bench/aw_server_bench.make_export),
   loads it into a real aw-server (testing mode, 127.0.0.1) and times its
   canonical query (flood, not-afk intersect, merge by app) for 1, 7 and
   --days days.
2. Imports the same data into Workprint twice: from the export file, and from
   the live aw-server's REST API (python -m capture import activitywatch URL),
   checks both give the same seconds per app as aw-server (within 1 s), and
   times `app_time` with active_only for the same periods.
   It also times the same query as a whole `python -m queries run app_time`
   process (start-up included), as a worker runs it from a shell.
3. Imports --year-days of data into Workprint alone and times the full range.
Prints both timings and their ratio.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

import aw_server_bench as aw  # noqa: E402

import queries  # noqa: E402
from store import client  # noqa: E402
from store import paths as config  # noqa: E402


def workprint_import(db: Path, source: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "capture", "import", "activitywatch", source, "--db", str(db),
                    "--worker", "me"], cwd=ROOT, check=True, capture_output=True, text=True)
    return time.perf_counter() - start


def workprint_query(db: Path, start: datetime, end: datetime, runs: int) -> tuple[float, dict]:
    query, params = queries.bind("app_time", {"start": start, "end": end, "active_only": True})
    paths = config.paths(db)
    client.read(paths, query.sql, params)  # warm
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        table = client.read(paths, query.sql, params)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), dict(zip(table.column("app").to_pylist(), table.column("seconds").to_pylist()))


def workprint_cli(db: Path, start: datetime, end: datetime, runs: int) -> tuple[float, dict]:
    """`python -m queries run app_time` as a whole process (interpreter start,
    imports, opening the file, the query, CSV out): median seconds, per app."""
    argv = [sys.executable, "-m", "queries", "run", "app_time", "--db", str(db), "--param", f"start={start.isoformat()}",
            "--param", f"end={end.isoformat()}", "--param", "active_only=true"]
    subprocess.run(argv, cwd=ROOT, check=True, capture_output=True)  # warm the page cache
    times, out = [], ""
    for _ in range(runs):
        t0 = time.perf_counter()
        out = subprocess.run(argv, cwd=ROOT, check=True, capture_output=True, text=True).stdout
        times.append(time.perf_counter() - t0)
    rows = [line.split(",") for line in out.splitlines()[1:]]
    return statistics.median(times), {app: float(seconds) for app, seconds in rows}


def aw_query(port: int, start: datetime, end: datetime, runs: int) -> tuple[float, dict]:
    body = {"timeperiods": [f"{start.isoformat()}/{end.isoformat()}"], "query": aw.query_text(True)}
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = aw.http(port, "/0/query/", body)
        times.append(time.perf_counter() - t0)
    per_app = {e["data"]["app"]: e["duration"] for e in result[0]}
    return statistics.median(times), per_app


def ratio_text(theirs: float, ours: float) -> str:
    return f"{theirs / ours:.1f}x faster" if ours <= theirs else f"{ours / theirs:.1f}x slower"


def worst_gap(a: dict, b: dict) -> float:
    return max(abs(a.get(k, 0) - b.get(k, 0)) for k in set(a) | set(b)) if a or b else 0.0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--year-days", type=int, default=365)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    aw_python = HERE / ".aw-venv" / "bin" / "python"
    if not aw_python.exists():
        sys.exit("run `bash bench/aw_env.sh` first")
    end = datetime(2026, 11, 1, tzinfo=timezone.utc)
    with tempfile.TemporaryDirectory(prefix="awcmp-") as tmp_name:
        tmp = Path(tmp_name)
        export = tmp / "export.json"
        export.write_text(json.dumps(aw.make_export(args.days, args.seed, end)))
        proc, port = aw.start_server(str(aw_python), tmp)
        try:
            t0 = time.perf_counter()
            aw.http(port, "/0/import", json.loads(export.read_text()))
            print(f"aw-server load: {time.perf_counter() - t0:.2f} s")
            from_file, from_server = tmp / "file.duckdb", tmp / "live.duckdb"
            print(f"workprint import from file: {workprint_import(from_file, str(export)):.2f} s")
            print(f"workprint import from the live server: "
                  f"{workprint_import(from_server, f'http://127.0.0.1:{port}'):.2f} s")
            for days in sorted({1, 7, args.days}):
                start = end - timedelta(days=days)
                aw_s, aw_apps = aw_query(port, start, end, args.runs)
                wp_s, wp_apps = workprint_query(from_file, start, end, args.runs)
                _, live_apps = workprint_query(from_server, start, end, 1)
                cli_s, cli_apps = workprint_cli(from_file, start, end, args.runs)
                print(f"{days:>4} days: aw-server {aw_s * 1000:8.1f} ms, workprint {wp_s * 1000:6.1f} ms, "
                      f"{aw_s / wp_s:6.0f}x faster; largest per-app difference "
                      f"{worst_gap(aw_apps, wp_apps):.3f} s (file), {worst_gap(aw_apps, live_apps):.3f} s (live import)")
                print(f"{'':>10}as a process (python -m queries run app_time): {cli_s * 1000:6.1f} ms, "
                      f"{ratio_text(aw_s, cli_s)} than aw-server's query; largest per-app difference "
                      f"{worst_gap(aw_apps, cli_apps):.3f} s")
        finally:
            aw.stop_server(proc)
        year = tmp / "year.json"
        year.write_text(json.dumps(aw.make_export(args.year_days, args.seed, end)))
        year_db = tmp / "year.duckdb"
        took = workprint_import(year_db, str(year))
        wp_s, _ = workprint_query(year_db, end - timedelta(days=args.year_days), end, args.runs)
        print(f"{args.year_days} days (workprint only; import {took:.1f} s): {wp_s * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
