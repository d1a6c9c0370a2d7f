"""Importers: ActivityWatch, keystroke studies and event logs, into the store.

``python -m capture import {activitywatch,keystrokes,eventlog} ...``

Every importer is transactional: the input is validated and written in
one transaction with the derived tables, so a bad file, a kill or Ctrl-C
imports nothing, and the error names the file, the line or event, and what
was wrong. Batch ids come from the file's
content, so importing the same file twice stores it once.
"""

from __future__ import annotations

import contextlib
import importlib
import signal
import sys
import threading

import duckdb

import store

from .common import BadInput, write
from .progress import Progress

HELP = ("Imports data recorded elsewhere into your Workprint database. An import is all or "
        "nothing: if the input is bad, or you press Ctrl-C, nothing is written, and the error "
        "names the file, the line and what is wrong. Importing the same file twice stores it "
        "once. See `import FORMAT --help` for what each format keeps.")

# Format name -> module (imported when used: polars is only needed by some).
FORMATS = {"activitywatch": "activitywatch", "keystrokes": "keystrokes", "eventlog": "eventlog"}


def add_parser(sub, common) -> None:
    """Register ``import`` with one sub-command per format."""
    parser = sub.add_parser("import", help="import ActivityWatch, keystroke-study or event-log data",
                            description=HELP)
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
    ``error:`` line on stderr when the input is bad or the database is busy,
    130 when interrupted (Ctrl-C), after which nothing was written.

    A Ctrl-C that comes once the import is committing is held until the
    command ends: the import is complete, and the command says so."""
    with _interruptible() as interrupted:
        try:
            code = _run(args, paths, interrupted)
        except BaseException:
            if not interrupted.is_set():
                raise
            print(f"error: interrupted: nothing was imported, {paths.db} is as it was", file=sys.stderr)
            return 130
        if interrupted.is_set():
            print("note: Ctrl-C came while the import was being committed; it is complete", file=sys.stderr)
        return code


def _run(args, paths, interrupted: Interrupt) -> int:
    progress = Progress(args.source.rstrip("/").rsplit("/", 1)[-1] or args.source)  # silent unless stderr is a terminal
    try:
        return _import(args, paths, interrupted, progress)
    finally:
        progress.close()


def _import(args, paths, interrupted: Interrupt, progress: Progress) -> int:
    try:
        prepared = _module(args.importer).load(args, progress)
    except BadInput as exc:
        progress.close()
        return _fail(str(exc))
    created = not paths.db.exists()
    try:
        con = store.open_writable(paths.db)
    except store.LockedError as exc:
        return _fail(f"{exc}. Stop capture first (python -m capture stop) or import into another "
                     "database with --db PATH")
    except store.StoreError as exc:
        return _fail(str(exc))
    line = None
    try:
        if store.marked_demo(con):
            return _fail(f"{paths.db} {store.DEMO_REFUSED}")
        line = write(con, prepared, progress, committing=interrupted.hold)
    except BadInput as exc:
        progress.close()
        return _fail(str(exc))
    except duckdb.Error as exc:
        if interrupted.is_set():
            raise
        progress.close()
        return _fail(f"{prepared.label}: writing to {paths.db} failed: {exc}")
    finally:
        con.close()
        if line is None and created:  # a failed first import leaves no empty database behind
            for path in (paths.db, paths.db.with_name(paths.db.name + ".wal")):
                path.unlink(missing_ok=True)
    progress.close()
    print(line)
    for note in prepared.notes:
        print(f"note: {note}")
    return 0


class Interrupt:
    """Whether Ctrl-C (or SIGTERM) came, and whether it may still stop the
    import. Until :meth:`hold`, the signal raises KeyboardInterrupt: DuckDB
    turns it into an error of its own ("Query interrupted", or an aborted
    transaction) when it lands mid-query, and :meth:`is_set` tells those apart
    from real failures; the transaction rolls back either way. From
    :meth:`hold` (just before the commit) on, the signal is only noted:
    stopping there could leave a committed import reported as not done."""

    def __init__(self) -> None:
        self._came = threading.Event()
        self._held = False

    def is_set(self) -> bool:
        return self._came.is_set()

    def hold(self) -> None:
        self._held = True

    def handler(self, signum, frame) -> None:
        self._came.set()
        if not self._held:
            raise KeyboardInterrupt


@contextlib.contextmanager
def _interruptible():
    """Ctrl-C and SIGTERM go to the :class:`Interrupt` yielded, for the block."""
    interrupted = Interrupt()
    if threading.current_thread() is not threading.main_thread():
        yield interrupted
        return
    previous = {sig: signal.signal(sig, interrupted.handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield interrupted
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
