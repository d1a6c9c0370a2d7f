"""Incremental upkeep of the derived tables (spans, keystrokes, hourly).

After each flush the writer calls :func:`refresh` for the worker it wrote;
importers call it for the workers they wrote, with the earliest time they
touched. Each step keeps, per worker, the time from which it must rebuild
(``derive_state``): only what is still open to new events is rebuilt, so the
cost follows what arrived, not the size of the history. The SQL lives in
queries/derive.sql.
"""

from __future__ import annotations

import datetime as dt

import queries

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)

_STEPS = {
    "spans": (
        ("derive_clear_spans", "derive_spans", "derive_clear_hourly", "derive_hourly",
         "derive_clear_hourly_total", "derive_hourly_total"),
        "derive_next_since_spans",
    ),
    "keys": (("derive_clear_keystrokes", "derive_keystrokes"), "derive_next_since_keys"),
    # After keys: a burst is rebuilt from its first press, which may precede
    # the keystrokes just rebuilt, so bursts keep their own resume point.
    "bursts": (("derive_clear_bursts", "derive_bursts"), "derive_next_since_bursts"),
}


def _since(con, worker: str, step: str) -> dt.datetime | None:
    rows = con.execute(
        "SELECT since FROM derive_state WHERE worker = $w AND step = $s", {"w": worker, "s": step}
    ).fetchall()
    return rows[0][0] if rows else None


def refresh(con, worker: str, rebuild_from: dt.datetime | None = None) -> None:
    """Bring the derived tables of ``worker`` up to date, in one transaction.

    ``rebuild_from`` forces a rebuild from that time (an import of older data).
    """
    con.execute("BEGIN TRANSACTION")
    try:
        for step, (statements, next_query) in _STEPS.items():
            since = _since(con, worker, step) or EPOCH
            if rebuild_from is not None and rebuild_from < since:
                since = rebuild_from
            params = {"worker": worker, "since": since}
            for name in statements:
                queries.execute(con, name, params)
            next_since = queries.execute(con, next_query, params).fetchall()[0][0]
            if next_since is not None:
                con.execute(
                    "INSERT OR REPLACE INTO derive_state VALUES ($w, $s, $t)",
                    {"w": worker, "s": step, "t": max(next_since, since)},
                )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def refresh_all(con, rebuild_from: dt.datetime | None = None) -> int:
    """Refresh every worker that has events or spans; returns how many."""
    workers = [w for (w,) in con.execute(
        "SELECT DISTINCT worker FROM raw_events UNION SELECT DISTINCT worker FROM spans"
    ).fetchall()]
    for worker in workers:
        refresh(con, worker, rebuild_from)
    return len(workers)
