"""Named SQL queries, run by name, returned as polars DataFrames.

SQL lives in ``queries/*.sql``. A line ``-- name: some_query`` starts a query;
the comment lines right under it are its documentation; parameters are named
``$like_this``. A documentation line ``-- $param: what it is (default: VALUE)``
documents a parameter and makes it optional (VALUE is ``null``, ``true``,
``false``, a number, or text). Queries go through :func:`capture.client.read`,
so they work the same whether the capture daemon is running or not.

Every query casts its parameters in SQL (``$start::TIMESTAMPTZ``), so values
may be given as text, as the command line does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from capture import client, config

if TYPE_CHECKING:
    import polars as pl

_HERE = Path(__file__).resolve().parent
_NAME = re.compile(r"^--\s*name:\s*(\w+)\s*$")
_PARAM = re.compile(r"(?<![\w$])\$([A-Za-z_]\w*)")
_PARAM_DOC = re.compile(r"^\$(\w+):\s*(.*?)\s*(?:\(default:\s*(.*?)\))?\s*$")


@dataclass(frozen=True)
class Query:
    name: str
    doc: str
    sql: str
    params: tuple[str, ...]
    file: str
    param_docs: dict[str, str] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)


def _literal(text: str) -> Any:
    lowered = text.lower()
    if lowered in ("null", "none"):
        return None
    if lowered in ("true", "false"):
        return lowered == "true"
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if re.fullmatch(r"-?\d+\.\d*", text):
        return float(text)
    return text  # including '-infinity', which DuckDB casts to a timestamp


def _parse(path: Path, found: dict[str, Query]) -> None:
    name, doc, body = None, [], []

    def close():
        if name is None:
            return
        if name in found:
            raise ValueError(f"query {name!r} is defined twice ({found[name].file} and {path.name})")
        sql = "\n".join(body).strip()
        params = tuple(dict.fromkeys(_PARAM.findall(sql)))
        text, param_docs, defaults = [], {}, {}
        for line in doc:
            match = _PARAM_DOC.match(line)
            if match:
                param_docs[match.group(1)] = match.group(2)
                if match.group(3) is not None:
                    defaults[match.group(1)] = _literal(match.group(3))
            else:
                text.append(line)
        undocumented = set(params) - set(param_docs)
        if undocumented:
            raise ValueError(f"{path.name}: query {name!r} does not document ${', $'.join(sorted(undocumented))}")
        found[name] = Query(name, " ".join(text).strip(), sql, params, path.name, param_docs, defaults)

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


INTERNAL_PREFIXES = ("derive_", "macro_")


def public_names() -> list[str]:
    """Queries for readers; the rest are statements the store runs to write."""
    return sorted(n for n in catalog() if not n.startswith(INTERNAL_PREFIXES))


@lru_cache(maxsize=1)
def catalog() -> dict[str, Query]:
    """Every named query in queries/*.sql, by name."""
    found: dict[str, Query] = {}
    for path in sorted(_HERE.glob("*.sql")):
        _parse(path, found)
    return found


def bind(name: str, params: dict) -> tuple[Query, dict]:
    """The query and its full parameters (defaults filled in).

    Raises KeyError for an unknown query and ValueError naming missing or
    unknown parameters.
    """
    queries = catalog()
    if name not in queries:
        raise KeyError(f"no query named {name!r}; known: {', '.join(public_names())}")
    query = queries[name]
    extra = sorted(set(params) - set(query.params))
    if extra:
        raise ValueError(f"query {name!r} takes no parameter(s): {', '.join(extra)}")
    bound = {**query.defaults, **params}
    missing = [p for p in query.params if p not in bound]
    if missing:
        raise ValueError(f"query {name!r} needs parameter(s): {', '.join(missing)}")
    return query, bound


def run(name: str, db: str | Path | None = None, **params) -> "pl.DataFrame":
    """Run the named query with ``params`` on the database; a polars DataFrame."""
    import polars as pl  # not at import time: the capture daemon needs only execute()

    query, bound = bind(name, params)
    table = client.read(config.paths(db), query.sql, bound)
    return pl.from_arrow(table)


def execute(con, name: str, params: dict):
    """Run a named statement on ``con`` (a writable connection), passing only the
    parameters it uses. For the derived-table upkeep, which writes."""
    query, bound = bind(name, {k: v for k, v in params.items() if k in _params_of(name)})
    return con.execute(query.sql, bound)


def _params_of(name: str) -> tuple[str, ...]:
    query = catalog().get(name)
    return query.params if query else ()
