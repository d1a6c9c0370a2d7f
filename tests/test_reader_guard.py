"""Readers cannot write, reach files or the network, or change settings: not
through the daemon's socket while capture runs, not through the file.

The statements below are the attacks a hostile local program (or a query
string pasted from elsewhere) would try: writes, writes hidden in a CTE or
behind EXPLAIN ANALYZE, file and network table functions, COPY/EXPORT/ATTACH,
extension installs, settings. Each must be refused, and afterwards the data,
the settings and the file system must be exactly as before.
"""

from __future__ import annotations

import hashlib
import time

import duckdb
import pytest

import store
from store import client, guard
from testkit import DaemonProcess

HOSTILE = [
    # plain writes and schema changes
    "DELETE FROM raw_events",
    "DELETE FROM events",
    "UPDATE category_rules SET category = 'Evil'",
    "UPDATE events SET app = 'x'",
    "INSERT INTO consent_log VALUES (now() + INTERVAL 2 DAY, 'accept', '1', 'local')",
    "INSERT INTO meta VALUES ('schema_version', '999') ON CONFLICT DO UPDATE SET value = '999'",
    "DROP TABLE raw_events",
    "DROP VIEW events",
    "TRUNCATE spans",
    "CREATE TABLE x AS SELECT 1",
    "CREATE VIEW v AS SELECT 1",
    "CREATE SEQUENCE s",
    "CREATE MACRO evil() AS 1",
    "CREATE OR REPLACE MACRO category_of(a) AS 'Evil'",
    "ALTER TABLE spans ADD COLUMN z INTEGER",
    "CREATE SECRET (TYPE s3, KEY_ID 'x', SECRET 'y')",
    # writes disguised as reads
    "EXPLAIN ANALYZE DELETE FROM raw_events",
    "EXPLAIN ANALYZE UPDATE category_rules SET category = 'Evil'",
    "EXPLAIN DELETE FROM raw_events",
    "EXPLAIN SELECT 1",
    "WITH d AS (DELETE FROM raw_events RETURNING *) SELECT count(*) FROM d",
    "WITH u AS (UPDATE category_rules SET category = 'Evil' RETURNING *) SELECT * FROM u",
    "WITH i AS (INSERT INTO consent_log VALUES (now(), 'accept', '1', 'local') RETURNING *) SELECT * FROM i",
    "SELECT 1; DELETE FROM raw_events",
    "SELECT count(*) FROM events; DROP TABLE spans",
    "SELECT * FROM query('DELETE FROM raw_events')",
    "SELECT * FROM query_table('raw_events')",
    # files and the network
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_csv_auto('/etc/passwd')",
    "FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_text('/etc/passwd')",
    "SELECT * FROM read_blob('/etc/passwd')",
    "SELECT * FROM glob('/etc/*')",
    "SELECT * FROM sniff_csv('/etc/passwd')",
    "SELECT * FROM read_parquet('{tmp}/x.parquet')",
    "SELECT * FROM parquet_metadata('{tmp}/x.parquet')",
    "SELECT * FROM read_json('{tmp}/x.json')",
    "SELECT * FROM '/etc/passwd'",
    "SELECT * FROM read_csv('https://example.invalid/x.csv')",
    "SELECT * FROM events, read_csv('/etc/passwd')",
    "SELECT (SELECT count(*) FROM read_csv('/etc/passwd'))",
    "SELECT * FROM events WHERE app IN (SELECT column0 FROM read_csv('/etc/passwd'))",
    "COPY raw_events TO '{tmp}/out.csv'",
    "COPY (SELECT * FROM events) TO '{tmp}/out.parquet' (FORMAT parquet)",
    "COPY category_rules FROM '{tmp}/rules.csv'",
    "EXPORT DATABASE '{tmp}/export'",
    "ATTACH '{tmp}/other.duckdb' AS other",
    "ATTACH ':memory:' AS m",
    "DETACH m",
    "USE m",
    "INSTALL httpfs",
    "LOAD httpfs",
    "FORCE INSTALL json",
    # settings and the engine
    "SET memory_limit = '1MB'",
    "SET GLOBAL memory_limit = '1MB'",
    "RESET memory_limit",
    "SET enable_external_access = true",
    "SET lock_configuration = false",
    "PRAGMA memory_limit = '1MB'",
    "PRAGMA enable_profiling",
    "CALL pragma_version()",
    "CHECKPOINT",
    "FORCE CHECKPOINT",
    "VACUUM",
    "BEGIN TRANSACTION",
    "COMMIT",
    "ROLLBACK",
    # what is not on the allow-list to read
    "SELECT * FROM raw_events",
    "SELECT * FROM batches",
    "SELECT * FROM derive_state",
    "SELECT * FROM main.raw_events",
    "SELECT * FROM other.main.events",
    "SELECT * FROM information_schema.tables",
    "SELECT * FROM duckdb_settings()",
    "SELECT * FROM duckdb_tables()",
    "SUMMARIZE raw_events",
    "DESCRIBE raw_events",
    "SHOW TABLES",
]

SETTINGS = ("memory_limit", "threads", "enable_external_access", "lock_configuration")
# What the worker and the ledger wrote. The derived tables (spans, hourly, ...)
# are left out: the daemon itself rebuilds them from the events on its own
# schedule (every 10 s), and they follow the events compared here.
TABLES = ("events", "category_rules", "consent_log", "meta", "workers")


def _fingerprint(read) -> dict:
    """Every readable table's rows (hashed) and the settings, through ``read(sql)``."""
    print_ = {}
    for table in TABLES:
        rows = read(f"SELECT * FROM {table}")  # noqa: S608 - names from guard.READABLE
        print_[table] = hashlib.sha256(repr(sorted(map(repr, rows))).encode()).hexdigest()
    for name in SETTINGS:
        print_[name] = read(f"SELECT current_setting('{name}')")  # noqa: S608 - our constants
    return print_


def _statements(tmp_path) -> list[str]:
    return [sql.replace("{tmp}", str(tmp_path)) for sql in HOSTILE]


def test_there_are_many_attacks():
    """The list is the regression suite of the hardening report (59 statements, and more)."""
    assert len(HOSTILE) >= 59 and len(set(HOSTILE)) == len(HOSTILE)


@pytest.mark.parametrize("sql", HOSTILE)
def test_the_guard_refuses(sql):
    """Each statement is refused by the reader guard before it reaches DuckDB."""
    with pytest.raises(guard.RefusedError):
        guard.check_reader_sql(sql.replace("{tmp}", "/tmp/wp-none"))


def test_every_named_query_passes_the_guard():
    """The dashboard's own queries must never be refused."""
    import queries

    for query in queries.catalog().values():
        guard.check_reader_sql(query.sql)  # raises, naming the problem, if not


def test_the_daemon_socket_refuses_everything_and_changes_nothing(consented, tmp_path):
    """Sent straight to the socket (no client-side check), while capture runs
    at 200 events/s: every statement is refused, the data and settings are
    unchanged, no file appears, and capture goes on."""
    target = tmp_path / "attacker"
    target.mkdir()
    with DaemonProcess(consented, "--backend", "replay", "--replay", "rate=200", "--flush-interval", "0.2") as daemon:
        daemon.wait_for_events(100)
        client.request(daemon.paths, "pause")
        before_status = daemon.wait_flushed(since=time.time() + 0.01)  # the pause marker itself is stored
        before = _fingerprint(daemon.read)
        refused = 0
        for sql in _statements(target):
            with pytest.raises(client.DaemonError):
                client._query_daemon(daemon.paths, sql, {}, timeout=10)
            refused += 1
        after = _fingerprint(daemon.read)
        assert after == before
        assert refused == len(HOSTILE)
        assert list(target.iterdir()) == []
        client.request(daemon.paths, "resume")
        daemon.wait_for_events(before_status["events_written_this_run"] + 100)
    assert (tmp_path / "attacker").exists() and not (tmp_path / "attacker" / "out.csv").exists()


def test_the_file_refuses_everything_when_no_daemon_runs(consented, tmp_path):
    """Without a daemon, client.read refuses the same statements, and even a
    read-only connection opened by hand cannot write, reach files or change settings."""
    target = tmp_path / "attacker"
    target.mkdir()
    paths = store.paths.paths(consented)
    digest = hashlib.sha256(consented.read_bytes()).hexdigest()
    for sql in _statements(target):
        with pytest.raises(guard.RefusedError):
            client.read(paths, sql)
    con = store.open_read_only(consented)
    try:
        for sql in ("DELETE FROM raw_events", f"COPY raw_events TO '{target}/x.csv'",
                    "SELECT * FROM read_csv('/etc/passwd')", "SET memory_limit = '1MB'", "INSTALL httpfs",
                    f"ATTACH '{target}/o.duckdb' AS o"):
            with pytest.raises(duckdb.Error):
                con.execute(sql).fetchall()
    finally:
        con.close()
    assert hashlib.sha256(consented.read_bytes()).hexdigest() == digest
    assert list(target.iterdir()) == []


def test_each_layer_holds_on_its_own(db, tmp_path):
    """Were the parser ever fooled, the READ ONLY transaction still refuses
    writes and the locked-down instance still refuses files and settings,
    while the daemon's own batch writes (registered Arrow tables) still work."""
    import pyarrow as pa

    from store import events as ev
    from store.db import lock_down
    from store.txn import read_only_transaction

    con = store.open_writable(db)
    try:
        lock_down(con)
        with pytest.raises(duckdb.Error, match="read-only"), read_only_transaction(con):
            con.execute("DELETE FROM raw_events")
        for sql in (f"COPY raw_events TO '{tmp_path}/x.csv'", "SELECT * FROM read_csv('/etc/passwd')",
                    "SET memory_limit = '1MB'", "SET enable_external_access = true"):
            with pytest.raises(duckdb.Error):
                con.execute(sql).fetchall()
        table = ev.to_table([(1_700_000_000 * 10**9, ev.START)], ev.OffsetCache())
        assert store.write_batch(con, 1, table, "test") == 1
        assert isinstance(table, pa.Table)
    finally:
        con.close()
    assert not (tmp_path / "x.csv").exists()
