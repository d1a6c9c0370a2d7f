"""The stored tables, listed from the catalog and read whole: what an export
holds. Used on the file (store.client.dump) and in the daemon (store.server).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from . import statements

if TYPE_CHECKING:
    import pyarrow as pa

BATCH_ROWS = 1 << 17
# Tables read for an export through their own statement, which leaves a secret out.
_WITHHELD = {"team_membership": "export_team_membership", "study_membership": "export_study_membership"}


def wanted(con, tables: list[str] | None = None) -> list[str]:
    """Every stored table (views left out), or those of ``tables``, by name.
    ValueError names any that is not stored."""
    if tables is not None and not (isinstance(tables, list) and all(isinstance(t, str) for t in tables)):
        raise ValueError("tables must be a list of table names")
    stored = [row[0] for row in statements.execute(con, "export_tables").fetchall()]
    unknown = sorted(set(tables or ()) - set(stored))
    if unknown:
        raise ValueError(f"no table named {', '.join(unknown)} is stored (stored: {', '.join(stored)})")
    return [t for t in stored if tables is None or t in tables]


def read(con, names: list[str]) -> Iterator[tuple[str, pa.RecordBatchReader]]:
    """``(table, reader)`` for each of ``names`` (from :func:`wanted`), read on
    ``con``; each reader must be read to its end before the next is taken. Run
    it inside one read-only transaction for a consistent snapshot."""
    named = statements.named()
    for table in names:  # streamed; execute, since a relation with parameters is 50x slower on 1.5.5 (store.server)
        if table in _WITHHELD:  # a table with a column that must not leave the file (meanings.HIDDEN)
            yield table, con.execute(named[_WITHHELD[table]].sql).to_arrow_reader(BATCH_ROWS)
        else:
            yield table, con.execute(named["export_table"].sql, {"table": table}).to_arrow_reader(BATCH_ROWS)
