"""Releases into the server's ledger: checked file by file, a bad one skipped
and named (never half-ingested, never a crashed read), a removed one's rows
gone, only new or changed files read again; the ledger is the owner's only."""

from __future__ import annotations

import datetime as dt
import io
import random
import stat
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import team_gen as g

from team import ingest, ledger, views
from team.viewer import Viewer

W0 = g.WEEK0


@pytest.fixture
def store(tmp_path):
    return g.build(tmp_path / "store", {"A": 6}, weeks=1)


def _count(con):
    return con.execute("SELECT count(*) FROM releases").fetchone()[0]


def _bad_files(store):
    """Three broken releases of three new workers on the Monday: an extra column, a wrong type, cut bytes."""
    rng = random.Random(2)
    keys = {}
    row = g.release_row("A", W0, g.who("A", 10), rng)
    extra = pa.Table.from_pylist([row], schema=g.release_format.schema()).append_column("title", pa.array(["mail"]))
    sink = io.BytesIO()
    pq.write_table(extra, sink)
    keys["extra column"] = g.teamstore.release_key("A", W0, row["pseudonym"])
    store.put(keys["extra column"], sink.getvalue())
    row = g.release_row("A", W0, g.who("A", 11), rng)
    table = pa.Table.from_pylist([row], schema=g.release_format.schema())
    wrong = table.set_column(table.schema.get_field_index("focus_seconds"), "focus_seconds",
                             pa.array([str(row["focus_seconds"])]))
    sink = io.BytesIO()
    pq.write_table(wrong, sink)
    keys["wrong type"] = g.teamstore.release_key("A", W0, row["pseudonym"])
    store.put(keys["wrong type"], sink.getvalue())
    row = g.release_row("A", W0, g.who("A", 12), rng)
    keys["truncated"] = g.teamstore.release_key("A", W0, row["pseudonym"])
    store.put(keys["truncated"], g.encode(row)[:-40])
    row = g.release_row("A", W0, g.who("A", 13), rng)
    keys["other team inside"] = g.teamstore.release_key("A", W0 + dt.timedelta(days=1), row["pseudonym"])
    store.put(keys["other team inside"], g.encode({**row, "team": "B", "day": W0 + dt.timedelta(days=1)}))
    return keys


def test_bad_files_are_skipped_and_named(store, tmp_path):
    """Each broken file is reported by its key with what is wrong, the 30 good ones go in, and the report
    says so again next time until the file changes."""
    keys = _bad_files(store)
    with ledger.opened(tmp_path / "state") as con:
        report = ingest.sync(con, store)
        assert report.added == 30 and _count(con) == 30
        assert set(report.skipped) == set(keys.values())
        assert "column title: string is not promised" in report.skipped[keys["extra column"]]
        assert "focus_seconds" in report.skipped[keys["wrong type"]]
        assert "not a readable Parquet file" in report.skipped[keys["truncated"]]
        assert "not what its key says" in report.skipped[keys["other team inside"]]
        again = ingest.sync(con, store)
        assert again.added == 0 and again.unchanged == 34 and set(again.skipped) == set(keys.values())
        row = g.release_row("A", W0, g.who("A", 12), random.Random(3))
        store.put(keys["truncated"], g.encode(row))  # the worker sends the day again, whole
        fixed = ingest.sync(con, store)
        assert fixed.added == 1 and keys["truncated"] not in fixed.skipped and _count(con) == 31


def test_a_read_over_bad_files_does_not_crash(store, tmp_path):
    _bad_files(store)
    viewer = Viewer("manager ann", "manager", frozenset({"A"}))
    result = views.read(viewer, "switching", ["A"], [W0], store=store, state=tmp_path / "state", today=g.TODAY)
    assert not result.frame["suppressed"].any()


def test_a_removed_file_takes_its_row_and_a_changed_one_replaces_it(store, tmp_path):
    """A revoked worker's files removed from the store leave the ledger at the next sync; a day sent
    again replaces its row instead of adding one."""
    gone = g.who("A", 0)
    with ledger.opened(tmp_path / "state") as con:
        ingest.sync(con, store)
        for key in store.list("releases"):
            if gone in key:
                store.delete(key)
        report = ingest.sync(con, store)
        assert report.removed == 5 and _count(con) == 25
        assert con.execute("SELECT count(*) FROM releases WHERE pseudonym = $p", {"p": gone}).fetchone() == (0,)
        other = g.who("A", 1)
        row = g.release_row("A", W0, other, random.Random(9))
        store.put(g.teamstore.release_key("A", W0, other), g.encode({**row, "focus_seconds": 4321}))
        report = ingest.sync(con, store, "releases/A/2026-01-05")
        assert (report.replaced, report.added, report.removed, report.unchanged) == (1, 0, 0, 4)
        assert con.execute("SELECT focus_seconds FROM releases WHERE pseudonym = $p AND day = $d",
                           {"p": other, "d": W0}).fetchall() == [(4321,)]


def test_the_ledger_is_the_owners_only(store, tmp_path):
    with ledger.opened(tmp_path / "state") as con:
        ingest.sync(con, store)
    assert stat.S_IMODE((tmp_path / "state").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "state" / ledger.FILE).stat().st_mode) == 0o600


def test_the_ledger_holds_no_names():
    """Nothing in the ledger could join a pseudonym to a person: no column names one."""
    text = (Path(ledger.__file__).parent / "team.sql").read_text()
    for word in ("name VARCHAR", "worker VARCHAR", "email", "account"):
        assert word not in text
