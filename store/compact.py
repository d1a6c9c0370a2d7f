"""Compaction: after a purge or a deletion, the deleted bytes leave the file.

DuckDB keeps deleted rows' bytes in the file: DELETE with CHECKPOINT, and
VACUUM, neither shrink it nor overwrite them (measured on DuckDB 2.0). So the
file is copied into a fresh one (``ATTACH``, ``COPY FROM DATABASE``: tables,
types, views, macros and rows), which replaces it in one rename.

Safe against a kill at any moment: the copy is written beside the file
(store.db.compaction_temp), checked, synced and only then renamed over it,
so the path always names a whole database, the old one or the new one. A copy
left by a killed compaction is removed by the next one and by the next
open for writing (store.db.open_writable). The old file's WAL is written
into it first and must be gone before the swap, so no WAL of the old file is
ever paired with the new one. The new file is the owner's alone (0600),
and encrypted with the old one's key (store.keys).

The same copy, from a plaintext file into an encrypted one, is how a file
written before encryption (or under WORKPRINT_PLAINTEXT) is encrypted when
it is opened for writing (:func:`encrypt_file`): verified, swapped in, and the
plaintext overwritten before it is unlinked.

The file must not be open elsewhere (DuckDB's lock says so): the daemon
compacts through store.db.Database.compact, which closes its connections
first.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from . import attach, keys, statements
from .db import compaction_temp, make_private, open_writable, plaintext_aside, remove_compaction_leftover, wipe
from .errors import StoreError

log = logging.getLogger("workprint.store")


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def file_size(path: Path) -> int:
    """Bytes of the database and its WAL."""
    return sum(p.stat().st_size for p in (path, _wal(path)) if p.exists())


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _held(con, database: str) -> set:
    """What ``database`` holds: (kind, name, definition) of each table, view
    and macro, and (rows, table, count) of each table."""
    held = {tuple(r[1:]) for r in statements.execute(con, "compact_catalog").fetchall() if r[0] == database}
    tables = sorted(name for kind, name, _ in held if kind == "table")
    return held | {("rows", name, statements.scalar(con, "compact_rows", {"table": f"{database}.main.{name}"}))
                   for name in tables}


def _copy(path: Path, temp: Path, old_key: str | None, new_key: str | None) -> None:
    """Copy the database at ``path`` into a new file at ``temp`` (each with
    its key, or plaintext for None); raise StoreError if the copy does not
    hold the same tables, rows, views and macros."""
    con = attach.instance(path, encrypted=new_key is not None)
    try:
        old = {"path": path} if old_key is None else {"path": path, "key": old_key}
        new = {"path": temp} if new_key is None else {"path": temp, "key": new_key}
        statements.execute_with_path(con, "compact_attach_old" + ("" if old_key is None else "_encrypted"), old)
        statements.execute_with_path(con, "compact_attach_new" + ("" if new_key is None else "_encrypted"), new)
        statements.execute(con, "compact_copy")
        statements.execute(con, "compact_checkpoint_new")
        old, new = _held(con, "old"), _held(con, "compacted")
        if old != new:
            raise StoreError(f"the copy of {path} differs from it ({sorted(old ^ new)[:3]}): not swapped in")
        statements.execute(con, "compact_detach")
    finally:
        con.close()


def _swap(path: Path, temp: Path, old_key: str | None, new_key: str | None) -> None:
    """Copy ``path`` to ``temp`` (_copy) and rename the copy over it; the
    file is as it was if anything fails before the rename."""
    try:
        _copy(path, temp, old_key, new_key)
        for wal in (_wal(path), _wal(temp)):
            if wal.exists():  # never pair a WAL with a file it was not written for
                raise StoreError(f"{wal} is still there after closing: the copy is not swapped in")
        make_private(temp)
        _fsync(temp)
    except BaseException:
        remove_compaction_leftover(path)
        raise
    os.replace(temp, path)
    _fsync(path.parent)


def copy_plaintext(path: Path, target: Path) -> None:
    """A verified plaintext copy of the database at ``path`` (closed) at ``target``,
    which must not exist: for benchmarks that compare encryption's cost."""
    key = keys.find(path)
    _copy(path, target, key.secret if key else None, None)


def encrypt_file(path: Path) -> None:
    """Replace the plaintext database at ``path`` by an encrypted copy (a new
    key, or the one already kept for this path), verified like a compaction.
    The plaintext is overwritten before it goes (store.db.wipe: best effort,
    a copy-on-write disk or an SSD may keep old blocks)."""
    t0 = time.perf_counter()
    remove_compaction_leftover(path)  # a copy or a plaintext left by a kill: never attach it as the new file
    con = attach.instance(path, encrypted=False)
    try:  # write its WAL into it first: no plaintext WAL is left to pair with the new file
        statements.execute_with_path(con, "attach_plain", {"path": path, "read_only": False})
        statements.execute(con, "compact_checkpoint_workprint")
    finally:
        con.close()
    key = keys.find(path) or keys.create(path)
    aside = plaintext_aside(path)
    os.link(path, aside)  # the plaintext's bytes, to overwrite once the encrypted file is in place
    try:
        _swap(path, compaction_temp(path), None, key.secret)
    except BaseException:
        aside.unlink(missing_ok=True)  # _swap's clean-up may have taken the link already
        raise
    wipe(aside)
    log.warning("%s was not encrypted: it is now, with the key in %s (the plaintext was overwritten and removed)",
                path, key.where)
    log.info("encrypted %s in %.2f s", path, time.perf_counter() - t0)


def compact_file(path: Path) -> dict:
    """Replace the database at ``path`` by a compacted copy of itself.

    Returns ``{"before": bytes, "after": bytes, "seconds": s}`` (file and WAL).
    Raises StoreError (LockedError if it is open elsewhere) and leaves the
    file as it was when anything goes wrong before the swap.
    """
    t0 = time.perf_counter()
    con = open_writable(path, set_aside_corrupt=False)  # migrated, leftovers removed, the WAL written in on close
    try:
        statements.execute(con, "checkpoint")
        encrypted = statements.scalar(con, "database_encrypted")
    finally:
        con.close()
    before = file_size(path)
    # a plaintext file (WORKPRINT_PLAINTEXT) is copied as plaintext
    secret = keys.find(path).secret if encrypted else None
    _swap(path, compaction_temp(path), secret, secret)
    after = file_size(path)
    seconds = time.perf_counter() - t0
    log.info("compacted %s: %d -> %d bytes in %.2f s", path, before, after, seconds)
    return {"before": before, "after": after, "seconds": seconds}
