"""Exporting everything held about the worker: Parquet, JSON lines, or an
ActivityWatch export.

The rows are read as one consistent snapshot through store.client.dump:
from the daemon's socket while capture runs (the daemon holds the file, and
its own connections may touch no file), else from the file itself. Either
way the export is written to the access log before any row is read, and the
files are written here, in the exporting process, under the allowed folder
only (store.export_folder), whole or not at all, owner-only.

Each format is written from a stream of ``(table, Arrow reader)`` by a
private in-memory DuckDB in the exporting process:

- ``parquet``: a folder, one ``TABLE.parquet`` per stored table (zstd), and
  ``manifest.json``;
- ``json``: a folder, one ``TABLE.jsonl`` per stored table, one JSON object a
  line (any text editor opens it; so do pandas, polars, DuckDB and ``jq``),
  and ``manifest.json``;
- ``activitywatch``: one JSON file as aw-server's ``GET /api/0/export``
  writes it: per worker, a ``currentwindow`` bucket (focus spans), an
  ``afkstatus`` bucket (active spans, as not-afk) and, where held, an
  ``os.hid.input`` bucket (input totals). ActivityWatch and Workprint's own
  ActivityWatch importer read it.

The manifest lists every table: its file, rows, and each column's type and
meaning (store.meanings). Times are UTC throughout, except ActivityWatch's,
which carry the local offset as its watchers write them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from pathlib import Path

import duckdb
import pyarrow as pa

from . import client, meanings, statements
from . import export_folder as folder
from .export_folder import ExportError
from .paths import Paths, private_files

FORMATS = ("parquet", "json", "activitywatch")
DEFAULT_WHY = "a copy for the worker"

__all__ = ["DEFAULT_WHY", "FORMATS", "ExportError", "default_name", "write"]


def default_name(fmt: str, now: dt.datetime | None = None) -> str:
    """``workprint-2026-11-30-142501-parquet`` (a folder), or ``....json`` for ActivityWatch."""
    stamp = (now or dt.datetime.now()).strftime("%Y-%m-%d-%H%M%S")
    return f"workprint-{stamp}-{fmt}" + (".json" if fmt == "activitywatch" else "")


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*")) if path.is_dir() else path.stat().st_size


def write(paths: Paths, fmt: str, to: str | None = None, why: str | None = None) -> dict:
    """Export the database of ``paths`` as ``fmt`` to ``to`` (a name under the
    export folder; default: :func:`default_name`).

    Returns what was written: path, format, bytes, and rows per table (or
    events per ActivityWatch bucket). Raises ExportError for a bad format or
    path (outside the export folder, already there, not writable) or a failed
    write (nothing is left under the name), store.StoreError subclasses for a
    database that cannot be read, client.DaemonError for what the daemon says.
    """
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}: use one of {', '.join(FORMATS)}")
    private_files()
    final = folder.target(to, default_name(fmt))
    tables = AW_TABLES if fmt == "activitywatch" else None
    asked = {"format": fmt, "to": str(final)}
    try:
        with folder.staged(final, folder=fmt != "activitywatch") as temp, \
                client.dump(paths, tables, what=f"export {fmt}", params=asked, why=why or DEFAULT_WHY) as stream:
            if fmt == "activitywatch":
                detail = {"buckets": write_activitywatch(stream, temp)}
            else:
                manifest = write_tables(stream, temp, fmt)
                detail = {"tables": {name: t["rows"] for name, t in manifest["tables"].items()}}
    except (duckdb.Error, OSError) as exc:
        raise ExportError(f"the export to {final} failed, and nothing was left there: {exc}") from None
    return {"path": str(final), "format": fmt, "bytes": _size(final), **detail}


# --- the formats ------------------------------------------------------------
FOLDER_FORMATS = {"parquet": ("export_parquet", ".parquet"), "json": ("export_jsonl", ".jsonl")}
AW_TABLES = ["input_totals", "spans"]
AW_EVENTS = {"currentwindow": "aw_currentwindow_events", "afkstatus": "aw_afkstatus_events",
             "os.hid.input": "aw_os_hid_input_events"}
AW_CLIENTS = {"currentwindow": "aw-watcher-window", "afkstatus": "aw-watcher-afk", "os.hid.input": "aw-watcher-input"}
AW_HOLD = {"spans": "aw_hold_spans", "input_totals": "aw_hold_input_totals"}
HOW_TO_OPEN = {
    "parquet": "Each TABLE.parquet opens in DuckDB (SELECT * FROM 'raw_events.parquet'), pandas, polars, "
               "R's arrow package, or a spreadsheet with a Parquet plug-in.",
    "json": "Each TABLE.jsonl holds one JSON object a line: it opens in any text editor, jq, pandas "
            "(read_json(lines=True)), polars (read_ndjson) or DuckDB (SELECT * FROM 'raw_events.jsonl').",
}


def _sink():
    con = duckdb.connect()
    statements.execute(con, "no_progress_bar")
    statements.execute(con, "export_utc")
    return con


def _columns(table: str, schema: pa.Schema) -> list[dict]:
    return [{"name": f.name, "type": str(f.type), "meaning": meanings.meaning(table, f.name)} for f in schema]


def write_tables(stream: Iterable[tuple[str, pa.RecordBatchReader]], out: Path, fmt: str) -> dict:
    """Every table of ``stream`` into the folder ``out`` as ``fmt`` (parquet or json),
    with the manifest; the manifest's content."""
    statement, suffix = FOLDER_FORMATS[fmt]
    con = _sink()
    tables = {}
    try:
        for table, reader in stream:
            file = out / f"{table}{suffix}"
            con.register("_rows", reader)
            try:
                rows = statements.scalar(con, statement, {"path": str(file)})
            finally:
                con.unregister("_rows")
            meaning = meanings.TABLES[table].what if table in meanings.TABLES else None
            tables[table] = {"file": file.name, "rows": rows, "what": meaning,
                             "columns": _columns(table, reader.schema)}
    finally:
        con.close()
    manifest = {"format": fmt, "exported_at": dt.datetime.now(dt.timezone.utc).isoformat(),
                "how_to_open": HOW_TO_OPEN[fmt], "times": "UTC", "tables": tables}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return manifest


def write_activitywatch(stream: Iterable[tuple[str, pa.RecordBatchReader]], file: Path) -> dict:
    """The spans and input totals of ``stream`` as one ActivityWatch export
    file; per bucket id, its event count."""
    con = _sink()
    counts = {}
    try:
        for table, reader in stream:
            con.register("_rows", reader)
            try:
                statements.execute(con, AW_HOLD[table])
            finally:
                con.unregister("_rows")
        statements.execute(con, "aw_time_macro")
        buckets = statements.execute(con, "aw_buckets").fetchall()
        with open(file, "w", encoding="utf-8") as out:
            out.write('{"buckets": {')
            for i, (worker, kind, created) in enumerate(buckets):
                bucket_id = f"{AW_CLIENTS[kind]}_{worker}"
                head = {"id": bucket_id, "created": created, "name": None, "type": kind, "client": AW_CLIENTS[kind],
                        "hostname": worker, "data": {}}
                out.write(("," if i else "") + "\n" + json.dumps(bucket_id) + ": " + json.dumps(head)[:-1]
                          + ', "events": [')
                counts[bucket_id] = _events(con, AW_EVENTS[kind], worker, out)
                out.write("]}")
            out.write("\n}}\n")
    finally:
        con.close()
    return counts


def _events(con, statement: str, worker: str, out) -> int:
    result = statements.execute(con, statement, {"worker": worker})
    n = 0
    while rows := result.fetchmany(50_000):
        out.write(("," if n else "") + ",".join(row[0] for row in rows))
        n += len(rows)
    return n
