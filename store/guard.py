"""What a reader may run: one SELECT over the documented tables and macros.

The daemon serves other processes' queries on the file it writes, so the
guarantee that readers cannot write is structural, in three layers:

1. :func:`check_reader_sql` parses the statement (sqlglot, DuckDB dialect)
   and refuses anything but one SELECT whose relations are all on the
   allow-list below: no DML or DDL anywhere (``WITH d AS (DELETE ...)``), no
   EXPLAIN, no file, network or system table functions, no other schema.
2. :func:`store.txn.read_only_transaction` runs it in a READ ONLY
   transaction, which DuckDB refuses to let write, and rolls it back.
3. :data:`LOCKED_DOWN` settings: no file or network access, no extension
   installs or loads, and the configuration locked, for the daemon's
   instance (after it opened the file) and every read-only connection.
"""

from __future__ import annotations

from functools import lru_cache

# Tables and views a reader may name: the documented `events` view and the
# tables the named queries read.
READABLE = frozenset({
    "events", "spans", "keystrokes", "bursts", "hourly", "hourly_total", "input_totals",
    "workers", "category_rules", "consent_log", "meta", "steps",
})
# Table functions a reader may call: the store's table macros, and series.
TABLE_FUNCTIONS = frozenset({
    "focus_seconds", "app_seconds", "session_steps", "kept_steps", "worked_out_steps", "step_pairs", "step_runs", "ngrams",
    "ngram_counts", "burst_wpm", "measure_values", "measure_quantiles", "consent_latest", "hour_totals", "range",
    "generate_series", "unnest",
})

LOCKED_DOWN = (
    ("enable_external_access", False),
    ("autoinstall_known_extensions", False),
    ("autoload_known_extensions", False),
    ("lock_configuration", True),  # last: nothing can be changed after it
)


class RefusedError(PermissionError):
    """The statement is not a read of the documented tables; the message says what was refused."""


@lru_cache(maxsize=512)
def check_reader_sql(sql: str) -> None:
    """Raise RefusedError unless ``sql`` is one SELECT over READABLE and TABLE_FUNCTIONS."""
    import sqlglot  # not at import time: only readers of a running daemon need it
    from sqlglot import exp

    try:
        trees = [t for t in sqlglot.parse(sql, read="duckdb") if t is not None]
    except sqlglot.errors.SqlglotError as exc:
        raise RefusedError(f"only a plain SELECT is served here; this did not parse as one ({exc})") from None
    if len(trees) != 1:
        raise RefusedError(f"only one read-only query at a time is served here, not {len(trees)} statements")
    tree = trees[0]
    if not isinstance(tree, exp.Query):
        raise RefusedError(f"only read-only queries are served here, not {tree.key.upper()}")
    for node in tree.walk():
        if isinstance(node, (exp.DML, exp.DDL, exp.Command, exp.Copy, exp.Set, exp.Pragma, exp.Into)):
            raise RefusedError(f"only read-only queries are served here: {node.key.upper()} inside it is refused")
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    for table in tree.find_all(exp.Table):
        _check_relation(table, ctes, exp)
    for func in tree.find_all(exp.Anonymous):  # a call sqlglot does not know may be a table function in FROM
        if isinstance(func.parent, exp.Table) and func.name.lower() not in TABLE_FUNCTIONS:
            raise RefusedError(f"the table function {func.name}() is not served here")


def _check_relation(table, ctes: set[str], exp) -> None:
    if isinstance(table.this, exp.Func):  # FROM some_function(...)
        name = (table.this.name if isinstance(table.this, exp.Anonymous) else table.this.sql_name()).lower()
        if name not in TABLE_FUNCTIONS:
            raise RefusedError(f"the table function {name}() is not served here")
        return
    if table.catalog or (table.db and table.db.lower() != "main"):
        raise RefusedError(f"only the main schema is served here, not {table.sql(dialect='duckdb')}")
    name = table.name.lower()
    if name not in READABLE and name not in ctes:
        raise RefusedError(f"{table.name} is not one of the tables served here ({', '.join(sorted(READABLE))})")
