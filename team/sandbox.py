"""A researcher's read-only SQL over the documented tables of one study
(team/study_tables.py), in a sandbox, with the study's k rule.

API (stable; additions only):

- :func:`run` (ledger_path, sql, tables, k, timeout_s=10, max_rows=10_000) -> :class:`SandboxResult`
  (columns, rows, suppressed, persons, truncated). ``tables`` are the study's table names (or Tables), as
  ``study_tables.for_measures(study.measures)`` gives them; ``k`` the study's k.
- :class:`SandboxRefused` (a ValueError): refused before anything ran, the message naming what and why
  (the rules: team/sandbox_check.py, the statement, tables, subqueries and k rewrite; team/sandbox_rules.py,
  what may appear in it). :class:`SandboxFailed` (a ValueError): the query ran and DuckDB
  stopped it (an unknown column, a type error, memory); :class:`SandboxTimeout` (a SandboxFailed): it ran
  past ``timeout_s``. The caller (the Explore API) logs the read for ``persons``; this module logs nothing.

Defence in depth, each layer tested on its own (tests/test_sandbox.py):

1. The parse tree is checked against allow-lists (sandbox_check) and what runs is its rewrite, never the
   text as typed: comments dropped, a count of distinct persons appended for k.
2. DuckDB's own parser must also see exactly one SELECT.
3. A fresh in-memory connection ATTACHes the ledger READ_ONLY, creates temp views of the allowed tables only,
   then turns external access off (no files, network, ATTACH, COPY, extensions), caps memory (512 MB),
   threads (2) and spilling (none), and locks the configuration so that no SET can undo it (team/sandbox.sql).
4. A timer interrupts the query at ``timeout_s``; at most ``max_rows`` rows are returned.

:func:`connect` and :func:`execute` are layers 2-4 on their own (the tests run hostile SQL through them,
bypassing the parser, to see DuckDB refuse it).

k: every returned row covers at least k distinct persons in each table instance it reads, subqueries' and
CTEs' included (the least of those counts); rows under k are dropped and counted in ``suppressed`` (the rows
seen before ``max_rows``). ``persons``, for the access log, is conservative: every person with a row in a
table instance the query read, within the WHERE conditions on that instance's day, week or weekday only of
the SELECT that reads it (value conditions, joins, HAVING, LIMIT and suppression are ignored, so it
over-includes rather than misses). The time limit applies to the query and to the persons look-up, each.

Not covered (say so to researchers and the ethics board): k bounds who a row covers, not what it reveals.
An aggregate narrowed inside (``sum(CASE WHEN hour = 3 ...)``, FILTER) can still be about fewer than k
persons' values, and the median of k values is one of them; whether a query fails (an overflow, a cast)
can depend on a single row, so failing is a one-bit answer about rows that k does not guard, even with
DuckDB's message withheld; ``suppressed`` tells that small groups exist. There is no noise here, unlike the
team views; every read is logged (by the caller) for every person it may have touched.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass
from pathlib import Path

import duckdb
import sqlglot
from sqlglot import exp

from store import catalog

from . import study_tables
from .sandbox_check import RESERVED, Plan, SandboxRefused, check

__all__ = ["run", "SandboxResult", "SandboxRefused", "SandboxFailed", "SandboxTimeout", "RESERVED"]

# DuckDB errors whose text is about the query (names, syntax, limits), never about a value in the data.
_ABOUT_THE_QUERY = (duckdb.BinderException, duckdb.CatalogException, duckdb.ParserException, duckdb.PermissionException,
                    duckdb.OutOfMemoryException, duckdb.NotImplementedException)


class SandboxFailed(ValueError):
    """The query ran and DuckDB stopped it; the message is DuckDB's first line where that is about the query,
    and withheld where it may quote a value from the data."""


class SandboxTimeout(SandboxFailed):
    """The query ran past its time limit and was interrupted."""


@dataclass(frozen=True)
class SandboxResult:
    columns: tuple[str, ...]
    rows: tuple[tuple, ...]
    suppressed: int  # rows left out for covering fewer than k persons
    persons: frozenset[str]  # whose rows the query read (for the access log)
    truncated: bool  # more than max_rows rows were kept; the first max_rows are returned


def _names(tables) -> tuple[str, ...]:
    names = tuple(t.name if isinstance(t, study_tables.Table) else t for t in tables)
    unknown = [n for n in names if n not in study_tables.BY_NAME]
    if unknown or not names:
        raise ValueError(f"not study tables: {', '.join(map(repr, unknown)) or 'none given'}")
    return names


def _attach(ledger: Path) -> str:
    # ATTACH takes no parameters: the path goes in as a literal built by sqlglot, which escapes quotes.
    tree = sqlglot.parse_one("ATTACH 'ledger' AS ledger (READ_ONLY)", read="duckdb")
    return tree.transform(lambda n: exp.Literal.string(str(ledger)) if isinstance(n, exp.Literal) else n).sql("duckdb")


def _view(name: str) -> str:
    source = exp.select("*").from_(exp.table_(name, db="main", catalog="ledger"))
    create = exp.Create(this=exp.to_table(name), kind="VIEW", expression=source,
                        properties=exp.Properties(expressions=[exp.TemporaryProperty()]))
    return create.sql("duckdb")


def connect(ledger_path, tables) -> duckdb.DuckDBPyConnection:
    """A locked-down connection whose only names are temp views of ``tables`` in the ledger (read-only)."""
    ledger = Path(ledger_path)
    if not ledger.is_file():
        raise SandboxFailed(f"the study ledger {ledger} does not exist")
    con = duckdb.connect(":memory:")
    try:
        con.execute(_attach(ledger))
        for name in _names(tables):
            con.execute(_view(name))
        con.execute(_lockdown())
    except duckdb.Error as error:
        con.close()
        raise SandboxFailed(f"the study ledger cannot be opened for reading: {_first_line(error)}") from None
    return con


@functools.cache
def _lockdown() -> str:
    """The connection's settings (sandbox.sql): read once, not for every query (the load parses every team SQL file)."""
    return catalog.load(Path(__file__).resolve().parent)["sandbox_lockdown"].sql


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def execute(con, sql: str, timeout_s: float, fetch) -> object:
    """Run one SELECT on ``con`` under a timer, returning ``fetch(cursor)``.

    The internal executor: DuckDB's parser must see one SELECT; the settings of :func:`connect` do the rest.
    """
    statements = con.extract_statements(sql)
    if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
        raise SandboxRefused("refused: DuckDB reads this as something other than one SELECT")
    timer = threading.Timer(timeout_s, con.interrupt)
    timer.daemon = True
    timer.start()
    try:
        return fetch(con.execute(sql))
    except duckdb.InterruptException:
        raise SandboxTimeout(f"the query ran past {timeout_s:g} s and was stopped") from None
    except _ABOUT_THE_QUERY as error:
        raise SandboxFailed(f"the query failed: {_first_line(error)}") from None
    except duckdb.Error as error:
        # A conversion or range error quotes the value it failed on: a person's category, say.
        raise SandboxFailed(f"the query failed on a value in the data ({type(error).__name__}; DuckDB's message "
                            "is withheld, as it can quote one person's value): try TRY_CAST, or check the types") from None
    finally:
        timer.cancel()


def _rows(cursor, k: int, max_rows: int):
    """(columns, kept rows, suppressed, truncated): rows under k dropped, the k column removed."""
    columns = tuple(d[0] for d in cursor.description)[:-1]
    kept, suppressed = [], 0
    while len(kept) <= max_rows:
        chunk = cursor.fetchmany(max(1024, max_rows + 1 - len(kept)))
        if not chunk:
            break
        for row in chunk:
            if row[-1] is None or row[-1] < k:
                suppressed += 1
            elif len(kept) <= max_rows:
                kept.append(row[:-1])
    return columns, tuple(kept[:max_rows]), suppressed, len(kept) > max_rows


def _persons_sql(plan: Plan) -> str:
    """One query listing every person of every table instance read (within its day/week/weekday WHERE)."""
    parts = []
    for instance in plan.instances:
        part = exp.select(exp.column("person", table=instance.alias)).distinct().from_(
            exp.to_table(instance.table).as_(instance.alias))
        for conjunct in instance.where:
            part = part.where(conjunct.copy())
        parts.append(part)
    union = parts[0]
    for part in parts[1:]:
        union = exp.union(union, part, distinct=True)
    return union.sql("duckdb")


def run(ledger_path, sql: str, tables, k: int, timeout_s: float = 10, max_rows: int = 10_000) -> SandboxResult:
    """Run a researcher's ``sql`` over the study's ``tables`` in the ledger at ``ledger_path``.

    Raises SandboxRefused (before anything runs), SandboxTimeout or SandboxFailed (after); ValueError for
    a k, timeout or max_rows that is not a positive number.
    """
    if type(k) is not int or k < 1:
        raise ValueError(f"k must be a whole number of at least 1, not {k!r}")
    if not timeout_s > 0 or type(max_rows) is not int or max_rows < 1:
        raise ValueError(f"timeout_s and max_rows must be positive, not {timeout_s!r} and {max_rows!r}")
    names = _names(tables)
    plan = check(sql, names)
    with connect(ledger_path, names) as con:
        # Whose rows it reads, first: a query that then fails or runs out of time has still read them (and whether
        # it fails can hang on one row), so the caller logs those people either way (SandboxFailed.persons).
        persons = execute(con, _persons_sql(plan), timeout_s, lambda c: frozenset(r[0] for r in c.fetchall() if r[0]))
        try:
            columns, rows, suppressed, truncated = execute(
                con, plan.tree.sql("duckdb", comments=False), timeout_s, lambda c: _rows(c, k, max_rows))
        except SandboxFailed as exc:
            exc.persons = persons
            raise
    return SandboxResult(columns, rows, suppressed, persons, truncated)

