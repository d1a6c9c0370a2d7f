"""Retention: raw rows are kept ``raw_days`` days, derived and hourly rows
``derived_months`` calendar months; what is older is purged.

Raw rows are ``raw_events`` and ``input_totals`` (coarse input counts as an
import recorded them, not derived from anything here); derived rows are
``spans``, ``keystrokes``, ``bursts``, ``key_counts``, ``hourly`` and
``hourly_total``. A row
goes once everything it describes lies before its cutoff, and the cutoffs
fall on a whole hour (at most an hour more is kept), so that no hour is left
half purged: the derivation can rebuild an hour only from all its events.

What stays: the consent ledger (it is the worker's record of what they
agreed to), settings and category rules, and ``batches``: the id of every
imported batch stays, so that importing a purged file again is still a no-op
and purged events cannot come back. Capture's own batch ids are times
(when it flushed), so they go with the raw events: a capture batch is only
ever retried by the daemon that made it, within minutes.

The purge only deletes; the deleted bytes leave the file when it is
compacted (store.compact), which the caller does next.
"""

from __future__ import annotations

import calendar
import datetime as dt

from . import derive, statements
from .txn import transaction

RAW_DAYS = 30
DERIVED_MONTHS = 12
PURGE_INTERVAL = dt.timedelta(days=1)

RAW_TABLES = ("raw_events", "input_totals")
DERIVED_TABLES = ("spans", "keystrokes", "bursts", "key_counts", "hourly", "hourly_total", "steps")
TABLES = RAW_TABLES + DERIVED_TABLES
LAST_PURGE_KEY = "last_purge"


def months_before(t: dt.datetime, months: int) -> dt.datetime:
    """``t`` moved back ``months`` calendar months, the day clamped to the
    month's length (31 March less one month is 28 or 29 February)."""
    index = t.year * 12 + t.month - 1 - months
    year, month = divmod(index, 12)
    day = min(t.day, calendar.monthrange(year, month + 1)[1])
    return t.replace(year=year, month=month + 1, day=day)


def _hour(t: dt.datetime) -> dt.datetime:
    return t.replace(minute=0, second=0, microsecond=0)


def cutoffs(now: dt.datetime, raw_days: int = RAW_DAYS, derived_months: int = DERIVED_MONTHS) -> dict:
    """The times before which raw and derived rows go, each on a whole UTC hour.

    Raises ValueError for a period under one day or month, or a naive ``now``.
    """
    if now.tzinfo is None:
        raise ValueError("now must carry a time zone (UTC, say)")
    if not isinstance(raw_days, int) or raw_days < 1:
        raise ValueError(f"raw_days must be a whole number of days, at least 1 (got {raw_days!r})")
    if not isinstance(derived_months, int) or derived_months < 1:
        raise ValueError(f"derived_months must be a whole number of months, at least 1 (got {derived_months!r})")
    now = now.astimezone(dt.timezone.utc)
    return {"raw_cutoff": _hour(now - dt.timedelta(days=raw_days)),
            "derived_cutoff": _hour(months_before(now, derived_months))}


def purge(con, now: dt.datetime, raw_days: int = RAW_DAYS, derived_months: int = DERIVED_MONTHS,
          worker: str | None = None) -> dict:
    """Delete what is older than the periods, in one transaction; the rows
    deleted per table.

    The derived tables are brought up to date first (so every event about to
    go has made its derived rows), and the derivation's resume points are
    moved up to the raw cutoff: it never rebuilds from events that are gone.
    ``now`` is passed in (the daemon's clock, or a test's). ``worker`` None
    purges every worker's rows. The time of the purge is kept in ``meta``
    (see last_purge). Raises ValueError as cutoffs does.
    """
    params = {**cutoffs(now, raw_days, derived_months), "worker": worker}
    with transaction(con):
        if worker is None:
            derive.refresh_all(con)
        else:
            derive.refresh(con, worker)
        deleted = {table: statements.scalar(con, f"purge_{table}", params) or 0 for table in TABLES}
        statements.execute(con, "purge_derive_state", params)
        statements.execute(con, "purge_capture_batches", params)
        statements.execute(con, "meta_set", {"key": LAST_PURGE_KEY, "value": now.astimezone(dt.timezone.utc).isoformat()})
    return deleted


def last_purge(con) -> dt.datetime | None:
    """When the file was last purged (None if never)."""
    value = statements.scalar(con, "meta_get", {"key": LAST_PURGE_KEY})
    return dt.datetime.fromisoformat(value) if value else None


def next_purge(last: dt.datetime | None, interval: dt.timedelta = PURGE_INTERVAL,
               now: dt.datetime | None = None) -> dt.datetime:
    """When the next purge is due: ``interval`` after the last one, or
    ``now`` (default: the current time) if there was none or it is overdue.
    The daemon also purges whenever it starts."""
    now = now or dt.datetime.now(dt.timezone.utc)
    return now if last is None else max(last + interval, now)


def oldest(con) -> dict:
    """Per data table, the oldest row held and how many rows:
    ``{table: {"oldest": datetime | None, "rows": int}}``."""
    return {name: {"oldest": first, "rows": n}
            for name, first, n in statements.execute(con, "retention_oldest").fetchall()}


def state(con) -> dict:
    """oldest() and last_purge() as plain values (ISO times), for the socket."""
    last = last_purge(con)
    return {"tables": {t: {"oldest": v["oldest"].isoformat() if v["oldest"] else None, "rows": v["rows"]}
                       for t, v in oldest(con).items()},
            "last_purge": last.isoformat() if last else None}
