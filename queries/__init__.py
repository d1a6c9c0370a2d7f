"""Named SQL queries, run by name, returned as polars DataFrames.

The queries live in ``queries/*.sql``, one file per subject, in the format of
:mod:`store.catalog`. They read the tables and macros the store keeps and go
through :func:`store.client.read`, so they work the same whether the capture
daemon is running or not.

Every query casts its parameters in SQL (``$start::TIMESTAMPTZ``), so values
may be given as text, as the command line does.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from store import catalog as _catalog
from store import client, paths

if TYPE_CHECKING:
    import polars as pl

_HERE = Path(__file__).resolve().parent
Query = _catalog.Statement


@lru_cache(maxsize=1)
def catalog() -> dict[str, Query]:
    """Every named query in queries/*.sql, by name."""
    return _catalog.load(_HERE)


def names() -> list[str]:
    return sorted(catalog())


def bind(name: str, params: dict) -> tuple[Query, dict]:
    """The query and its full parameters (defaults filled in).

    Raises KeyError for an unknown query and ValueError naming missing or
    unknown parameters.
    """
    queries = catalog()
    if name not in queries:
        raise KeyError(f"no query named {name!r}; known: {', '.join(names())}")
    return queries[name], queries[name].bind(params)


def run(name: str, db: str | Path | None = None, **params) -> "pl.DataFrame":
    """Run the named query with ``params`` on the database; a polars DataFrame."""
    import polars as pl  # not at import time: the capture daemon's command line loads this package

    return pl.from_arrow(table(name, db, **params))


def table(name: str, db: str | Path | None = None, *, upgrade: bool = False, **params):
    """The named query's result as an Arrow table; ``upgrade`` as store.client.read."""
    query, bound = bind(name, params)
    return client.read(paths.paths(db), query.sql, bound, checked=True, upgrade=upgrade)


def rows(name: str, db: str | Path | None = None, *, upgrade: bool = False, **params) -> tuple[list[str], list]:
    """The named query's result as (column names, rows of Python values):
    the command line's lean path, which loads neither polars nor pyarrow."""
    query, bound = bind(name, params)
    return client.read_rows(paths.paths(db), query.sql, bound, checked=True, upgrade=upgrade)
