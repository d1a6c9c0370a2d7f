"""Bring a database written by Workprint on DuckDB 2.0 across to this one (DuckDB 1.5.5).

DuckDB 1.5.5 cannot read a file written by 2.0 (it says "version number
999"). Run this once with DuckDB 2.0, in a throwaway virtualenv, on the old
file (capture stopped):

    python3 -m venv /tmp/duckdb2 && /tmp/duckdb2/bin/pip install duckdb==2.0.0
    /tmp/duckdb2/bin/python store/from_duckdb2.py data/workprint.duckdb

It copies every table, view and macro (``COPY FROM DATABASE``) into a file
in 1.5's storage format, checks the rows of every table, and swaps it in; the
original is kept beside it as ``<db>.duckdb2``. The next Workprint command
that opens the file encrypts it (store.compact.encrypt_file). The kept
original is not encrypted: delete it once Workprint has opened the new one.

It imports DuckDB alone (not the store, which needs 1.5.5's httpfs).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import duckdb

ATTACH_OLD = "ATTACH $path AS old"  # writable, so that its WAL is written into it first
ATTACH_NEW = "ATTACH $path AS new (STORAGE_VERSION 'v1.5.0')"
COPY = "COPY FROM DATABASE old TO new"
TABLES = "SELECT table_name FROM duckdb_tables() WHERE database_name = 'old' ORDER BY table_name"
ROWS = "SELECT count(*) FROM query_table($table)"


def convert(path: Path) -> Path:
    """Convert ``path`` in place; return where the original was kept."""
    if not duckdb.__version__.startswith("2."):
        raise SystemExit(f"run this with DuckDB 2.0 (this is {duckdb.__version__}): see its docstring")
    new, kept = path.with_name(path.name + ".to-1.5"), path.with_name(path.name + ".duckdb2")
    for leftover in (new, new.with_name(new.name + ".wal")):
        leftover.unlink(missing_ok=True)
    if kept.exists():
        raise SystemExit(f"{kept} is there already: move it away first")
    os.umask(0o077)  # the copy is the owner's alone, like every Workprint file
    con = duckdb.connect()
    con.execute(ATTACH_OLD, {"path": str(path)})
    con.execute("CHECKPOINT old")
    con.execute(ATTACH_NEW, {"path": str(new)})
    con.execute(COPY)
    for (table,) in con.execute(TABLES).fetchall():
        before = con.execute(ROWS, {"table": f"old.main.{table}"}).fetchone()[0]
        after = con.execute(ROWS, {"table": f"new.main.{table}"}).fetchone()[0]
        if before != after:
            raise SystemExit(f"{table}: {before} rows in {path}, {after} in the copy: nothing was changed")
    con.execute("CHECKPOINT new")
    con.close()
    wal = path.with_name(path.name + ".wal")
    if wal.exists():  # a 2.0 WAL must never be paired with the new file
        raise SystemExit(f"{wal} is still there (is capture running?): nothing was changed")
    os.rename(path, kept)
    os.rename(new, path)
    return kept


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python store/from_duckdb2.py PATH_TO_DATABASE (with DuckDB 2.0)")
    target = Path(sys.argv[1]).expanduser().resolve()
    kept_as = convert(target)
    print(f"{target} is now in DuckDB 1.5's format; Workprint encrypts it when it next opens it. "
          f"The original is kept as {kept_as} (not encrypted): delete it once Workprint has opened the new file.")
