"""Named SQL queries, run by name, returned as polars DataFrames.

SQL lives in ``queries/*.sql``. A line ``-- name: some_query`` starts a query;
the comment lines right under it are its documentation; parameters are named
``$like_this``. Queries go through :func:`capture.client.read`, so they work
the same whether the capture daemon is running or not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from capture import client, config

if TYPE_CHECKING:
    import polars as pl

_HERE = Path(__file__).resolve().parent
_NAME = re.compile(r"^--\s*name:\s*(\w+)\s*$")
_PARAM = re.compile(r"(?<![\w$])\$([A-Za-z_]\w*)")


@dataclass(frozen=True)
class Query:
    name: str
    doc: str
    sql: str
    params: tuple[str, ...]
    file: str


@lru_cache(maxsize=1)
def catalog() -> dict[str, Query]:
    """Every named query in queries/*.sql, by name."""
    found: dict[str, Query] = {}
    for path in sorted(_HERE.glob("*.sql")):
        name, doc, body = None, [], []

        def close():
            if name is None:
                return
            if name in found:
                raise ValueError(f"query {name!r} is defined twice ({found[name].file} and {path.name})")
            sql = "\n".join(body).strip()
            params = tuple(dict.fromkeys(_PARAM.findall(sql)))
            found[name] = Query(name, " ".join(doc).strip(), sql, params, path.name)

        for line in path.read_text(encoding="utf-8").splitlines():
            match = _NAME.match(line)
            if match:
                close()
                name, doc, body = match.group(1), [], []
            elif name is not None and not body and line.startswith("--"):
                doc.append(line.lstrip("-").strip())
            elif name is not None:
                body.append(line)
        close()
    return found


def run(name: str, db: str | Path | None = None, **params) -> "pl.DataFrame":
    """Run the named query with ``params``; raises KeyError/ValueError naming what is wrong."""
    queries = catalog()
    if name not in queries:
        raise KeyError(f"no query named {name!r}; known: {', '.join(sorted(queries))}")
    query = queries[name]
    missing = [p for p in query.params if p not in params]
    if missing:
        raise ValueError(f"query {name!r} needs parameter(s): {', '.join(missing)}")
    extra = sorted(set(params) - set(query.params))
    if extra:
        raise ValueError(f"query {name!r} takes no parameter(s): {', '.join(extra)}")
    import polars as pl  # not at import time: the capture daemon needs only sql()

    table = client.read(config.paths(db), query.sql, params)
    return pl.from_arrow(table)


def execute(con, name: str, params: dict):
    """Run a named statement on ``con`` (a writable connection), passing only the
    parameters it uses. For the derived-table upkeep, which writes."""
    try:
        query = catalog()[name]
    except KeyError:
        raise KeyError(f"no query named {name!r}") from None
    return con.execute(query.sql, {p: params[p] for p in query.params})
