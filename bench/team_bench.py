"""Team query layer benchmark: stores of 1,000 and 10,000 workers (teams of
10-30) x one year of daily releases, each size in its own process.

    .venv/bin/python bench/team_bench.py [--workers 1000 10000] [--runs 7]

3.65 M Parquet files would take longer to write than to test, so the ledger's
ingested table is generated directly (numpy + pyarrow, the same columns
release_insert writes) for the view timings, and ingest is timed on one day's
real files (one per worker, written through sharing.teamstore) separately.
Printed, with a plain DuckDB baseline measured in the same run:

- ingest of one day's files (team.ingest.sync) against DuckDB's read_parquet of the same files;
- drawing the noisy figures of one week for every team (team.draw.draw) against the plain GROUP BYs of
  the same sums; then the other weeks a 12-week compare needs;
- each view's median time for a 12-week read of one team, as a manager reads it (team.views.read: the
  ledger, the k rule, the frame, one access-log entry per included worker) against a plain DuckDB query of
  the exact figure over the ingested releases;
- the process's peak memory (ru_maxrss).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import io
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sharing import release_format, teamstore
from team import draw, ingest, ledger, views
from team.viewer import Viewer

START = dt.date(2025, 1, 6)  # a Monday; 364 days = 52 whole weeks, plus one
DAYS = 365
CATS = ("Development", "Web", "Chat", "Email", "Meetings", "Documents", "Planning & design", "Other")
TARGET_MS = 500
PLAIN = {  # the exact figure of each view for one team over the weeks, no k, no noise, no log
    "activity": "SELECT isodow(day) - 1 AS weekday, h, avg(active_minutes[h + 1]) FROM releases, range(24) t(h) "
                "WHERE team = $team AND list_contains($weeks, week) GROUP BY ALL",
    "categories": "SELECT week, k, sum(v) / any_value(tot) FROM (SELECT week, unnest(map_keys(category_seconds)) AS k, "
                  "unnest(map_values(category_seconds)) AS v, sum(list_sum(map_values(category_seconds))) "
                  "OVER (PARTITION BY week) AS tot FROM releases WHERE team = $team AND list_contains($weeks, week)) "
                  "GROUP BY ALL",
    "switching": "SELECT week, sum(list_sum(switches)) / (sum(list_sum(active_minutes)) / 60) FROM releases "
                 "WHERE team = $team AND list_contains($weeks, week) GROUP BY week",
    "focus": "SELECT (focus_seconds >= 3600)::INT + (focus_seconds >= 7200)::INT + (focus_seconds >= 14400)::INT AS b, "
             "count(*) FROM releases WHERE team = $team AND list_contains($weeks, week) GROUP BY b",
    "typing": "SELECT i, sum(v) FROM (SELECT unnest(typing_bins) AS v, generate_subscripts(typing_bins, 1) AS i "
              "FROM releases WHERE team = $team AND list_contains($weeks, week)) GROUP BY i",
    "clicking": "SELECT i, sum(v) FROM (SELECT unnest(click_bins) AS v, generate_subscripts(click_bins, 1) AS i "
                "FROM releases WHERE team = $team AND list_contains($weeks, week)) GROUP BY i",
    "compare": "SELECT list_contains($weeks, week) AS this, avg(list_sum(active_minutes)), "
               "sum(list_sum(switches)) / (sum(list_sum(active_minutes)) / 60) FROM releases "
               "WHERE team = $team AND list_contains($before || $weeks, week) GROUP BY this",
}
PLAIN_WEEK = ("SELECT team, isodow(day), h, sum(active_minutes[h + 1]), count(DISTINCT pseudonym) "
              "FROM releases, range(24) t(h) WHERE week = $week GROUP BY ALL")


def _teams(workers: int, rng) -> list[int]:
    sizes, left = [], workers
    while left:
        size = min(int(rng.integers(10, 31)), left)
        size = left if left - size < 10 else size  # no team under 10: the last one takes the rest
        sizes.append(size)
        left -= size
    return sizes


def _lists(values: np.ndarray, pa_type) -> pa.Array:
    rows, width = values.shape
    return pa.ListArray.from_arrays(pa.array(np.arange(0, rows * width + 1, width, dtype=np.int32)),
                                    pa.array(values.ravel(), pa_type))


def generate(workers: int, days: int, seed: int = 12, chunk: int = 1000):
    """The ingested table of ``workers`` x ``days`` releases, built column by column, ``chunk`` workers at a
    time (one Arrow string column holds at most 2 GB). Yields (table, team names, members per team)."""
    rng = np.random.default_rng(seed)
    sizes = _teams(workers, rng)
    team_of = np.repeat(np.arange(len(sizes)), sizes)
    names = [f"T{i:04d}" for i in range(len(sizes))]
    members = [list(np.flatnonzero(team_of == t)) for t in range(len(sizes))]
    for lo in range(0, workers, chunk):
        yield _chunk(rng, team_of, names, range(lo, min(workers, lo + chunk)), days), names, members


def _chunk(rng, team_of, names, chosen: range, days: int) -> pa.Table:
    who = [hashlib.sha256(f"bench-worker-{i}".encode()).hexdigest() for i in chosen]
    workers = len(chosen)
    n = workers * days
    w_idx = np.repeat(np.arange(workers), days)
    team_of = team_of[chosen.start:chosen.stop]
    d_idx = np.tile(np.arange(days), workers)
    day = np.datetime64(START) + d_idx.astype("timedelta64[D]")
    weekend = ((d_idx % 7) >= 5)[:, None]
    hours = np.arange(24)[None, :]
    workday = (hours >= 8) & (hours < 18)
    minutes = np.where(workday & ~weekend, rng.integers(10, 61, (n, 24)), 0)
    minutes = np.where(weekend & workday & (rng.random((n, 1)) < 0.1), rng.integers(0, 40, (n, 24)), minutes)
    minutes = minutes.astype(np.int16)
    switches = (minutes // 3 + rng.poisson(2, (n, 24)) * (minutes > 0)).astype(np.int32)
    active_s = minutes.sum(axis=1).astype(np.int64) * 60
    shares = rng.dirichlet(np.ones(4), n)
    cat_idx = (team_of[w_idx][:, None] + np.arange(4)[None, :] * 2) % len(CATS)
    cat_s = np.floor(shares * active_s[:, None]).astype(np.int32)
    focus = np.minimum(rng.gamma(2.0, 3600, n) * (active_s > 0), active_s).astype(np.int32)
    table = pa.table({
        "pseudonym": pa.DictionaryArray.from_arrays(pa.array(w_idx.astype(np.int32)), pa.array(who)).cast(pa.string()),
        "team": pa.DictionaryArray.from_arrays(pa.array(team_of[w_idx].astype(np.int32)), pa.array(names)).cast(pa.string()),
        "day": pa.array(day, pa.date32()),
        "active_minutes": _lists(minutes, pa.int16()),
        "switches": _lists(switches, pa.int32()),
        "category_seconds": pa.MapArray.from_arrays(pa.array(np.arange(0, n * 4 + 1, 4, dtype=np.int32)),
                                                    pa.array(np.array(CATS)[cat_idx.ravel()]), pa.array(cat_s.ravel())),
        "focus_sessions": pa.array((focus // 1800).astype(np.int32)),
        "focus_seconds": pa.array(focus),
        "typing_bins": _lists(rng.poisson(80, (n, release_format.TYPING_BINS)).astype(np.int32), pa.int32()),
        "click_bins": _lists(rng.poisson(15, (n, release_format.CLICK_BINS)).astype(np.int32), pa.int32()),
    })
    keys = pa.array([f"bench/{chosen.start}/{i}" for i in range(n)])  # not a store key: no file backs the row
    return table.append_column("key", keys)


def _ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_ingest(workers: int, root: Path) -> None:
    """One day's real files: team.ingest against read_parquet of the same files."""
    table = pa.concat_tables(t for t, _, _ in generate(workers, 1, seed=3))
    store = teamstore.create(root / "day-store")
    rows = table.drop_columns(["key"])
    t = time.perf_counter()
    for i in range(rows.num_rows):
        one = rows.slice(i, 1)
        sink = io.BytesIO()
        pq.write_table(one, sink)
        row = one.to_pylist()[0]
        store.put(teamstore.release_key(row["team"], row["day"], row["pseudonym"]), sink.getvalue())
    written = time.perf_counter() - t
    with ledger.opened(root / "day-state") as con:
        t = time.perf_counter()
        report = ingest.sync(con, store)
        took = time.perf_counter() - t
        t = time.perf_counter()
        ingest.sync(con, store)
        unchanged = time.perf_counter() - t
    con = duckdb.connect()
    t = time.perf_counter()
    con.execute("CREATE TABLE r AS SELECT * FROM read_parquet($glob)", {"glob": str(store.root / "releases/*/*/*.parquet")})
    plain = time.perf_counter() - t
    print(f"ingest of one day, {workers:,} files ({written:.1f} s to write them): {took * 1000:,.0f} ms "
          f"({report.added:,} new, {len(report.skipped)} skipped), again unchanged {unchanged * 1000:,.0f} ms; "
          f"plain DuckDB read_parquet {plain * 1000:,.0f} ms ({took / plain:.1f}x)")


def bench_views(workers: int, runs: int, root: Path) -> None:
    state = root / "state"
    store = teamstore.create(root / "store")
    made = loaded = 0.0
    with ledger.opened(state) as con:
        t = time.perf_counter()
        for table, names, members in generate(workers, DAYS):  # noqa: B007 (the last chunk's names: all teams)
            made += time.perf_counter() - t
            t = time.perf_counter()
            con.register("batch", table)
            ledger.run(con, "release_insert")
            con.unregister("batch")
            loaded += time.perf_counter() - t
            t = time.perf_counter()
        del table
    print(f"{workers:,} workers in {len(names)} teams x {DAYS} days = {workers * DAYS:,} releases "
          f"(generated in {made:.1f} s, into the ledger in {loaded:.1f} s); peak so far {_peak_mb():,.0f} MB")
    weeks = [START + dt.timedelta(weeks=i) for i in range(52)]
    last12, before12 = weeks[-12:], weeks[-24:-12]
    with ledger.opened(state) as con:
        t = time.perf_counter()
        refused = draw.draw(con, [(team, last12[-1]) for team in names], 1.0)
        one_week = time.perf_counter() - t
        base = _ms(lambda: con.execute(PLAIN_WEEK, {"week": last12[-1]}).fetchall(), 3)
        t = time.perf_counter()
        for week in before12 + last12[:-1]:
            draw.draw(con, [(team, week) for team in names], 1.0)
        rest = time.perf_counter() - t
    print(f"noisy figures for one week, all {len(names)} teams: {one_week * 1000:,.0f} ms ({len(refused)} refused); "
          f"plain DuckDB GROUP BY of the week's activity sums {base:,.0f} ms ({one_week * 1000 / base:.1f}x); "
          f"the other 23 weeks {rest:.1f} s ({rest / 23 * 1000:,.0f} ms a week)")
    team = names[len(names) // 2]
    manager = Viewer("bench manager", "manager", frozenset({team}))
    con = duckdb.connect(str(state / ledger.FILE))  # the same configuration as the ledger's own connections
    print(f"12-week views of one team ({len(members[len(names) // 2])} people; each read logs each of them):")
    for view in views.VIEWS:
        read = lambda: views.read(manager, view, [team], last12, store=store, state=state)  # noqa: B023
        read()
        ms = _ms(read, runs)
        params = {"team": team, "weeks": last12} | ({"before": before12} if view == "compare" else {})
        plain = _ms(lambda: con.execute(PLAIN[view], params).fetchall(), runs)  # noqa: B023
        flag = "" if ms < TARGET_MS else "  (over the 500 ms target)"
        print(f"  {view:10} {ms:7.1f} ms   plain DuckDB {plain:6.1f} ms ({ms / plain:4.1f}x){flag}")
    con.close()
    print(f"peak memory: {_peak_mb():,.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--no-ingest", action="store_true", help="skip the one-day ingest of real files")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # one size, in this process
    args = parser.parse_args()
    if not args.one:
        for workers in args.workers:
            subprocess.run([sys.executable, __file__, "--one", "--workers", str(workers), "--runs", str(args.runs)]
                           + (["--no-ingest"] if args.no_ingest else []), check=True)
        return
    with tempfile.TemporaryDirectory(prefix="team-bench-") as folder:
        root = Path(folder)
        if not args.no_ingest:
            bench_ingest(args.workers[0], root)
        bench_views(args.workers[0], args.runs, root)


if __name__ == "__main__":
    main()
