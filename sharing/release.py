"""A daily release: one worker-day of the promised aggregates
(sharing.release_format), computed from the worker's own tables and written
as one-row Parquet into the team store.

The figures are the worker's own queries' figures for that day, aggregated
(the SQL in sharing/release.sql says which query each follows). The day is
the worker's local day: its hours as hourly_total places them by the UTC
offset recorded with each hour, and the times in between from the local
midnight of the day's first hour to that of its last. A category that is not
one of ``categories`` (the ones the accepted consent text names) counts as
'Other', so a rule added after consent cannot send a name the text did not.

Nothing here decides whether to send: capture.team_control does (consent,
completed days, the local record).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path

from store import catalog

from . import release_format as rf
from . import teamstore


@functools.cache
def _sql() -> dict[str, catalog.Statement]:
    return {s.name: s for s in catalog.parse(Path(__file__).with_name("release.sql"))}


def _run(con, name: str, params: dict) -> list[tuple]:
    statement = _sql()[name]
    return con.execute(statement.sql, statement.bind(params)).fetchall()


def _utc(day: dt.date, offset_s: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), dt.timezone.utc) - dt.timedelta(seconds=int(offset_s))


def day_window(con, worker: str, day: dt.date) -> tuple[list[tuple], dt.datetime, dt.datetime] | None:
    """The day's hours (h, active_s, switches, first offset, last offset) and
    its UTC window [start, end); None when the day holds no data."""
    hours = _run(con, "release_hours", {
        "worker": worker, "day": day, "lo": _utc(day, 0) - dt.timedelta(days=2),
        "hi": _utc(day, 0) + dt.timedelta(days=3)})
    if not hours:
        return None
    first = min(hours, key=lambda r: r[0])[3]
    last = max(hours, key=lambda r: r[0])[4]
    return hours, _utc(day, first), _utc(day + dt.timedelta(days=1), last)


def bins(con, worker: str, measure: str, start, end, edges) -> list[int]:
    """Counts of one timing measure's values in [start, end) in the bins ``edges`` make (release_bins)."""
    counts = [0] * (len(edges) + 1)
    for index, n in _run(con, "release_bins", {"worker": worker, "measure": measure, "start": start, "end": end,
                                               "edges": [float(e) for e in edges]}):
        counts[int(index)] = int(n)
    return counts


def compute(con, day: dt.date, worker: str, pseudonym: str, team: str, categories) -> dict | None:
    """The release row for ``worker``'s local ``day``: exactly release_format.NAMES;
    None when the day holds no data."""
    window = day_window(con, worker, day)
    if window is None:
        return None
    hours, start, end = window
    active, switches = [0] * rf.HOURS, [0] * rf.HOURS
    for h, active_s, n, _, _ in hours:
        # A local hour that came twice (clocks going back) still has at most 60 minutes.
        active[h] = min(60, int(round(active_s / 60 + 1e-9)) if active_s else 0)
        switches[h] = int(n)
    allowed = set(categories) | {rf.OTHER}
    seconds: dict[str, float] = {}
    for category, s in _run(con, "release_categories", {"worker": worker, "start": start, "end": end}):
        name = category if category in allowed else rf.OTHER
        seconds[name] = seconds.get(name, 0.0) + (s or 0.0)
    by_category = sorted((c, int(round(s))) for c, s in seconds.items() if round(s) > 0)
    focus_n, focus_s = _run(con, "release_focus", {"worker": worker, "start": start, "end": end,
                                                   "min_s": rf.FOCUS_MIN_S})[0]
    return {
        "pseudonym": pseudonym, "team": team, "day": day, "active_minutes": active, "switches": switches,
        "category_seconds": by_category, "focus_sessions": int(focus_n), "focus_seconds": int(round(focus_s)),
        "typing_bins": bins(con, worker, "iki", start, end, rf.TYPING_EDGES_MS),
        "click_bins": bins(con, worker, "click_interval", start, end, rf.CLICK_EDGES_S),
    }


def encode(row: dict) -> bytes:
    """The row as one-row Parquet in exactly release_format.schema(). The same
    row always gives the same bytes. ReleaseError if it breaks the promise."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pylist([row], schema=rf.schema())
    problems = rf.check(table)
    if problems:
        raise rf.ReleaseError("; ".join(problems))
    out = io.BytesIO()
    pq.write_table(table, out, compression="zstd", write_statistics=False)
    return out.getvalue()


def decode(data: bytes):
    """A release file's bytes as the Arrow table it holds (its own schema, whatever it is)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    # One row: no thread pool. pyarrow's pool left native threads running as a short command exited, and the
    # process once aborted at exit ("terminate called without an active exception") after `study status`.
    return pq.read_table(pa.BufferReader(data), use_threads=False)


def as_json(row: dict) -> str:
    """The row as the JSON the local record keeps (the day as ISO, the map as an object)."""
    plain = {**row, "day": row["day"].isoformat() if isinstance(row["day"], dt.date) else row["day"],
             "category_seconds": dict(row["category_seconds"] or [])}
    return json.dumps(plain, sort_keys=True, ensure_ascii=False)


def row_of(table) -> dict:
    """The first row of a release table, in the JSON form (as_json) for comparing."""
    return json.loads(as_json(table.to_pylist()[0]))


@dataclass(frozen=True)
class Sent:
    key: str
    sha256: str
    size: int
    content: str
    changed: bool  # False: the store held exactly these bytes already


class KeyTaken(teamstore.StoreError):
    """The store holds other bytes at a release key than this database sent
    there: most likely a second worker with the same worker id, hence the
    same pseudonym. Nothing was written."""


def write(folder: teamstore.Folder, key: str, data: bytes, mine=()) -> bool:
    """Put ``data`` at ``key`` unless the store holds it already; False when
    it did. Bytes already there are replaced only when their sha256 is one of
    ``mine`` (what this database's record says it sent there); otherwise
    KeyTaken, and nothing is written: one worker's file must never replace
    another's."""
    digest = hashlib.sha256(data).hexdigest()
    try:
        there = hashlib.sha256(folder.get(key)).hexdigest()
    except FileNotFoundError:
        there = None
    if there == digest:
        return False
    if there is None and folder.put_new(key, data):  # put_new: a file appearing meanwhile is never replaced
        return True
    if there is None or there not in set(mine):
        raise KeyTaken(f"the team store already holds {key}, and not a file this database sent: another worker "
                       "probably uses the same worker id as you, and so the same pseudonym. Nothing was written. "
                       "Ask your organisation for a worker id of your own, leave, and join again with "
                       "--worker-id ID")
    folder.put(key, data)
    return True


def send(folder: teamstore.Folder, row: dict, mine=()) -> Sent:
    """Write the row's file at its key (temp name, then an atomic rename);
    nothing is written when the store holds exactly these bytes already, and
    KeyTaken (nothing written) when it holds bytes this database did not send
    (``mine``: the sha256 the local record holds for the key)."""
    data = encode(row)
    key = teamstore.release_key(row["team"], row["day"], row["pseudonym"])
    changed = write(folder, key, data, mine)
    return Sent(key, hashlib.sha256(data).hexdigest(), len(data), as_json(row), changed)
