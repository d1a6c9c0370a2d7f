"""The researcher's SQL sandbox (team/sandbox.py) over a real study ledger (a DuckDB file).

If these fail, a researcher could read files or the network from the server, change or leave the study's
ledger, read another study's or the server's tables, see a single person's values, or hang the server.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import statistics
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlglot
from sqlglot import exp

from team import sandbox, study_tables
from team.sandbox import SandboxFailed, SandboxRefused

K = 3
MEASURES = ("activity", "categories", "typing")  # days, hours, categories, typing: no transitions
TABLES = tuple(t.name for t in study_tables.for_measures(MEASURES))
PEOPLE = [f"p{i:02d}" for i in range(6)]
WEEK1, WEEK2 = dt.date(2026, 1, 5), dt.date(2026, 1, 12)


def _rows() -> dict[str, list[dict]]:
    """Six people released all of week 1; only two released in week 2 (under k). Only p00 used 'Rare'."""
    rng = random.Random(13)
    out = {name: [] for name in TABLES}
    person_days = [(p, WEEK1 + dt.timedelta(d)) for p in PEOPLE for d in range(5)]
    person_days += [(p, WEEK2 + dt.timedelta(d)) for p in PEOPLE[:2] for d in range(2)]
    for person, day in person_days:
        keys = {"person": person, "day": day, "week": day - dt.timedelta(day.weekday()), "weekday": day.isoweekday()}
        out["days"].append({**keys, "active_minutes": rng.randint(60, 480), "switches": rng.randint(10, 300),
                            "focus_sessions": None, "focus_seconds": None})
        for hour in range(24):
            out["hours"].append({**keys, "hour": hour, "active_minutes": rng.randint(0, 60), "switches": rng.randint(0, 30)})
        for category in ["Code", "Mail"] + (["Rare"] if person == "p00" else []):
            out["categories"].append({**keys, "category": category, "seconds": rng.randint(60, 9000)})
        for b in range(3):
            out["typing"].append({**keys, "bin": b, "lo_ms": b * 100.0, "hi_ms": (b + 1) * 100.0, "n": rng.randint(0, 50)})
    return out


def _write_ledger(path: Path, rows: dict[str, list[dict]]) -> None:
    con = duckdb.connect(str(path))
    for name in TABLES:
        table = study_tables.BY_NAME[name]
        schema = exp.Schema(this=exp.to_table(name), expressions=[
            exp.ColumnDef(this=exp.to_identifier(f.name), kind=exp.DataType.build(f.sql_type, dialect="duckdb"))
            for f in table.fields])
        con.execute(exp.Create(this=schema, kind="TABLE").sql("duckdb"))
        frame = pa.Table.from_pylist(rows[name])  # noqa: F841  (read by DuckDB's replacement scan below)
        con.execute(exp.insert(exp.select("*").from_("frame"), name).sql("duckdb"))
    con.close()


@pytest.fixture(scope="module")
def data():
    return _rows()


@pytest.fixture(scope="module")
def ledger(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("study") / "ledger.duckdb"
    _write_ledger(path, data)
    return path


@pytest.fixture
def unchanged(ledger):
    """The ledger's bytes are the same after the test as before it."""
    before = hashlib.sha256(ledger.read_bytes()).hexdigest()
    yield ledger
    assert hashlib.sha256(ledger.read_bytes()).hexdigest() == before, "the sandbox changed the study's ledger"


def _run(ledger, sql, **kw):
    return sandbox.run(ledger, sql, TABLES, kw.pop("k", K), **kw)


# --- Hostile queries: refused before anything runs, saying what and why ------------------------------------

HOSTILE = [
    ("SELECT * FROM read_csv('/etc/passwd')", "read_csv.*reads files"),
    ("SELECT count(*) FROM read_csv('/etc/passwd')", "read_csv.*reads files"),
    ("SELECT count(*) FROM read_parquet('{other}')", "read_parquet.*reads files"),
    ("sElEcT count(*) fRoM ReAd_PaRqUeT('{other}')", "read_parquet.*reads files"),
    ("SELECT count(*) FROM \"read_csv\"('/etc/passwd')", "read_csv.*reads files"),
    ("SELECT count(*) FROM read_csv('https://example.com/x.csv')", "read_csv.*network"),
    ("SELECT count(*) FROM '/etc/passwd'", "table '/etc/passwd'.*this study's tables are"),
    ("SELECT count(*) FROM '{other}'", "this study's tables are"),
    ("INSTALL httpfs", "INSTALL statement"),
    ("LOAD httpfs", "LOAD statement"),
    ("ATTACH '{tmp}/other.db' AS other", "ATTACH statement"),
    ("DETACH ledger", "DETACH statement"),
    ("USE ledger", "USE statement"),
    ("COPY days TO '{tmp}/out.csv'", "COPY statement"),
    ("COPY (SELECT count(*) FROM days) TO '{tmp}/out.csv'", "COPY statement"),
    ("EXPORT DATABASE '{tmp}/export'", "EXPORT statement"),
    ("PRAGMA table_info('days')", "PRAGMA statement"),
    ("SET enable_external_access = true", "SET statement"),
    ("RESET memory_limit", "RESET statement"),
    ("CALL pragma_version()", "CALL statement"),
    ("CREATE TABLE t AS SELECT count(*) FROM days", "CREATE statement"),
    ("CREATE VIEW v AS SELECT count(*) FROM days", "CREATE statement"),
    ("CREATE MACRO m(x) AS x", "CREATE statement"),
    ("INSERT INTO days (person) VALUES ('x')", "INSERT statement.*changes data"),
    ("UPDATE days SET active_minutes = 0", "UPDATE statement.*changes data"),
    ("DELETE FROM days", "DELETE statement.*changes data"),
    ("DROP TABLE days", "DROP statement"),
    ("DESCRIBE days", "DESCRIBE statement"),
    ("SHOW TABLES", "SHOW statement"),
    ("SUMMARIZE days", "SUMMARIZE statement"),
    ("SELECT count(*) FROM days; DROP TABLE days", "2 statements"),
    ("SELECT count(*) FROM days /* only a comment */; DROP TABLE days", "2 statements"),
    ("SELECT count(*) FROM days --\n; DELETE FROM days", "2 statements"),
    ("SELECT count(*) FROM information_schema.tables", "qualified table"),
    ("SELECT count(*) FROM duckdb_tables()", "duckdb_tables.*server's settings"),
    ("SELECT count(*) FROM sqlite_master", "table 'sqlite_master'"),
    ("SELECT count(*) FROM ledger.days", "qualified table ledger.days"),
    ("SELECT count(*) FROM \"ledger\".\"DAYS\"", "qualified table"),
    ("SELECT count(*) FROM memory.main.x", "qualified table"),
    ("SELECT count(ledger.main.days.person) FROM days", "qualified column"),
    ("SELECT count(*) FROM transitions", "table 'transitions'.*days, hours, categories, typing"),
    ("SELECT count(*) FROM glob('/etc/*')", "glob.*reads files"),
    ("SELECT count(*) FROM range(1000000000)", "range"),
    ("SELECT count(*) FROM days WHERE getenv('HOME') IS NOT NULL", "getenv.*environment"),
    ("SELECT current_setting('memory_limit'), count(*) FROM days", "current_setting"),
    ("SELECT week, list(active_minutes) FROM days GROUP BY week", "list/array_agg.*single person"),
    ("SELECT week, array_agg(active_minutes) FROM days GROUP BY week", "array_agg.*single person"),
    ("SELECT week, string_agg(category, ',') FROM categories GROUP BY week", "string_agg.*single person"),
    ("SELECT week, min(active_minutes) FROM days GROUP BY week", "min\\(\\).*single person"),
    ("SELECT week, MAX(active_minutes) FROM days GROUP BY week", "max\\(\\).*single person"),
    ("SELECT week, first(active_minutes) FROM days GROUP BY week", "first.*single person"),
    ("SELECT week, arg_max(day, active_minutes) FROM days GROUP BY week", "arg_max.*single person"),
    ("SELECT week, max_by(day, active_minutes) FROM days GROUP BY week", "max_by.*single person"),
    ("SELECT week, arg_max_null(day, active_minutes) FROM days GROUP BY week", "arg_max_null.*not among the functions"),
    ("SELECT week, mode(active_minutes) FROM days GROUP BY week", "mode.*single person"),
    ("SELECT week, quantile_cont(active_minutes, 1.0) FROM days GROUP BY week", "from 0.25 to 0.75"),
    # Near 1 a quantile is the group's maximum: one person's value (a review's bypass of the min/max refusal).
    ("SELECT day, quantile_cont(active_minutes, 0.999999) FROM days GROUP BY day", "from 0.25 to 0.75"),
    ("SELECT day, quantile_cont(active_minutes, 0.000001) FROM days GROUP BY day", "from 0.25 to 0.75"),
    # A per-person flag joined back on person alone carries one person's rows into every group (a review's
    # attack: one person's whole daily series, each row still counting k people); so does a partner's rare value.
    ("SELECT d.day, sum(d.switches * s.flag) FROM days d JOIN (SELECT person, sum(CAST(active_minutes = 417 AS "
     "INTEGER)) AS flag FROM days GROUP BY person) s ON d.person = s.person GROUP BY d.day", "person"),
    ("SELECT d.day, sum(d.switches * CAST(c.seconds = 1234 AS INTEGER)) FROM days d JOIN categories c "
     "ON d.person = c.person GROUP BY d.day", "person"),
    ("SELECT d.day, sum(d.switches) FROM days d JOIN categories c ON d.person = c.person OR d.day = c.day "
     "GROUP BY d.day", "person"),
    ("SELECT week, quantile_cont(active_minutes, [0.1, 0.9]) FROM days GROUP BY week", "one fraction"),
    ("SELECT week, sum(active_minutes) OVER (PARTITION BY week) FROM days", "window function"),
    ("SELECT week, rank() OVER (ORDER BY count(*)) FROM days GROUP BY week", "window function"),
    ("SELECT person FROM days", "does not aggregate"),
    ("SELECT person, active_minutes FROM days WHERE week = '2026-01-05'", "does not aggregate"),
    ("SELECT * FROM days", "\\*"),
    ("SELECT count(*) FROM days WHERE person = 'p01'", "person.*single one person out"),
    ("SELECT week, sum(CASE WHEN person = 'p01' THEN active_minutes END) FROM days GROUP BY week", "person"),
    ("SELECT count(*) FILTER (WHERE person < 'p03') FROM days", "person"),
    ("SELECT count(*) FROM days AS d(day, person)", "renaming the columns"),
    ("SELECT count(*) FROM days WHERE day IN (SELECT day FROM transitions)", "table 'transitions'"),
    ("SELECT count(*) FROM days WHERE day IN (SELECT day FROM hours)", "subquery may only stand in FROM"),
    ("SELECT count(*) FROM days WHERE EXISTS (SELECT 1 FROM hours)", "subquery may only stand in FROM"),
    ("SELECT (SELECT count(*) FROM hours), count(*) FROM days", "subquery may only stand in FROM"),
    ("SELECT count(*) FROM (SELECT * FROM read_csv('/etc/passwd')) s", "read_csv.*reads files"),
    ("WITH t AS (SELECT * FROM read_csv('/etc/passwd')) SELECT count(*) FROM t", "read_csv.*reads files"),
    ("WITH t AS (SELECT * FROM ledger.main.days) SELECT count(*) FROM t", "qualified table"),
    ("WITH t AS (SELECT person AS who, week FROM days) SELECT count(*) FROM t WHERE who = 'p01'", "person"),
    ("SELECT count(*) FROM (SELECT week AS person FROM days) s", "only the person column may be called person"),
    ("WITH RECURSIVE t AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM t) SELECT count(*) FROM t", "RECURSIVE"),
    ("SELECT count(*) FROM (SELECT week, count(*) AS n FROM days GROUP BY week) s", "must GROUP BY s.person|person"),
    ("SELECT median(n) FROM (SELECT person, count(*) AS n FROM days GROUP BY ALL) s", "GROUP BY"),
    ("SELECT count(*) FROM (SELECT DISTINCT week FROM days) s", "DISTINCT in a subquery"),
    ("SELECT count(*) FROM (SELECT * EXCLUDE (person) FROM days) s", "\\*"),
    ("SELECT count(*) FROM (SELECT 1 UNION SELECT 2) s", "UNION"),
    ("SELECT count(*) FROM (SELECT person FROM days) s WHERE s.person = 'p01'", "person"),
    ("SELECT count(*) FROM (SELECT count(*) AS n) s", "reading no table"),
    ("SELECT count(*) FROM (SELECT * FROM days) AS s(a, b)", "renaming the columns"),
    ("SELECT count(*) AS __workprint_persons FROM days", "__workprint_persons.*sandbox's own"),
    ("SELECT week, count(*) FROM days GROUP BY week ORDER BY __WORKPRINT_persons", "sandbox's own"),
    ("SELECT count(*) UNION SELECT count(*) FROM days", "UNION statement"),
    ("SELECT count(*) FROM days POSITIONAL JOIN hours", "join"),
    ("SELECT count(*) FROM days WHERE weekday = $1", "parameter"),
    ("SELECT count(*)", "reading no table"),
    ("   ", "empty query"),
    ("SELECT count(*) FROM categories WHERE category = 'a\\'; DROP TABLE days; --'", "3 statements"),
    ("SELECT count(*) FROM categories WHERE category = $$a'; DROP TABLE days; --$$", "rawstring"),
    ("SELECT count(*) FROM days NATURAL JOIN hours", "join"),
    ("SELECT count(*) FROM days, LATERAL (SELECT 1 AS x) l", "lateral"),
    ("SELECT count(*) FROM days QUALIFY true", "qualify"),
    ("SELECT count(*) FROM days PIVOT (sum(active_minutes) FOR weekday IN (1, 2))", "pivot"),
    ("SELECT week, count(*) FROM days GROUP BY week HAVING sum(CASE WHEN days::VARCHAR > 'p03' THEN 1 END) > 0",
     "column 'days'.*whole row"),
    ("SELECT count(*) FROM days d WHERE d::VARCHAR LIKE '%p01%'", "column 'd'"),
    ("SELECT count(*) FROM days AS week", "name 'week' for a table and a column"),
    ("SELECT count(*) FROM days d WHERE (d).person IS NOT NULL", "dot"),
    ("SELECT count(*) FROM days USING SAMPLE 10", "tablesample"),
    ("SELECT week, approx_quantile(active_minutes, 0.5) FROM days GROUP BY week", "approx_quantile"),
    ("SELECT count(*) FROM days WHERE {deep}", "nested this deeply"),
    ("SELECT count(*) FROM days WHERE weekday = 1{long}", "characters"),
]


@pytest.mark.parametrize(("sql", "why"), HOSTILE, ids=[f"{i:02d}" for i in range(len(HOSTILE))])
def test_hostile_query_is_refused_naming_why(unchanged, tmp_path, sql, why):
    """A query reaching beyond reading the study's tables is refused with a message saying what and why,
    before anything runs (a missing ledger is refused the same way: nothing was opened), the ledger unchanged
    and nothing written."""
    other = tmp_path / "other.parquet"
    pq.write_table(pa.table({"x": [1, 2, 3]}), other)
    sql = sql.format(other=other, tmp=tmp_path, deep="(" * 60 + "true" + ")" * 60, long=" AND weekday = 1" * 2000)
    with pytest.raises(SandboxRefused, match=f"(?is)refused: .*{why}"):
        _run(unchanged, sql)
    with pytest.raises(SandboxRefused, match=f"(?is){why}"):
        _run(tmp_path / "never-opened.duckdb", sql)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.parquet"], "a refused query wrote a file"


_RUNAWAY = """
import sys, time
from team import sandbox
started = time.monotonic()
try:
    sandbox.run(sys.argv[1], "SELECT count(*) FROM hours a, hours b, hours c, hours d", sys.argv[2].split(","), 3,
                timeout_s=1)
except sandbox.SandboxTimeout as error:
    print("stopped", round(time.monotonic() - started, 2), error)
"""


def test_a_query_past_the_time_limit_is_stopped(unchanged):
    """A researcher's runaway join would hold the server; it is stopped at the limit and says so. (In a child
    process, so that a sandbox without its timer fails this test instead of running for hours.)"""
    try:
        child = subprocess.run([sys.executable, "-c", _RUNAWAY, str(unchanged), ",".join(TABLES)],
                               capture_output=True, text=True, timeout=20)
    except subprocess.TimeoutExpired:
        pytest.fail("the runaway query was not stopped within 20 s")
    assert child.stdout.startswith("stopped"), child.stdout + child.stderr
    _, seconds, message = child.stdout.split(" ", 2)
    assert 0.9 < float(seconds) < 2.5 and "the query ran past 1 s" in message
    assert _run(unchanged, "SELECT count(*) FROM days").rows == ((34,),)  # and the ledger still reads


# --- Normal queries: right values, k suppression, persons, row limit -------------------------------------


def test_aggregates_match_an_independent_computation(unchanged, data):
    """The figures a researcher reads are the data's, not the rewrite's."""
    result = _run(unchanged, "SELECT week, count(*) AS n, sum(active_minutes), avg(switches), median(active_minutes),"
                             " count(DISTINCT person) FROM days GROUP BY week ORDER BY week")
    week1 = [r for r in data["days"] if r["week"] == WEEK1]
    assert result.columns == ("week", "n", "sum(active_minutes)", "avg(switches)", "median(active_minutes)",
                              "count(DISTINCT person)")
    assert result.rows == ((WEEK1, len(week1), sum(r["active_minutes"] for r in week1),
                            pytest.approx(statistics.mean(r["switches"] for r in week1)),
                            statistics.median(r["active_minutes"] for r in week1), 6),)
    assert (result.suppressed, result.truncated) == (1, False)


def test_quoted_and_cased_names_read_the_study_table(unchanged, data):
    """"DAYS" is DuckDB's days: allowed, and the same figure."""
    assert _run(unchanged, 'SELECT COUNT(*) FROM "DAYS" WHERE "Week" = DATE \'2026-01-05\'').rows == ((30,),)


def test_join_and_where_values(unchanged, data):
    """A join of two study tables counts the right rows and keeps k over both."""
    result = _run(unchanged, "SELECT c.category, sum(c.seconds) AS s, avg(d.active_minutes) FROM days d "
                             "JOIN categories c ON d.person = c.person AND d.day = c.day "
                             "WHERE d.week = '2026-01-05' GROUP BY c.category ORDER BY c.category")
    for category, total, mean in result.rows:
        rows = [c for c in data["categories"] if c["category"] == category and c["week"] == WEEK1]
        assert total == sum(c["seconds"] for c in rows)
        minutes = {(d["person"], d["day"]): d["active_minutes"] for d in data["days"]}
        assert mean == pytest.approx(statistics.mean(minutes[(c["person"], c["day"])] for c in rows))
    assert [r[0] for r in result.rows] == ["Code", "Mail"]  # 'Rare' is one person's
    assert result.suppressed == 1


def test_rows_under_k_are_suppressed_and_counted(unchanged):
    """A group of fewer than k persons is never shown, only counted; a per-person GROUP BY shows nothing."""
    per_person = _run(unchanged, "SELECT person, sum(active_minutes) FROM days GROUP BY person")
    assert (per_person.rows, per_person.suppressed) == ((), 6)
    weeks = _run(unchanged, "SELECT week, count(*) FROM days GROUP BY week ORDER BY week")
    assert [r[0] for r in weeks.rows] == [WEEK1] and weeks.suppressed == 1
    assert _run(unchanged, "SELECT week, count(*) FROM days GROUP BY week", k=2).suppressed == 0
    assert _run(unchanged, "SELECT count(*) FROM days WHERE week = '2026-01-12'").rows == ()


def test_persons_are_those_whose_rows_were_read(unchanged):
    """The access log learns whose rows a query read: everyone for a whole table, two for week 2, even when
    the result was suppressed; a join reports both tables' people."""
    assert _run(unchanged, "SELECT count(*) FROM days").persons == set(PEOPLE)
    week2 = _run(unchanged, "SELECT count(*) FROM days WHERE week = '2026-01-12'")
    assert (week2.persons, week2.rows) == ({"p00", "p01"}, ())
    # A value condition is not trusted to narrow who was read: over-include rather than miss.
    assert _run(unchanged, "SELECT count(*) FROM days WHERE active_minutes > 10000").persons == set(PEOPLE)
    joined = _run(unchanged, "SELECT count(*) FROM days d JOIN categories c ON d.person = c.person AND d.day = c.day "
                             "WHERE d.week = '2026-01-12' AND c.category = 'Rare'")
    assert joined.persons == set(PEOPLE)  # c is not narrowed by its category, d by its week
    assert _run(unchanged, "SELECT count(*) FROM days d JOIN hours h ON d.person = h.person AND d.day = h.day "
                           "WHERE d.week = '2026-01-12' AND h.week = '2026-01-12'").persons == {"p00", "p01"}


def test_per_person_figures_then_their_distribution(unchanged, data):
    """The common research query, a per-person figure then its median across people, works as a subquery in
    FROM or a CTE, gives the data's values, and keeps k counting people, not per-person rows."""
    sub = _run(unchanged, "SELECT week, median(m), count(*) FROM (SELECT person, week, sum(active_minutes) AS m "
                          "FROM days GROUP BY person, week) s GROUP BY week ORDER BY week")
    cte = _run(unchanged, "WITH per AS (SELECT person, week, sum(active_minutes) AS m FROM days GROUP BY person, week) "
                          "SELECT week, median(m), count(*) FROM per GROUP BY week ORDER BY week")
    sums = {}
    for r in data["days"]:
        sums[(r["person"], r["week"])] = sums.get((r["person"], r["week"]), 0) + r["active_minutes"]
    week1 = [v for (p, w), v in sums.items() if w == WEEK1]
    assert sub.rows == cte.rows == ((WEEK1, statistics.median(week1), 6),)
    assert sub.suppressed == cte.suppressed == 1  # week 2: two people
    assert sub.persons == set(PEOPLE)


def test_subqueries_keep_k_and_persons(unchanged, data):
    """A subquery cannot hide how few people a row covers, and its own WHERE scopes whom it read."""
    few = _run(unchanged, "SELECT avg(n) FROM (SELECT person, count(*) AS n FROM days WHERE week = '2026-01-12' "
                          "GROUP BY person) s")
    assert (few.rows, few.suppressed, few.persons) == ((), 1, {"p00", "p01"})
    top = _run(unchanged, "SELECT avg(m) FROM (SELECT person, sum(active_minutes) AS m FROM days GROUP BY person "
                          "ORDER BY m DESC LIMIT 2) s")
    assert (top.rows, top.suppressed) == ((), 1)  # the top two people: under k
    busy = _run(unchanged, "SELECT count(*) FROM (SELECT * FROM days WHERE active_minutes > 300) AS s")
    assert busy.rows == ((sum(r["active_minutes"] > 300 for r in data["days"]),),)
    joined = _run(unchanged, "SELECT c.category, count(*) FROM (SELECT person, day FROM days WHERE week = '2026-01-05') s"
                             " JOIN categories c ON s.person = c.person AND s.day = c.day GROUP BY c.category "
                             "ORDER BY c.category")
    assert joined.rows == (("Code", 30), ("Mail", 30)) and joined.suppressed == 1  # 'Rare': one person


ALLOWED = [  # each allowed function, as a researcher would write it
    "SELECT date_trunc('week', day) AS v, count(*) AS n FROM days GROUP BY v",
    'SELECT extract(dow FROM day) AS v, count(*) AS n FROM days GROUP BY v',
    "SELECT date_part('hour', day::TIMESTAMP) AS v, count(*) AS n FROM days GROUP BY v",
    "SELECT strftime(day, '%Y-%m') AS v, count(*) AS n FROM days GROUP BY v",
    'SELECT epoch(day::TIMESTAMP) AS v, count(*) AS n FROM days GROUP BY v',
    "SELECT date_diff('day', week, day) AS v, count(*) AS n FROM days GROUP BY v",
    'SELECT day + INTERVAL 1 DAY AS v, count(*) AS n FROM days GROUP BY v',
    "SELECT day - INTERVAL '7 days' AS v, count(*) AS n FROM days GROUP BY v",
    'SELECT isodow(day) AS v, count(*) AS n FROM days GROUP BY v',
    'SELECT dayname(day) AS v, count(*) AS n FROM days GROUP BY v',
    'SELECT monthname(day) AS v, count(*) AS n FROM days GROUP BY v',
    'SELECT year(day) AS v, count(*) AS n FROM days GROUP BY v',
    'SELECT month(day) AS v, count(*) AS n FROM days GROUP BY v',
    'SELECT weekofyear(day) AS v, count(*) AS n FROM days GROUP BY v',
    'SELECT isoyear(day) AS v, count(*) AS n FROM days GROUP BY v',
    "SELECT CASE WHEN weekday > 5 THEN 'weekend' ELSE 'workday' END AS v, count(*) AS n FROM days GROUP BY v",
    'SELECT if(weekday > 5, 1, 0) AS v, count(*) AS n FROM days GROUP BY v',
    'SELECT coalesce(focus_seconds, 0) AS v, count(*) AS n FROM days GROUP BY v',
    'SELECT nullif(switches, 0) AS v, count(*) AS n FROM days GROUP BY v',
    'SELECT greatest(switches, 100) AS v, count(*) AS n FROM days GROUP BY v',
    'SELECT round(active_minutes / 60.0, 1) AS v, count(*) AS n FROM days GROUP BY v',
    'SELECT floor(active_minutes / 60) AS v, count(*) AS n FROM days GROUP BY v',
    'SELECT active_minutes // 60 AS v, count(*) AS n FROM days GROUP BY v',
    'SELECT active_minutes % 60 AS v, count(*) AS n FROM days GROUP BY v',
    'SELECT abs(switches - 100) AS v, count(*) AS n FROM days GROUP BY v',
    'SELECT sqrt(switches) AS v, count(*) AS n FROM days GROUP BY v',
    'SELECT ln(switches + 1) AS v, count(*) AS n FROM days GROUP BY v',
    'SELECT power(2, 3) AS v, count(*) AS n FROM days GROUP BY v',
    'SELECT CAST(active_minutes AS DOUBLE) AS v, count(*) AS n FROM days GROUP BY v',
    "SELECT TRY_CAST('x' AS INTEGER) AS v, count(*) AS n FROM days GROUP BY v",
    'SELECT active_minutes::DECIMAL(10, 2) AS v, count(*) AS n FROM days GROUP BY v',
    "SELECT lower('A') || upper('a') AS v, count(*) AS n FROM days GROUP BY v",
    "SELECT substr('abc', 1, 2) AS v, count(*) AS n FROM days GROUP BY v",
    'SELECT weekday BETWEEN 1 AND 5 AS v, count(*) AS n FROM days GROUP BY v',
    'SELECT weekday NOT IN (6, 7) AS v, count(*) AS n FROM days GROUP BY v',
    'SELECT focus_seconds IS NULL AS v, count(*) AS n FROM days GROUP BY v',
    "SELECT 'Ab' ILIKE 'a%' AS v, count(*) AS n FROM days GROUP BY v",
    'SELECT weekday IS DISTINCT FROM 1 AS v, count(*) AS n FROM days GROUP BY v',
    "SELECT DATE '2026-01-05' AS v, count(*) AS n FROM days GROUP BY v",
    'SELECT week, count(*) AS v FROM days GROUP BY week',
    'SELECT week, count(DISTINCT person) AS v FROM days GROUP BY week',
    'SELECT week, sum(active_minutes) AS v FROM days GROUP BY week',
    'SELECT week, avg(active_minutes) AS v FROM days GROUP BY week',
    'SELECT week, median(active_minutes) AS v FROM days GROUP BY week',
    'SELECT week, quantile_cont(active_minutes, 0.75) AS v FROM days GROUP BY week',
    'SELECT week, stddev(active_minutes) AS v FROM days GROUP BY week',
    'SELECT week, stddev_pop(active_minutes) AS v FROM days GROUP BY week',
    'SELECT week, variance(active_minutes) AS v FROM days GROUP BY week',
    'SELECT week, var_pop(active_minutes) AS v FROM days GROUP BY week',
    'SELECT week, corr(active_minutes, switches) AS v FROM days GROUP BY week',
    'SELECT week, covar_samp(active_minutes, switches) AS v FROM days GROUP BY week',
    'SELECT week, count_if(active_minutes > 100) AS v FROM days GROUP BY week',
    'SELECT week, bool_or(active_minutes > 100) AS v FROM days GROUP BY week',
    'SELECT week, approx_count_distinct(day) AS v FROM days GROUP BY week',
    'SELECT week, skewness(active_minutes) AS v FROM days GROUP BY week',
    'SELECT week, sum(active_minutes) FILTER (WHERE weekday < 6) AS v FROM days GROUP BY week',
]


def test_the_documented_functions_run(unchanged):
    """Every function the sandbox allows still runs on DuckDB after the rewrite (sqlglot regenerates the SQL)."""
    failed = []
    for sql in ALLOWED:
        try:
            _run(unchanged, sql, k=1)
        except ValueError as error:
            failed.append((sql, str(error)))
    assert failed == []


def test_max_rows_truncates(unchanged):
    """A huge result is cut at max_rows and says so."""
    full = _run(unchanged, "SELECT hour, avg(active_minutes) FROM hours GROUP BY hour ORDER BY hour")
    assert len(full.rows) == 24 and not full.truncated
    cut = _run(unchanged, "SELECT hour, avg(active_minutes) FROM hours GROUP BY hour ORDER BY hour", max_rows=10)
    assert cut.rows == full.rows[:10] and cut.truncated
    assert not _run(unchanged, "SELECT hour, count(*) FROM hours GROUP BY hour", max_rows=24).truncated


def test_a_failing_query_is_a_clean_error(unchanged):
    """A typo gives DuckDB's reason, not a traceback, and changes nothing."""
    with pytest.raises(SandboxFailed, match="query failed: .*sum"):
        _run(unchanged, "SELECT sum(category) FROM categories")
    with pytest.raises(SandboxFailed, match="failed on a value in the data") as failed:
        _run(unchanged, "SELECT sum(CAST(category AS INTEGER)) FROM categories WHERE category NOT IN ('Code', 'Mail')")
    assert "Rare" not in str(failed.value)  # DuckDB's own message would quote p00's one rare category
    with pytest.raises(SandboxRefused, match="column 'no_such_column'"):
        _run(unchanged, "SELECT count(no_such_column) FROM days")
    with pytest.raises(ValueError, match="not study tables: 'secrets'"):
        sandbox.run(unchanged, "SELECT count(*) FROM days", ["days", "secrets"], K)
    with pytest.raises(ValueError, match="k must be"):
        sandbox.run(unchanged, "SELECT count(*) FROM days", TABLES, 0)


# --- Below the parser: the connection's own settings hold --------------------------------------------------

BYPASS = [
    ("SELECT * FROM read_csv('/etc/passwd')", "disabled by configuration"),
    ("SELECT * FROM read_parquet('{other}')", "disabled by configuration"),
    ("SELECT * FROM glob('/etc/*')", "disabled by configuration"),
    ("SELECT count(*) FROM ledger.main.days WHERE false", None),  # reachable here: only the parser stops it
]


@pytest.mark.parametrize(("sql", "why"), BYPASS)
def test_settings_hold_if_the_parser_were_bypassed(unchanged, tmp_path, sql, why):
    """Were the parse-tree check ever fooled, the connection itself still reads no file."""
    other = tmp_path / "other.parquet"
    pq.write_table(pa.table({"x": [1]}), other)
    with sandbox.connect(unchanged, TABLES) as con:
        if why is None:
            assert sandbox.execute(con, sql, 5, lambda c: c.fetchall()) == [(0,)]
            return
        with pytest.raises(SandboxFailed, match=why):
            sandbox.execute(con, sql.format(other=other), 5, lambda c: c.fetchall())


@pytest.mark.parametrize("sql", ["SET enable_external_access = true", "RESET enable_external_access",
                                 "SET lock_configuration = false", "ATTACH '{tmp}/x.db' AS x",
                                 "COPY (SELECT 1) TO '{tmp}/x.csv'", "INSTALL httpfs", "LOAD httpfs",
                                 "EXPORT DATABASE '{tmp}/export'", "INSERT INTO ledger.main.days (person) VALUES ('x')",
                                 "DELETE FROM ledger.main.days", "DROP TABLE ledger.main.days",
                                 "CREATE TABLE ledger.main.x (a INTEGER)"])
def test_the_connection_refuses_what_the_parser_refuses(unchanged, tmp_path, sql):
    """The settings are locked, external access is off and the ledger is read-only, statement by statement,
    straight on DuckDB."""
    with sandbox.connect(unchanged, TABLES) as con:
        with pytest.raises(duckdb.Error, match="locked|disabled|read-only"):
            con.execute(sql.format(tmp=tmp_path))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("sql", ["DETACH ledger", "SELECT 1; DROP TABLE days", "CALL pragma_version()"])
def test_the_executor_runs_only_one_select_by_duckdbs_own_parser(unchanged, sql):
    """The executor checks with DuckDB's own parser too, so a statement sqlglot misread never runs."""
    with sandbox.connect(unchanged, TABLES) as con:
        with pytest.raises(SandboxRefused, match="other than one SELECT"):
            sandbox.execute(con, sql, 5, lambda c: c.fetchall())
        assert con.execute("SELECT count(*) FROM days").fetchone() == (34,)


def test_only_the_studys_tables_are_views(unchanged):
    """The connection names only the study's tables (a study without hours cannot read hours)."""
    with sandbox.connect(unchanged, ["days"]) as con:
        assert con.execute("SELECT count(*) FROM days").fetchone() == (34,)
        with pytest.raises(duckdb.CatalogException):
            con.execute("SELECT count(*) FROM hours")
    with pytest.raises(SandboxRefused, match="table 'hours'.*this study's tables are days"):
        sandbox.run(unchanged, "SELECT count(*) FROM hours", ["days"], K)


def test_a_comment_read_differently_never_runs(unchanged):
    """sqlglot nests comments; were DuckDB to end this one early, the text would hold a DROP. What runs is the
    checked tree, without comments, so only the SELECT runs."""
    result = _run(unchanged, "SELECT count(*) FROM days /* nested /* comment */ ; DROP TABLE days */")
    assert result.rows == ((34,),)
    assert _run(unchanged, "SELECT count(*) FROM days").rows == ((34,),)


def test_the_rewrite_is_what_runs():
    """The query run is the checked tree: comments gone, the k column last."""
    tree = sqlglot.parse_one(sandbox.check("SELECT count(*) FROM days -- note", TABLES).tree.sql("duckdb"))
    assert tree.expressions[-1].alias == sandbox.RESERVED
