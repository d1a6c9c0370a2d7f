"""Incremental upkeep of the derived tables (spans, keystrokes, bursts, hourly).

After each flush the writer calls :func:`refresh` for the worker it wrote;
importers call :func:`refresh_many` once for all the workers they wrote, each
with the earliest time they touched (one pass per step for all of them: a
study of 389 workers is not 389 refreshes). Each step keeps, per worker, the
time from which it must rebuild (``derive_state``): only what is still open
to new events is rebuilt, so the cost follows what arrived, not the size of
the history. The SQL lives in store/sql/derive.sql.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager, suppress

import duckdb

from . import statements
from .txn import transaction

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
NEVER = dt.datetime.min.replace(tzinfo=dt.timezone.utc)  # before every span

# Each step's statements, in order; the last one notes where the step's next
# rebuild starts (derive_state). Those in _ONE_WORKER build rows and come in a
# one-worker form (the name) and an all-workers form (name + "_many"); the
# others take the list of workers either way. See store/sql/derive.sql.
_STEPS = {
    "spans": ("derive_clear_spans", "derive_spans", "derive_clear_hourly", "derive_hourly",
              "derive_clear_hourly_total", "derive_hourly_total", "derive_next_since_spans"),
    "keys": ("derive_clear_keystrokes", "derive_keystrokes", "derive_next_since_keys"),
    # After keys: a burst is rebuilt from its first press, which may precede
    # the keystrokes just rebuilt, so bursts keep their own resume point.
    "bursts": ("derive_clear_bursts", "derive_bursts", "derive_next_since_bursts"),
}
_ONE_WORKER = {"derive_spans", "derive_keystrokes", "derive_bursts", "derive_hourly"}


def refresh(con, worker: str, rebuild_from: dt.datetime | None = None) -> None:
    """Bring the derived tables of ``worker`` up to date, in one transaction.

    ``rebuild_from`` forces a rebuild from that time (an import of older data).
    This is the daemon's refresh after every flush, through the one-worker
    statements (faster on a flush's few rows than the all-workers ones).
    """
    _refresh(con, {worker: rebuild_from}, many=False)


def refresh_many(con, workers: dict[str, dt.datetime | None]) -> None:
    """Bring the derived tables of every worker in ``workers`` up to date, in
    one transaction and one pass per step for all of them.

    ``workers`` maps each worker to the time its rebuild is forced from (an
    import of older data), or None. Each worker is rebuilt from its own resume
    point (or that time, whichever is earlier), and ends with the same rows
    and resume points as a :func:`refresh` of each on its own.
    """
    if workers:
        with _no_nested_loops(con):
            _refresh(con, workers, many=len(workers) > 1)  # one worker: its own statements are faster


def _refresh(con, workers: dict[str, dt.datetime | None], many: bool) -> None:
    names = sorted(workers)
    with transaction(con):
        resume = {(w, step): since for w, step, since in
                  statements.execute(con, "derive_state_of", {"workers": names}).fetchall()}
        for step, steps in _STEPS.items():
            sinces = []
            for worker in names:
                since = resume.get((worker, step)) or EPOCH
                forced = workers[worker]
                sinces.append(forced if forced is not None and forced < since else since)
            params = {"workers": names, "sinces": sinces, "floor": min(sinces)}
            if not many:
                params.update(worker=names[0], since=sinces[0])
            for name in steps:
                statements.execute(con, name + "_many" if many and name in _ONE_WORKER else name, params)
            if step == "spans":
                _steps(con, names, sinces)


@contextmanager
def _no_nested_loops(con):
    """Joins planned by their keys, whatever rows DuckDB expects: inside an
    import's transaction it expects none of the rows just written, and given
    many workers it expects a few rows of each, and a nested loop over all of
    them is quadratic (see derive_set_asof_threshold). A connection whose
    configuration is locked (the daemon's, which only refreshes its own
    worker's flushes) is left as it is."""
    asof, loop, locked = statements.execute(con, "derive_join_thresholds").fetchall()[0]
    if locked:
        yield
        return

    def restore():
        statements.execute(con, "derive_set_asof_threshold", {"rows": asof})
        statements.execute(con, "derive_set_loop_threshold", {"rows": loop})

    statements.execute(con, "derive_set_asof_threshold", {"rows": 0})
    statements.execute(con, "derive_set_loop_threshold", {"rows": 0})
    try:
        yield
    except BaseException:
        with suppress(duckdb.Error):  # an aborted transaction refuses SET; the error in flight matters
            restore()
        raise
    restore()


def _steps(con, workers: list[str], sinces: list[dt.datetime]) -> None:
    """Rebuild the steps of ``workers`` from the session holding each one's
    since (the first span just rebuilt) on."""
    froms = [start for _, start in statements.execute(con, "derive_steps_from",
                                                      {"workers": workers, "sinces": sinces}).fetchall()]
    params = {"workers": workers, "froms": froms}
    statements.execute(con, "derive_clear_steps", params)
    statements.execute(con, "derive_steps", params)


def rebuild_steps(con, worker: str | None = None) -> None:
    """Rebuild the steps of ``worker`` (None: everyone's) from all their spans,
    in one transaction: after an upgrade made the table, or a deletion that
    changed spans anywhere in the history."""
    with transaction(con):
        workers = [worker] if worker is not None else [
            w for (w,) in statements.execute(con, "derive_step_workers").fetchall()]
        statements.execute(con, "derive_drop_steps", {"worker": worker})
        if workers:
            statements.execute(con, "derive_steps", {"workers": workers, "froms": [NEVER] * len(workers)})


def refresh_all(con, rebuild_from: dt.datetime | None = None) -> int:
    """Refresh every worker that has events or spans; returns how many."""
    workers = [w for (w,) in statements.execute(con, "derive_workers").fetchall()]
    refresh_many(con, dict.fromkeys(workers, rebuild_from))
    return len(workers)


def refresh_source_totals(con, source: str) -> None:
    """Hour totals for hourly rows written directly from ``source`` (no events
    to derive them from), replacing that source's earlier ones."""
    with transaction(con):
        statements.execute(con, "derive_clear_source_totals", {"source": source})
        statements.execute(con, "derive_source_totals", {"source": source})
