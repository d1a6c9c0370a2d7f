"""Derived tables: spans, keystrokes and hourly rollups, built incrementally."""

import datetime as dt

import pytest

import store
from store import derive
from store import events as ev

S = 1_000_000_000
T0 = 1_767_261_600 * S  # 2026-01-01 10:00 UTC
LETTER = ev.KEY_CLASS_INDEX["letter"]


def at(seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp((T0 + int(seconds * S)) / S, dt.timezone.utc)


DAY = [
    (0, ev.START),
    (1, ev.FOCUS, "Code", None, 11),
    (2, ev.KEY_DOWN, LETTER, 1),
    (2.1, ev.KEY_UP, LETTER, 1),
    (3, ev.KEY_DOWN, LETTER, 2),
    (3.05, ev.KEY_DOWN, LETTER, 3),  # rollover: pressed before 2 is released
    (3.1, ev.KEY_UP, LETTER, 2),
    (3.2, ev.KEY_UP, LETTER, 3),
    (10, ev.FOCUS, "Firefox", None, 12),
    (12, ev.IDLE_START),
    (200, ev.IDLE_END),
    (200, ev.MOUSE_DOWN, 0, 5, 5),
    (205, ev.FOCUS, "Code", None, 11),
    (300, ev.PAUSE),
    (400, ev.RESUME),
    (400, ev.FOCUS, "Code", None, 11),
    (3700, ev.KEY_DOWN, LETTER, 4),  # the next hour
    (3700.1, ev.KEY_UP, LETTER, 4),
    (4000, ev.STOP),
]


def _write(con, events, batch):
    rows = [(T0 + int(e[0] * S), *e[1:]) for e in events]
    store.write_batch(con, batch, ev.to_table(rows), "test")


def _spans(con):
    return con.execute(
        "SELECT kind::VARCHAR, epoch(start - $t0)::INT, epoch(stop - $t0)::INT, app FROM spans ORDER BY kind::VARCHAR, start",
        {"t0": at(0)},
    ).fetchall()


EXPECTED_SPANS = [
    ("active", 0, 12, None),
    ("active", 200, 300, None),
    ("active", 400, 4000, None),
    ("focus", 1, 10, "Code"),
    ("focus", 10, 205, "Firefox"),
    ("focus", 205, 300, "Code"),
    ("focus", 400, 4000, "Code"),
]


@pytest.fixture
def con(db):
    return store.open_writable(db)


def test_spans_follow_focus_idle_pause_and_stop(con):
    _write(con, DAY, 1)
    derive.refresh(con, "local")
    assert _spans(con) == EXPECTED_SPANS


def test_incremental_refresh_equals_one_rebuild(con):
    """Refreshing after every event (as the writer does) must give what one full rebuild gives."""
    for i, event in enumerate(DAY):
        _write(con, [event], i + 1)
        derive.refresh(con, "local")
    def derived():
        return (_spans(con), con.execute("SELECT * FROM keystrokes ORDER BY press").fetchall(),
                con.execute("SELECT * FROM bursts ORDER BY start").fetchall(),
                con.execute("SELECT * FROM hourly ORDER BY hour, app").fetchall(),
                con.execute("SELECT * FROM hourly_total ORDER BY hour").fetchall())

    incremental = derived()
    for table in ("spans", "keystrokes", "bursts", "hourly", "hourly_total", "derive_state"):
        con.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
    derive.refresh(con, "local")
    rebuilt = derived()
    assert incremental == rebuilt
    assert incremental[0] == EXPECTED_SPANS


def test_a_killed_daemon_leaves_no_span_running_on(con):
    _write(con, [(0, ev.START), (1, ev.FOCUS, "Code", None, 1), (5, ev.KEY_DOWN, LETTER, 1)], 1)
    _write(con, [(100, ev.START), (101, ev.FOCUS, "Slack", None, 2), (150, ev.STOP)], 2)
    derive.refresh(con, "local")
    assert _spans(con) == [
        ("active", 0, 5, None), ("active", 100, 150, None),
        ("focus", 1, 5, "Code"), ("focus", 101, 150, "Slack"),
    ]


def test_keystrokes_pair_press_and_release(con):
    _write(con, DAY, 1)
    derive.refresh(con, "local")
    holds = con.execute(
        "SELECT round(epoch(release - press) * 1000)::INT FROM keystrokes ORDER BY press"
    ).fetchall()
    assert [h for (h,) in holds] == [100, 100, 150, 100]


def test_hourly_splits_at_hour_boundaries_and_counts_input(con):
    _write(con, DAY, 1)
    derive.refresh(con, "local")
    rows = con.execute(
        "SELECT epoch(hour - $t0)::INT, app, round(focus_s)::INT, round(active_s)::INT, switches, key_downs, clicks "
        "FROM hourly ORDER BY hour, app", {"t0": at(0)},
    ).fetchall()
    assert rows == [
        (0, "Code", 9 + 95 + 3200, 9 + 95 + 3200, 3, 3, 0),
        (0, "Firefox", 195, 2 + 5, 1, 0, 1),
        (3600, "Code", 400, 400, 0, 1, 0),
    ]


def test_key_counters_restarting_with_each_run_still_pair(con):
    """The daemon numbers keys from 1 in every run: a press pairs with its own run's release."""
    _write(con, [(0, ev.START), (1, ev.KEY_DOWN, LETTER, 1), (1.1, ev.KEY_UP, LETTER, 1), (2, ev.STOP)], 1)
    _write(con, [(10, ev.START), (11, ev.KEY_DOWN, LETTER, 1), (11.3, ev.KEY_UP, LETTER, 1), (12, ev.STOP)], 2)
    derive.refresh(con, "local")
    holds = con.execute("SELECT round(epoch(release - press) * 1000)::INT FROM keystrokes ORDER BY press").fetchall()
    assert holds == [(100,), (300,)]


def test_hour_totals_add_up_the_apps(con):
    _write(con, DAY, 1)
    derive.refresh(con, "local")
    by_app = con.execute(
        "SELECT hour, sum(focus_s), sum(active_s), sum(key_downs)::INTEGER FROM hourly GROUP BY hour ORDER BY hour"
    ).fetchall()
    totals = con.execute("SELECT hour, focus_s, active_s, key_downs FROM hourly_total ORDER BY hour").fetchall()
    assert by_app == totals and len(totals) == 2
