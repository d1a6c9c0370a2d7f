"""Incremental upkeep of the derived tables (spans, keystrokes, bursts, hourly).

After each flush the writer calls :func:`refresh` for the worker it wrote;
importers call it for the workers they wrote, with the earliest time they
touched. Each step keeps, per worker, the time from which it must rebuild
(``derive_state``): only what is still open to new events is rebuilt, so the
cost follows what arrived, not the size of the history. The SQL lives in
store/sql/derive.sql.
"""

from __future__ import annotations

import datetime as dt

from . import statements
from .txn import transaction

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
NEVER = dt.datetime.min.replace(tzinfo=dt.timezone.utc)  # before every span

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


def refresh(con, worker: str, rebuild_from: dt.datetime | None = None) -> None:
    """Bring the derived tables of ``worker`` up to date, in one transaction.

    ``rebuild_from`` forces a rebuild from that time (an import of older data).
    """
    with transaction(con):
        for step, (names, next_query) in _STEPS.items():
            since = statements.scalar(con, "derive_since", {"worker": worker, "step": step}) or EPOCH
            if rebuild_from is not None and rebuild_from < since:
                since = rebuild_from
            params = {"worker": worker, "since": since, "step": step}
            for name in names:
                statements.execute(con, name, params)
            if step == "spans":
                _steps(con, worker, since)
            next_since = statements.scalar(con, next_query, params)
            if next_since is not None:
                statements.execute(con, "derive_since_set", {**params, "since": max(next_since, since)})


def _steps(con, worker: str, since: dt.datetime) -> None:
    """Rebuild the steps of ``worker`` from the session holding ``since``
    (the first span just rebuilt) on."""
    start = statements.scalar(con, "derive_steps_from", {"worker": worker, "since": since})
    statements.execute(con, "derive_clear_steps", {"worker": worker, "from": start})
    statements.execute(con, "derive_steps", {"worker": worker, "from": start})


def rebuild_steps(con, worker: str | None = None) -> None:
    """Rebuild the steps of ``worker`` (None: everyone's) from all their spans,
    in one transaction: after an upgrade made the table, or a deletion that
    changed spans anywhere in the history."""
    with transaction(con):
        workers = [worker] if worker is not None else [
            w for (w,) in statements.execute(con, "derive_step_workers").fetchall()]
        statements.execute(con, "derive_drop_steps", {"worker": worker})
        for w in workers:
            statements.execute(con, "derive_steps", {"worker": w, "from": NEVER})


def refresh_all(con, rebuild_from: dt.datetime | None = None) -> int:
    """Refresh every worker that has events or spans; returns how many."""
    workers = [w for (w,) in statements.execute(con, "derive_workers").fetchall()]
    for worker in workers:
        refresh(con, worker, rebuild_from)
    return len(workers)


def refresh_source_totals(con, source: str) -> None:
    """Hour totals for hourly rows written directly from ``source`` (no events
    to derive them from), replacing that source's earlier ones."""
    with transaction(con):
        statements.execute(con, "derive_clear_source_totals", {"source": source})
        statements.execute(con, "derive_source_totals", {"source": source})
