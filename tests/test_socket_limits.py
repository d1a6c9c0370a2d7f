"""A reader can never starve capture (hardening #8): a query that runs too
long is stopped, a result that is too large is refused before it is built, a
request that is too large or malformed gets an error reply, and 32 readers at
once all get answers, while capture at 200 events/s stores every event."""

from __future__ import annotations

import json
import socket
import struct
import threading
import time

import pytest

from store import client, protocol
from testkit import DaemonProcess, rows


def _recording(path, n: int, span_s: float):
    with open(path, "w") as fh:
        for i in range(n):
            fh.write(json.dumps({"t": span_s * i / n, "kind": "key_down" if i % 2 == 0 else "key_up",
                                 "key_class": "letter", "key_seq": i // 2}) + "\n")
    return path


def _raw(paths, payload: bytes, length: int | None = None) -> dict:
    """Send one frame as a hostile client would and read the reply."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(20)
        sock.connect(str(paths.socket))
        sock.sendall(struct.pack("!I", len(payload) if length is None else length) + payload)
        return protocol.recv_json(sock)


def _peak_rss_mb(pid: int) -> float:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


@pytest.mark.slow
def test_readers_cannot_starve_capture(consented, tmp_path):
    n, span = 2400, 12.0  # 200 events/s for 12 s
    rec = _recording(tmp_path / "rec.jsonl", n, span)
    env = {"WORKPRINT_QUERY_SECONDS": "2"}
    with DaemonProcess(consented, "--backend", "replay", "--replay", f"file={rec}", "--flush-interval", "0.3",
                       env=env) as daemon:
        paths = daemon.paths
        daemon.wait_for_events(50)

        t0 = time.monotonic()
        with pytest.raises(client.DaemonError, match="longer than 2 s"):
            client.read(paths, "SELECT count(*) FROM range(100000000000) a")
        slow_s = time.monotonic() - t0
        assert slow_s < 10, f"the slow query was stopped after {slow_s:.1f} s"

        with pytest.raises(client.DaemonError, match="larger than 256 MB"):
            client.read(paths, "SELECT range AS a, range AS b, range AS c FROM range(100000000)")
        peak = _peak_rss_mb(daemon.proc.pid)
        assert peak < 1024, f"the daemon grew to {peak:.0f} MB for a refused result"

        too_large = _raw(paths, b"", length=2 << 20)
        assert not too_large["ok"] and "too large" in too_large["error"]
        for payload in (b"[1,2,3]", b"null", b"[" * 100_000, b"\xff\xfe", json.dumps({"op": "query", "sql": 3}).encode()):
            reply = _raw(paths, payload)
            assert reply["ok"] is False and reply["error"], payload[:20]

        answers, errors = [], []

        def reader():
            try:
                table = client.read(paths, "SELECT count(*) AS n FROM events")
                answers.append(table.column("n")[0].as_py())
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(repr(exc))

        threads = [threading.Thread(target=reader) for _ in range(32)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert errors == [] and len(answers) == 32

        daemon.wait_for_rows("SELECT count(*) FROM events WHERE kind IN ('key_down', 'key_up')",
                             lambda r: r[0][0] >= n, f"all {n} recorded keys stored", timeout=60)
        status = daemon.status()
        assert status["dropped"] == 0 and status["buffered"] == 0
    assert rows(consented, "SELECT count(*) FROM events WHERE kind IN ('key_down', 'key_up')") == [(n,)]
    print(f"slow query stopped after {slow_s:.1f} s; daemon peak RSS {peak:.0f} MB; 32 readers answered; "
          f"{n} of {n} events stored")
