"""One transaction: ``with transaction(con): ...``."""

from __future__ import annotations

from contextlib import contextmanager

import duckdb


@contextmanager
def transaction(con):
    """``with transaction(con):`` commits what the block did, or rolls all of
    it back if the block raises (and re-raises)."""
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


@contextmanager
def read_only_transaction(con):
    """``with read_only_transaction(con):`` runs the block in a READ ONLY
    transaction (DuckDB refuses any write in it) and always rolls it back."""
    con.execute("BEGIN TRANSACTION READ ONLY")
    try:
        yield con
    finally:
        try:
            con.execute("ROLLBACK")
        except duckdb.Error:
            pass  # already ended by a failed statement
