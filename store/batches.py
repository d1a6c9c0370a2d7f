"""Writing batches: how every event, span and rollup reaches the file.

One transaction per call, an Arrow insert (DuckDB's fastest bulk path), and a
batch id that makes a retried write a no-op.
"""

from __future__ import annotations

import time

import pyarrow as pa

from . import statements
from .txn import transaction


def new_batch_id() -> int:
    """Increasing ids (nanoseconds), so lookups prune by zone maps without an index."""
    return time.time_ns()


# Tables a batch may go to: each has its insert statement, insert_<table>
# (no SQL is built from input: the target picks one of these).
# The *_by_event targets replace what is stored for the same event instead of adding to it.
_TARGETS = {"raw_events", "spans", "input_totals", "keystrokes", "hourly", "spans_by_event", "input_totals_by_event"}
_WITH_BATCH_ID = {"raw_events", "spans", "input_totals", "spans_by_event", "input_totals_by_event"}


def _insert(con, batch_id: int, table: pa.Table, source: str, target: str) -> int:
    if target not in _TARGETS:
        raise ValueError(f"cannot write batches to {target!r}")
    if statements.scalar(con, "batch_seen", {"id": batch_id}):
        return 0
    if target in _WITH_BATCH_ID:
        table = table.append_column("batch_id", pa.array([batch_id] * table.num_rows, pa.uint64()))
    con.register("_incoming", table)
    try:
        statements.execute(con, f"insert_{target}")
    finally:
        con.unregister("_incoming")
    statements.execute(con, "batch_record", {"id": batch_id, "source": source, "n": table.num_rows})
    return table.num_rows


def write_batches(con, batches: list[tuple[int, pa.Table, str]], source: str) -> int:
    """Store several (batch id, table, target table) together: all or nothing.

    A batch whose id is already stored is skipped, so writing the same batches
    again (a retry, or importing the same file twice) stores them once.
    Returns the rows written.
    """
    with transaction(con):
        return sum(_insert(con, batch_id, table, source, target) for batch_id, table, target in batches)


def write_batch(con, batch_id: int, table: pa.Table, source: str) -> int:
    """Store ``table`` (events in events.ARROW_SCHEMA) once; see write_batches.

    Returns the rows written: 0 if this batch id was already stored.
    """
    return write_batches(con, [(batch_id, table, "raw_events")], source)


def known_batches(con, ids: list[int]) -> set[int]:
    """Which of ``ids`` are stored already."""
    if not ids:
        return set()
    return {int(r[0]) for r in statements.execute(con, "batches_known", {"ids": ids}).fetchall()}
