"""Opening the database safely, and the daemon's handle on it.

Opening never overwrites a file it cannot read: a corrupt file is renamed
aside and reported, an unreadable or locked one is refused. Opening for
writing migrates the schema and installs the macros.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from pathlib import Path

import duckdb

from . import attach, derive, guard, paths, schema, statements
from .errors import (
    CorruptError,
    FileReplacedError,
    FormatTooNewError,
    LockedError,
    StoreError,
    UnreadableError,
)

log = logging.getLogger("workprint.store")


_NO_ROOM = ("No space left", "File too large", "Disk quota exceeded", "Input/output error")


def _classify(path: Path, exc: Exception) -> StoreError:
    text = str(exc)
    if "Could not set lock" in text or "Conflicting lock" in text:
        return LockedError(
            f"{path} is in use by another process ({text.split(':', 1)[-1].strip()})"
        )
    if "Permission denied" in text or "Is a directory" in text:
        return UnreadableError(f"cannot open {path}: {text}")
    if "newer version of DuckDB" in text:  # a file of DuckDB 2.0: this Workprint pins 1.5.5 (README)
        return FormatTooNewError(
            f"{path} was written by a newer DuckDB than this Workprint's {duckdb.__version__} (Workprint before "
            "encryption used DuckDB 2.0, which 1.5 cannot read). It is left untouched: convert it once with "
            "store/from_duckdb2.py, as the README's 'Encryption at rest' says")
    if any(sign in text for sign in _NO_ROOM):  # the disk, not the file: never set aside for this
        return UnreadableError(f"cannot write {path} just now, the disk or a limit is full: {text}")
    return CorruptError(f"{path} is not a readable Workprint database: {text}")


def _validate(con) -> None:
    # Touch the catalog and the main table so a damaged file fails here, on
    # open, rather than in the middle of capture.
    statements.execute(con, "validate_catalog").fetchall()
    if schema.current_version(con) > 0:
        statements.execute(con, "validate_tables").fetchall()


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

    From then on the process makes files for its owner only
    (store.paths.private_files); a folder it makes for the file is 0700.
    """
    paths.private_files()  # the file, and the WAL DuckDB makes later, are the owner's alone
    paths.private_folder(path.parent)
    con = _connect_writable(path, set_aside_corrupt)
    make_private(path)
    remove_compaction_leftover(path)  # ours to remove: holding the file, nobody else is compacting it
    try:
        found = schema.migrate(con)
        statements.install_macros(con)
        if found < schema.STEPS_VERSION:
            derive.rebuild_steps(con)
    except duckdb.Error as exc:  # the file opened but cannot be written (a full disk, say)
        con.close()
        error = _classify(path, exc)
        raise (error if not isinstance(error, CorruptError) else StoreError(f"cannot prepare {path}: {exc}")) from exc
    return con


def compaction_temp(path: Path) -> Path:
    """Where a compaction writes the new file, beside the old (store.compact)."""
    return path.with_name(path.name + ".compacting")


def plaintext_aside(path: Path) -> Path:
    """Where store.compact.encrypt_file keeps the plaintext until it is overwritten."""
    return path.with_name(path.name + ".plaintext")


def remove_compaction_leftover(path: Path) -> None:
    """Remove what a compaction killed before its swap left (the new file, and
    its WAL): the file at ``path`` is whole without it. A plaintext left by an
    encryption killed after its swap is overwritten and removed."""
    temp = compaction_temp(path)
    for file in (temp, temp.with_name(temp.name + ".wal")):
        try:
            file.unlink()
            log.info("removed %s, left by a compaction that did not finish", file)
        except FileNotFoundError:
            pass
    aside = plaintext_aside(path)
    if not aside.exists():
        return
    if path.exists() and os.path.samefile(aside, path):  # killed before its swap: the file is still this one
        aside.unlink()
    else:
        wipe(aside)
        log.info("overwrote and removed %s, the plaintext left by an encryption that did not finish", aside)


def wipe(file: Path) -> None:
    """Overwrite ``file`` with zeros, sync, and unlink it (best effort against
    recovery from the disk: a copy-on-write file system or an SSD may keep
    the old blocks)."""
    fd = os.open(file, os.O_WRONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        left = os.fstat(fd).st_size
        zeros = bytes(1 << 20)
        while left > 0:
            left -= os.write(fd, zeros[:left])
        os.fsync(fd)
    finally:
        os.close(fd)
    file.unlink()


def make_private(path: Path) -> None:
    """Readable and writable by its owner only: the database and its WAL (a
    file written by an older Workprint, or under a looser umask, is closed)."""
    for file in (path, path.with_name(path.name + ".wal")):
        try:
            if file.stat().st_uid == os.getuid():
                file.chmod(0o600)
        except FileNotFoundError:
            pass


def _connect(path: Path, read_only: bool = False):
    """The file opened (store.attach: encrypted, httpfs loaded, temp files
    encrypted, progress bar off), and whether it is encrypted; read-only,
    also locked down (store.guard.LOCKED_DOWN), after the ATTACH, which
    needs the file access the lock-down then takes away.

    DuckDB turns the progress bar on in some processes and not in others (it
    guesses whether Python runs interactively), so it is always set off.
    """
    con, encrypted = attach.open_file(path, read_only=read_only)
    if read_only:
        try:
            lock_down(con)
        except duckdb.Error:
            con.close()
            raise
    return con, encrypted


def _connect_writable(path: Path, set_aside_corrupt: bool):
    try:
        con, encrypted = _connect(path)
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
        con, encrypted = _connect(path)
    if not encrypted and not attach.plaintext_mode():
        con.close()
        from . import compact  # compact opens files through this module

        compact.encrypt_file(path)
        con, encrypted = _connect(path)
    return con


DEMO_REFUSED = ("is a demo database (generated data): capture and imports write only to real data. Leave out --db "
                "for your own database, or give another file")


def marked_demo(con) -> bool:
    """True for a file made by the demo: capture and imports never write there."""
    return statements.scalar(con, "meta_get", {"key": "demo"}) == "true"


def is_demo(con) -> bool:
    """True for a generated demo database: marked as one, holding nothing else."""
    return (statements.scalar(con, "meta_get", {"key": "demo"}) == "true"
            and not statements.scalar(con, "foreign_batches", {"source": "demo"}))


def needs_upgrade(con) -> bool:
    """True if the file was written by an older Workprint: its schema or its
    macros are behind this one's (a newer schema is refused on opening)."""
    if schema.current_version(con) < schema.SCHEMA_VERSION:
        return True
    return statements.scalar(con, "meta_get", {"key": "macros"}) != statements.macros_digest()


def open_read_only(path: Path):
    """A read-only connection, with no file or network access, no progress bar
    and its configuration locked (store.guard.LOCKED_DOWN); StoreError
    subclasses explain any failure."""
    if not path.exists():
        raise StoreError(f"no database at {path} yet: nothing has been captured or imported")
    try:
        con, _ = _connect(path, read_only=True)
        _validate(con)
        return con
    except duckdb.Error as exc:
        raise _classify(path, exc) from exc


def lock_down(con) -> None:
    """Apply store.guard.LOCKED_DOWN to the instance ``con`` belongs to; after
    this nothing on it can change a setting."""
    for name, value in guard.LOCKED_DOWN:
        statements.execute(con, f"lock_down_{name}", {"value": value})


class _Lease:
    """A reader's cursor, counted until closed, so that a compaction can wait
    for every reader to let go of the file before swapping it."""

    def __init__(self, con, released) -> None:
        self._con = con
        self._released = released

    def __getattr__(self, name):
        return getattr(self._con, name)

    def close(self) -> None:
        released, self._released = self._released, None
        try:
            self._con.close()
        finally:
            if released is not None:
                released()


class Database:
    """The daemon's one handle on the file: a writer connection, cursors for readers.

    The base connection is only used to open cursors (under a lock), so the
    writer and each reader thread have their own DuckDB connection to the one
    database instance. ``reset`` drops everything after a failure (DuckDB
    invalidates a database after a fatal I/O error); the next call reopens.
    ``compact`` swaps in a compacted file and takes it as the file opened.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._base = None
        self._writer = None
        # Reentrant: check_same_file takes it too, so that a compaction's swap
        # and the identity it records are seen together, never the one alone.
        self._lock = threading.RLock()
        self._identity: tuple[int, int] | None = None  # (device, inode) of the file first opened
        self._leases = 0
        self._leases_gone = threading.Condition(self._lock)

    def _identity_now(self) -> tuple[int, int] | None:
        try:
            info = os.stat(self.path)
        except FileNotFoundError:
            return None
        return info.st_dev, info.st_ino

    def check_same_file(self) -> None:
        """Raise FileReplacedError if the file at ``path`` is no longer the one opened."""
        with self._lock:
            replaced = self._identity is not None and self._identity_now() != self._identity
        if replaced:
            raise FileReplacedError(
                f"{self.path} was deleted or replaced while capture ran; what was not yet written is kept "
                "aside, and the file now there is left untouched"
            )

    def _open(self):
        if self._base is None:
            self.check_same_file()  # after a failure, reopen the same file or none
            self._base = open_writable(self.path)
            self._identity = self._identity or self._identity_now()
            statements.execute(self._base, "daemon_memory")
            lock_down(self._base)  # readers share this instance: no files, no network, no settings
            self._writer = attach.use(self._base.cursor())
        return self._base

    def writer(self):
        with self._lock:
            self._open()
            return self._writer

    def cursor(self):
        """A cursor for one reader or control operation; close it when done."""
        with self._lock:
            cursor = attach.use(self._open().cursor())
            self._leases += 1
            return _Lease(cursor, self._release)

    def _release(self) -> None:
        with self._lock:
            self._leases -= 1
            self._leases_gone.notify_all()

    def compact(self, wait: float = 35.0) -> dict:
        """Compact the file (store.compact.compact_file) while holding it: no
        cursor is handed out meanwhile, the ones out are waited for (at most
        ``wait`` seconds: a reader's query is stopped after 30), every
        connection is closed, the compacted file swapped in, its identity
        taken as the file's, and the file opened again. The writer connection
        must not be in use meanwhile: the daemon compacts in its writer thread.

        Raises StoreError when readers do not let go in time (nothing is
        changed) and whatever compact_file raises (the file is then as before).
        """
        from . import compact  # compact opens files through this module

        with self._lock:
            if not self._leases_gone.wait_for(lambda: self._leases == 0, timeout=wait):
                raise StoreError(f"{self._leases} reader(s) still hold {self.path}: compaction postponed")
            self.reset()
            try:
                result = compact.compact_file(self.path)
                self._identity = self._identity_now()
            finally:
                self._open()
        return result

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

    def abandon(self) -> None:
        """Let go without closing: closing would checkpoint and delete the WAL
        by its name, which now belongs to another file. The process must end
        with os._exit (store.db._ABANDONED keeps the connections from being
        closed when collected)."""
        with self._lock:
            _ABANDONED.extend(c for c in (self._writer, self._base) if c is not None)
            self._base = self._writer = None


_ABANDONED: list = []
