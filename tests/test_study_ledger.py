"""A study's ledger on the research server: the study's release files, checked, flattened into the documented
long tables (team/study_tables.py), kept in step with the store (a worker who left is gone), and exported to
Parquet for Spark. Real DuckDB files, a real store folder, real Parquet releases."""

from __future__ import annotations

import datetime as dt
import io
import random

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import study_gen as g

from sharing import studies
from sharing import study_format as sf
from team import study_ledger, study_tables

DAYS = 4


@pytest.fixture
def setup(tmp_path):
    s = g.study()
    store = g.build(tmp_path / "store", s, {"A": 6}, days=DAYS)
    return s, store, tmp_path / "state"


def _count(con, table: str) -> int:
    return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608 - a fixed table name in a test


def _releases(store, s) -> list[dict]:
    rows = []
    for key in store.list(studies.release_prefix(s.id)):
        rows += pq.read_table(io.BytesIO(store.get(key))).to_pylist()
    return rows


def test_each_table_is_made_as_the_documentation_says(setup):
    """The sandbox and Spark read the tables as team/study_tables.py documents them: a column missing, renamed
    or of another type would give researchers wrong or failing queries."""
    s, store, state = setup
    with study_ledger.opened(state, s) as con:
        for table in study_tables.TABLES:
            found = con.execute("SELECT column_name, data_type FROM information_schema.columns "
                                "WHERE table_name = $t ORDER BY ordinal_position", {"t": table.name}).fetchall()
            assert found == [(f.name, f.sql_type) for f in table.fields], table.name


def test_a_study_has_only_the_tables_of_its_measures(tmp_path):
    """A study that asked for activity and typing has days, hours and typing, and nothing that would look like
    data it never asked for."""
    s = g.study("narrow", ("activity", "typing"))
    store = g.build(tmp_path / "store", s, {"A": 3}, days=2)
    with study_ledger.opened(tmp_path / "state", s) as con:
        study_ledger.sync(con, store, s)
        names = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        assert names == {"files", "days", "hours", "typing"}
        assert con.execute("SELECT count(*) FROM days WHERE focus_seconds IS NOT NULL").fetchone()[0] == 0
    assert study_ledger.path(tmp_path / "state", "narrow").stat().st_mode & 0o077 == 0


def test_the_tables_hold_what_the_files_hold(setup):
    """Every number in the long tables comes from the release files: checked here against the files themselves
    (pyarrow), not against the ledger's own SQL."""
    s, store, state = setup
    with study_ledger.opened(state, s) as con:
        report = study_ledger.sync(con, store, s)
        assert (report.added, report.skipped) == (6 * DAYS, {})
        rows = _releases(store, s)
        assert _count(con, "days") == len(rows)
        assert _count(con, "hours") == 24 * len(rows)
        assert _count(con, "transitions") == sum(len(r["category_transitions"]) for r in rows)
        assert _count(con, "categories") == sum(len(r["category_seconds"]) for r in rows)
        for table, column in (("typing", "typing_bins"), ("typing_fine", "typing_fine_bins"),
                              ("clicking_fine", "click_fine_bins")):
            assert _count(con, table) == sum(1 for r in rows for n in r[column] if n > 0)
        one = rows[0]
        day = con.execute("SELECT active_minutes, switches, focus_seconds, week, weekday FROM days "
                          "WHERE person = $p AND day = $d", {"p": one["pseudonym"], "d": one["day"]}).fetchone()
        assert day == (sum(one["active_minutes"]), sum(one["switches"]), one["focus_seconds"],
                       one["day"] - dt.timedelta(days=one["day"].weekday()), one["day"].isoweekday())
        hours = con.execute("SELECT hour, active_minutes FROM hours WHERE person = $p AND day = $d ORDER BY hour",
                            {"p": one["pseudonym"], "d": one["day"]}).fetchall()
        assert [m for _, m in hours] == one["active_minutes"] and [h for h, _ in hours] == list(range(24))
        pairs = con.execute("SELECT from_category, to_category, n FROM transitions WHERE person = $p AND day = $d "
                            "ORDER BY 1, 2", {"p": one["pseudonym"], "d": one["day"]}).fetchall()
        assert pairs == sorted((p["src"], p["dst"], p["n"]) for p in one["category_transitions"])
        edges = con.execute("SELECT bin, lo_ms, hi_ms FROM typing_fine WHERE bin IN (0, 1, 17) "
                            "GROUP BY ALL ORDER BY bin").fetchall()
        assert edges == [(0, 0.0, 40.0), (1, 40.0, 60.0), (17, 2000.0, None)]


def test_sync_is_incremental_and_a_changed_file_replaces_its_day(setup):
    """Syncing again reads nothing new; a day released again (the same key, new content) replaces the old
    figures instead of adding to them."""
    s, store, state = setup
    with study_ledger.opened(state, s) as con:
        study_ledger.sync(con, store, s)
        again = study_ledger.sync(con, store, s)
        assert (again.added, again.replaced, again.unchanged) == (0, 0, 6 * DAYS)
        person = g.who(s.id, "A", 0)
        values = g.row(s, g.DAY0, person, random.Random(99))
        values["active_minutes"] = [0] * 8 + [7] * 16
        g.put(store, s, values)
        changed = study_ledger.sync(con, store, s)
        assert (changed.replaced, changed.added) == (1, 0)
        assert _count(con, "days") == 6 * DAYS
        assert con.execute("SELECT active_minutes FROM days WHERE person = $p AND day = $d",
                           {"p": person, "d": g.DAY0}).fetchone() == (7 * 16,)


def test_a_worker_who_left_is_gone_from_every_table(setup):
    """A worker who leaves the study removes what was sent; after the next sync none of their rows is left in
    any table, so no later result includes them."""
    s, store, state = setup
    leaver = g.who(s.id, "A", 2)
    with study_ledger.opened(state, s) as con:
        study_ledger.sync(con, store, s)
        for key in store.list(studies.release_prefix(s.id)):
            if key.endswith(f"/{leaver}.parquet"):
                store.delete(key)
        report = study_ledger.sync(con, store, s)
        assert report.removed == DAYS
        for table in study_ledger.tables(s):
            left = con.execute(f"SELECT count(*) FROM {table} WHERE person = $p", {"p": leaver}).fetchone()[0]  # noqa: S608
            assert left == 0, table
        assert _count(con, "days") == 5 * DAYS
        assert con.execute("SELECT count(*) FROM files WHERE person = $p", {"p": leaver}).fetchone()[0] == 0


def _bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def test_a_bad_file_is_skipped_and_named(setup):
    """A file that breaks the promise (an extra column), claims another study or another person than its key,
    is for a day after the study ended, or is not Parquet at all is left out whole and named in the report
    with what is wrong; the good files still go in, and the bad ones stay named on the next sync."""
    s, store, state = setup
    person = g.who(s.id, "B", 0)
    day = g.DAY0 + dt.timedelta(days=20)
    values = g.row(s, day, person, random.Random(5))
    table = pa.Table.from_pylist([values], schema=sf.schema(s.measures))
    bad = {
        "extra": table.append_column("window_title", pa.array(["secret.docx"])),
        "other study": table.set_column(1, "study", pa.array(["other-study"])),
        "other person": table.set_column(0, "pseudonym", pa.array([g.who(s.id, "B", 1)])),
    }
    keys = {}
    for i, (what, t) in enumerate(bad.items()):
        key = studies.release_key(s.id, day + dt.timedelta(days=i), person)
        if what != "extra":
            t = t.set_column(2, "day", pa.array([day + dt.timedelta(days=i)], pa.date32()))
        store.put(key, _bytes(t))
        keys[what] = key
    keys["not parquet"] = studies.release_key(s.id, day + dt.timedelta(days=5), person)
    store.put(keys["not parquet"], b"PAR1 this is not a parquet file")
    late = s.ends + dt.timedelta(days=1)
    keys["after the end"] = g.put(store, s, g.row(s, late, person, random.Random(6)))
    with study_ledger.opened(state, s) as con:
        report = study_ledger.sync(con, store, s)
        assert report.added == 6 * DAYS
        assert set(report.skipped) == set(keys.values())
        assert "window_title" in report.skipped[keys["extra"]]
        assert "other-study" in report.skipped[keys["other study"]]
        assert "not what its key says" in report.skipped[keys["other person"]]
        assert "not a readable Parquet file" in report.skipped[keys["not parquet"]]
        assert "after the study ended" in report.skipped[keys["after the end"]]
        assert con.execute("SELECT count(*) FROM days WHERE person = $p", {"p": person}).fetchone()[0] == 0
        assert set(study_ledger.sync(con, store, s).skipped) == set(keys.values())
        assert keys["extra"] in str(report)


def test_export_writes_each_table_as_parquet_spark_can_read(setup, tmp_path):
    """The Parquet copy is what the Spark engine reads: every table, every row, the documented columns."""
    s, store, state = setup
    with study_ledger.opened(state, s) as con:
        study_ledger.sync(con, store, s)
        written = study_ledger.export(con, s, tmp_path / "export")
        counts = {t: _count(con, t) for t in study_ledger.tables(s)}
    assert sorted(p.parent.name for p in written) == sorted(counts)
    for path in written:
        table = pq.read_table(path)
        assert table.num_rows == counts[path.parent.name]
        assert table.column_names == [f.name for f in study_tables.BY_NAME[path.parent.name].fields]
        assert duckdb.sql(f"SELECT count(*) FROM '{path}'").fetchone()[0] == table.num_rows  # noqa: S608
