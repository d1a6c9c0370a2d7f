"""Retention and deletion (issue 10): expired rows are purged, what the worker
deletes is gone, derived tables stay right, and the deleted bytes leave the
file, also while capture runs and when a compaction is killed."""

from __future__ import annotations

import datetime as dt
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import store
from capture import control
from store import compact, deletion, derive, paths, retention, statements
from store import events as ev
from testkit import ROOT, DaemonProcess, cli, copy_db, rows

SECRET = "zq-secret-app-7781"
UTC = dt.timezone.utc
FLUSHED = re.compile(r"flushed batch (\d+) rows=(\d+)")


def _counts(db: Path) -> dict:
    return {t: rows(db, f"SELECT count(*) FROM {t}")[0][0] for t in retention.TABLES}  # noqa: S608 - our names


def _spans(db: Path) -> list:
    return rows(db, "SELECT kind, start, stop, app FROM spans ORDER BY start, kind")


def _bytes(db: Path) -> bytes:
    return b"".join(p.read_bytes() for p in (db, db.with_name(db.name + ".wal")) if p.exists())


def _secret_db(db: Path, write_events, n: int = 30000) -> Path:
    """A database where SECRET has focus a third of the time, with typing in
    every app, derived: big enough that deleting it shrinks the file."""
    events = [(0, ev.START)]
    for i in range(n):
        t = 1 + i * 2.0
        events.append((t, ev.FOCUS, SECRET if i % 3 == 0 else f"app-{i % 7}", None, 10 + i % 3))
        events += [(t + 0.1 + k * 0.1, ev.KEY_DOWN if k % 2 == 0 else ev.KEY_UP, ev.KEY_CLASS_INDEX["letter"], i * 10 + k // 2)
                   for k in range(10)]
    events.append((1 + n * 2.0, ev.STOP))
    con = store.open_writable(db)
    write_events(con, events)
    derive.refresh(con, "local")
    con.close()
    return db


# --- purge --------------------------------------------------------------------
def test_purge_drops_rows_older_than_the_periods_and_keeps_the_rest(writable_day_db, at):
    """With a controlled clock: a month on, the raw events are gone and the
    derived tables are all still there and unchanged; thirteen months on, those go too.
    If this failed, retention would keep data longer than the consent text says, or lose data it promises to keep."""
    db = writable_day_db
    spans_before = _spans(db)
    con = store.open_writable(db)
    deleted = retention.purge(con, at(0) + dt.timedelta(days=31))
    con.close()
    assert deleted["raw_events"] == 19 and not any(deleted[t] for t in retention.DERIVED_TABLES)
    after = _counts(db)
    assert after["raw_events"] == 0 and after["spans"] == len(spans_before) and after["keystrokes"] == 4
    assert _spans(db) == spans_before
    con = store.open_writable(db)
    assert retention.last_purge(con) == at(0) + dt.timedelta(days=31)
    deleted = retention.purge(con, at(0) + dt.timedelta(days=400))
    con.close()
    assert all(_counts(db)[t] == 0 for t in retention.TABLES), deleted


def test_purge_keeps_rows_inside_the_period(writable_day_db, at):
    """A purge 29 days on deletes nothing."""
    con = store.open_writable(writable_day_db)
    assert not any(retention.purge(con, at(0) + dt.timedelta(days=29)).values())
    con.close()


def test_after_a_purge_the_derivation_does_not_rebuild_from_events_that_are_gone(writable_day_db, at, write_events):
    """The day's last spans are still open to the derivation when its events
    expire. If the derivation still started there, the next refresh would drop
    those spans and make nothing in their place: a month of history lost."""
    db = writable_day_db
    spans_before = _spans(db)
    con = store.open_writable(db)
    retention.purge(con, at(0) + dt.timedelta(days=31))
    write_events(con, [(40 * 86400, ev.START), (40 * 86400 + 1, ev.FOCUS, "Code", None, 11),
                       (40 * 86400 + 60, ev.STOP)], batch=2)
    derive.refresh(con, "local")
    con.close()
    after = _spans(db)
    assert after[: len(spans_before)] == spans_before
    assert [(k, a) for k, _, _, a in after[len(spans_before):]] == [("active", None), ("focus", "Code")]


def test_months_are_calendar_months():
    t = dt.datetime(2026, 3, 31, 12, tzinfo=UTC)
    assert retention.months_before(t, 1) == dt.datetime(2026, 2, 28, 12, tzinfo=UTC)
    assert retention.months_before(t, 12) == dt.datetime(2025, 3, 31, 12, tzinfo=UTC)
    assert retention.months_before(dt.datetime(2026, 1, 15, tzinfo=UTC), 13) == dt.datetime(2024, 12, 15, tzinfo=UTC)


def test_periods_under_a_day_or_month_are_refused(writable_day_db, at):
    con = store.open_writable(writable_day_db)
    with pytest.raises(ValueError, match="raw_days"):
        retention.purge(con, at(0), raw_days=0)
    with pytest.raises(ValueError, match="derived_months"):
        retention.purge(con, at(0), derived_months=-1)
    con.close()


def test_next_purge_is_a_day_after_the_last_or_now(at):
    assert retention.next_purge(at(0), now=at(60)) == at(0) + dt.timedelta(days=1)
    assert retention.next_purge(None, now=at(60)) == at(60)
    assert retention.next_purge(at(0), now=at(0) + dt.timedelta(days=3)) == at(0) + dt.timedelta(days=3)


def test_oldest_row_per_table(day_db, at):
    con = store.open_read_only(day_db)
    held = retention.oldest(con)
    con.close()
    assert held["raw_events"] == {"oldest": at(0), "rows": 19}
    assert held["keystrokes"]["oldest"] == at(2) and held["input_totals"] == {"oldest": None, "rows": 0}


# --- deletion -----------------------------------------------------------------
@pytest.mark.parametrize("what", [{"start": 100, "stop": 250}, {"app": "Firefox"}, {"everything": True}])
def test_the_preview_is_what_delete_removes(writable_day_db, at, what):
    """The preview changes nothing and says exactly what delete then removes.
    If it failed, a worker would be shown one thing and lose another."""
    db = writable_day_db
    args = {k: at(v) if k in ("start", "stop") else v for k, v in what.items()}
    before = _counts(db)
    con = store.open_writable(db)
    shown = deletion.preview(con, **args)
    assert _rows_now(con) == before
    done = deletion.delete(con, **args)
    con.close()
    assert shown == done
    after = _counts(db)
    for table in ("raw_events", "keystrokes", "bursts", "hourly"):
        assert done["rows"][table] == max(before[table] - after[table], 0)
    assert done["first"] is not None


def _rows_now(con) -> dict:
    return {t: n for t, _, n in statements.execute(con, "retention_oldest").fetchall()}


@pytest.mark.parametrize(("start", "stop", "word"), [(250, 100, "reversed"), (100, 100, "empty")])
def test_a_reversed_or_empty_range_is_refused_and_nothing_is_lost(writable_day_db, at, start, stop, word):
    db = writable_day_db
    before = _counts(db)
    with pytest.raises(ValueError, match=word):
        control.delete(paths.paths(db), at(start), at(stop))
    result = cli("delete", "--db", str(db), "--from", at(start).isoformat(), "--to", at(stop).isoformat(), "--yes",
                 check=False)
    assert result.returncode == 2 and word in result.stderr
    assert _counts(db) == before


def test_a_deleted_range_stays_empty_after_the_next_derivation(writable_day_db, at, write_events):
    """A range cut out of an open focus span: the derivation must not stretch
    the span over it again when it next runs."""
    db = writable_day_db
    con = store.open_writable(db)
    deletion.delete(con, at(1000), at(2000), now=at(5000))
    write_events(con, [(4100, ev.START), (4101, ev.FOCUS, "Code", None, 11), (4200, ev.STOP)], batch=2)
    derive.refresh(con, "local")
    con.close()
    inside = rows(db, "SELECT count(*) FROM spans WHERE start < $t AND stop > $t", {"t": at(1500)})[0][0]
    assert inside == 0
    assert rows(db, "SELECT count(*) FROM raw_events WHERE ts >= $a AND ts < $b", {"a": at(1000), "b": at(2000)}) == [(0,)]
    code = rows(db, "SELECT sum(focus_s) FROM hourly WHERE app = 'Code'")[0][0]
    assert code == pytest.approx((10 - 1) + (300 - 205) + (1000 - 400) + (4000 - 2000) + (4200 - 4101))


def test_bursts_cut_by_a_deletion_are_the_bursts_of_what_is_left(writable_day_db, at):
    """A range through a typing burst: the bursts rebuilt along the cut are what
    deriving them from the keystrokes left gives (printable keys counted as
    stored since schema 5, "character"; it once counted letters, of which none
    are stored)."""
    con = store.open_writable(writable_day_db)
    deletion.delete(con, at(2.9), at(3.02), now=at(5000))  # the second press of the day's first burst
    cut = con.execute("SELECT * FROM bursts ORDER BY start").fetchall()
    con.execute("DELETE FROM bursts")
    con.execute("DELETE FROM derive_state WHERE step = 'bursts'")
    derive.refresh(con, "local")
    rebuilt = con.execute("SELECT * FROM bursts ORDER BY start").fetchall()
    con.close()
    # The cut ends the burst: the press before it and the one after are bursts of one key each.
    assert cut == rebuilt and [(keys, printable) for *_, keys, printable, _ in cut] == [(1, 1), (1, 1), (1, 1)]


def test_deleting_an_app_removes_its_time_and_what_was_typed_in_it(writable_day_db):
    db = writable_day_db
    con = store.open_writable(db)
    deletion.delete(con, app="Code")
    con.close()
    assert rows(db, "SELECT count(*) FROM events WHERE app = 'Code'") == [(0,)]
    assert rows(db, "SELECT count(*) FROM spans WHERE app = 'Code'") == [(0,)]
    assert rows(db, "SELECT count(*) FROM keystrokes") == [(0,)]  # every key was typed into Code
    assert rows(db, "SELECT count(*) FROM events WHERE kind IN ('key_down', 'key_up')") == [(0,)]
    assert rows(db, "SELECT app, focus_s FROM hourly") == [("Firefox", 195.0)]
    assert rows(db, "SELECT sum(focus_s) FROM hourly_total") == [(195.0,)]


def test_a_deleted_app_is_gone_from_the_file_and_its_wal_and_the_file_shrank(db, write_events, monkeypatch):
    """The app's name was findable in the file's bytes before, and is not after
    deletion and compaction, in neither the file nor a WAL; the file is smaller.
    If it failed, 'delete' would only hide the data (from whoever has the key).
    Plaintext, so that the bytes can be searched at all (encryption: test_encryption)."""
    monkeypatch.setenv("WORKPRINT_PLAINTEXT", "1")
    _secret_db(db, write_events)
    assert SECRET.encode() in _bytes(db), "the test needs the name stored where it can be found"
    size = compact.file_size(db)
    result = control.delete(paths.paths(db), app=SECRET)
    assert result["rows"]["spans"] == 10000
    assert SECRET.encode() not in _bytes(db)
    assert not db.with_name(db.name + ".wal").exists()
    assert compact.file_size(db) < size * 0.9, (size, compact.file_size(db))
    assert oct(db.stat().st_mode & 0o777) == "0o600"


def test_a_deleted_value_still_in_the_wal_is_gone_too(db, write_events, monkeypatch):
    """Killed before a checkpoint, a process leaves its writes in the WAL: the
    deletion and compaction must not leave them there (or pair that WAL with the new file).
    Plaintext, so that the bytes can be searched."""
    monkeypatch.setenv("WORKPRINT_PLAINTEXT", "1")
    store.open_writable(db).close()
    code = ("import os, sys; sys.path.insert(0, 'tests'); import store; from conftest import _write_events as w; "
            "from store import events as ev; c = store.open_writable(__import__('pathlib').Path(sys.argv[1])); "
            f"w(c, [(0, ev.START), (1, ev.FOCUS, {SECRET!r}, None, 1), (5, ev.STOP)]); os._exit(0)")
    subprocess.run([sys.executable, "-c", code, str(db)], cwd=ROOT, check=True)
    wal = db.with_name(db.name + ".wal")
    assert wal.exists() and SECRET.encode() in wal.read_bytes()
    control.delete(paths.paths(db), app=SECRET)
    assert SECRET.encode() not in _bytes(db) and not wal.exists()
    assert rows(db, "SELECT kind, app FROM events ORDER BY ts") == [("start", None), ("focus", None), ("stop", None)]


# --- compaction ----------------------------------------------------------------
def test_compaction_keeps_tables_views_macros_and_rows(tmp_path, day_db):
    db = tmp_path / "copy.duckdb"
    copy_db(day_db, db)
    before = {**_counts(db), "batches": rows(db, "SELECT count(*) FROM batches")[0][0]}
    result = compact.compact_file(db)
    assert result["after"] > 0
    assert {**_counts(db), "batches": rows(db, "SELECT count(*) FROM batches")[0][0]} == before
    macros = rows(db, "SELECT function_name FROM duckdb_functions() WHERE function_type IN ('macro', 'table_macro') "
                      "AND NOT internal ORDER BY 1")
    assert {m for (m,) in macros} >= {"local_day", "app_seconds", "session_steps", "hour_totals"}
    seconds = ("SELECT app, sum(seconds) FROM app_seconds('-infinity'::TIMESTAMPTZ, 'infinity'::TIMESTAMPTZ, false, NULL) "
               "GROUP BY 1 ORDER BY 1")
    assert rows(db, seconds) == rows(day_db, seconds)
    con = store.open_read_only(db)
    assert not store.needs_upgrade(con)  # the macros' digest in meta still matches them
    con.close()
    assert rows(db, "SELECT count(*) FROM events") == [(19,)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.duckdb"]


def test_a_compaction_left_behind_is_removed_on_the_next_open(tmp_path, day_db):
    db = tmp_path / "w.duckdb"
    copy_db(day_db, db)
    leftover = store.db.compaction_temp(db)
    leftover.write_bytes(b"half a copy")
    leftover.with_name(leftover.name + ".wal").write_bytes(b"x")
    store.open_writable(db).close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.duckdb"]


def _big_db(db: Path) -> int:
    """A file whose compaction takes a while (half a million focus rows, a tenth SECRET)."""
    con = store.open_writable(db)
    con.execute("INSERT INTO spans SELECT 'local', 'focus', TIMESTAMPTZ '2026-11-01' + to_seconds(i), "
                "TIMESTAMPTZ '2026-11-01' + to_seconds(i + 1), 0, CASE WHEN i % 10 = 0 THEN $s ELSE 'app-' || (i % 97) END, "
                "'title ' || i, NULL, 'activitywatch', 1 FROM range(500000) t(i)", {"s": SECRET})
    con.close()
    return 500_000


@pytest.mark.slow
def test_kill_9_during_compaction_leaves_a_whole_database(tmp_path):
    """Killed at random moments while compacting (several times): the file
    always opens and holds everything; a finished compaction leaves no copy behind."""
    db = tmp_path / "big.duckdb"
    total = _big_db(db)
    t0 = time.monotonic()
    subprocess.run([sys.executable, "-c", "import sys, pathlib; from store import compact; "
                    "compact.compact_file(pathlib.Path(sys.argv[1]))", str(db)], cwd=ROOT, check=True)
    took = time.monotonic() - t0
    rng = random.Random(int(os.environ.get("KILL9_SEED", "7")))
    for attempt in range(6):
        proc = subprocess.Popen([sys.executable, "-c", "import sys, pathlib; from store import deletion; "
                                 "deletion.delete_file(pathlib.Path(sys.argv[1]), app=sys.argv[2])", str(db),
                                 SECRET if attempt == 5 else f"no-such-app-{attempt}"], cwd=ROOT)
        time.sleep(rng.uniform(0.05, took * 1.2))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        held = rows(db, "SELECT count(*) FROM spans WHERE app <> $s", {"s": SECRET})[0][0]
        assert held == total * 9 // 10, f"kill {attempt + 1}: rows not deleted were lost"
        assert rows(db, "SELECT local_day(now(), 0) IS NOT NULL") == [(True,)]  # the macros came through
    store.open_writable(db).close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.duckdb"]


# --- the daemon ------------------------------------------------------------------
@pytest.mark.slow
def test_compaction_while_capture_runs_loses_no_flushed_event(consented):
    """Deleting (and so compacting) three times while the daemon writes 400
    events/s: it goes on writing into the new file, and every batch it
    reported flushed, before or after, is in it. If the daemon took the
    swapped file for a lost one, it would stop (exit 5)."""
    log = consented.with_name(consented.name + ".log")
    daemon = DaemonProcess(consented, "--backend", "replay", "--replay", "rate=400,seed=3", "--flush-interval", "0.2",
                           env={"WORKPRINT_LOG_LEVEL": "DEBUG"}).start()
    try:
        inodes = {consented.stat().st_ino}
        for _ in range(3):
            time.sleep(1.0)
            daemon.wait_flushed(since=time.time())
            result = control.delete(daemon.paths, dt.datetime(2000, 1, 1, tzinfo=UTC), dt.datetime(2000, 1, 2, tzinfo=UTC))
            assert result["compaction"]["after"] > 0
            inodes.add(consented.stat().st_ino)
        daemon.wait_flushed(since=time.time())
        assert daemon.status()["last_error"] is None
    finally:
        code = daemon.stop()
    assert code == 0, daemon.stderr()
    assert len(inodes) >= 2, "the compactions should have swapped in new files (an inode number may come back)"
    confirmed = {int(b): int(n) for b, n in FLUSHED.findall(log.read_text())}
    stored = dict(rows(consented, "SELECT batch_id, count(*) FROM raw_events GROUP BY 1"))
    assert len(confirmed) > 10
    assert not {b: n for b, n in confirmed.items() if stored.get(b) != n}


@pytest.mark.slow
def test_the_daemon_purges_what_it_captured_when_it_starts_and_keeps_imports(tmp_path, write_events, at):
    """Captured events a year old are purged as soon as capture starts; an
    import of the same age (another worker id, as importers use) is the
    worker's own choice and stays until they delete it."""
    db = tmp_path / "old.duckdb"
    con = store.open_writable(db)
    write_events(con, [(0, ev.START), (1, ev.FOCUS, SECRET, None, 1), (5, ev.STOP)])  # 2026-01-01
    year_ago = [(int(at(2).timestamp() * 1e9), ev.FOCUS, "ImportedApp", None, 1)]
    store.write_batches(con, [(2, ev.to_table(year_ago, worker="activitywatch"), "raw_events")], source="aw")
    derive.refresh(con, "local")
    con.close()
    assert dt.datetime.now(UTC) - at(0) > dt.timedelta(days=31)  # else this test shows nothing
    cli("consent", "--accept", "--db", str(db))
    with DaemonProcess(db, "--backend", "replay", "--replay", "rate=50") as daemon:
        daemon.wait_for_events(5)
    old = rows(db, "SELECT worker, count(*) FROM raw_events WHERE ts < TIMESTAMPTZ '2026-02-01' GROUP BY 1")
    assert old == [("activitywatch", 1)]


def test_the_daemon_purges_again_when_the_interval_has_passed(tmp_path):
    from capture.daemon import Daemon, Settings

    class Writer:
        def __init__(self):
            self.submitted = []

        def submit(self, fn):
            from concurrent.futures import Future

            self.submitted.append(fn)
            future = Future()
            future.set_result(None)
            return future

    daemon = Daemon(paths.paths(tmp_path / "x.duckdb"), Settings(), purge_seconds=0.2)
    daemon.writer = Writer()
    daemon._purge_at = time.monotonic() + 0.2
    daemon._purge_when_due()
    assert daemon.writer.submitted == []
    time.sleep(0.25)
    daemon._purge_when_due()
    daemon._purge_when_due()  # not again until another interval has passed
    assert len(daemon.writer.submitted) == 1
