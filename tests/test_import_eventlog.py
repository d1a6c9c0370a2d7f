"""python -m capture import eventlog: process-mining logs, checked against pm4py's figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import queries
from testkit import cli, rows, shared

LOGS = ("running-example", "roadtraffic100traces", "reviewing")
COLUMNS = ("--case", "case:concept:name", "--activity", "concept:name", "--time", "time:timestamp")




def reference(log: str) -> dict:
    return json.loads(shared("eventlogs", "reference.json").read_text())[log]


def import_log(db: Path, path: Path, *extra: str, check: bool = True):
    return cli("import", "eventlog", str(path), *extra, "--db", str(db), check=check)


@pytest.fixture(scope="module")
def logs(tmp_path_factory) -> Path:
    """The three logs imported once, each as its own worker (named after the log)."""
    db = tmp_path_factory.mktemp("logs") / "logs.duckdb"
    for log in LOGS:
        import_log(db, shared("eventlogs", f"{log}.csv"), *COLUMNS, "--worker", log)
    return db


@pytest.mark.parametrize("log", LOGS)
def test_events_become_zero_length_focus_spans(logs, log):
    ref = reference(log)
    n, cases, activities, zero = rows(logs, """
        SELECT count(*), count(DISTINCT case_id), count(DISTINCT app), count(*) FILTER (WHERE start = stop)
        FROM spans WHERE worker = $w AND kind = 'focus' AND source = 'eventlog'""", {"w": log})[0]
    assert (n, cases, activities, zero) == (ref["events"], ref["cases"], ref["activities"], ref["events"])


@pytest.mark.parametrize("log", LOGS)
def test_transitions_match_pm4py(logs, log):
    """The directly-follows graph (counts exact, mean time within 1 ms) must be pm4py's."""
    got = queries.run("transitions", db=logs, worker=log)
    edges = {(s, d): (n, mean) for s, d, n, mean in got.select("src", "dst", "n", "mean_s").iter_rows()}
    expected = {(s, d): (n, mean) for s, d, n, mean in reference(log)["dfg"]}
    assert set(edges) == set(expected)
    for edge, (n, mean) in expected.items():
        assert edges[edge][0] == n, edge
        assert edges[edge][1] == pytest.approx(mean, abs=1e-3), edge


@pytest.mark.parametrize("log", LOGS)
def test_variants_and_start_end_activities_match_pm4py(logs, log):
    ref = reference(log)
    variants = queries.run("variants", db=logs, worker=log)
    assert dict(zip(variants["variant"], variants["n"])) == {v: n for v, n in ref["variants"]}
    ends = queries.run("start_end_activities", db=logs, worker=log)
    assert {a: n for role, a, n in ends.iter_rows() if role == "start"} == ref["start_activities"]
    assert {a: n for role, a, n in ends.iter_rows() if role == "end"} == ref["end_activities"]


def test_offsets_are_kept_and_times_are_utc(logs):
    """2010-12-30 14:32:00+01:00 is 13:32 UTC, one hour ahead of it locally."""
    first = rows(logs, """SELECT strftime(start AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M'), utc_offset FROM spans
                          WHERE worker = 'running-example' AND case_id = '3' ORDER BY start LIMIT 1""")
    assert first == [("2010-12-30 13:32", 3600)]
    offsets = {o for (o,) in rows(logs, "SELECT DISTINCT utc_offset FROM spans WHERE worker = 'roadtraffic100traces'")}
    assert offsets == {3600, 7200}


def test_events_at_the_same_time_keep_file_order(tmp_path, db):
    """Ties are common in logs stamped to the day; their order in the file is the process order."""
    log = tmp_path / "ties.csv"
    log.write_text("case,activity,time\n"
                   "c1,open,2024-01-01 09:00:00+00:00\n"
                   "c1,zeta,2024-01-01 10:00:00+00:00\n"
                   "c1,alpha,2024-01-01 10:00:00+00:00\n"
                   "c1,close,2024-01-01 11:00:00+00:00\n")
    out = import_log(db, log, "--case", "case", "--activity", "activity", "--time", "time").stdout
    assert "events (zero-length focus spans) 4; worker eventlog" in out
    variants = queries.run("variants", db=db)
    assert variants["variant"].to_list() == ["open > zeta > alpha > close"]


def test_importing_twice_stores_once(logs):
    before = rows(logs, "SELECT count(*) FROM spans")[0][0]
    result = import_log(logs, shared("eventlogs", "running-example.csv"), *COLUMNS, "--worker", "running-example")
    assert "already imported" in result.stdout
    assert rows(logs, "SELECT count(*) FROM spans")[0][0] == before


def test_missing_column_names_the_columns_there_are(db):
    result = import_log(db, shared("eventlogs", "running-example.csv"), "--case", "case:concept:name",
                        "--activity", "concept:name", "--time", "timestamp", check=False)
    assert result.returncode == 2
    assert result.stderr.startswith("error: running-example.csv: no column --time 'timestamp'; the columns are: ")
    assert "'time:timestamp'" in result.stderr
    assert not db.exists()


@pytest.mark.parametrize("line, column, value, message", [
    (20, 3, "30-12-2010 noon", "line 20: time:timestamp '30-12-2010 noon' is not an ISO 8601 timestamp"),
    (7, 7, "", "line 7: case:concept:name is empty"),
])
def test_bad_row_in_the_middle_imports_nothing(tmp_path, db, line, column, value, message):
    lines = shared("eventlogs", "running-example.csv").read_text().splitlines()
    fields = lines[line - 1].split(",")
    fields[column] = value
    lines[line - 1] = ",".join(fields)
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines) + "\n")
    result = import_log(db, bad, *COLUMNS, check=False)
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: bad.csv: {message}")
    assert not db.exists()


def test_not_a_csv_file(tmp_path, db):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    result = import_log(db, empty, *COLUMNS, check=False)
    assert result.returncode == 2 and result.stderr.startswith("error: empty.csv: the file is empty")


def test_a_far_future_time_is_refused_naming_its_line(db, tmp_path):
    """Hardening #10: an event in the year 9999 names its line and imports nothing."""
    path = tmp_path / "future.csv"
    path.write_text("case:concept:name,concept:name,time:timestamp\n1,a,2026-01-01T10:00:00\n1,b,9999-12-31T10:00:00\n")
    result = import_log(db, path, *COLUMNS, check=False)
    assert result.returncode == 2 and "line 3" in result.stderr and "lies outside 1990" in result.stderr
    assert not db.exists() or rows(db, "SELECT count(*) FROM events") == [(0,)]


def test_line_numbers_are_the_files_own_lines(db, tmp_path):
    """Hardening #13: a quoted field spanning lines must not shift the line
    an error names: the worker opens the file at that line and finds the event."""
    path = tmp_path / "multiline.csv"
    path.write_text('case:concept:name,concept:name,time:timestamp\n'
                    '1,"review\nthe paper",2026-01-01T10:00:00\n'
                    '1,b,not a time\n')
    result = import_log(db, path, *COLUMNS, check=False)
    assert result.returncode == 2 and "line 4:" in result.stderr, result.stderr


def test_times_read_in_bulk_are_the_times_python_reads():
    """The bulk reader (vectorised, for speed at millions of rows) must read
    every text exactly as parse_timestamp (Python's fromisoformat) does, and
    leave to it every text it does not take, so nothing is read differently."""
    import datetime as dt
    import random

    import polars as pl

    from importers.common import OutOfRange, parse_timestamp
    from importers.eventlog import _vectorised

    texts = ["2024-02-29T12:00:00Z", "2023-02-29T12:00:00", "2024-01-01T24:00:00", "2024-01-01T00:00:60",
             "2024-13-01T00:00:00", "2024-04-31 10:00", "2024-01-01T00:00:00+24:00", "2024-01-01T00:00:00+23:59",
             "2010-12-30T14:32:00z", " 2010-12-30 14:32:00+01:00 ", "2000-03-01T00:00:00,5", "2024-01-01 00:00",
             "2024-01-01T00:00:00.1234567", "1999-12-31T23:59:59.999999-00:00", "2024-01-01T00:00:00+0530"]
    rng = random.Random(11)
    for _ in range(5000):
        t = dt.datetime(1990, 1, 1) + dt.timedelta(seconds=rng.randrange(35 * 365 * 86400),
                                                   microseconds=rng.randrange(10**6))
        frac = rng.choice(["", f".{t.microsecond:06d}", f".{t.microsecond // 1000:03d}", ",5", ".1234567"])
        texts.append(t.strftime(f"%Y-%m-%d{rng.choice('T ')}%H:%M:%S") + frac
                     + rng.choice(["", "Z", "+01:00", "-05:00", "+0530", "-11:45", "+14:00"]))
    bulk = _vectorised(pl.Series(texts))
    taken = 0
    for text, us, offset in zip(texts, bulk["us"], bulk["offset"]):
        try:
            python = parse_timestamp(text)
        except OutOfRange:
            python = "out of range"  # the bulk reader reads it; the range check after it refuses it
        except ValueError:
            python = None
        if us is not None:
            taken += 1
            assert python == "out of range" or (us, offset) == python, text
    assert taken > 4900
