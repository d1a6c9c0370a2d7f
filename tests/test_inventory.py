"""The inventory, "what is kept": one row per stored column, from the file's
own catalog, with a meaning for each, an example of the worker's own data,
how long it is kept and how many rows there are."""


import store
from capture import control
from store import inventory, meanings
from store import paths as store_paths
from testkit import cli, connect


def _catalog(db) -> set[tuple[str, str]]:
    con = connect(db, read_only=True)
    try:
        return set(con.execute(
            "SELECT table_name, column_name FROM duckdb_columns() WHERE schema_name = 'main' "
            "AND table_name IN (SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main')").fetchall())
    finally:
        con.close()


def test_every_stored_column_has_a_meaning_written(db):
    """A new column cannot slip in unexplained: every column of every stored
    table has a meaning in store/meanings.py, and none is left for a column
    that is gone."""
    store.open_writable(db).close()
    stored = _catalog(db)
    rows = control.inventory(store_paths.paths(db))
    assert {(r["table"], r["column"]) for r in rows} == stored
    unexplained = sorted((r["table"], r["column"]) for r in rows if r["meaning"] == inventory.NO_MEANING)
    assert unexplained == [], f"write a meaning in store/meanings.py for {unexplained}"
    written = {(t, c) for t, entry in meanings.TABLES.items() for c in entry.columns}
    assert written - stored == set(), "store/meanings.py explains columns that are no longer stored"
    assert all(entry.newest_by in entry.columns for entry in meanings.TABLES.values())


def test_it_shows_my_newest_values_and_the_row_counts(day_db):
    """The hand-worked day: the newest event is its stop, the last app Code,
    19 events, 7 spans; an empty column shows no example."""
    rows = {(r["table"], r["column"]): r for r in control.inventory(store_paths.paths(day_db))}
    ts = rows[("raw_events", "ts")]
    assert ts["rows"] == 19 and ts["example"] == "2026-01-01T11:06:40+00:00" and ts["kept"] == "30 days"
    assert rows[("raw_events", "kind")]["example"] == "stop"
    assert rows[("raw_events", "app")]["example"] == "Code"
    assert rows[("raw_events", "title")]["example"] is None
    assert rows[("raw_events", "key_class")]["example"] == "character"
    assert rows[("spans", "app")]["rows"] == 7 and rows[("spans", "kind")]["kept"] == "12 months"
    assert rows[("consent_log", "action")]["kept"] == "as long as the file"
    assert rows[("raw_events", "key_class")]["meaning"].endswith("never the key")


def test_the_periods_are_the_ones_asked_for(day_db):
    rows = control.inventory(store_paths.paths(day_db), raw_days=7, derived_months=3)
    kept = {r["table"]: r["kept"] for r in rows}
    assert kept["raw_events"] == "7 days" and kept["hourly"] == "3 months" and kept["meta"] == "as long as the file"


def test_the_command_lists_every_table(day_db):
    out = cli("inventory", "--db", str(day_db)).stdout
    for table in meanings.TABLES:
        assert f"\n{table}: " in "\n" + out, table
    assert "raw_events: 19 rows, kept 30 days" in out
    assert "when it happened, UTC, to the microsecond" in out
