"""What the dashboard reads, and from where: the one door to the query layer.

Pages call :func:`query` with a named query and plain parameters. Results
are cached (``st.cache_data``) keyed on the database's data version, so
switching pages or filters never re-runs an unchanged query, and fresh
captures show up at once. No DuckDB connection outlives a query: a reader
holding the file would keep the capture daemon from opening it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import streamlit as st

import queries
import store
from capture import control
from store import client, paths


class DataUnavailable(RuntimeError):
    """The data cannot be shown; the message says why and what to do."""


@dataclass(frozen=True)
class Source:
    """The database being shown and whose view it is."""

    db: Path
    demo: bool
    worker: str | None  # the worker whose own view this is; None for the whole database


def demo_db() -> Path:
    return paths.demo_db_path()


def own_db() -> Path:
    return paths.db_path()


def own_paths() -> paths.Paths:
    """The worker's own database and the files that go with it (lock, log, socket)."""
    return paths.paths()


def capture_status() -> dict | None:
    """The daemon's status, or None when capture is not running."""
    return control.running(own_paths())


@st.cache_data(ttl=5, show_spinner=False)
def has_own_data(db: str) -> bool:
    """True once anything was captured or imported into the worker's own database."""
    try:
        return bool(queries.run("has_data", db=db)["has_data"][0])
    except (store.StoreError, client.DaemonError):
        return False


def version(db: Path) -> tuple:
    """Changes whenever the data may have: the daemon's write count while it
    runs, else the file's size and modification time (and its WAL's)."""
    status = capture_status() if db == own_db() else None
    if status:
        return ("live", status.get("events_written_this_run"), status.get("last_flush"))
    stamp = []
    for path in (db, db.with_name(db.name + ".wal")):
        try:
            info = path.stat()
            stamp += [info.st_size, info.st_mtime_ns]
        except FileNotFoundError:
            stamp += [None, None]
    return tuple(stamp)


@st.cache_data(show_spinner=False, max_entries=512)
def _cached(db: str, version_key: tuple, name: str, params: tuple) -> pl.DataFrame:
    return queries.run(name, db=db, **dict(params))


def query(source: Source, name: str, **params) -> pl.DataFrame:
    """Run a named query for this source; DataUnavailable explains failures.

    The worker filter is added here, not by pages: a view only ever reads one
    worker's rows. A query that takes a worker never runs without one, so no
    view adds up the workers (or the capture and the imports) in a file.
    """
    if "worker" in queries.catalog()[name].params:
        params.setdefault("worker", source.worker)
        if params["worker"] is None:
            raise DataUnavailable(f"{name}: no worker or source chosen; nothing is read for all of them at once")
    frozen = tuple(sorted((k, _freeze(v)) for k, v in params.items()))
    try:
        return _cached(str(source.db), version(source.db), name, frozen)
    except store.LockedError as exc:
        raise DataUnavailable(f"The database is busy ({exc}). Try again in a moment.") from None
    except store.CorruptError as exc:
        raise DataUnavailable(
            f"{exc}. Workprint never overwrites a damaged file: start capture again and it will be set "
            "aside (renamed) and a new database started."
        ) from None
    except store.StoreError as exc:
        raise DataUnavailable(str(exc)) from None
    except client.DaemonError as exc:
        raise DataUnavailable(f"The capture daemon could not answer: {exc}") from None


def _freeze(value):
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value


def workers(source: Source) -> list[str]:
    """Workers in the database (for the demo's 'view as' choice)."""
    return query(Source(source.db, source.demo, None), "worker_list")["worker"].to_list()


CAPTURED = "local"  # the worker id capture writes under


def sources(source: Source) -> pl.DataFrame:
    """The sources in the worker's own file (`data_sources`): the capture first, then imports, newest first."""
    return query(Source(source.db, source.demo, None), "data_sources")


def source_label(worker: str) -> str:
    """How a source is named on the page and in the URL (stable as data arrives)."""
    return "Captured on this computer" if worker == CAPTURED else f"Imported: {worker}"


def data_range(source: Source) -> tuple[dt.date, dt.date, int] | None:
    """First and last local day with data and the latest UTC offset (s), or None if empty."""
    first, last, offset = query(source, "data_range").row(0)
    if first is None:
        return None
    return first, last, offset
