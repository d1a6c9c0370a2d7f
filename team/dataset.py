"""The engine-neutral Parquet dataset both engines read (team.engines):
``<root>/<table>/*.parquet``, one folder per table, its name the table's name.

The team server's ledger exports its ``releases`` here (:func:`export_releases`);
the research server exports a study's long tables (team/study_tables.py) the
same way. A table is replaced whole: its new files are written into a fresh
folder beside it and swapped in, so a reader never sees half of one. Files and
folders are owner-only, as every other file the server writes.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from store.paths import private_files, private_folder

_TABLE = re.compile(r"^[a-z][a-z0-9_]*$")
ROWS_PER_FILE = 1_000_000


def check_table(name: str) -> str:
    """The table's name, if it is one a view can be called by (a lowercase identifier); else ValueError."""
    if not isinstance(name, str) or not _TABLE.match(name):
        raise ValueError(f"{name!r} is not a table name (lowercase letters, digits and _, starting with a letter)")
    return name


def tables(root: Path) -> dict[str, Path]:
    """The dataset's tables: {name: folder} for each folder of ``root`` holding Parquet files."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{root} is not a dataset folder (<root>/<table>/*.parquet)")
    return {p.name: p for p in sorted(root.iterdir())
            if p.is_dir() and _TABLE.match(p.name) and any(p.glob("*.parquet"))}


def write_table(root: Path, name: str, parts: Iterable[pa.Table | pa.RecordBatch]) -> Path:
    """Write table ``name`` of the dataset at ``root`` from ``parts`` (tables or batches of one schema),
    one file per part, replacing the table whole. Returns the table's folder. Nothing is left behind when
    a part fails (its schema differs, the disk is full): the old table stays as it was."""
    check_table(name)
    private_files()
    root = private_folder(Path(root))
    target = root / name
    fresh = root / f".{name}.{uuid.uuid4().hex}.new"
    fresh.mkdir(mode=0o700)
    try:
        schema = None
        count = 0
        for part in parts:
            table = pa.Table.from_batches([part]) if isinstance(part, pa.RecordBatch) else part
            if schema is None:
                schema = table.schema
            elif not table.schema.equals(schema):
                raise ValueError(f"table {name!r}: part {count} has schema {table.schema}, not {schema}")
            pq.write_table(table, fresh / f"part-{count:05d}.parquet", compression="zstd")
            count += 1
        if count == 0:
            raise ValueError(f"table {name!r}: no rows given (a table needs at least one part, maybe empty)")
        old = root / f".{name}.{uuid.uuid4().hex}.old"
        if target.exists():
            os.replace(target, old)
        os.replace(fresh, target)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(fresh, ignore_errors=True)
        raise
    return target


def export_releases(con, root: Path, rows_per_file: int = ROWS_PER_FILE) -> Path:
    """The team ledger's ``releases`` (team/ledger.py's DuckDB) as table ``releases`` of the dataset at
    ``root``, ordered by day so that a week's rows sit in few row groups. Returns the table's folder."""
    reader = con.table("releases").order("day, team, pseudonym").to_arrow_reader(rows_per_file)

    def parts():
        empty = True
        for batch in reader:
            empty = False
            yield batch
        if empty:
            yield reader.schema.empty_table()

    return write_table(root, "releases", parts())
