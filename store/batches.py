"""Writing batches: how every event, span and rollup reaches the file.

One transaction per call, an Arrow insert (DuckDB's fastest bulk path), and a
batch id that makes a retried write a no-op.
"""

from __future__ import annotations

import time

import pyarrow as pa

from . import statements
from .schema import CHARACTER_CLASSES
from .txn import transaction


def new_batch_id() -> int:
    """Increasing ids (nanoseconds), so lookups prune by zone maps without an index."""
    return time.time_ns()


# Tables a batch may go to: each has its insert statement, insert_<table>
# (no SQL is built from input: the target picks one of these).
# The *_by_event targets replace what is stored for the same event instead of adding to it.
_TARGETS = {"raw_events", "spans", "input_totals", "keystrokes", "hourly", "spans_by_event", "input_totals_by_event",
            "key_counts"}
_WITH_BATCH_ID = {"raw_events", "spans", "input_totals", "spans_by_event", "input_totals_by_event"}


def _insert(con, target: str, batches: list[tuple[int, pa.Table]], source: str) -> int:
    """Insert the batches of one target table in one statement (DuckDB writes a
    large insert straight to the file, a small one stays in memory until commit)."""
    if target not in _TARGETS:
        raise ValueError(f"cannot write batches to {target!r}")
    new = [(i, t) for i, t in batches if not statements.scalar(con, "batch_seen", {"id": i})]
    if not new:
        return 0
    if target in _WITH_BATCH_ID:
        tables = [t.append_column("batch_id", pa.array([i] * t.num_rows, pa.uint64())) for i, t in new]
    else:
        tables = [t for _, t in new]
    table = pa.concat_tables(tables) if len(tables) > 1 else tables[0]
    del tables
    if target == "raw_events":
        _count_keys(con, table)
    _insert_table(con, target, table)
    del table
    for i, t in new:
        statements.execute(con, "batch_record", {"id": i, "source": source, "n": t.num_rows})
    return sum(t.num_rows for _, t in new)


def _insert_table(con, target: str, table: pa.Table) -> None:
    # A *_by_event statement reads _incoming twice; the others once, and for them
    # a reader that lets go of each batch as it is read (a view registered in a
    # transaction keeps what it names until the commit).
    con.register("_incoming", table if target.endswith("_by_event") else _read_once(table))
    try:
        statements.execute(con, f"insert_{target}")
    finally:
        con.unregister("_incoming")


SQL_COUNTED = 250_000  # up to this many events, DuckDB counts the keys (a capture flush is a few thousand)


def _count_keys(con, events: pa.Table) -> None:
    """Store per worker, minute and batch how many key presses were letters,
    digits and punctuation: the classes the stored events no longer tell apart.
    A small batch is counted by DuckDB; a large import by Arrow, batch by
    batch, so that it is not held until the commit."""
    if events.num_rows <= SQL_COUNTED:
        con.register("_counted", events)
        try:
            statements.execute(con, "insert_key_counts_of", {"classes": list(CHARACTER_CLASSES)})
        finally:
            con.unregister("_counted")
    else:
        _insert_table(con, "key_counts", key_counts(events))


def key_counts(events: pa.Table) -> pa.Table:
    """_count_keys's counts, computed by Arrow (pyarrow.compute is imported
    only here: the capture daemon never needs its memory)."""
    import pyarrow.compute as pc

    kind = pc.cast(events["kind"], pa.string())
    key_class = pc.cast(events["key_class"], pa.string())
    pressed = pc.and_(pc.equal(kind, "key_down"), pc.is_in(key_class, value_set=pa.array(CHARACTER_CLASSES, pa.string())))
    keys = pa.table({
        "worker": events["worker"], "minute": pc.floor_temporal(events["ts"], unit="minute"),
        "key_class": key_class, "batch_id": events["batch_id"], "utc_offset": events["utc_offset"],
    }).filter(pressed)
    counts = keys.group_by(["worker", "minute", "key_class", "batch_id"], use_threads=False).aggregate(
        [("utc_offset", "min"), ("utc_offset", "count")])
    return counts.rename_columns(["worker", "minute", "key_class", "batch_id", "utc_offset", "presses"])


def _read_once(table: pa.Table) -> pa.RecordBatchReader:
    """A reader of ``table`` that holds none of it once read: an import of
    millions of rows in one transaction stays at the memory of one insert."""
    batches = table.to_batches()

    def drain():
        while batches:
            yield batches.pop(0)

    return pa.RecordBatchReader.from_batches(table.schema, drain())


def write_batches(con, batches: list[tuple[int, pa.Table, str]], source: str) -> int:
    """Store several (batch id, table, target table) together: all or nothing.

    A batch whose id is already stored is skipped, so writing the same batches
    again (a retry, or importing the same file twice) stores them once.
    Batches of one target go in one insert, in order. Returns the rows written.
    """
    by_target: dict[str, list[tuple[int, pa.Table]]] = {}
    for batch_id, table, target in batches:
        by_target.setdefault(target, []).append((batch_id, table))
    with transaction(con):
        written = 0
        for target, group in by_target.items():
            # A *_by_event batch replaces what an earlier one stored for the same event: one at a time.
            for part in ([b] for b in group) if target.endswith("_by_event") else [group]:
                written += _insert(con, target, part, source)
        return written


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
