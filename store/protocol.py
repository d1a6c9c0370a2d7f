"""The daemon's local socket protocol: length-prefixed frames.

A request is one JSON frame ``{"op": ..., ...}``. A reply is one JSON frame
``{"ok": true, ...}`` or ``{"ok": false, "error": "..."}``; a successful query
reply is followed by one frame holding an Arrow IPC stream. A dump (whole
tables, for an export) is followed, table by table, by tagged frames: the
schema, the rows in batches (each an Arrow IPC stream), the end; an error
midway is a tagged frame too.
"""

from __future__ import annotations

import json
import socket
import struct
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa


_LEN = struct.Struct("!I")
MAX_FRAME = 1 << 31


class ProtocolError(RuntimeError):
    pass


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    chunks = []
    while n:
        chunk = sock.recv(min(n, 1 << 20))
        if not chunk:
            raise ProtocolError("connection closed mid-message")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def send_frame(sock: socket.socket, payload: bytes) -> None:
    sock.sendall(_LEN.pack(len(payload)) + payload)


def recv_frame(sock: socket.socket, max_size: int = MAX_FRAME) -> bytes:
    (n,) = _LEN.unpack(_recv_exact(sock, _LEN.size))
    if n > max_size:
        raise ProtocolError(f"a message of {n:,} bytes is too large (at most {max_size:,})")
    return _recv_exact(sock, n)


def send_json(sock: socket.socket, obj: dict) -> None:
    send_frame(sock, json.dumps(obj, default=str).encode())


def recv_json(sock: socket.socket, max_size: int = MAX_FRAME) -> dict:
    """One JSON object; ProtocolError for anything else (too large, not JSON, not an object)."""
    try:
        value = json.loads(recv_frame(sock, max_size))
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(f"not a JSON message ({type(exc).__name__})") from None
    if not isinstance(value, dict):
        raise ProtocolError(f"a message must be a JSON object, not {type(value).__name__}")
    return value


def table_to_bytes(table: pa.Table) -> bytes:
    import pyarrow as pa  # here: a reader of the file alone never loads it (python -m queries)

    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def bytes_to_table(data: bytes) -> pa.Table:
    import pyarrow as pa

    return pa.ipc.open_stream(pa.py_buffer(data)).read_all()


# Tagged frames: one byte saying what follows.
SCHEMA, BATCH, END, ERROR = b"S", b"B", b"E", b"!"


def send_tagged(sock: socket.socket, tag: bytes, payload: bytes = b"") -> None:
    send_frame(sock, tag + payload)


def recv_tagged(sock: socket.socket) -> tuple[bytes, bytes]:
    frame = recv_frame(sock)
    if not frame:
        raise ProtocolError("an empty frame where a tagged one was expected")
    return frame[:1], frame[1:]
