"""The daemon's local query and control socket.

DuckDB lets one process open a file for writing, and while it does nobody else
can open it, even read-only. So while capture runs, the daemon is the only
process that opens the database, and dashboards, the CLI and scripts send it
read-only queries over a Unix socket (what may run: store.guard). The socket
sits in a folder only this user can enter, and every connection's peer
credentials are checked: other users of the machine cannot reach it.

Every read by a client that does not say it is the worker's own dashboard or
command line (store.accesslog.OWN_CLIENTS), and every dump (an export), is
written to the access log before anything is read; when that cannot be
written, the read is refused.
"""

from __future__ import annotations

import logging
import os
import socket
import socketserver
import struct
import threading
from pathlib import Path

import duckdb
import pyarrow as pa

from . import accesslog, guard, protocol, tables
from .paths import Paths
from .txn import read_only_transaction

log = logging.getLogger("workprint.server")

# What one reader may ask of the daemon: capture must never wait for a reader.
MAX_REQUEST = 1 << 20  # bytes of one request (a query and its parameters)
QUERY_SECONDS = float(os.environ.get("WORKPRINT_QUERY_SECONDS", 30))  # a query running longer is interrupted
MAX_RESULT = 256 << 20  # bytes of one result, as Arrow
READERS_AT_ONCE = 4  # queries running together; more wait their turn
BACKLOG = 128  # connections waiting to be accepted
DUMP_SEND_SECONDS = 120.0  # a dump whose reader takes no rows for this long is dropped
LOGGED_OPS = frozenset({"query", "inventory"})  # reads of the worker's data, logged unless the worker's own


def peer_credentials(sock: socket.socket) -> tuple[int, int]:
    """The (pid, uid) of the process at the other end."""
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    pid, uid, _gid = struct.unpack("3i", creds)
    return pid, uid


def peer_uid(sock: socket.socket) -> int:
    return peer_credentials(sock)[1]


def log_access(daemon, who: str, what: str, params: dict, why: str) -> None:
    """One access log entry, written on the daemon's file."""
    cursor = daemon.db.cursor()
    try:
        accesslog.append(cursor, Paths(daemon.db.path).access_head, who, what, params, why)
    finally:
        cursor.close()


class _Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        sock = self.request
        pid, uid = peer_credentials(sock)
        if uid != os.getuid():
            log.warning("refused a connection from another user")
            return
        daemon = self.server.daemon_ref
        try:
            try:
                request = protocol.recv_json(sock, MAX_REQUEST)
            except OSError:
                return
            op = request.get("op")
            name = request.get("client") if isinstance(request.get("client"), str) else None
            why = str(request.get("why") or "not given")
            if op == "dump":
                self._dump(sock, daemon, request, accesslog.describe(name, pid))
                return
            foreign = request.get("client") not in accesslog.OWN_CLIENTS
            if op == "query":
                sql, params = request.get("sql", ""), request.get("params") or {}
                if not isinstance(sql, str) or not isinstance(params, dict):
                    raise ValueError("a query is {'sql': text, 'params': {name: value}}")
                if foreign:
                    guard.check_reader_sql(sql)  # a refused statement reads nothing: no entry
                    log_access(daemon, accesslog.describe(name, pid), "query", {"sql": sql, "params": params}, why)
                with self.server.readers:
                    table = self._query(daemon, sql, params)
                protocol.send_json(sock, {"ok": True})
                protocol.send_frame(sock, protocol.table_to_bytes(table))
                return
            handler = daemon.control_ops().get(op)
            if handler is None:
                raise ValueError(f"unknown operation {op!r}")
            if op in LOGGED_OPS and foreign:
                asked = {k: v for k, v in request.items() if k not in ("op", "client", "why")}
                log_access(daemon, accesslog.describe(name, pid), op, asked, why)
            protocol.send_json(sock, {"ok": True, **(handler(request) or {})})
        except Exception as exc:  # noqa: BLE001 - every error goes back to the caller
            try:
                protocol.send_json(sock, {"ok": False, "error": str(exc), "type": type(exc).__name__})
            except OSError:
                pass

    def _dump(self, sock, daemon, request: dict, who: str) -> None:
        """Stream whole tables (an export): logged first, then one read-only
        snapshot, table by table (store.protocol's tagged frames)."""
        cursor = daemon.db.cursor()
        try:
            names = tables.wanted(cursor, request.get("tables"))
            what, params = str(request.get("what") or "dump"), request.get("params") or {}
            log_access(daemon, who, what, params if isinstance(params, dict) else {"params": params},
                       str(request.get("why") or "not given"))
            sock.settimeout(DUMP_SEND_SECONDS)
            with self.server.readers, read_only_transaction(cursor):
                protocol.send_json(sock, {"ok": True, "tables": names})
                try:
                    for _name, reader in tables.read(cursor, names):
                        protocol.send_tagged(sock, protocol.SCHEMA, reader.schema.serialize().to_pybytes())
                        for batch in reader:
                            protocol.send_tagged(sock, protocol.BATCH,
                                                 protocol.table_to_bytes(pa.Table.from_batches([batch])))
                        protocol.send_tagged(sock, protocol.END)
                except OSError:
                    return  # the reader went away: nothing more to say
                except Exception as exc:  # noqa: BLE001 - said to the reader, in the stream
                    protocol.send_tagged(sock, protocol.ERROR, str(exc).encode())
        finally:
            cursor.close()

    @staticmethod
    def _query(daemon, sql: str, params: dict):
        guard.check_reader_sql(sql)
        cursor = daemon.db.cursor()
        timer = threading.Timer(QUERY_SECONDS, cursor.interrupt)
        timer.start()
        try:
            with read_only_transaction(cursor):
                # execute, not sql(..., params=): on DuckDB 1.5.5 a relation with parameters streams
                # a large result about 50 times slower (measured: 10 M rows in 52 s against 1.1 s).
                reader = cursor.execute(sql, params or None).to_arrow_reader(65536)
                batches, size = [], 0
                for batch in reader:
                    size += batch.nbytes
                    if size > MAX_RESULT:
                        raise ValueError(f"the result is larger than {MAX_RESULT >> 20} MB: "
                                         "ask for fewer rows or columns (LIMIT, aggregates)")
                    batches.append(batch)
                return pa.Table.from_batches(batches, schema=reader.schema)
        except duckdb.InterruptException:
            raise TimeoutError(f"the query ran longer than {QUERY_SECONDS:.0f} s and was stopped") from None
        finally:
            timer.cancel()
            cursor.close()


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = BACKLOG


class QueryServer:
    """Serves ``daemon`` (which has ``db`` and ``control_ops()``) on ``path``."""

    def __init__(self, path: Path, daemon) -> None:
        self.path = path
        if path.exists() or path.is_symlink():
            path.unlink()  # a stale socket from a killed daemon; we hold the lock
        old = os.umask(0o177)
        try:
            self._server = _Server(str(path), _Handler)
        finally:
            os.umask(old)
        self._server.daemon_ref = daemon
        self._server.readers = threading.BoundedSemaphore(READERS_AT_ONCE)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.2}, name="workprint-server", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass
