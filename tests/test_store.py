"""The database file: schema, idempotent batches, and never losing a bad file."""

import datetime as dt
import re
import time

import pytest

import store
from store import events as ev
from store import schema
from testkit import connect


def _table(n=3):
    t = time.time_ns()
    return ev.to_table([(t + i, ev.KEY_DOWN, ev.KEY_CLASS_INDEX["letter"], i) for i in range(n)])


def test_events_view_has_documented_columns(db):
    """Researchers' scripts rely on the view's columns: each must be documented, in order."""
    con = store.open_writable(db)
    cols = [r[0] for r in con.execute("DESCRIBE events").fetchall()]
    documented = re.findall(r"^(\w+(?:, \w+)?)\s{2,}[A-Z]+", schema.__doc__, re.M)
    names = [n for group in documented for n in group.split(", ")]
    assert cols[:8] == ["ts", "utc_offset", "kind", "key_class", "button", "x", "y", "dx"]
    assert names == cols
    types = dict(con.execute("SELECT column_name, data_type FROM duckdb_columns() WHERE table_name='events'").fetchall())
    assert types["ts"] == "TIMESTAMP WITH TIME ZONE"


def test_batch_written_twice_is_stored_once(db):
    """A retried write (after an error the writer could not read) must not duplicate events."""
    con = store.open_writable(db)
    table = _table(5)
    assert store.write_batch(con, 42, table, "test") == 5
    assert store.write_batch(con, 42, table, "test") == 0
    assert con.execute("SELECT count(*) FROM events").fetchall()[0][0] == 5
    assert con.execute("SELECT count(*) FROM batches").fetchall()[0][0] == 1


def test_reopen_does_not_migrate_again(db):
    store.open_writable(db).close()
    con = store.open_writable(db)
    assert schema.current_version(con) == schema.SCHEMA_VERSION
    assert con.execute("SELECT count(*) FROM meta WHERE key = 'schema_version'").fetchall()[0][0] == 1


def test_corrupt_file_is_set_aside_not_overwritten(db):
    """A damaged database is the worker's data: keep every byte, start fresh beside it."""
    garbage = b"not a database " * 1000
    db.write_bytes(garbage)
    con = store.open_writable(db)
    con.execute("SELECT count(*) FROM events").fetchall()
    aside = list(db.parent.glob(db.name + ".corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes() == garbage


def test_truncated_file_is_set_aside(db):
    con = store.open_writable(db)
    store.write_batch(con, 1, _table(1000), "test")
    con.close()
    size = db.stat().st_size
    with open(db, "r+b") as fh:
        fh.truncate(size // 3)
    store.open_writable(db).close()
    aside = list(db.parent.glob(db.name + ".corrupt-*"))
    assert len(aside) == 1 and aside[0].stat().st_size == size // 3


def test_corrupt_file_can_be_refused_instead(db):
    db.write_bytes(b"junk")
    with pytest.raises(store.CorruptError, match="not a readable Workprint database"):
        store.open_writable(db, set_aside_corrupt=False)
    assert db.read_bytes() == b"junk"


def test_unopenable_path_is_refused_untouched(db):
    db.mkdir()
    with pytest.raises(store.UnreadableError, match=str(db)):
        store.open_writable(db)
    assert db.is_dir() and not list(db.parent.glob("*.corrupt-*"))


def test_locked_file_is_reported_not_set_aside(db, hold_db):
    """A file held by another process is healthy: it must never be renamed as corrupt."""
    holder = hold_db(db)
    with pytest.raises(store.LockedError, match="in use by another process"):
        store.open_writable(db)
    with pytest.raises(store.LockedError):
        store.open_read_only(db)
    holder.release()
    assert not list(db.parent.glob("*.corrupt-*"))


def test_database_from_newer_version_is_refused(db):
    con = store.open_writable(db)
    con.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(schema.SchemaTooNewError, match="upgrade Workprint"):
        store.open_writable(db)
    con = connect(db, read_only=True)
    assert con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall() == [("999",)]


def test_missing_database_read_says_nothing_captured(db):
    with pytest.raises(store.StoreError, match="nothing has been captured"):
        store.open_read_only(db)


def test_consent_follows_latest_action(db):
    con = store.open_writable(db)
    assert not store.consent_given(con)
    store.record_consent(con, True)
    assert store.consent_given(con)
    store.record_consent(con, False)
    assert not store.consent_given(con)


def test_version_1_database_is_migrated_forward_keeping_its_events(db, old_database):
    """A worker upgrading Workprint keeps every event captured by the old version, with
    letters, digits and punctuation merged into "character" (version 5) and counted per minute."""
    con = connect(old_database(db, 1))
    con.execute(
        "INSERT INTO raw_events (ts, utc_offset, kind, key_class, batch_id) VALUES "
        "('2026-01-01 10:00:00+00', 3600, 'key_down', 'letter', 7), "
        "('2026-01-01 10:00:30+00', 3600, 'key_down', 'digit', 7), "
        "('2026-01-01 10:00:40+00', 3600, 'key_down', 'letter', 7), "
        "('2026-01-01 10:00:50+00', 3600, 'key_down', 'space', 7)"
    )
    con.close()
    con = store.open_writable(db)
    assert schema.current_version(con) == schema.SCHEMA_VERSION
    assert con.execute("SELECT kind, key_class, utc_offset, key_seq, case_id FROM events ORDER BY ts").fetchall() == [
        ("key_down", "character", 3600, None, None), ("key_down", "character", 3600, None, None),
        ("key_down", "character", 3600, None, None), ("key_down", "space", 3600, None, None),
    ]
    assert con.execute("SELECT minute, key_class::VARCHAR, presses FROM key_counts ORDER BY key_class").fetchall() == [
        (dt.datetime(2026, 1, 1, 10, tzinfo=dt.timezone.utc), "letter", 2),
        (dt.datetime(2026, 1, 1, 10, tzinfo=dt.timezone.utc), "digit", 1),
    ]
    assert con.execute("SELECT count(*) FROM spans").fetchall() == [(0,)]


def test_the_dashboard_upgrades_an_older_database_it_is_given(db, old_database):
    """A worker upgrading Workprint and opening the dashboard first must see their data, not errors."""
    from capture import control
    from store import paths

    old_database(db, 2)
    assert control.needs_upgrade(db)
    control.upgrade(paths.paths(db))
    assert not control.needs_upgrade(db)
    assert store.open_read_only(db).execute("SELECT count(*) FROM hourly_total").fetchall() == [(0,)]


def test_a_withdrawal_wins_over_an_accept_stamped_in_the_future(db):
    """Hardening #3: after one accept with the clock two days ahead, a
    withdrawal must still stop consent: the ledger's order is its own, not the clock's."""
    con = store.open_writable(db)
    store.record_consent(con, True)
    con.execute("UPDATE consent_log SET ts = now() + INTERVAL 2 DAY")  # the clock was two days ahead
    store.record_consent(con, False)
    assert not store.consent_given(con)
    store.record_consent(con, True)
    assert store.consent_given(con)
    assert [r[0] for r in con.execute("SELECT action FROM consent_log ORDER BY seq").fetchall()] == [
        "accept", "withdraw", "accept"]
    con.close()


def test_an_older_ledger_keeps_the_order_it_was_written_in(db, old_database):
    """Upgrading numbers the existing consent rows in the order they were written, so a
    withdrawal written after a future-dated accept wins from the first open on."""
    con = connect(old_database(db, 3))
    con.execute("INSERT INTO consent_log VALUES (now() + INTERVAL 2 DAY, 'accept', '1', 'local')")
    con.execute("INSERT INTO consent_log VALUES (now(), 'withdraw', '1', 'local')")
    con.close()
    con = store.open_writable(db)
    assert con.execute("SELECT action, seq FROM consent_log ORDER BY seq").fetchall() == [
        ("accept", 1), ("withdraw", 2)]
    assert not store.consent_given(con)
    con.close()


def test_key_counts_are_the_same_counted_by_duckdb_or_by_arrow(tmp_path, monkeypatch):
    """A capture flush is counted by DuckDB, a large import by Arrow: the same rows either way."""
    from store import batches

    classes = ["letter", "digit", "space", "punctuation", "letter", "enter", "letter"]
    rows = [(1_767_261_600_000_000_000 + i * 7_000_000_000, ev.KEY_DOWN if i % 3 else ev.KEY_UP,
             ev.KEY_CLASS_INDEX[classes[i % len(classes)]], i) for i in range(400)]
    counted = {}
    for way, limit in (("duckdb", 10**9), ("arrow", 0)):
        monkeypatch.setattr(batches, "SQL_COUNTED", limit)
        con = store.open_writable(tmp_path / f"{way}.duckdb")
        store.write_batch(con, 1, ev.to_table(rows), "capture")
        counted[way] = con.execute("SELECT worker, minute, utc_offset, key_class::VARCHAR, presses, batch_id "
                                   "FROM key_counts ORDER BY ALL").fetchall()
        con.close()
    assert counted["duckdb"] == counted["arrow"]
    downs = [classes[i % len(classes)] for i in range(400) if i % 3]
    assert sum(n for *_, n, _ in counted["duckdb"]) == sum(c in ("letter", "digit", "punctuation") for c in downs)
