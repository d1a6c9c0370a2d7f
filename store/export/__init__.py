"""Exporting everything held about the worker: Parquet, JSON lines, or an
ActivityWatch export (store.export.formats says what each holds).

The rows are read as one consistent snapshot through store.client.dump:
from the daemon's socket while capture runs (the daemon holds the file, and
its own connections may touch no file), else from the file itself. Either
way the export is written to the access log before any row is read, and the
files are written here, in the exporting process, under the allowed folder
only (store.export.folder), whole or not at all, owner-only.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from .. import client
from ..paths import Paths, private_files
from . import folder, formats
from .folder import ExportError

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
    tables = formats.AW_TABLES if fmt == "activitywatch" else None
    asked = {"format": fmt, "to": str(final)}
    try:
        with folder.staged(final, folder=fmt != "activitywatch") as temp, \
                client.dump(paths, tables, what=f"export {fmt}", params=asked, why=why or DEFAULT_WHY) as stream:
            if fmt == "activitywatch":
                detail = {"buckets": formats.write_activitywatch(stream, temp)}
            else:
                manifest = formats.write_tables(stream, temp, fmt)
                detail = {"tables": {name: t["rows"] for name, t in manifest["tables"].items()}}
    except (duckdb.Error, OSError) as exc:
        raise ExportError(f"the export to {final} failed, and nothing was left there: {exc}") from None
    return {"path": str(final), "format": fmt, "bytes": _size(final), **detail}
