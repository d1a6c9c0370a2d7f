"""The store's own named SQL (``store/sql/*.sql``), and running it.

The derived-table upkeep, batch bookkeeping, consent and category edits are
statements here, by name; the query layer's reader queries live apart, in
``queries/*.sql``. Both are parsed by :mod:`store.catalog`.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from . import catalog

SQL_DIR = Path(__file__).resolve().parent / "sql"
MACRO_FILE = "macros.sql"


@lru_cache(maxsize=1)
def named() -> dict[str, catalog.Statement]:
    """Every statement in store/sql, by name."""
    return catalog.load(SQL_DIR)


def execute(con, name: str, params: dict | None = None):
    """Run the named statement on ``con``, passing only the parameters it uses
    (the derived-table steps share one parameter set); a missing one is a
    ValueError naming it."""
    statement = named()[name]
    given = {k: v for k, v in (params or {}).items() if k in statement.params}
    return con.execute(statement.sql, statement.bind(given))


def execute_with_path(con, name: str, params: dict):
    """Run the named statement with ``params["path"]`` put in as a quoted SQL
    literal, the rest bound as parameters: DuckDB 1.5.5's parser takes no
    parameter where ATTACH and LOAD name their file (store/sql/attach.sql)."""
    statement = named()[name]
    bound = statement.bind({k: v for k, v in params.items() if k in statement.params})
    sql = statement.sql.replace("$path", quote_literal(str(bound.pop("path"))))
    return con.execute(sql, bound)


def quote_literal(text: str) -> str:
    """``text`` as a SQL string literal (quotes doubled); a NUL is refused."""
    if "\x00" in text:
        raise ValueError("a path with a NUL character cannot be named in SQL")
    return "'" + text.replace("'", "''") + "'"


def scalar(con, name: str, params: dict | None = None):
    """The first column of the first row of the named statement (None if no row)."""
    rows = execute(con, name, params).fetchall()  # fetch all: DuckDB refuses new work on a half-read result
    return rows[0][0] if rows else None


def macros() -> list[catalog.Statement]:
    return [s for s in named().values() if s.file == MACRO_FILE]


@lru_cache(maxsize=1)
def macros_digest() -> str:
    """Changes whenever a macro does: stored in ``meta`` to tell an outdated file."""
    return hashlib.sha256("\n".join(s.sql for s in macros()).encode()).hexdigest()[:16]


def install_macros(con) -> None:
    """(Re)create every macro and note which version is installed."""
    for statement in macros():
        con.execute(statement.sql)
    execute(con, "meta_set", {"key": "macros", "value": macros_digest()})
