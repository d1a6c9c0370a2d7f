"""capture.control, the one controller behind the command line and the
dashboard's Privacy page, against real daemons (replay backend, no X server).

control.start detaches the daemon, so no test holds its process: the
``paths`` fixture stops whatever still runs for the test's database, and
kills it by pid when it does not stop.
"""

import fcntl
import os
import signal
import time

import pytest

import store
from capture import control
from store import client, schema
from store import paths as config
from testkit import connect, rows

REPLAY = ("--backend", "replay", "--replay", "rate=50")


def _lock_holder(paths) -> int | None:
    """The pid holding the daemon's instance lock on this database, if any."""
    try:
        fd = os.open(paths.lock, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return int(os.read(fd, 32) or 0) or None
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _gone(pid: int, timeout: float = 30) -> bool:
    """Wait until process ``pid`` has exited (reaping it: control.start made it our child)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return True
        except ChildProcessError:  # not (or no longer) our child: is it still there?
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return True
        time.sleep(0.05)
    return False


@pytest.fixture
def paths(db):
    """The test database's paths; afterwards no daemon runs for it."""
    paths = config.paths(db)
    yield paths
    pids = set()
    status = control.running(paths)
    if status:
        pids.add(status["pid"])
        try:
            control.stop(paths, timeout=30)
        except control.ControlError:
            pass
    holder = _lock_holder(paths)
    if holder:
        pids.add(holder)
    for pid in pids:
        if not _gone(pid, timeout=10):
            os.kill(pid, signal.SIGKILL)
            _gone(pid, timeout=10)


@pytest.fixture
def capturing(paths):
    """Consent given and a daemon started through control.start."""
    control.accept(paths)
    status = control.start(paths, REPLAY)
    return paths, status


def test_offline_status_of_a_missing_file_says_so_and_creates_nothing(paths):
    """A worker opening the Privacy page before capturing anything must be told
    there is no data yet, not see an error, and no file may appear."""
    status = control.status(paths)
    assert status["running"] is False and status["db"] == str(paths.db)
    assert "no database" in status["note"]
    assert not paths.db.exists()


def test_offline_status_of_a_fresh_file(paths):
    """Status with nothing running must report what the file holds: no events,
    never stopped, and whether consent was given."""
    store.open_writable(paths.db).close()
    assert control.status(paths) == {
        "running": False, "db": str(paths.db), "events_stored": 0, "last_stop": None, "consent": False,
    }
    control.accept(paths)
    status = control.status(paths)
    assert status["consent"] is True and status["events_stored"] == 0 and "note" not in status


def test_accept_then_start_returns_a_running_status_and_outlives_its_caller(paths):
    """Starting capture from the dashboard must give back a daemon that answers,
    in its own session so that closing the dashboard does not stop capture."""
    control.accept(paths)
    status = control.start(paths, REPLAY)
    assert status["running"] is True and status["backend"] == "replay" and status["paused"] is False
    assert status["db"] == str(paths.db)
    assert os.getsid(status["pid"]) == status["pid"], "the daemon must run in a session of its own"
    assert control.status(paths)["pid"] == status["pid"]
    again = control.start(paths, REPLAY)
    assert again["pid"] == status["pid"], "starting twice must not start a second daemon"


def test_start_refuses_without_consent_and_says_why(paths):
    """Without consent nothing may be captured, and the worker must read the
    daemon's own reason (and how to consent), not a bare time-out."""
    with pytest.raises(control.ControlError) as caught:
        control.start(paths, REPLAY, timeout=30)
    assert not isinstance(caught.value, control.NotRunning)
    message = str(caught.value)
    assert "capture needs your consent first" in message and "consent --accept" in message
    assert control.running(paths) is None
    assert rows(paths.db, "SELECT count(*) FROM raw_events") == [(0,)]


def test_pause_and_resume_change_paused_and_say_whether_they_changed_it(capturing):
    """The pause button must really pause capture, and a second press must be
    reported as 'already paused' rather than toggling it back."""
    paths, _ = capturing
    assert control.set_paused(paths, True) is True
    assert control.status(paths)["paused"] is True
    assert control.set_paused(paths, True) is False
    assert control.status(paths)["paused"] is True
    assert control.set_paused(paths, False) is True
    assert control.status(paths)["paused"] is False
    assert control.set_paused(paths, False) is False
    assert control.status(paths)["paused"] is False


def test_pause_without_a_daemon_says_nothing_runs(paths):
    with pytest.raises(control.NotRunning, match="no capture daemon is running"):
        control.set_paused(paths, True)


def test_withdraw_while_running_records_it_and_stops_capture(capturing):
    """Withdrawing consent must be written down and stop capture at once: no
    daemon may be left recording afterwards."""
    paths, status = capturing
    deadline = time.monotonic() + 20
    while control.status(paths)["events_written_this_run"] < 20 and time.monotonic() < deadline:
        time.sleep(0.05)  # input is flowing, so some would arrive after the withdrawal
    at = time.time()
    assert control.withdraw(paths) is True
    assert not paths.socket.exists() and control.running(paths) is None
    # The daemon cuts off where it takes the withdrawal and then writes it down: a moment after `at`
    # (events in between came before the withdrawal reached it), never before.
    (cut,), = rows(paths.db, "SELECT max(ts) FROM consent_log WHERE action = 'withdraw'")
    assert cut.timestamp() >= at
    after = rows(paths.db, "SELECT count(*) FROM events WHERE ts > $cut AND kind <> 'stop'", {"cut": cut})
    assert after == [(0,)], "input captured after the withdrawal was stored"
    assert _gone(status["pid"]), "the daemon must exit after consent is withdrawn"
    assert rows(paths.db, "SELECT action FROM consent_log ORDER BY seq DESC LIMIT 1") == [("withdraw",)]
    assert control.status(paths)["consent"] is False
    with pytest.raises(control.ControlError, match="consent"):
        control.start(paths, REPLAY, timeout=30)


def test_withdraw_without_a_daemon_records_it_in_the_file(paths):
    control.accept(paths)
    assert control.withdraw(paths) is False
    assert rows(paths.db, "SELECT action FROM consent_log ORDER BY seq") == [("accept",), ("withdraw",)]


def test_stop_waits_until_the_daemon_has_flushed_and_its_socket_is_gone(capturing):
    """After 'capture stopped', nothing may still answer for the database and
    every event up to the stop must be in the file."""
    paths, status = capturing
    client.request(paths, "status")  # it answers before the stop
    control.stop(paths)
    assert not paths.socket.exists()
    assert control.running(paths) is None
    status_now = control.status(paths)  # what `stop` then `status` shows: the file, free again
    assert "note" not in status_now and status_now["consent"] is True, status_now
    stopped = client.read(paths, "SELECT count(*) AS n FROM events WHERE kind = 'stop'")
    assert stopped.column("n")[0].as_py() == 1, "the stop marker must be written before stop returns"
    assert _gone(status["pid"])
    with pytest.raises(control.NotRunning):
        control.stop(paths)


def test_edit_categories_through_the_daemon(capturing):
    """While capture runs, category edits must go through the daemon (it holds
    the file) and take effect; a bad pattern must be named, changing nothing."""
    paths, _ = capturing
    rules = control.edit_categories(paths, add={"pattern": "^Workprint", "category": "testing", "priority": 1})
    assert rules[0] == [1, "^Workprint", "testing"]
    stored = client.read(paths, "SELECT category FROM category_rules WHERE pattern = '^Workprint'")
    assert stored.column("category").to_pylist() == ["testing"]
    with pytest.raises(ValueError, match=r"'\(unclosed' is not a valid regular expression"):
        control.edit_categories(paths, add={"pattern": "(unclosed", "category": "broken"})
    rules_after = control.edit_categories(paths, remove="^Workprint")
    assert [1, "^Workprint", "testing"] not in rules_after
    assert all(pattern != "(unclosed" for _, pattern, _ in rules_after)
    assert control.running(paths), "editing categories must not disturb capture"


def test_edit_categories_in_the_file_without_a_daemon(paths):
    """With capture stopped, category edits must be written to the file itself,
    and a bad pattern or a missing rule must be named, changing nothing."""
    store.open_writable(paths.db).close()
    before = control.edit_categories(paths)
    rules = control.edit_categories(paths, add={"pattern": "^Workprint", "category": "testing"})
    assert rules[-1][1:] == ["^Workprint", "testing"] and len(rules) == len(before) + 1
    assert rows(paths.db, "SELECT category FROM category_rules WHERE pattern = '^Workprint'") == [("testing",)]
    with pytest.raises(ValueError, match=r"'\[z-a\]' is not a valid regular expression"):
        control.edit_categories(paths, add={"pattern": "[z-a]", "category": "broken"})
    with pytest.raises(ValueError, match="no category rule with the pattern 'nothing-like-it'"):
        control.edit_categories(paths, remove="nothing-like-it")
    assert control.edit_categories(paths) == rules
    assert control.edit_categories(paths, remove="^Workprint") == before


def test_upgrade_brings_an_older_file_forward(paths, old_database):
    """A worker updating Workprint must be able to upgrade their file from the
    Privacy page, after which nothing asks them to upgrade again."""
    old_database(paths.db, 2)
    assert control.needs_upgrade(paths.db)
    control.upgrade(paths)
    assert not control.needs_upgrade(paths.db)
    con = connect(paths.db, read_only=True)
    try:
        assert schema.current_version(con) == schema.SCHEMA_VERSION
    finally:
        con.close()
    status = control.status(paths)
    assert "note" not in status and status["events_stored"] == 0
    control.upgrade(paths)  # nothing left to do
    assert not control.needs_upgrade(paths.db)


def test_needs_upgrade_is_false_for_a_missing_or_current_file(paths):
    assert control.needs_upgrade(paths.db) is False
    store.open_writable(paths.db).close()
    assert control.needs_upgrade(paths.db) is False


def _outdate_macros(db) -> None:
    con = connect(db)
    con.execute("DELETE FROM meta WHERE key = 'macros'")
    con.close()


def test_ensure_demo_never_deletes_real_data_where_the_demo_goes(tmp_path):
    """A worker whose demo path points at their own database must not lose it
    when Workprint's macros change: only a file that is a demo is remade."""
    real = tmp_path / "real.duckdb"
    con = store.open_writable(real)
    store.record_consent(con, True)
    from store import events as ev
    store.write_batch(con, 7, ev.to_table([(1_700_000_000 * 10**9, ev.START)], ev.OffsetCache()), "capture")
    con.close()
    _outdate_macros(real)
    with pytest.raises(control.ControlError, match="not a demo database"):
        control.ensure_demo(real)
    assert rows(real, "SELECT count(*) FROM events") == [(1,)]


def test_ensure_demo_remakes_an_outdated_demo(tmp_path):
    """An outdated demo is generated data: it is made again, current."""
    demo = tmp_path / "demo.duckdb"
    control.ensure_demo(demo)
    assert store.is_demo(store.open_read_only(demo))
    _outdate_macros(demo)
    assert control.needs_upgrade(demo)
    control.ensure_demo(demo)
    assert not control.needs_upgrade(demo) and store.is_demo(store.open_read_only(demo))


def test_a_demo_this_workprint_cannot_open_is_set_aside_and_made_again(tmp_path):
    """A demo written by DuckDB 2.0 (before encryption) cannot be read by 1.5.5: it is generated
    data, so it is made again; the old file is renamed, never deleted."""
    import gzip

    from testkit import ROOT

    demo = tmp_path / "demo.duckdb"
    demo.write_bytes(gzip.decompress((ROOT / "tests" / "data" / "duckdb2-empty.duckdb.gz").read_bytes()))
    before = demo.read_bytes()
    assert not control.demo_ready(demo)
    control.ensure_demo(demo)
    assert control.demo_ready(demo)
    aside = [p for p in tmp_path.iterdir() if ".unreadable-" in p.name]
    assert len(aside) == 1 and aside[0].read_bytes() == before
