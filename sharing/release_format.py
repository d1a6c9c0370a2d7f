"""What a daily release holds: one worker-day of aggregates, and nothing else.

This module is the promise. The consent text of the ``team`` scope is written
from :data:`COLUMNS`, the release writer builds exactly :func:`schema`, the
team server reads only these columns, and :func:`check` is what the worker's
Privacy page and the tests hold a release file against.

Never in a release: raw timings, anything per event, window titles, app
names (only the categories of the worker's category rules, and ``Other``).
Keystroke rhythm at fine grain identifies people, so typing and clicking
rhythm leave only as counts in a few wide, log-spaced bins over a whole day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

FORMAT = 1
HOURS = 24
# Inter-key intervals inside typing bursts (ms): bins [0, 60), [60, 120), ... [960, inf): doubling widths.
TYPING_EDGES_MS = (60, 120, 240, 480, 960)
# Intervals between consecutive clicks, up to 60 s (s): [0, 0.25), [0.25, 0.5), ... [8, 60].
CLICK_EDGES_S = (0.25, 0.5, 1, 2, 4, 8)
TYPING_BINS = len(TYPING_EDGES_MS) + 1
CLICK_BINS = len(CLICK_EDGES_S) + 1
FOCUS_MIN_S = 600  # a focus session: at least 10 minutes in one category without switching away
MAX_CATEGORY_CHARS = 64
OTHER = "Other"


@dataclass(frozen=True)
class Column:
    name: str
    arrow: str  # the Arrow type, as pyarrow prints it
    meaning: str


COLUMNS: tuple[Column, ...] = (
    Column("pseudonym", "string", "your pseudonym: a keyed hash of your worker id with the organisation's secret"),
    Column("team", "string", "the team you joined"),
    Column("day", "date32[day]", "the local day the figures are for"),
    Column("active_minutes", "list<item: int16>",
           "24 numbers: minutes with keyboard or mouse input in each local hour of the day (0-60)"),
    Column("switches", "list<item: int32>", "24 numbers: how many times you switched apps in each local hour"),
    Column("category_seconds", "map<string, int32>",
           "active seconds per category of your category rules (apps no rule names count as 'Other'); "
           "never an app name"),
    Column("focus_sessions", "int32",
           "how many stretches of at least 10 minutes you stayed in one category without switching away"),
    Column("focus_seconds", "int32", "the total length of those stretches, in seconds"),
    Column("typing_bins", "list<item: int32>",
           f"{TYPING_BINS} counts: intervals between key presses while typing, in the bins "
           "under 60 ms, 60-120 ms, 120-240 ms, 240-480 ms, 480-960 ms, 960 ms and more"),
    Column("click_bins", "list<item: int32>",
           f"{CLICK_BINS} counts: intervals between clicks (up to 60 s), in the bins "
           "under 0.25 s, 0.25-0.5 s, 0.5-1 s, 1-2 s, 2-4 s, 4-8 s, 8 s and more"),
)
NAMES = tuple(c.name for c in COLUMNS)


def schema():
    """The release's Arrow schema (pyarrow imported here, not at import time)."""
    import pyarrow as pa

    return pa.schema([
        ("pseudonym", pa.string()), ("team", pa.string()), ("day", pa.date32()),
        ("active_minutes", pa.list_(pa.int16())), ("switches", pa.list_(pa.int32())),
        ("category_seconds", pa.map_(pa.string(), pa.int32())),
        ("focus_sessions", pa.int32()), ("focus_seconds", pa.int32()),
        ("typing_bins", pa.list_(pa.int32())), ("click_bins", pa.list_(pa.int32())),
    ])


class ReleaseError(ValueError):
    """A release that is not what the consent text promised; the message says how."""


def _plain(arrow_type) -> str:
    """The type as the promise writes it: Parquet names a list's item 'element'
    and a map's entries after the column when read back, which changes no value."""
    import pyarrow as pa

    if pa.types.is_map(arrow_type):
        return str(pa.map_(arrow_type.key_type, arrow_type.item_type))
    if pa.types.is_list(arrow_type):
        return str(pa.list_(arrow_type.value_type))
    return str(arrow_type)


def as_promised(table):
    """``table`` in the promise's own schema where only the nested names Parquet
    gives differ (a file read back); otherwise as it is, so :func:`check` names
    every difference."""
    if [f"{f.name}: {_plain(f.type)}" for f in table.schema] == [f"{c.name}: {c.arrow}" for c in COLUMNS]:
        return table.cast(schema())
    return table


def check(table, categories: set[str] | None = None) -> list[str]:
    """Every way ``table`` (an Arrow table read from a release file) differs
    from the promise: extra or missing columns, other types, more than one
    row, list lengths, values out of range, and (given the worker's rule
    names) a category that is not one. An empty list when it keeps it."""
    found = [f"{f.name}: {_plain(f.type)}" for f in table.schema]
    promised = [f"{c.name}: {c.arrow}" for c in COLUMNS]
    problems = [f"column {c} is not promised" for c in found if c not in promised]
    problems += [f"promised column {c} is missing" for c in promised if c not in found]
    if problems:
        return problems
    if table.num_rows != 1:
        return [f"a release holds one worker-day, this one {table.num_rows} rows"]
    row = table.to_pylist()[0]
    for name, length, top in (("active_minutes", HOURS, 60), ("switches", HOURS, None),
                              ("typing_bins", TYPING_BINS, None), ("click_bins", CLICK_BINS, None)):
        values = row[name] or []
        if len(values) != length:
            problems.append(f"{name} holds {len(values)} numbers, not {length}")
        if any(v is None or v < 0 or (top is not None and v > top) for v in values):
            problems.append(f"{name} holds a value outside 0-{top if top is not None else 'any'}")
    cats = dict(row["category_seconds"] or [])
    if any(v is None or v < 0 or v > 86400 for v in cats.values()):
        problems.append("category_seconds holds a value outside 0-86400")
    if categories is not None:
        allowed = set(categories) | {OTHER}
        problems += [f"category {c!r} is not one of your category rules" for c in sorted(set(cats) - allowed)]
    for name in ("focus_sessions", "focus_seconds"):
        if row[name] is None or row[name] < 0:
            problems.append(f"{name} is not a count")
    if not isinstance(row["day"], dt.date):
        problems.append("day is not a date")
    return problems
