"""Hardening #11: a wall clock set back while capturing does not break idle
detection, the order of events, or the spans they fall in.

The system clock itself cannot be changed here (it would move the clock of
the whole machine the tests share, and libfaketime breaks Python's sleeps), so
the wall clock seen by capture is shifted in this process alone.
"""

from __future__ import annotations

import time

import pytest

import store
from capture import clock
from capture.recorder import Recorder
from capture.writer import Writer
from store import derive
from store import events as ev

HOUR_NS = 3600 * 10**9


@pytest.fixture
def wall(monkeypatch):
    """The wall clock capture sees, shifted by ``wall.shift`` nanoseconds."""

    class Wall:
        shift = 0

    real = time.time_ns
    monkeypatch.setattr(time, "time_ns", lambda: real() + Wall.shift)
    monkeypatch.setattr(clock, "_anchor", None)
    return Wall


def test_stamps_never_go_back_when_the_clock_does(wall):
    before = clock.now_ns()
    wall.shift = -2 * HOUR_NS  # the clock is set back two hours
    during = [clock.now_ns() for _ in range(100)]
    assert during == sorted(during) and during[0] >= before
    time.sleep(0.05)
    assert clock.now_ns() - before >= 50 * 10**6  # and it keeps counting real time


def test_a_clock_set_ahead_is_followed(wall):
    before = clock.now_ns()
    wall.shift = HOUR_NS
    assert clock.now_ns() - before >= HOUR_NS


def test_capture_across_a_backward_jump_keeps_order_idle_and_spans(db, wall):
    """Typing, then the clock set back 2 h, then more typing and silence: the
    events stay in order, the stop comes after the start, idle begins after the
    threshold, and every key lies inside an active span."""
    rec = Recorder()
    database = store.Database(db)
    # A threshold well above a busy machine's pause between the two bursts (the first cycle opens the file).
    writer = Writer(rec, database, idle_threshold=1.5, derive_interval=0)
    rec.mark(ev.START)
    rec.focus("Code", None, None)
    for i in range(5):
        rec.key(True, 0, i)
        rec.key(False, 0, i)
    writer.cycle(clock.now_ns())
    wall.shift = -2 * HOUR_NS
    for i in range(5, 10):
        rec.key(True, 0, i)
        rec.key(False, 0, i)
    writer.cycle(clock.now_ns())
    time.sleep(1.7)  # silence longer than the idle threshold
    writer.cycle(clock.now_ns())
    rec.mark(ev.STOP)
    writer.cycle(clock.now_ns(), final=True)
    con = database.cursor()
    derive.refresh(con, "local")
    kinds = [k for (k,) in con.execute("SELECT kind FROM events ORDER BY ts, kind").fetchall()]
    assert kinds[0] == "start" and kinds[-1] == "stop" and "idle_start" in kinds
    # Idle starts at the last input (stamps are stored to the microsecond, so it may share the last key's).
    last_key, idle = con.execute("""SELECT max(ts) FILTER (kind = 'key_down'), min(ts) FILTER (kind = 'idle_start')
                                    FROM events""").fetchone()
    assert idle >= last_key
    outside = con.execute("""SELECT count(*) FROM events e WHERE kind = 'key_down' AND NOT EXISTS (
        SELECT 1 FROM spans s WHERE s.kind = 'active' AND e.ts >= s.start AND e.ts <= s.stop)""").fetchall()
    assert outside == [(0,)]
