"""The shared fixtures in conftest.py do what the tests built on them take for granted."""

import json
import time

import pytest

import store
from testkit import DaemonProcess, rows


def test_a_replay_recording_is_captured_event_for_event(consented, replay_recording):
    """Daemon tests count what their recording put in: a recording replayed short (or twice)
    would make every such count wrong."""
    recording = replay_recording(keys=50, span_s=0.5)
    with DaemonProcess(consented, "--backend", "replay", "--replay", f"file={recording}", "--flush-interval", "0.2") as daemon:
        time.sleep(1.5)
        assert daemon.stop() == 0
    kinds = rows(consented, "SELECT kind::VARCHAR, count(*) FROM events GROUP BY ALL ORDER BY 1")
    assert kinds == [("key_down", 50), ("key_up", 50), ("start", 1), ("stop", 1)]
    records = [{"t": 0, "kind": "focus", "app": "Code", "title": "x", "pid": 1}]
    assert [json.loads(line) for line in replay_recording(records).read_text().splitlines()] == records


def test_a_held_database_stays_locked_until_released(db, hold_db):
    """Tests of a locked file rely on the holder really holding it, and letting go when told."""
    writer = hold_db()
    with pytest.raises(store.LockedError, match="in use by another process"):
        store.open_read_only(db)
    writer.release()
    reader = hold_db(read_only=True)  # readers share the file, but keep writers out
    store.open_read_only(db).close()
    with pytest.raises(store.LockedError):
        store.open_writable(db)
    reader.release()
    store.open_writable(db).close()
