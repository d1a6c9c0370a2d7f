"""Export benchmark: a worker-year (about 10 M events) in each format, with
file sizes, against plain DuckDB ``COPY ... TO`` of the same tables in the
same run.

    .venv/bin/python bench/export_bench.py [--db bench/out/heavy-year.duckdb] [--formats parquet json activitywatch]

The database is built with bench/gen_datasets.py heavy when it is missing,
then copied to a scratch file (an export opens the file to log itself, which
would migrate the dataset). Each format is exported twice: from the file (no
daemon) and through a socket server on the file (store.server, as the
capture daemon serves it, without capture), so the streaming's cost shows.
The baseline is DuckDB writing the same tables straight from the file:
``COPY table TO 'x.parquet' (FORMAT parquet, COMPRESSION zstd)`` and
``(FORMAT json)``. Outputs are removed after each run (the JSON of a year is
several GB).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from store import client
from store import export as store_export
from store import keys as store_keys
from store import paths as store_paths
from testkit import connect, copy_db

OUT = Path(__file__).resolve().parent / "out"
ROOT = Path(__file__).resolve().parent.parent
BASELINE = {"parquet": "(FORMAT parquet, COMPRESSION zstd)", "json": "(FORMAT json)"}

SERVE = """
import sys, threading
import store
from store.paths import paths
from store.server import QueryServer

class Served:
    def __init__(self, db):
        self.db = store.Database(db)
    def control_ops(self):
        return {"status": lambda _: {"running": True}}

p = paths(sys.argv[1])
served = Served(p.db)
served.db.cursor().close()
server = QueryServer(p.socket, served)
server.start()
print("ready", flush=True)
sys.stdin.read()
server.stop()
served.db.close()
"""


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*")) if path.is_dir() else path.stat().st_size


def _mb(n: int) -> str:
    return f"{n / 1e6:,.1f} MB"


def baseline(db: Path, out: Path, fmt: str) -> tuple[float, int]:
    """Seconds and bytes for plain COPY of every stored table from the file."""
    out.mkdir()
    con = connect(db, read_only=True)
    try:
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'").fetchall()]
        start = time.perf_counter()
        for table in tables:
            # A bench of our own file: the table names come from its catalog, quoted.
            target = str(out / f"{table}.{fmt}").replace("'", "''")
            con.execute(f"COPY \"{table}\" TO '{target}' {BASELINE[fmt]}")  # noqa: S608
        seconds = time.perf_counter() - start
    finally:
        con.close()
    return seconds, _size(out)


def exported(paths, fmt: str, name: str) -> tuple[float, dict]:
    start = time.perf_counter()
    done = store_export.write(paths, fmt, to=name, why="benchmark")
    return time.perf_counter() - start, done


def _served(paths):
    proc = subprocess.Popen([sys.executable, "-c", SERVE, str(paths.db)], cwd=ROOT, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    if proc.stdout.readline().strip() != "ready":
        proc.kill()
        raise SystemExit("the socket server did not start")
    return proc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default=str(OUT / "heavy-year.duckdb"))
    parser.add_argument("--formats", nargs="+", default=list(store_export.FORMATS), choices=store_export.FORMATS)
    args = parser.parse_args()
    source = Path(args.db)
    if not source.exists():
        from gen_datasets import heavy  # bench/ is on the path when this runs as a script

        source.parent.mkdir(parents=True, exist_ok=True)
        heavy(source, dt.date(2026, 6, 30), 1, 365)
    scratch = OUT / "export-bench"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    db = scratch / "year.duckdb"
    copy_db(source, db)
    os.environ[store_paths.EXPORT_ENV] = str(scratch / "exports")
    os.environ.setdefault(store_paths.RUNTIME_ENV, str(scratch / "run"))
    paths = store_paths.paths(db)
    client.identify("export-bench")
    con = connect(db, read_only=True)
    events = con.execute("SELECT count(*) FROM raw_events").fetchall()[0][0]
    con.close()
    print(f"export of a worker-year: {events:,} raw events, database {_mb(_size(db))} ({source})")
    print(f"{'format':<14} {'route':<8} {'seconds':>8} {'size':>11} {'events/s':>11}  vs plain COPY")
    for fmt in args.formats:
        base = None
        if fmt in BASELINE:
            base_s, base_bytes = baseline(db, scratch / f"copy-{fmt}", fmt)
            shutil.rmtree(scratch / f"copy-{fmt}")
            base = base_s
            print(f"{fmt:<14} {'COPY':<8} {base_s:8.1f} {_mb(base_bytes):>11} {events / base_s:11,.0f}  (baseline)")
        for route in ("file", "socket"):
            server = _served(paths) if route == "socket" else None
            try:
                seconds, done = exported(paths, fmt, f"{fmt}-{route}")
            finally:
                if server is not None:
                    server.stdin.close()
                    server.wait(60)
            ratio = f"{seconds / base:.2f}x" if base else "-"
            print(f"{fmt:<14} {route:<8} {seconds:8.1f} {_mb(done['bytes']):>11} {events / seconds:11,.0f}  {ratio}")
            target = Path(done["path"])
            shutil.rmtree(target) if target.is_dir() else target.unlink()
    con = connect(db, read_only=True)
    entries = con.execute("SELECT count(*) FROM access_log").fetchall()[0][0]
    con.close()
    print(f"access log entries written: {entries}")
    shutil.rmtree(scratch, ignore_errors=True)
    store_keys.key_file(db).unlink(missing_ok=True)  # the copy's key (a keyring entry, if any, stays)


if __name__ == "__main__":
    main()
