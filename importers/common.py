"""What every importer shares: the error type, content-derived batch ids,
timestamps, writing a prepared import in one transaction, and its summary.

An importer's ``load(args)`` returns a :class:`Prepared` import; :func:`write`
then writes its batches and refreshes the derived tables of the workers it
touched, all in one transaction. Most importers read and validate their
whole input in ``load``; the keystroke importer yields one batch per file
while it is written, so memory stays bounded by one file, and a bad file
found late rolls the whole import back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

import store
from store import derive

from .progress import QUIET, Progress

UTC = dt.timezone.utc
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
TS_TYPE = pa.timestamp("us", tz="UTC")


# Times an import accepts: from 1990 to tomorrow (a little clock skew). An
# event in 9999 or 1900 is a broken file, and one such row would stretch
# every date range it falls in.
EARLIEST_US = (dt.datetime(1990, 1, 1, tzinfo=UTC) - EPOCH) // dt.timedelta(microseconds=1)


def latest_us() -> int:
    return (dt.datetime.now(UTC) + dt.timedelta(days=1) - EPOCH) // dt.timedelta(microseconds=1)


class OutOfRange(ValueError):
    """A time outside what an import accepts; the message says which."""


def check_time(us: int, what: str = "") -> None:
    """Raise OutOfRange unless ``us`` (microseconds since the epoch) lies from 1990 to tomorrow."""
    if not EARLIEST_US <= us <= latest_us():
        raise OutOfRange(f"{what + ' ' if what else ''}lies outside 1990 to tomorrow ({us_to_datetime_text(us)} UTC):"
                         " not a time this data can have been recorded")


def us_to_datetime_text(us: int) -> str:
    try:
        return us_to_datetime(us).isoformat()
    except OverflowError:
        return f"{us} µs since 1970"


class BadInput(ValueError):
    """The input cannot be imported. The message names the file, the line or
    event, and what is wrong; nothing has been written."""


def batch_id(content: bytes, target: str, *context: str) -> int:
    """A batch id that depends only on the content and how it is imported.

    Importing the same bytes the same way again gives the same id, which
    store.write_batches skips: an import is stored once. The top bit is
    cleared so the id also fits a signed 64-bit integer.
    """
    digest = hashlib.sha256(content)
    for part in (target, *context):
        digest.update(b"\0" + part.encode("utf-8"))
    return int.from_bytes(digest.digest()[:8], "big") >> 1


def parse_timestamp(text) -> tuple[int, int]:
    """(microseconds since the epoch, UTC offset in seconds) of an ISO 8601 text.

    Accepts ``Z`` and ``+HH:MM`` offsets and any number of fractional digits
    (beyond microseconds they are dropped). A time without an offset is taken
    as UTC, as ActivityWatch does. Raises OutOfRange for a time outside 1990
    to tomorrow, ValueError for anything else.
    """
    if not isinstance(text, str):
        raise ValueError("not a string")
    value = dt.datetime.fromisoformat(text.strip())
    offset = value.utcoffset()
    if offset is None:
        value, offset = value.replace(tzinfo=UTC), dt.timedelta(0)
    us = (value - EPOCH) // dt.timedelta(microseconds=1)
    check_time(us)
    return us, int(offset.total_seconds())


def us_to_datetime(us: int) -> dt.datetime:
    return EPOCH + dt.timedelta(microseconds=us)


@dataclass
class Prepared:
    """A validated import, ready to write.

    ``batches`` are (batch id, Arrow table, target table), a list or an
    iterator that fills in the other fields as it is consumed; ``workers``
    maps each worker to the earliest time written for it (where its derived
    tables must be rebuilt from); ``first``/``last`` bound the data in
    microseconds.
    """

    label: str
    source: str
    batches: Iterable[tuple[int, pa.Table, str]]
    workers: dict[str, int]
    first: int | None = None
    last: int | None = None
    skipped: int = 0
    skipped_what: str = "rows"
    notes: list[str] = field(default_factory=list)
    row_labels: dict[str, str] = field(default_factory=dict)


# Rows gathered before one insert: DuckDB writes an insert of a few row groups
# (122,880 rows each) straight to the file, where small ones would all wait in
# memory for the commit.
FLUSH_ROWS = 250_000
# What DuckDB may hold while an import writes and derives, spilling beyond it:
# a 2-million-event log peaked at 1.2 GB without a limit, 0.5 GB with 300 MB.
IMPORT_MEMORY = "384MB"


def write(con, prepared: Prepared, progress: Progress = QUIET, committing=lambda: None) -> str:
    """Write ``prepared`` (batches already stored are skipped) and refresh the
    derived tables of its workers; returns the one-line summary. ``progress``
    shows the rows written (a streamed input reports its own reading) and the
    workers whose tables are rebuilt.

    The events and every derived table are written in one transaction: an
    import killed or interrupted at any moment leaves the database as before
    or as after. Raises duckdb errors from the write, or BadInput from a
    streamed input, after which nothing was stored. ``committing()`` is
    called when only the commit is left (the command holds Ctrl-C from then).
    """
    written: dict[str, int] = {}
    workers: set[str] = set()
    seen: set[int] = set()
    pending: list = []
    partly_known = False

    def flush():
        store.write_batches(con, pending, prepared.source)
        for _, table, target in pending:
            written[target] = written.get(target, 0) + table.num_rows
        workers.update(_workers_of(pending))
        if not streamed:
            progress.add(sum(b[1].num_rows for b in pending))
        pending.clear()

    streamed = not isinstance(prepared.batches, (list, tuple))
    if not streamed:
        progress.step("writing", "rows", sum(b[1].num_rows for b in prepared.batches))
    with store.memory_limit(con, IMPORT_MEMORY), store.transaction(con):
        for batch in prepared.batches:
            if batch[0] in seen:  # two identical files in one import are one batch
                continue
            seen.add(batch[0])
            if store.known_batches(con, [batch[0]]):
                partly_known = True
                continue
            pending.append(batch)
            if sum(b[1].num_rows for b in pending) >= FLUSH_ROWS:
                flush()
        if pending:
            flush()
        if not streamed:
            prepared.batches = []  # written: their memory is free for the derived tables
        if not written:
            return f"{prepared.label}: already imported, nothing written"
        workers = workers or set(prepared.workers)
        progress.step("updating the derived tables", "workers", len(workers))
        derive.refresh_many(con, {w: us_to_datetime(prepared.workers[w]) for w in workers})
        progress.add(len(workers))
        committing()
    return summary(prepared, written, workers, partly_known=partly_known)


def _workers_of(batches) -> set[str]:
    workers: set[str] = set()
    for _, table, _target in batches:
        if "worker" in table.column_names:
            workers.update(table.column("worker").unique().to_pylist())
    return workers


def summary(prepared: Prepared, written: dict[str, int], workers: set[str], partly_known: bool) -> str:
    parts = [f"{prepared.row_labels.get(t, t)} {n:,}" for t, n in written.items()]
    names = sorted(workers)
    if len(names) <= 3:
        who = f"worker{'s' if len(names) > 1 else ''} {', '.join(names)}"
    else:
        who = f"{len(names):,} workers ({names[0]} .. {names[-1]})"
    line = f"{prepared.label}: imported {'; '.join(parts)}; {who}"
    if prepared.first is not None:
        line += f"; {_fmt(prepared.first)} to {_fmt(prepared.last)} UTC"
    line += f"; skipped {prepared.skipped:,} {prepared.skipped_what}"
    if partly_known:
        line += " (part of it was already imported and was not written again)"
    return line


def _fmt(us: int) -> str:
    return us_to_datetime(us).strftime("%Y-%m-%d %H:%M:%S")


def format_parser(isub, common, name: str, help_text: str, description: str):
    """The subparser of one import format. ``description`` is its ``--help``
    text, written for the worker (what is imported, what is kept, what goes
    wrong), apart from the module docstring, which is for developers; its
    paragraphs and lists are kept as written."""
    import argparse

    return isub.add_parser(name, parents=[common], help=help_text, description=description.strip("\n"),
                           formatter_class=argparse.RawDescriptionHelpFormatter)


def read_file(source: str) -> tuple[str, bytes]:
    """(the file's name, its bytes); BadInput naming the file if it cannot be read."""
    path = Path(source)
    try:
        return path.name, path.read_bytes()
    except OSError as exc:
        raise BadInput(f"{source}: cannot read ({exc.strerror or exc})") from None
