"""What ``workprint query run`` writes is data and nothing else, however long the query runs.

DuckDB prints a progress bar to stdout for a query that runs longer than 2 s;
in a result piped to a file or a program that bar is garbage ahead of the
data. These tests run a query that takes several seconds and read what came
out with a real parser.
"""

import csv
import io
import json
import subprocess
import sys
import time

import pyarrow.parquet as pq
import pytest

import store
from testkit import ROOT

# Focus steps of an imported event log, 20 to a case: `automation_candidates`
# (every 3- to 5-step sequence of every case) takes about 3 s on them here, alone.
STEPS = 2_400_000
BAR_SECONDS = 2.0  # DuckDB's progress_bar_time


@pytest.fixture(scope="module")
def slow_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("slow") / "steps.duckdb"
    con = store.open_writable(path)
    con.execute("""
        INSERT INTO spans
        SELECT 'log', 'focus', TIMESTAMPTZ '2025-01-01' + to_seconds(i * 7), TIMESTAMPTZ '2025-01-01' + to_seconds(i * 7),
               0, 'app' || (hash(i) % 30)::VARCHAR, NULL, (i // 20)::VARCHAR, 'eventlog', 1
        FROM range($n) t(i)""", {"n": STEPS})
    con.close()
    return path


def _run_formats(db, formats):
    """``query run automation_candidates`` once per format, side by side: (stdout, seconds) by format."""
    started = {}
    for fmt in formats:
        cmd = [sys.executable, "-m", "queries", "run", "automation_candidates", "--db", str(db), "--format", fmt]
        started[fmt] = (subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE),
                        time.monotonic())
    results = {}
    for fmt, (proc, t0) in started.items():
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
        results[fmt] = (out, time.monotonic() - t0)
    return results


def test_a_slow_query_writes_only_its_result(slow_db):
    """A worker who pipes a long query into a file or a program gets a file that
    parses: no progress bar ahead of the CSV header, the JSON or the Parquet."""
    results = _run_formats(slow_db, ("csv", "json", "parquet"))
    fastest = min(seconds for _, seconds in results.values())
    assert fastest > BAR_SECONDS + 0.5, f"the query took {fastest:.1f} s: too fast to test; raise STEPS"
    rows = list(csv.reader(io.StringIO(results["csv"][0].decode())))
    assert rows[0] == ["sequence", "length", "occurrences", "total_s", "mean_s", "days"]
    assert len(rows) == 21  # the header and the default 20 candidates
    records = json.loads(results["json"][0])
    assert len(records) == 20 and records[0]["sequence"] == rows[1][0]
    table = pq.read_table(io.BytesIO(results["parquet"][0]))
    assert table.num_rows == 20 and table.column("sequence")[0].as_py() == rows[1][0]


# DuckDB turns its bar on or off by guessing whether Python runs interactively:
# on for `python -c` and a notebook, off under pytest. These run as `python -c`.
def _python(code: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_a_slow_query_prints_nothing_in_process(slow_db):
    """A script or notebook that runs a long query through queries.run gets its
    frame, with nothing printed on its own output."""
    code = ("import sys, time, queries; t0 = time.monotonic(); frame = queries.run('automation_candidates', db=sys.argv[1]); "
            "print(frame.height, time.monotonic() - t0, file=sys.stderr)")
    result = _python(code, str(slow_db))
    assert result.returncode == 0, result.stderr
    height, seconds = result.stderr.split()
    assert float(seconds) > BAR_SECONDS, f"the query took {float(seconds):.1f} s: too fast to test; raise STEPS"
    assert height == "20" and result.stdout == ""


SETTINGS = """
import json, sys
from pathlib import Path
import store
from store import client, paths
db, sql = Path(sys.argv[1]), "SELECT current_setting('enable_progress_bar') AS bar"
seen = {}
con = store.open_writable(db)
seen["writer"] = con.execute(sql).fetchall()[0][0]
con.close()
con = store.open_read_only(db)
seen["reader"] = con.execute(sql).fetchall()[0][0]
con.close()
seen["client"] = client.read(paths.paths(db), sql).column("bar").to_pylist()[0]
daemon_db = store.Database(db)
seen["daemon reader"] = daemon_db.cursor().execute(sql).fetchall()[0][0]
daemon_db.close()
print(json.dumps(seen))
"""


def test_every_connection_has_the_progress_bar_off(db):
    """The writer, readers of the file, and the daemon's readers (its cursors):
    none may print a bar, in a process where DuckDB would show one."""
    result = _python(SETTINGS, str(db))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"writer": False, "reader": False, "client": False, "daemon reader": False}


@pytest.mark.parametrize("name, params", [
    ("timeline", ["start=2026-11-26", "end=2026-11-27"]),  # UTC and local times, text, seconds
    ("daily_activity", []), ("data_range", []), ("has_data", []),  # dates, small integers, a boolean
    ("sequences", []), ("app_categories", []),
])
def test_the_command_line_writes_what_polars_wrote(dashboard_db, name, params):
    """The command line writes results straight from Arrow (a process that runs
    one query no longer loads polars): every value in the forms polars gave,
    so scripts that read them do not change. Floats are compared as numbers
    (Python may write a tiny one as 1e-05 where polars wrote 0.00001)."""
    import queries

    frame = queries.run(name, db=dashboard_db, **dict(p.split("=") for p in params))
    assert frame.height > 0
    base = [sys.executable, "-m", "queries", "run", name, "--db", str(dashboard_db), *(f"--param={p}" for p in params)]
    out = subprocess.run(base, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    floats = [i for i, t in enumerate(frame.dtypes) if t.is_float()]
    ours, theirs = (list(csv.reader(io.StringIO(text))) for text in (out, frame.write_csv()))
    assert len(ours) == len(theirs) == frame.height + 1 and ours[0] == theirs[0]
    for mine, polars_row in zip(ours[1:], theirs[1:]):
        for i, (a, b) in enumerate(zip(mine, polars_row, strict=True)):
            assert (float(a) == float(b)) if i in floats and a and b else a == b, (mine, polars_row)
    out = subprocess.run([*base, "--format", "json"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == json.loads(frame.write_json())
    imported = subprocess.run([sys.executable, "-X", "importtime", *base[1:]], cwd=ROOT, capture_output=True,
                              text=True, check=True).stderr
    assert "| polars\n" not in imported and "| pyarrow\n" not in imported


def test_every_value_is_written_as_polars_wrote_it():
    """The writer, value by value against polars, on what the store returns:
    text that needs quoting (or is empty), times to the microsecond, to the
    millisecond and whole, UTC and local, dates, booleans, nulls."""
    import datetime as dt
    import random

    import polars as pl

    from cli.query_commands import _write

    rng = random.Random(3)
    utc = dt.timezone.utc
    n = 2000

    def moment():
        us = rng.choice([0, 1000 * rng.randrange(1, 1000), rng.randrange(1, 10**6)])
        return dt.datetime(2020, 1, 1) + dt.timedelta(seconds=rng.randrange(10**8), microseconds=us)

    def maybe(value):
        return None if rng.random() < 0.1 else value

    frame = pl.DataFrame({
        "text": [maybe(rng.choice(["", "a", "x,y", 'say "hi"', "two\nlines", "cr\rhere", "Zoë", " pad "])) for _ in range(n)],
        "at": [maybe(moment().replace(tzinfo=utc)) for _ in range(n)],
        "local": [maybe(moment()) for _ in range(n)],
        "day": [maybe(moment().date()) for _ in range(n)],
        "flag": [maybe(rng.random() < 0.5) for _ in range(n)],
        "count": [maybe(rng.randrange(-10**12, 10**12)) for _ in range(n)],
    }, schema={"text": pl.String, "at": pl.Datetime("us", "UTC"), "local": pl.Datetime("us"), "day": pl.Date,
               "flag": pl.Boolean, "count": pl.Int64})
    for fmt, theirs in (("csv", frame.write_csv()), ("json", frame.write_json() + "\n")):
        out = io.BytesIO()
        _write(frame.columns, frame.rows(), fmt, out)
        assert out.getvalue().decode() == theirs, fmt
