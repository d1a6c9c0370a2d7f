"""Talking to the capture daemon, and reading the database whether it runs or not.

:func:`read` is how every reader (dashboard, query CLI, scripts) gets data:
through the daemon's socket while capture runs, else straight from the file
opened read-only for the length of one query. Never hold a connection longer:
a reader's lock would keep the daemon from starting.

Every request says which program sent it (:func:`identify`): the daemon
writes each read by a client that is not the worker's own dashboard or
command line into the access log (store.accesslog). :func:`dump` streams whole
tables for an export, :func:`call` asks the daemon or, without one, the file.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from . import accesslog, db, guard, protocol
from . import tables as stored_tables
from .db import LockedError
from .errors import StoreError
from .paths import Paths
from .txn import read_only_transaction

if TYPE_CHECKING:
    import pyarrow as pa

_client_name: str | None = None  # what this process says it is, in every request (identify)


def identify(name: str | None) -> None:
    """Say which program this process is, in every request to the daemon.

    Workprint's command line and dashboard call it at start
    (store.accesslog.OWN_CLIENTS); the daemon logs every read by any other
    name, or by a process that never called it.
    """
    global _client_name
    _client_name = name


class NotRunning(RuntimeError):
    """No capture daemon answers for this database."""


class DaemonError(RuntimeError):
    """The daemon answered with an error; the message is the daemon's."""


def _connect(paths: Paths, timeout: float) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(str(paths.socket))
    except (FileNotFoundError, ConnectionRefusedError) as exc:
        sock.close()
        raise NotRunning(f"no capture daemon is running for {paths.db}") from exc
    except OSError:
        sock.close()
        raise
    return sock


def request(paths: Paths, op: str, timeout: float = 10.0, **fields) -> dict:
    """Send one control request; raise NotRunning or DaemonError."""
    with _connect(paths, timeout) as sock:
        protocol.send_json(sock, {"op": op, "client": _client_name, **fields})
        reply = protocol.recv_json(sock)
    if not reply.pop("ok", False):
        raise DaemonError(reply.get("error", "unknown error"))
    return reply


def _query_daemon(paths: Paths, sql: str, params: dict, timeout: float) -> pa.Table:
    with _connect(paths, timeout) as sock:
        protocol.send_json(sock, {"op": "query", "sql": sql, "params": params, "client": _client_name})
        reply = protocol.recv_json(sock)
        if not reply.get("ok"):
            raise DaemonError(reply.get("error", "unknown error"))
        return protocol.bytes_to_table(protocol.recv_frame(sock))


def _open(path: Path, upgrade: bool):
    con = db.open_read_only(path)
    if upgrade and db.needs_upgrade(con):  # a file from an older Workprint: today's tables and macros first
        con.close()
        db.open_writable(path, set_aside_corrupt=False).close()
        con = db.open_read_only(path)
    return con


def read_rows(paths: Paths, sql: str, params: dict | None = None, *, timeout: float = 60.0, wait: float = 5.0,
              checked: bool = False, upgrade: bool = False) -> tuple[list[str], list[tuple]]:
    """:func:`read`, as column names and rows of Python values: a process that
    runs one query on the file and prints it (python -m queries) never loads
    pyarrow, whose import is a third of its start-up."""
    return _read(paths, sql, params, timeout, wait, checked, upgrade,
                 on_file=lambda cursor: ([d[0] for d in cursor.description], cursor.fetchall()),
                 on_daemon=_rows_of_table)


def _rows_of_table(table: pa.Table) -> tuple[list[str], list[tuple]]:
    return table.column_names, list(zip(*(table.column(n).to_pylist() for n in table.column_names)))


def read(paths: Paths, sql: str, params: dict | None = None, *, timeout: float = 60.0, wait: float = 5.0,
         checked: bool = False, upgrade: bool = False) -> pa.Table:
    """Run a read-only query and return an Arrow table.

    Goes through the daemon when one runs, else opens the file read-only for
    this query alone. A lock held briefly by another process (a daemon starting
    or stopping) is waited out for up to ``wait`` seconds. Raises
    store.StoreError subclasses for missing, locked or corrupt files,
    guard.RefusedError for anything but a read of the documented tables
    (store.guard), and DaemonError for errors the daemon reports (bad SQL, say).

    ``checked``: ``sql`` is one of the named queries, each of which passes
    store.guard (tests/test_reader_guard.py), so it is not parsed again here;
    the daemon checks whatever it is sent, and a file is opened read-only and
    locked down either way. ``upgrade``: a file from an older Workprint, read
    without a daemon, is first brought forward (a running daemon did so when
    it opened it).
    """
    return _read(paths, sql, params, timeout, wait, checked, upgrade,
                 on_file=lambda cursor: cursor.to_arrow_table(),  # see store.server: not sql(params=)
                 on_daemon=lambda table: table)


def _read(paths: Paths, sql: str, params: dict | None, timeout: float, wait: float, checked: bool, upgrade: bool,
          on_file: Callable, on_daemon: Callable):
    if not checked:
        guard.check_reader_sql(sql)
    params = params or {}

    def attempt():
        try:
            return on_daemon(_query_daemon(paths, sql, params, timeout))
        except NotRunning:
            pass
        con = _open(paths.db, upgrade)
        try:
            with read_only_transaction(con):
                return on_file(con.execute(sql, params or None))
        finally:
            con.close()

    return _retry_locked(attempt, wait)


def _retry_locked(action, wait: float):
    """``action()``, waiting out a lock held briefly by another process for up to ``wait`` s."""
    deadline = time.monotonic() + wait
    delay = 0.02
    while True:
        try:
            return action()
        except LockedError:
            if time.monotonic() > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.25)


def call(paths: Paths, op: str, on_file: Callable, *, timeout: float = 60.0, wait: float = 5.0, **fields) -> dict:
    """The daemon's answer to ``op`` while it runs, else ``on_file(con)`` on
    the file opened read-only. Raises StoreError subclasses for the file,
    DaemonError for what the daemon reports."""
    try:
        return request(paths, op, timeout=timeout, **fields)
    except NotRunning:
        pass

    def on_the_file():
        con = db.open_read_only(paths.db)
        try:
            return on_file(con)
        finally:
            con.close()

    return _retry_locked(on_the_file, wait)


# --- dump: whole tables, streamed, for an export -----------------------------------
def _dump_from_socket(sock: socket.socket, tables: list[str]) -> Iterator[tuple[str, pa.RecordBatchReader]]:
    for table in tables:
        schema = _expect(sock, protocol.SCHEMA)
        import pyarrow as pa

        reader = pa.RecordBatchReader.from_batches(pa.ipc.read_schema(pa.py_buffer(schema)), _batches(sock))
        yield table, reader
        for _ in reader:  # what the caller left unread
            pass


def _batches(sock: socket.socket) -> Iterator[pa.RecordBatch]:
    while True:
        tag, payload = protocol.recv_tagged(sock)
        if tag == protocol.END:
            return
        if tag == protocol.ERROR:
            raise DaemonError(payload.decode(errors="replace"))
        if tag != protocol.BATCH:
            raise protocol.ProtocolError(f"expected rows, got a {tag!r} frame")
        yield from protocol.bytes_to_table(payload).to_batches()


def _expect(sock: socket.socket, wanted: bytes) -> bytes:
    tag, payload = protocol.recv_tagged(sock)
    if tag == protocol.ERROR:
        raise DaemonError(payload.decode(errors="replace"))
    if tag != wanted:
        raise protocol.ProtocolError(f"expected a {wanted!r} frame, got {tag!r}")
    return payload


@contextmanager
def dump(paths: Paths, tables: list[str] | None, *, what: str, params: dict, why: str,
         timeout: float = 60.0, wait: float = 5.0):
    """``with dump(paths, tables, what=..., params=..., why=...) as stream:``
    ``for table, reader in stream: ...``: every stored table (or those named),
    one consistent snapshot, streamed as Arrow record batches.

    The read is written to the access log first (who: this process, see
    identify), by whoever holds the file: the daemon while it runs, else this
    process, which then opens the file for writing (and keeps the daemon from
    starting until the dump is read). Raises StoreError subclasses for the
    file, DaemonError for what the daemon reports, ValueError for a table that
    is not stored.
    """
    try:
        sock = _connect(paths, timeout)
    except NotRunning:
        sock = None
    if sock is not None:
        with sock:
            protocol.send_json(sock, {"op": "dump", "tables": tables, "what": what, "params": params, "why": why,
                                      "client": _client_name})
            reply = protocol.recv_json(sock)
            if not reply.get("ok"):
                raise DaemonError(reply.get("error", "unknown error"))
            yield _dump_from_socket(sock, reply["tables"])
        return
    if not paths.db.exists():
        raise StoreError(f"no database at {paths.db} yet: nothing has been captured or imported")
    con = _retry_locked(lambda: db.open_writable(paths.db, set_aside_corrupt=False), wait)
    try:
        names = stored_tables.wanted(con, tables)
        accesslog.append(con, paths.access_head, accesslog.describe(_client_name, os.getpid()), what, params, why)
        with read_only_transaction(con):
            yield stored_tables.read(con, names)
    finally:
        con.close()
