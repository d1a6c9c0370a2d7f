"""What is kept: one row per stored column, generated from the file's own
catalog (DuckDB's ``duckdb_columns()``), so it cannot drift from the schema.

Each row says the table and column, what it means (store.meanings), an
example from the worker's own data (the newest value that is not empty), how
long it is kept and how many rows the table holds. The periods are
parameters: the settings decide them.
"""

from __future__ import annotations

import datetime as dt

from . import meanings, statements

RAW_DAYS = 30
DERIVED_MONTHS = 12
EXAMPLE_CHARS = 200  # a long title or query is cut here
NO_MEANING = "(no meaning written for this column)"


def _example(value) -> str | None:
    if value is None:
        return None
    text = value.isoformat() if isinstance(value, dt.datetime) else str(value)
    return text if len(text) <= EXAMPLE_CHARS else text[: EXAMPLE_CHARS - 1] + "…"


def _tables(con) -> dict[str, list[tuple[str, str]]]:
    """Each stored table's (column, type) pairs, the known tables in store.meanings' order first."""
    found: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in statements.execute(con, "inventory_columns").fetchall():
        found.setdefault(table, []).append((column, data_type))
    order = {name: i for i, name in enumerate(meanings.TABLES)}
    return dict(sorted(found.items(), key=lambda item: (order.get(item[0], len(order)), item[0])))


def inventory(con, raw_days: int = RAW_DAYS, derived_months: int = DERIVED_MONTHS) -> list[dict]:
    """One dict per stored column: table, column, type, meaning, example,
    kept, rows (the table's). A column with no meaning written says so."""
    out = []
    for table, columns in _tables(con).items():
        rows = statements.scalar(con, "inventory_rows", {"table": table})
        names = [c for c, _ in columns]
        newest_by = meanings.TABLES[table].newest_by if table in meanings.TABLES else names[0]
        newest = statements.execute(con, "inventory_newest", {"table": table, "newest_by": newest_by}).fetchall()[0]
        for (column, data_type), value in zip(columns, newest):
            out.append({
                "table": table, "column": column, "type": data_type,
                "meaning": meanings.meaning(table, column) or NO_MEANING,
                "example": "(kept, not shown)" if (table, column) in meanings.HIDDEN and value else _example(value),
                "kept": meanings.kept(table, raw_days, derived_months),
                "rows": rows,
            })
    return out
