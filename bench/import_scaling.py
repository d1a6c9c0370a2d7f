"""How the event-log import grows with the log: 0.2, 2 and 20 million events.

    .venv/bin/python bench/import_scaling.py [--events 200000 2000000 20000000] [--full-up-to 20000000]

For each size, generates the log bench/pm4py_compare.py uses (seeded; shuffled
rows, ties, mixed UTC offsets) and times:

- the timestamp step alone (importers.eventlog._times, in this process, on
  the log's time column): it grew quadratically before (22 s at 800k rows
  through a replace_strict of every distinct text) and must grow linearly;
- the whole import as a user runs it (python -m capture import eventlog, a
  fresh process and database), with its peak resident memory, up to
  --full-up-to events.

Prints each time, the rate in events per second, and each size's time per
million events against the smallest size's (1.0 is linear).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from pm4py_compare import make_log, run_child  # noqa: E402

from importers import eventlog  # noqa: E402


def times_step(csv: Path) -> float:
    frame = pl.read_csv(csv, infer_schema=False, columns=["time"])
    t0 = time.perf_counter()
    eventlog._times(frame, csv.name, "time", lambda record: record + 2)
    return time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, nargs="+", default=[200_000, 2_000_000, 20_000_000])
    parser.add_argument("--full-up-to", type=int, default=20_000_000, help="whole imports up to this size")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="wp-scaling-") as tmp:
        for n in args.events:
            csv = Path(tmp) / f"log-{n}.csv"
            t0 = time.perf_counter()
            make_log(csv, n, args.seed, keep_ties=True)
            print(f"{n:>11,} events: generated in {time.perf_counter() - t0:.1f} s ({csv.stat().st_size >> 20} MB)",
                  flush=True)
            step = times_step(csv)
            full = mb = None
            if n <= args.full_up_to:
                full, mb, _ = run_child([sys.executable, "-m", "capture", "import", "eventlog", str(csv), "--case",
                                         "case", "--activity", "activity", "--time", "time",
                                         "--db", str(Path(tmp) / f"db-{n}.duckdb")])
            rows.append((n, step, full, mb))
            csv.unlink()
    first = rows[0]
    print("\n     events   times step  events/s  per M vs smallest |  whole import  events/s  per M vs smallest  peak")
    for n, step, full, mb in rows:
        line = f"{n:>11,}  {step:9.2f} s {n / step:>9,.0f}  {step / n / (first[1] / first[0]):15.2f}x"
        if full is not None:
            line += (f"  | {full:10.2f} s {n / full:>9,.0f}  {full / n / (first[2] / first[0]):15.2f}x"
                     f"  {mb:,.0f} MB")
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
