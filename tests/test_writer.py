"""Recorder and writer: pause, titles, pointer travel, idle periods, and keeping
events through write failures."""

import math
import time

import pytest

import store
from capture import settings
from capture.policy import EXCLUDED_APP, Policy
from capture.recorder import Recorder
from capture.writer import IdleTracker, Writer
from store import events as ev

S = 1_000_000_000
LETTER = ev.KEY_CLASS_INDEX["letter"]


def _drain(recorder):
    out = []
    while not recorder.queue.empty():
        out.append(recorder.queue.get())
    return out


def test_paused_recorder_drops_input_and_marks_the_pause():
    """While paused, no input may be recorded at all."""
    rec = Recorder()
    rec.key(True, LETTER, 1)
    rec.set_paused(True)
    rec.key(True, LETTER, 1)
    rec.button(True, 0, 1, 1)
    rec.scroll(0, 1, 1, 1)
    rec.move(1, 1)
    rec.move(50, 50)
    rec.focus("Firefox", None, 1)
    rec.set_paused(False)
    kinds = [r[1] for r in _drain(rec)]
    assert kinds == [ev.KEY_DOWN, ev.PAUSE, ev.RESUME, ev.FOCUS]


def _policy(**sections):
    return Policy(settings.validate(sections))


def test_titles_are_dropped_unless_allowed_for_the_app_and_redacted():
    rec = Recorder()
    rec.focus("Firefox", "Bank statement - Firefox", 7)
    assert _drain(rec)[0][2:] == ("Firefox", None, 7, False)
    rec = Recorder(_policy(titles={"apps": ["firefox"]}))
    rec.focus("Firefox", "Inbox (3) - ann@example.org - https://mail.example.org/u/0/?q=rent", 7)
    rec.focus("Code", "secret-plan.md - Code", 8)
    rows = _drain(rec)
    assert rows[0][2:] == ("Firefox", "Inbox (3) - [email] - https://mail.example.org/[path]", 7, False)
    assert rows[1][2:] == ("Code", None, 8, False)


def test_an_excluded_app_records_no_input_and_not_its_name():
    """While a password manager has focus, nothing typed or clicked is queued,
    and the focus row does not say which app it was."""
    rec = Recorder(_policy(exclude={"apps": ["bank*"]}))
    rec.focus("Code", None, 1)
    rec.key(True, LETTER, 1)
    rec.focus("KeePassXC", "Passwords.kdbx", 2, instance="keepassxc")  # a default exclusion
    rec.key(True, LETTER, 2)
    rec.button(True, 0, 5, 5)
    rec.scroll(0, 1, 5, 5)
    rec.focus("Banking-App", None, 3)  # the worker's own pattern
    rec.key(True, LETTER, 3)
    rec.focus("Code", None, 1)
    rec.key(False, LETTER, 4)
    rows = _drain(rec)
    assert [r[1:] for r in rows] == [
        (ev.FOCUS, "Code", None, 1, False), (ev.KEY_DOWN, LETTER, 1),
        (ev.FOCUS, EXCLUDED_APP, None, None, True),
        (ev.FOCUS, "Code", None, 1, False), (ev.KEY_UP, LETTER, 4)]
    assert rec.excluded_activity_ns > 0  # typing there keeps idle away, and nothing else


def test_an_excluded_apps_name_is_kept_only_when_asked():
    rec = Recorder(_policy(exclude={"apps": ["zoom"], "record_name": True}))
    rec.focus("zoom", "Meeting with Ann", 9)
    assert _drain(rec)[0][2:] == ("zoom", None, None, True)


def test_a_new_policy_judges_the_window_in_focus_at_once():
    rec = Recorder()
    rec.focus("Signal", None, 4)
    rec.set_policy(_policy(exclude={"apps": ["signal"]}))
    rec.key(True, LETTER, 1)
    rows = _drain(rec)
    assert [r[2] for r in rows] == ["Signal", EXCLUDED_APP]


def test_holds_pause_once_and_resume_when_the_last_goes():
    rec = Recorder()
    assert rec.hold("clock", "outside your work hours", t_ns=5 * S)
    rec.set_paused(True)
    rec.hold("clock", None)
    rec.key(True, LETTER, 1)  # still paused by hand
    rec.set_paused(False)
    rec.key(True, LETTER, 2)
    rows = _drain(rec)
    assert [r[1] for r in rows] == [ev.PAUSE, ev.RESUME, ev.KEY_DOWN]
    assert rows[0][0] == 5 * S


def test_the_writer_drops_input_that_raced_a_switch_to_an_excluded_app():
    tracker = IdleTracker(180, 0)
    rows = [(1 * S, ev.FOCUS, EXCLUDED_APP, None, None, True), (2 * S, ev.KEY_DOWN, LETTER, 1),
            (3 * S, ev.FOCUS, "Code", None, 1, False), (4 * S, ev.KEY_DOWN, LETTER, 2)]
    kept = tracker.observe(rows)
    assert [r[0] for r in kept] == [1 * S, 3 * S, 4 * S]
    assert tracker.last_input_ns == 4 * S


def test_pointer_path_is_reduced_to_distance():
    """Only travel per second is kept, stamped at the first movement (never the path)."""
    rec = Recorder()
    rec.move(0, 0)
    before = time.time_ns()
    for x, y in [(3, 4), (6, 8), (6, 20)]:
        rec.move(x, y)
    after = time.time_ns()
    rec.flush_move(0)
    rows = _drain(rec)
    assert {r[1] for r in rows} == {ev.MOVE} and all(len(r) == 3 for r in rows)
    assert sum(r[2] for r in rows) == pytest.approx(5 + 5 + 12)
    assert before <= rows[0][0] <= after


def test_input_racing_a_pause_is_dropped_by_the_writer():
    """A keystroke stamped after the pause marker must never be stored."""
    idle = IdleTracker(threshold_s=10, now_ns=0)
    out = idle.observe([(1 * S, ev.PAUSE), (2 * S, ev.KEY_DOWN, LETTER, 1), (3 * S, ev.RESUME), (4 * S, ev.KEY_UP, LETTER, 1)])
    assert [r[1] for r in out] == [ev.PAUSE, ev.RESUME, ev.KEY_UP]


def test_idle_period_covers_exactly_the_time_without_input():
    idle = IdleTracker(threshold_s=10, now_ns=0)
    assert idle.observe([(1 * S, ev.KEY_DOWN, LETTER, 1), (2 * S, ev.KEY_UP, LETTER, 1)])
    assert idle.tick(11 * S) is None  # only 9 s since the last input
    assert idle.tick(12 * S) == (2 * S, ev.IDLE_START)
    assert idle.tick(13 * S) is None  # reported once
    out = idle.observe([(30 * S, ev.MOUSE_DOWN, 0, 1, 1)])
    assert out[0] == (30 * S, ev.IDLE_END) and out[1][1] == ev.MOUSE_DOWN


def test_pause_closes_an_idle_period_and_suspends_detection():
    idle = IdleTracker(threshold_s=10, now_ns=0)
    assert idle.tick(10 * S) == (0, ev.IDLE_START)
    out = idle.observe([(15 * S, ev.PAUSE)])
    assert [r[1] for r in out] == [ev.IDLE_END, ev.PAUSE]
    assert idle.tick(100 * S) is None
    idle.observe([(200 * S, ev.RESUME)])
    assert idle.tick(205 * S) is None
    assert idle.tick(210 * S) == (200 * S, ev.IDLE_START)


def test_writer_stores_what_was_recorded(db):
    rec = Recorder()
    database = store.Database(db)
    writer = Writer(rec, database, idle_threshold=3600)
    rec.key(True, LETTER, 1)
    rec.key(False, LETTER, 1)
    rec.focus("Code", None, None)
    writer.cycle(time.time_ns())
    con = database.cursor()
    assert con.execute("SELECT kind, key_class, app FROM events ORDER BY ts").fetchall() == [
        ("key_down", "character", None),
        ("key_up", "character", None),
        ("focus", None, "Code"),
    ]
    assert writer.stats.events_written == 3


@pytest.fixture
def held(db, hold_db):
    """Another process holding the database file (DuckDB's exclusive lock); call it to let go."""
    return hold_db(db, read_only=True).release


def test_writer_keeps_events_while_the_file_is_locked(db, held):
    """A locked file must delay writes, not lose them or write them twice."""
    rec = Recorder()
    writer = Writer(rec, store.Database(db), idle_threshold=3600)
    for _ in range(50):
        rec.key(True, LETTER, 1)
    writer.cycle(time.time_ns())
    assert writer.stats.buffered == 50 and "lock" in writer.stats.last_error.lower()
    for _ in range(30):
        rec.key(False, LETTER, 1)
    writer.cycle(time.time_ns())
    held()
    writer._retry_at = 0
    writer.cycle(time.time_ns())
    assert writer.stats.buffered == 0 and writer.stats.last_error is None
    con = store.Database(db)
    writer.db.close()
    counts = dict(con.cursor().execute("SELECT kind, count(*) FROM events GROUP BY kind").fetchall())
    assert counts == {"key_down": 50, "key_up": 30}


def test_full_buffer_drops_new_events_and_counts_them(db, held):
    rec = Recorder()
    writer = Writer(rec, store.Database(db), idle_threshold=3600, max_buffer=40)
    for _ in range(25):
        rec.key(True, LETTER, 1)
    writer.cycle(time.time_ns())
    for _ in range(25):
        rec.key(True, LETTER, 1)
    writer.cycle(time.time_ns())
    assert writer.stats.buffered == 40 and writer.stats.dropped == 10


def test_offsets_follow_the_local_time_zone(monkeypatch):
    """Days and hours are the worker's local ones: the offset must be right per event."""
    monkeypatch.setenv("TZ", "Europe/Berlin")
    offsets = ev.OffsetCache()
    offsets.refresh()
    winter = 1_700_000_000 * S  # 2023-11-14
    summer = 1_690_000_000 * S  # 2023-07-22
    assert offsets(winter) == 3600 and offsets(summer) == 7200
    # Across the 2023-10-29 01:00 UTC switch back to CET.
    assert offsets(1_698_541_140 * S) == 7200 and offsets(1_698_541_200 * S) == 3600
    monkeypatch.setenv("TZ", "UTC")
    offsets.refresh()
    assert math.isclose(offsets(winter), 0)
    monkeypatch.undo()
    time.tzset()


def test_after_a_withdrawal_nothing_captured_later_is_stored(db, held):
    """Hardening #4: input stamped at or after the withdrawal, whether it waits
    in the buffer (the disk was full) or arrives later, is never written; the
    stop marker is kept, at the moment of the withdrawal."""
    rec = Recorder()
    database = store.Database(db)
    writer = Writer(rec, database, idle_threshold=3600)
    for _ in range(5):
        rec.key(True, LETTER, 1)
    writer.cycle(time.time_ns())  # the file is held: these wait in memory
    assert writer.stats.buffered == 5
    cutoff = time.time_ns()
    for _ in range(7):
        rec.key(True, LETTER, 2)  # captured after the withdrawal, waiting in the same buffer
    writer.cycle(time.time_ns())
    writer.cut_off(cutoff)
    rec.key(True, LETTER, 3)  # arrives later still
    rec.mark(ev.STOP)
    held()
    writer.cycle(time.time_ns(), final=True)
    con = database.cursor()
    stored = con.execute("SELECT kind, epoch_us(ts) FROM events ORDER BY ts").fetchall()
    assert [k for k, _ in stored] == ["key_down"] * 5 + ["stop"]
    assert stored[-1][1] == cutoff // 1000 and all(t < cutoff // 1000 for _, t in stored[:-1])
    assert writer.stats.withdrawn == 8 and writer.stats.buffered == 0
