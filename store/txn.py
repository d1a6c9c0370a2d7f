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
