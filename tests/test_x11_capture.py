"""End to end on a real X server: Xvfb + openbox + real xterm windows, real
input from xdotool, the real daemon, rows checked in the real database file."""

import re
import time

import pytest

from testkit import DaemonProcess, cli, rows

pytestmark = pytest.mark.x11

SENTENCE = "Quixotic zephyrs jump, 42 Blocks."
# Key downs xdotool produces for it: Shift is pressed for Q and B. Letters,
# digits and punctuation are stored as one class; key_counts has them per minute.
EXPECTED_DOWNS = {"character": 29, "space": 4, "modifier": 2}
EXPECTED_COUNTS = {"letter": 25, "punctuation": 2, "digit": 2}


@pytest.fixture(scope="module")
def windows(xsession):
    return {"alpha": xsession.window("WorkprintAlpha"), "beta": xsession.window("WorkprintBeta")}


def _daemon(db, xsession, *args):
    return DaemonProcess(db, "--backend", "x11", *args, env={"DISPLAY": xsession.display})


FOCUS_APPS = "SELECT app FROM events WHERE kind = 'focus' ORDER BY ts"
INPUT_SEEN = """SELECT count(*) FILTER (kind IN ('key_down', 'key_up')), count(*) FILTER (kind LIKE 'mouse%'),
                       count(*) FILTER (kind = 'scroll'), count(*) FILTER (kind = 'idle_end')
                FROM events"""


def _activate(xsession, window, app=None, daemon=None):
    """Give ``window`` the focus (``--sync`` waits until the window manager has);
    with a daemon, also wait until it has stored the switch to ``app``."""
    before = len(daemon.read(FOCUS_APPS)) if daemon else 0
    xsession.run("xdotool", "windowactivate", "--sync", window)
    if daemon:
        _wait_focus(daemon, app, before + 1)


def _wait_focus(daemon, app, n):
    daemon.wait_for_rows(FOCUS_APPS, lambda r: len(r) >= n and r[-1] == (app,), f"focus event {n} to be on {app}")


def _wait_input(daemon, keys, clicks=0, scrolls=0, idle_ends=0, what="the input to be stored"):
    """Wait until the daemon has stored at least this many key presses and
    releases, mouse button events, scrolls and idle ends."""
    want = (keys, clicks, scrolls, idle_ends)
    daemon.wait_for_rows(INPUT_SEEN, lambda r: all(got >= n for got, n in zip(r[0], want)), f"{what} {want}")


def _letter_runs(text: str, n: int = 5) -> set[str]:
    letters = re.sub(r"[^a-z]", "", text.lower())
    return {letters[i : i + n] for i in range(len(letters) - n + 1)}


def test_typing_clicking_scrolling_and_switching(consented, xsession, windows):
    """What a worker does lands in `events` as classes, clicks and app switches,
    and what they typed is nowhere on disk."""
    _activate(xsession, windows["alpha"])
    with _daemon(consented, xsession) as daemon:
        _wait_focus(daemon, "WorkprintAlpha", 1)  # capturing, and on the first window
        xsession.run("xdotool", "type", "--delay", "40", SENTENCE)
        xsession.run("xdotool", "mousemove", "--sync", "100", "100")
        xsession.run("xdotool", "mousemove", "--sync", "200", "200", "click", "1")
        xsession.run("xdotool", "click", "4", "click", "4", "click", "5")
        _activate(xsession, windows["beta"], "WorkprintBeta", daemon)
        xsession.run("xdotool", "key", "Return", "shift+Tab", "BackSpace", "Left", "F5")
        _activate(xsession, windows["alpha"], "WorkprintAlpha", daemon)
        _wait_input(daemon, keys=2 * (sum(EXPECTED_DOWNS.values()) + 6), clicks=2, scrolls=3)
        assert daemon.stop() == 0

    downs = dict(rows(consented, "SELECT key_class, count(*) FROM events WHERE kind='key_down' GROUP BY 1"))
    ups = dict(rows(consented, "SELECT key_class, count(*) FROM events WHERE kind='key_up' GROUP BY 1"))
    expected = dict(EXPECTED_DOWNS)
    for cls in ("enter", "tab", "backspace", "navigation", "function"):
        expected[cls] = 1
    expected["modifier"] += 1  # shift for shift+Tab
    assert downs == expected
    assert ups == expected, "a release must carry the class of its press"
    counts = dict(rows(consented, "SELECT key_class::VARCHAR, sum(presses)::INTEGER FROM key_counts GROUP BY 1"))
    assert counts == EXPECTED_COUNTS

    clicks = rows(consented, "SELECT kind, button, x, y FROM events WHERE kind LIKE 'mouse%' ORDER BY ts")
    assert clicks == [("mouse_down", "left", 200, 200), ("mouse_up", "left", 200, 200)]
    scrolls = rows(consented, "SELECT dx, dy FROM events WHERE kind = 'scroll' ORDER BY ts")
    assert scrolls == [(0, 1), (0, 1), (0, -1)]
    (travel,) = rows(consented, "SELECT sum(distance) FROM events WHERE kind = 'move'")[0]
    assert travel == pytest.approx(141.4, abs=1), "pointer travel from (100,100) to (200,200)"

    apps = [a for (a,) in rows(consented, "SELECT app FROM events WHERE kind = 'focus' ORDER BY ts")]
    assert apps == ["WorkprintAlpha", "WorkprintBeta", "WorkprintAlpha"]
    assert rows(consented, "SELECT count(*) FROM events WHERE kind='focus' AND (title IS NOT NULL OR pid IS NULL)") == [(0,)]
    assert rows(consented, "SELECT count(*) FROM events WHERE ts IS NULL OR utc_offset IS NULL") == [(0,)]

    stored = b"".join(p.read_bytes() for p in consented.parent.iterdir() if p.is_file()).lower()
    assert SENTENCE.lower().encode() not in stored
    for run in _letter_runs(SENTENCE):
        assert run.encode() not in stored, f"letters {run!r} of the typed text were found on disk"


def test_nothing_is_recorded_while_paused(consented, xsession, windows):
    _activate(xsession, windows["alpha"])
    with _daemon(consented, xsession) as daemon:
        cli("pause", "--db", str(consented))
        xsession.run("xdotool", "type", "--delay", "20", "secret words")
        xsession.run("xdotool", "click", "1")
        cli("resume", "--db", str(consented))
        xsession.run("xdotool", "type", "--delay", "20", "abc")
        _wait_input(daemon, keys=6, what="the key presses and releases of 'abc' to be stored")
        assert daemon.stop() == 0
    downs = rows(consented, "SELECT key_class, count(*) FROM events WHERE kind='key_down' GROUP BY 1")
    assert downs == [("character", 3)]
    assert rows(consented, "SELECT count(*) FROM events WHERE kind LIKE 'mouse%'") == [(0,)]


def test_idle_periods_land_between_the_bursts(consented, xsession, windows):
    """With a 2 s threshold, a 4 s gap becomes one idle period spanning exactly the gap."""
    _activate(xsession, windows["alpha"])
    with _daemon(consented, xsession, "--idle-threshold", "2") as daemon:
        xsession.run("xdotool", "type", "--delay", "20", "one")
        time.sleep(4)  # the idle gap itself
        xsession.run("xdotool", "type", "--delay", "20", "two")
        _wait_input(daemon, keys=12, idle_ends=1, what="both bursts and the idle end to be stored")
        assert daemon.stop() == 0
    marks = rows(consented, "SELECT kind, ts FROM events WHERE kind IN ('idle_start','idle_end') ORDER BY ts")
    assert [k for k, _ in marks] == ["idle_start", "idle_end"]
    keys = rows(consented, "SELECT ts FROM events WHERE kind IN ('key_down','key_up') ORDER BY ts")
    last_of_first, first_of_second = keys[5][0], keys[6][0]
    assert marks[0][1] == last_of_first and marks[1][1] == first_of_second
    assert 3.5 < (first_of_second - last_of_first).total_seconds() < 6
