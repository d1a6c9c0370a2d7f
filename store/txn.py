"""Transactions: ``with transaction(con): ...``, and read-only ones for readers."""

from __future__ import annotations

import threading
from contextlib import contextmanager

import duckdb

_open: set[int] = set()  # connections inside a transaction() now (by id)
_open_lock = threading.Lock()


@contextmanager
def transaction(con):
    """``with transaction(con):`` commits what the block did, or rolls all of
    it back if the block raises (and re-raises).

    Nested on the same connection, the inner block joins the outer
    transaction: an import writes its events and builds the derived tables
    of every worker in one, so a kill at any moment leaves all or nothing.
    """
    with _open_lock:
        nested = id(con) in _open
        _open.add(id(con))
    if nested:
        yield con
        return
    try:
        con.execute("BEGIN TRANSACTION")
        try:
            yield con
        except BaseException:
            try:
                con.execute("ROLLBACK")
            except duckdb.Error:
                pass  # DuckDB already rolled back (a fatal error invalidates the transaction)
            raise
        con.execute("COMMIT")
    finally:
        with _open_lock:
            _open.discard(id(con))


@contextmanager
def _rolled_back(con, begin: str):
    """Run the block in a transaction begun with ``begin``, then always roll it back."""
    con.execute(begin)
    try:
        yield con
    finally:
        try:
            con.execute("ROLLBACK")
        except duckdb.Error:
            pass  # already ended by a failed statement, or rolled back by a fatal error


@contextmanager
def read_only_transaction(con):
    """``with read_only_transaction(con):`` runs the block in a READ ONLY
    transaction (DuckDB refuses any write in it) and always rolls it back."""
    with _rolled_back(con, "BEGIN TRANSACTION READ ONLY"):
        yield con


@contextmanager
def trial(con):
    """``with trial(con):`` runs the block in a transaction that is always
    rolled back: what it would do, then undone (a deletion's preview). A
    ``transaction(con)`` inside joins it, and is undone with it."""
    with _open_lock:
        if id(con) in _open:
            raise RuntimeError("a trial cannot run inside another transaction")
        _open.add(id(con))
    try:
        with _rolled_back(con, "BEGIN TRANSACTION"):
            yield con
    finally:
        with _open_lock:
            _open.discard(id(con))


@contextmanager
def memory_limit(con, limit: str):
    """``with memory_limit(con, '384MB'):`` DuckDB keeps within ``limit`` for
    the block (spilling beyond it), then back to its own default."""
    from . import statements

    statements.execute(con, "memory_limit", {"limit": limit})
    try:
        yield
    finally:
        statements.execute(con, "memory_limit_reset")
