"""Importers: ActivityWatch, keystroke studies and event logs, into the store.

``python -m capture import {activitywatch,keystrokes,eventlog} ...``

Every importer is transactional: the whole input is read and validated
before the database is opened, then written with one call of
store.write_batches, so a bad file imports nothing, and the error names the
file, the line or event, and what was wrong. Batch ids come from the file's
content, so importing the same file twice stores it once.
"""

from __future__ import annotations

import importlib
import sys

import duckdb

import store

from .common import BadInput, write

# Format name -> module (imported when used: polars is only needed by some).
FORMATS = {"activitywatch": "activitywatch", "keystrokes": "keystrokes", "eventlog": "eventlog"}


def add_parser(sub, common) -> None:
    """Register ``import`` with one sub-command per format."""
    parser = sub.add_parser("import", help="import ActivityWatch, keystroke-study or event-log data",
                            description=__doc__.split("\n\n", 2)[2])
    parser.set_defaults(handler=run)
    formats = parser.add_subparsers(dest="importer", required=True, metavar="FORMAT")
    for name in FORMATS:
        _module(name).add_parser(formats, common)


def _module(name: str):
    return importlib.import_module(f"{__name__}.{FORMATS[name]}")


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def run(args, paths) -> int:
    """Import ``args.source``; 0 on success (or already imported), 2 with an
    ``error:`` line on stderr when the input is bad or the database is busy."""
    try:
        prepared = _module(args.importer).load(args)
    except BadInput as exc:
        return _fail(str(exc))
    try:
        con = store.open_writable(paths.db)
    except store.LockedError as exc:
        return _fail(f"{exc}. Stop capture first (python -m capture stop) or import into another "
                     "database with --db PATH")
    except store.StoreError as exc:
        return _fail(str(exc))
    try:
        line = write(con, prepared)
    except duckdb.Error as exc:
        return _fail(f"{prepared.label}: writing to {paths.db} failed: {exc}")
    finally:
        con.close()
    print(line)
    for note in prepared.notes:
        print(f"note: {note}")
    return 0

