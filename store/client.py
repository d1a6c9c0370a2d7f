"""Talking to the capture daemon, and reading the database whether it runs or not.

:func:`read` is how every reader (dashboard, query CLI, scripts) gets data:
through the daemon's socket while capture runs, else straight from the file
opened read-only for the length of one query. Never hold a connection longer:
a reader's lock would keep the daemon from starting.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pyarrow as pa

from . import db, guard, protocol
from .db import LockedError
from .paths import Paths
from .txn import read_only_transaction


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
        protocol.send_json(sock, {"op": op, **fields})
        reply = protocol.recv_json(sock)
    if not reply.pop("ok", False):
        raise DaemonError(reply.get("error", "unknown error"))
    return reply


def _query_daemon(paths: Paths, sql: str, params: dict, timeout: float) -> pa.Table:
    with _connect(paths, timeout) as sock:
        protocol.send_json(sock, {"op": "query", "sql": sql, "params": params})
        reply = protocol.recv_json(sock)
        if not reply.get("ok"):
            raise DaemonError(reply.get("error", "unknown error"))
        return protocol.bytes_to_table(protocol.recv_frame(sock))


def _query_file(path: Path, sql: str, params: dict) -> pa.Table:
    con = db.open_read_only(path)
    try:
        with read_only_transaction(con):
            return con.sql(sql, params=params or None).to_arrow_table()
    finally:
        con.close()


def read(paths: Paths, sql: str, params: dict | None = None, *, timeout: float = 60.0, wait: float = 5.0) -> pa.Table:
    """Run a read-only query and return an Arrow table.

    Goes through the daemon when one runs, else opens the file read-only for
    this query alone. A lock held briefly by another process (a daemon starting
    or stopping) is waited out for up to ``wait`` seconds. Raises
    store.StoreError subclasses for missing, locked or corrupt files,
    guard.RefusedError for anything but a read of the documented tables
    (store.guard), and DaemonError for errors the daemon reports (bad SQL, say).
    """
    guard.check_reader_sql(sql)
    params = params or {}
    deadline = time.monotonic() + wait
    delay = 0.02
    while True:
        try:
            return _query_daemon(paths, sql, params, timeout)
        except NotRunning:
            pass
        try:
            return _query_file(paths.db, sql, params)
        except LockedError:
            if time.monotonic() > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.25)
