"""Derived tables: spans, keystrokes and hourly rollups, built incrementally."""

import pytest

import store
from store import derive
from store import events as ev

LETTER = ev.KEY_CLASS_INDEX["letter"]


def _spans(con, at):
    return con.execute(
        "SELECT kind::VARCHAR, epoch(start - $t0)::INT, epoch(stop - $t0)::INT, app FROM spans ORDER BY kind::VARCHAR, start",
        {"t0": at(0)},
    ).fetchall()


# The spans of the hand-worked day (conftest.DAY).
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


def test_spans_follow_focus_idle_pause_and_stop(con, write_events, day_events, at):
    write_events(con, day_events, 1)
    derive.refresh(con, "local")
    assert _spans(con, at) == EXPECTED_SPANS


def test_incremental_refresh_equals_one_rebuild(con, write_events, day_events, at):
    """Refreshing after every event (as the writer does) must give what one full rebuild gives."""
    for i, event in enumerate(day_events):
        write_events(con, [event], i + 1)
        derive.refresh(con, "local")
    def derived():
        return (_spans(con, at), con.execute("SELECT * FROM keystrokes ORDER BY press").fetchall(),
                con.execute("SELECT * FROM bursts ORDER BY start").fetchall(),
                con.execute("SELECT * FROM hourly ORDER BY hour, app").fetchall(),
                con.execute("SELECT * FROM hourly_total ORDER BY hour").fetchall(),
                con.execute("SELECT * FROM steps ORDER BY start, step").fetchall())

    incremental = derived()
    for table in ("spans", "keystrokes", "bursts", "hourly", "hourly_total", "steps", "derive_state"):
        con.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
    derive.refresh(con, "local")
    rebuilt = derived()
    assert incremental == rebuilt
    assert incremental[0] == EXPECTED_SPANS
    # The day's sessions (gaps under 180 s merge active spans): 0-12 alone, then
    # 200-300 and 400-4000 (a 100 s gap) as one, where Code after Code is no step.
    assert [(s.timestamp() - at(0).timestamp() if s else None, n, app) for _, s, n, _, _, _, app in incremental[5]] == [
        (0, 1, "Code"), (0, 2, "Firefox"), (200, 1, "Code")]


def test_a_killed_daemon_leaves_no_span_running_on(con, write_events, at):
    write_events(con, [(0, ev.START), (1, ev.FOCUS, "Code", None, 1), (5, ev.KEY_DOWN, LETTER, 1)], 1)
    write_events(con, [(100, ev.START), (101, ev.FOCUS, "Slack", None, 2), (150, ev.STOP)], 2)
    derive.refresh(con, "local")
    assert _spans(con, at) == [
        ("active", 0, 5, None), ("active", 100, 150, None),
        ("focus", 1, 5, "Code"), ("focus", 101, 150, "Slack"),
    ]


def test_keystrokes_pair_press_and_release(con, write_events, day_events):
    write_events(con, day_events, 1)
    derive.refresh(con, "local")
    holds = con.execute(
        "SELECT round(epoch(release - press) * 1000)::INT FROM keystrokes ORDER BY press"
    ).fetchall()
    assert [h for (h,) in holds] == [100, 100, 150, 100]


def test_hourly_splits_at_hour_boundaries_and_counts_input(con, write_events, day_events, at):
    write_events(con, day_events, 1)
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


def test_key_counters_restarting_with_each_run_still_pair(con, write_events):
    """The daemon numbers keys from 1 in every run: a press pairs with its own run's release."""
    write_events(con, [(0, ev.START), (1, ev.KEY_DOWN, LETTER, 1), (1.1, ev.KEY_UP, LETTER, 1), (2, ev.STOP)], 1)
    write_events(con, [(10, ev.START), (11, ev.KEY_DOWN, LETTER, 1), (11.3, ev.KEY_UP, LETTER, 1), (12, ev.STOP)], 2)
    derive.refresh(con, "local")
    holds = con.execute("SELECT round(epoch(release - press) * 1000)::INT FROM keystrokes ORDER BY press").fetchall()
    assert holds == [(100,), (300,)]


def test_hour_totals_add_up_the_apps(con, write_events, day_events):
    write_events(con, day_events, 1)
    derive.refresh(con, "local")
    by_app = con.execute(
        "SELECT hour, sum(focus_s), sum(active_s), sum(key_downs)::INTEGER FROM hourly GROUP BY hour ORDER BY hour"
    ).fetchall()
    totals = con.execute("SELECT hour, focus_s, active_s, key_downs FROM hourly_total ORDER BY hour").fetchall()
    assert by_app == totals and len(totals) == 2


# Typing that goes on across a refresh. Presses every 1.5 s from 10.0 s to
# 83.5 s: 50 keys (key_seq 1-50), one burst (no gap over 2 s). Each is held
# 0.25 s except the 46th (77.5 s, held 2 s, so the 47th at 79.0 s rolls over
# it) and the 47th (held 1.25 s: released at 80.25 s, after the refresh at 80 s).
PRESSES = [10 + 1.5 * i for i in range(50)]
HOLDS = {45: 2.0, 46: 1.25}  # by index into PRESSES
TYPING = sorted(
    [e for i, t in enumerate(PRESSES)
     for e in ((t, ev.KEY_DOWN, LETTER, i + 1), (t + HOLDS.get(i, 0.25), ev.KEY_UP, LETTER, i + 1))],
    key=lambda e: e[0],
)


def _typing(con, at):
    keys = con.execute(
        "SELECT epoch(press - $t0), (epoch_us(release) - epoch_us(press)) / 1000, iki_ms, new_burst, rollover "
        "FROM keystrokes ORDER BY press", {"t0": at(0)},
    ).fetchall()
    bursts = con.execute(
        "SELECT epoch(start - $t0), epoch(stop - $t0), keys FROM bursts ORDER BY start", {"t0": at(0)}
    ).fetchall()
    return keys, bursts


def test_typing_across_a_refresh_keeps_its_intervals_and_releases(con, write_events, at):
    """The writer refreshes every few seconds, in the middle of typing: a refresh must not cut the
    burst in two, drop the interval before the first key it re-pairs, or lose a release that came
    after it, or typing speed and rhythm would change with when the writer happened to flush."""
    write_events(con, [e for e in TYPING if e[0] < 80], 1)
    derive.refresh(con, "local")
    # Keys resume a minute before the newest key event stored (the 46th's release at 79.5 s): at
    # 19.5 s. The first press re-paired then (20.5 s) needs its interval from the one at 19.0 s.
    assert con.execute("SELECT since FROM derive_state WHERE step = 'keys'").fetchone()[0] == at(19.5)
    assert con.execute("SELECT release FROM keystrokes WHERE press = $p", {"p": at(79)}).fetchall() == [(None,)]
    write_events(con, [e for e in TYPING if e[0] >= 80], 2)
    derive.refresh(con, "local")
    incremental = _typing(con, at)

    for table in ("keystrokes", "bursts", "derive_state"):
        con.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
    derive.refresh(con, "local")
    assert incremental == _typing(con, at)

    # By hand: press i at 10 + 1.5 i s, held 250 ms (2000 and 1250 ms for i = 45, 46); every
    # interval 1500 ms but the burst's first (none); only i = 46 (79.0 s < 77.5 + 2.0 s) rolls over.
    keys, bursts = incremental
    assert keys == [(10 + 1.5 * i, HOLDS.get(i, 0.25) * 1000, None if i == 0 else 1500.0, i == 0,
                     None if i == 0 else i == 46) for i in range(50)]
    assert keys[7] == (20.5, 250.0, 1500.0, False, False)
    assert bursts == [(10.0, 83.5, 50)]
