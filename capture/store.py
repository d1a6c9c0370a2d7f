"""Opening the database safely and writing batches to it.

Every write goes through :func:`write_batch`: one transaction per batch, an
Arrow insert (DuckDB's fastest bulk path), and a batch id that makes a retried
write a no-op. Opening never overwrites a file it cannot read: a corrupt file
is renamed aside and reported, an unreadable or locked one is refused.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from pathlib import Path

import duckdb
import pyarrow as pa

from . import schema

log = logging.getLogger("workprint.store")


class StoreError(RuntimeError):
    """A database problem with a message meant for the user."""


class LockedError(StoreError):
    """Another process holds the database file open."""


class UnreadableError(StoreError):
    """The file exists but we may not read or write it (permissions, a folder, ...)."""


class CorruptError(StoreError):
    """The file exists but is not a readable DuckDB database."""


def _classify(path: Path, exc: Exception) -> StoreError:
    text = str(exc)
    if "Could not set lock" in text or "Conflicting lock" in text:
        return LockedError(
            f"{path} is in use by another process ({text.split(':', 1)[-1].strip()})"
        )
    if "Permission denied" in text or "Is a directory" in text:
        return UnreadableError(f"cannot open {path}: {text}")
    return CorruptError(f"{path} is not a readable Workprint database: {text}")


def _validate(con) -> None:
    # Touch the catalog and the main table so a damaged file fails here, on
    # open, rather than in the middle of capture.
    con.execute("SELECT count(*) FROM duckdb_tables()").fetchall()
    if schema.current_version(con) > 0:
        con.execute("SELECT count(*) FROM raw_events").fetchall()
        con.execute("SELECT count(*) FROM batches").fetchall()


def set_aside(path: Path) -> Path:
    """Rename a bad database (and its WAL) out of the way; return the new name."""
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while target.exists():
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
        n += 1
    path.rename(target)
    wal = path.with_name(path.name + ".wal")
    if wal.exists():
        wal.rename(target.with_name(target.name + ".wal"))
    return target


def open_writable(path: Path, *, set_aside_corrupt: bool = True):
    """Open (creating if needed) and migrate the database for writing.

    Raises LockedError if another process has it open, UnreadableError if it
    cannot be opened for reasons a rename will not fix. A corrupt file is set
    aside (renamed, never overwritten or deleted) and a fresh database started,
    with a warning naming where the old one went; with ``set_aside_corrupt``
    false, CorruptError is raised instead.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path))
        try:
            _validate(con)
        except Exception:
            con.close()
            raise
    except duckdb.Error as exc:
        error = _classify(path, exc)
        if not isinstance(error, CorruptError) or not set_aside_corrupt:
            raise error from exc
        moved = set_aside(path)
        log.warning("%s; it was moved to %s and a new database started", error, moved)
        con = duckdb.connect(str(path))
    schema.migrate(con)
    _install_macros(con)
    return con


def _install_macros(con) -> None:
    import queries  # the query layer owns the SQL; imported late to keep start-up lean

    for name in queries.catalog():
        if name.startswith("macro_"):
            queries.execute(con, name, {})


def open_read_only(path: Path):
    """A read-only connection; StoreError subclasses explain any failure."""
    if not path.exists():
        raise StoreError(f"no database at {path} yet: nothing has been captured or imported")
    try:
        con = duckdb.connect(str(path), read_only=True)
        _validate(con)
        return con
    except duckdb.Error as exc:
        raise _classify(path, exc) from exc


def new_batch_id() -> int:
    """Increasing ids (nanoseconds), so lookups prune by zone maps without an index."""
    return time.time_ns()


# Tables a batch may go to, and the statement that inserts it (no SQL is
# built from input: the target picks one of these).
_INSERTS = {
    "raw_events": "INSERT INTO raw_events BY NAME SELECT * FROM _incoming",
    "spans": "INSERT INTO spans BY NAME SELECT * FROM _incoming",
    "input_totals": "INSERT INTO input_totals BY NAME SELECT * FROM _incoming",
    "keystrokes": "INSERT INTO keystrokes BY NAME SELECT * FROM _incoming",
    "hourly": "INSERT INTO hourly BY NAME SELECT * FROM _incoming",
}
_WITH_BATCH_ID = {"raw_events", "spans", "input_totals"}


def _insert(con, batch_id: int, table: pa.Table, source: str, target: str) -> int:
    if target not in _INSERTS:
        raise ValueError(f"cannot write batches to {target!r}")
    seen = con.execute("SELECT count(*) FROM batches WHERE batch_id = $id", {"id": batch_id}).fetchall()[0][0]
    if seen:
        return 0
    if target in _WITH_BATCH_ID:
        table = table.append_column("batch_id", pa.array([batch_id] * table.num_rows, pa.uint64()))
    con.register("_incoming", table)
    try:
        con.execute(_INSERTS[target])
    finally:
        con.unregister("_incoming")
    con.execute(
        "INSERT INTO batches VALUES ($id, $source, $n, now())",
        {"id": batch_id, "source": source, "n": table.num_rows},
    )
    return table.num_rows


def write_batches(con, batches: list[tuple[int, pa.Table, str]], source: str) -> int:
    """Store several (batch id, table, target table) together: all or nothing.

    A batch whose id is already stored is skipped, so writing the same batches
    again (a retry, or importing the same file twice) stores them once.
    Returns the rows written.
    """
    con.execute("BEGIN TRANSACTION")
    try:
        written = sum(_insert(con, batch_id, table, source, target) for batch_id, table, target in batches)
        con.execute("COMMIT")
    except BaseException:
        try:
            con.execute("ROLLBACK")
        except duckdb.Error:
            pass
        raise
    return written


def write_batch(con, batch_id: int, table: pa.Table, source: str) -> int:
    """Store ``table`` (events in events.ARROW_SCHEMA) once; see write_batches.

    Returns the rows written: 0 if this batch id was already stored.
    """
    return write_batches(con, [(batch_id, table, "raw_events")], source)


CONSENT_TEXT_VERSION = "1"


def record_consent(con, accepted: bool, worker: str = "local") -> None:
    con.execute(
        "INSERT INTO consent_log VALUES (now(), $action, $version, $worker)",
        {"action": "accept" if accepted else "withdraw", "version": CONSENT_TEXT_VERSION, "worker": worker},
    )


def consent_given(con, worker: str = "local") -> bool:
    """True if the worker's latest consent action is an accept."""
    rows = con.execute(
        "SELECT action FROM consent_log WHERE worker = $w ORDER BY ts DESC, rowid DESC LIMIT 1", {"w": worker}
    ).fetchall()
    return bool(rows) and rows[0][0] == "accept"


class Database:
    """The daemon's one handle on the file: a writer connection, cursors for readers.

    The base connection is only used to open cursors (under a lock), so the
    writer and each reader thread have their own DuckDB connection to the one
    database instance. ``reset`` drops everything after a failure (DuckDB
    invalidates a database after a fatal I/O error); the next call reopens.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._base = None
        self._writer = None
        self._lock = threading.Lock()

    def _open(self):
        if self._base is None:
            self._base = open_writable(self.path)
            # The daemon runs all day: hand freed memory back to the system
            # promptly instead of keeping DuckDB's default 128 MiB cache.
            self._base.execute("SET allocator_flush_threshold = '1MB'")
            self._base.execute("SET allocator_bulk_deallocation_flush_threshold = '1MB'")
            self._writer = self._base.cursor()
        return self._base

    def writer(self):
        with self._lock:
            self._open()
            return self._writer

    def cursor(self):
        with self._lock:
            return self._open().cursor()

    def reset(self) -> None:
        with self._lock:
            cons, self._base, self._writer = (self._writer, self._base), None, None
        for con in cons:
            if con is not None:
                try:
                    con.close()
                except duckdb.Error:
                    pass

    close = reset


def edit_category_rules(con, add: dict | None = None, remove: str | None = None) -> list[list]:
    """Add or replace a rule ({"pattern", "category", "priority"}) or remove one
    by pattern; returns every rule, by priority. Raises ValueError naming an
    invalid regular expression or a pattern that is not there."""
    if add:
        pattern, category = add["pattern"], add["category"]
        try:
            con.execute("SELECT regexp_matches('', $p)", {"p": pattern}).fetchall()
        except duckdb.Error as exc:
            raise ValueError(f"{pattern!r} is not a valid regular expression: {exc}") from None
        priority = add.get("priority")
        if priority is None:
            priority = con.execute("SELECT coalesce(max(priority), 0) + 10 FROM category_rules").fetchall()[0][0]
        con.execute("BEGIN TRANSACTION")
        con.execute("DELETE FROM category_rules WHERE pattern = $p", {"p": pattern})
        con.execute("INSERT INTO category_rules VALUES ($pr, $p, $c)", {"pr": int(priority), "p": pattern, "c": category})
        con.execute("COMMIT")
    if remove is not None:
        gone = con.execute("DELETE FROM category_rules WHERE pattern = $p RETURNING pattern", {"p": remove}).fetchall()
        if not gone:
            raise ValueError(f"no category rule with the pattern {remove!r}")
    return [list(r) for r in con.execute(
        "SELECT priority, pattern, category FROM category_rules ORDER BY priority, pattern").fetchall()]
