"""Purge and compaction on a worker-year (about 10 M events), and what they cost.

    .venv/bin/python bench/retention_bench.py [--db bench/out/heavy-year.duckdb]

Works on a copy of the database made by ``bench/gen_datasets.py heavy`` (it
is made first when missing, and the time that took is printed), purges it
with the default periods (raw 30 days, derived 12 months) as of the day
after its last day, then compacts it. Prints the rows purged, each step's
time, and the file size before and after.
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
import time
from pathlib import Path

import store
from store import compact, retention
from testkit import copy_db

HERE = Path(__file__).resolve().parent
DEFAULT = HERE / "out" / "heavy-year.duckdb"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, default=DEFAULT, help="a heavy worker-year (default: %(default)s)")
    parser.add_argument("--end", type=dt.date.fromisoformat, default=dt.date(2026, 6, 30),
                        help="its last day (gen_datasets' default: %(default)s)")
    args = parser.parse_args(argv)
    if not args.db.exists():
        t0 = time.perf_counter()
        subprocess.run([sys.executable, str(HERE / "gen_datasets.py"), "heavy", "--out", str(args.db)], check=True)
        print(f"generated {args.db} in {time.perf_counter() - t0:.1f} s")
    work = args.db.with_name(args.db.stem + "-retention.duckdb")
    copy_db(args.db, work)
    now = dt.datetime.combine(args.end + dt.timedelta(days=1), dt.time(), dt.timezone.utc)
    con = store.open_writable(work)
    events = con.execute("SELECT count(*) FROM raw_events").fetchall()[0][0]
    t0 = time.perf_counter()
    deleted = retention.purge(con, now)
    purge_s = time.perf_counter() - t0
    con.close()
    size = compact.file_size(work)
    result = compact.compact_file(work)
    print(f"worker-year: {events:,} events; purge as of {now.date()} (raw {retention.RAW_DAYS} days, "
          f"derived {retention.DERIVED_MONTHS} months)")
    print("  purged: " + ", ".join(f"{n:,} {t}" for t, n in deleted.items() if n))
    print(f"  purge {purge_s:.2f} s; compaction {result['seconds']:.2f} s; "
          f"file {size / 1e6:,.1f} MB -> {result['after'] / 1e6:,.1f} MB ({result['after'] / size:.2f}x)")
    t0 = time.perf_counter()
    again = compact.compact_file(work)
    print(f"  compacting again, nothing deleted: {time.perf_counter() - t0:.2f} s, {again['after'] / 1e6:,.1f} MB")
    work.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
