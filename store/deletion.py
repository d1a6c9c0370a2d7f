"""Deletion at the worker's request: a time range, an app, or everything.

What each removes, from raw and derived tables alike:

- **a time range** [start, stop): every raw event in it and every input total
  over any part of it; spans are cut at its edges (a span over the whole
  range keeps its parts before and after); keys pressed in it; the hours it
  touches are rebuilt from what remains. Older than the raw period (no raw
  events left to count from), an hour the range cuts keeps its seconds but
  loses its key and click counts.
- **an app** (its WM_CLASS, exactly as stored): every span it had focus in,
  with its titles, its hourly rows, and everything typed, clicked, scrolled
  or moved while it had focus (raw events, keystrokes, input totals). Its
  focus events stay, without its name, title and process, as the moment
  focus moved: that time is then given to no app, instead of to the app
  before it. Capture goes on recording the app from now on; to stop that,
  exclude it (settings).
- **everything**: every captured, imported and derived row.

Kept in every case: the consent ledger, the settings and category rules, the
workers' teams, and ``batches`` (a retried or repeated write of a deleted
batch stays a no-op: nothing deleted comes back).

Derived tables are rebuilt for what remains, along the cuts: typing bursts
are rebuilt from the remaining keystrokes, and the first key after a cut
starts a new burst (its interval would tell when the deleted key before it
was pressed). They are not re-derived from the raw events, which would
stretch the spans before a deleted range over it; the incremental
derivation resumes after the range for the same reason (so after deleting
a range up to now, focus and active time count again from the next app
switch or return from idle).

The deletion only deletes; the bytes leave the file when it is compacted
(store.compact), which ``delete_file`` and the daemon do next.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from . import compact, derive, statements
from .db import open_writable
from .retention import TABLES
from .txn import transaction, trial

_HOUR = dt.timedelta(hours=1)
_TICK = dt.timedelta(microseconds=1)


@dataclass(frozen=True)
class Selection:
    """What a deletion removes: a range, an app, or everything (of ``worker``,
    or of everyone when None)."""

    start: dt.datetime | None = None
    stop: dt.datetime | None = None
    app: str | None = None
    everything: bool = False
    worker: str | None = None

    @property
    def what(self) -> str:
        return "everything" if self.everything else "app" if self.app is not None else "range"


def selection(start=None, stop=None, app=None, everything: bool = False, worker: str | None = None) -> Selection:
    """The deletion asked for, checked.

    Raises ValueError, naming what is wrong, unless exactly one of a range
    (both ``start`` and ``stop``, times with a zone, start before stop), an
    app (a non-empty name) or ``everything`` is given.
    """
    given = [name for name, on in (("a time range", start is not None or stop is not None),
                                   ("an app", app is not None), ("everything", everything)) if on]
    if len(given) != 1:
        raise ValueError("say what to delete: a time range (from and to), an app, or everything"
                         + (f"; not {' and '.join(given)} together" if given else ""))
    if app is not None:
        if not isinstance(app, str) or not app.strip():
            raise ValueError("the app to delete has no name: give its name as stored (WM_CLASS)")
    elif not everything:
        if start is None or stop is None:
            raise ValueError(f"the range to delete needs both ends: {'from' if start is None else 'to'} is missing")
        for label, t in (("from", start), ("to", stop)):
            if not isinstance(t, dt.datetime) or t.tzinfo is None:
                raise ValueError(f"the range's {label} ({t}) must be a date and time with a time zone")
        if start > stop:
            raise ValueError(f"the range to delete is reversed: from {start.isoformat()} is after "
                             f"to {stop.isoformat()}; nothing was deleted")
        if start == stop:
            raise ValueError(f"the range to delete is empty: from and to are both {start.isoformat()}; "
                             "nothing was deleted")
        start, stop = start.astimezone(dt.timezone.utc), stop.astimezone(dt.timezone.utc)  # hours are UTC hours
    return Selection(start, stop, app, everything, worker)


def preview(con, start=None, stop=None, app=None, *, everything: bool = False, worker: str | None = None,
            now: dt.datetime | None = None) -> dict:
    """What ``delete`` with the same arguments would remove, without removing
    it: the deletion is run and rolled back. See delete for what it returns
    and raises."""
    chosen = selection(start, stop, app, everything, worker)
    with trial(con):
        return _apply(con, chosen, now)


def delete(con, start=None, stop=None, app=None, *, everything: bool = False, worker: str | None = None,
           now: dt.datetime | None = None) -> dict:
    """Delete a range (``start``, ``stop``), an app or ``everything``, in one
    transaction, and rebuild the derived rows along the cuts (see the module).

    Returns ``{"what", "rows": {table: rows removed}, "changed": {table: rows
    kept but cut}, "first", "last"}``, the last two the time the deleted data
    covered (ISO text, None when nothing was there). ``now`` (default: the
    current time) is where derivation resumes when the range reaches past
    it. Raises ValueError, before anything is deleted, as selection does.
    The file still holds the deleted bytes until compacted.
    """
    chosen = selection(start, stop, app, everything, worker)
    with transaction(con):
        return _apply(con, chosen, now)


def delete_file(path: Path, start=None, stop=None, app=None, *, everything: bool = False,
                worker: str | None = None) -> dict:
    """``delete`` on the file at ``path`` (no daemon holds it), then compact
    it; the result has ``compaction`` too."""
    chosen = selection(start, stop, app, everything, worker)  # refused before the file is touched
    con = open_writable(path)
    try:
        result = delete(con, chosen.start, chosen.stop, chosen.app, everything=chosen.everything, worker=worker)
    finally:
        con.close()
    return {**result, "compaction": compact.compact_file(path)}


# --- the steps --------------------------------------------------------------
def _rows(con) -> dict:
    return {name: n for name, _, n in statements.execute(con, "retention_oldest").fetchall()}


def _iso(t: dt.datetime | None) -> str | None:
    return t.astimezone(dt.timezone.utc).isoformat() if t is not None else None


def _apply(con, chosen: Selection, now: dt.datetime | None) -> dict:
    params = {"start": chosen.start, "stop": chosen.stop, "app": chosen.app, "worker": chosen.worker}
    workers = [w for (w,) in statements.execute(con, "deletion_workers", params).fetchall()]
    for worker in workers:  # every event about to go has made its derived rows
        derive.refresh(con, worker)
    before = _rows(con)
    changed: dict[str, int] = {}
    if chosen.everything:
        first, last = statements.execute(con, "deletion_span_all", params).fetchall()[0]
        for table in (*TABLES, "derive_state"):
            statements.execute(con, f"deletion_all_{table}", params)
    elif chosen.app is not None:
        first, last = statements.execute(con, "deletion_span_app", params).fetchall()[0]
        changed["raw_events"] = _delete_app(con, params)
    else:
        first, last = statements.execute(con, "deletion_span_range", params).fetchall()[0]
        changed["spans"] = _delete_range(con, params, workers, now or dt.datetime.now(dt.timezone.utc))
    statements.execute(con, "deletion_drop_temp")
    for worker in workers:  # the steps follow the spans that are left, wherever they were cut
        derive.rebuild_steps(con, worker)
    after = _rows(con)
    return {"what": chosen.what, "rows": {t: max(before[t] - after[t], 0) for t in TABLES}, "changed": changed,
            "first": _iso(first), "last": _iso(last)}


def _cut_along(con) -> None:
    """Input totals, keystrokes and bursts cut along _cuts."""
    for name in ("deletion_cut_burst_redo", "deletion_cut_input_totals", "deletion_cut_key_counts",
                 "deletion_cut_keystrokes",
                 "deletion_cut_releases", "deletion_cut_burst_starts", "deletion_cut_bursts",
                 "deletion_rebuild_bursts"):
        statements.execute(con, name)


def _delete_app(con, params: dict) -> int:
    """Returns how many focus events lost the app's name."""
    statements.execute(con, "deletion_cuts_app", params)
    _cut_along(con)
    statements.execute(con, "deletion_app_raw_inputs")
    unnamed = statements.scalar(con, "deletion_app_raw_focus", params) or 0
    statements.execute(con, "deletion_app_hours", params)
    for name in ("deletion_app_spans", "deletion_app_hourly", "deletion_app_hourly_total", "deletion_app_hour_totals"):
        statements.execute(con, name, params)
    return unnamed


def _delete_range(con, params: dict, workers: list[str], now: dt.datetime) -> int:
    """Returns how many spans were cut at the range's edges (kept in part)."""
    start, stop = params["start"], params["stop"]
    statements.execute(con, "deletion_cuts_range", params)
    _cut_along(con)
    statements.execute(con, "deletion_range_raw_events", params)
    cut = sum(statements.scalar(con, name, params) or 0
              for name in ("deletion_range_spans_split", "deletion_range_spans_before", "deletion_range_spans_after"))
    statements.execute(con, "deletion_range_spans_inside", params)
    hours = {**params, "hour_from": start.replace(minute=0, second=0, microsecond=0),
             "hour_until": (stop - _TICK).replace(minute=0, second=0, microsecond=0) + _HOUR}
    statements.execute(con, "deletion_range_hourly", hours)
    for worker in workers:
        statements.execute(con, "derive_hourly", {"worker": worker, "since": hours["hour_from"],
                                                  "until": hours["hour_until"]})
    statements.execute(con, "deletion_range_hourly_total", hours)
    statements.execute(con, "deletion_range_hour_totals", hours)
    resume = stop + _TICK if stop <= now else now
    statements.execute(con, "deletion_range_derive_state", {**params, "resume": resume})
    return cut
