"""Event tuples as queued by the capture callbacks, and their Arrow form.

Callbacks enqueue small tuples, cheapest to build on the hot path:

========================  ==========================================
kind                      tuple
========================  ==========================================
key_down, key_up          (t_ns, kind, key_class_index, key_seq)
mouse_down, mouse_up      (t_ns, kind, button_index, x, y)
scroll                    (t_ns, kind, dx, dy, x, y)
move                      (t_ns, kind, distance)
focus                     (t_ns, kind, app, title, pid)
the rest                  (t_ns, kind)
========================  ==========================================

The writer turns a list of them into one Arrow table per flush.
"""

from __future__ import annotations

import time

import pyarrow as pa

from .schema import BUTTONS, EVENT_KINDS, KEY_CLASSES

(
    KEY_DOWN,
    KEY_UP,
    MOUSE_DOWN,
    MOUSE_UP,
    SCROLL,
    MOVE,
    FOCUS,
    IDLE_START,
    IDLE_END,
    PAUSE,
    RESUME,
    START,
    STOP,
) = range(len(EVENT_KINDS))
INPUT_KINDS = frozenset({KEY_DOWN, KEY_UP, MOUSE_DOWN, MOUSE_UP, SCROLL, MOVE})

KEY_CLASS_INDEX = {name: i for i, name in enumerate(KEY_CLASSES)}
BUTTON_INDEX = {name: i for i, name in enumerate(BUTTONS)}

ARROW_SCHEMA = pa.schema(
    [
        ("ts", pa.timestamp("us", tz="UTC")),
        ("utc_offset", pa.int32()),
        ("kind", pa.dictionary(pa.int8(), pa.string())),
        ("key_class", pa.dictionary(pa.int8(), pa.string())),
        ("button", pa.dictionary(pa.int8(), pa.string())),
        ("x", pa.int32()),
        ("y", pa.int32()),
        ("dx", pa.int32()),
        ("dy", pa.int32()),
        ("distance", pa.float64()),
        ("app", pa.string()),
        ("title", pa.string()),
        ("pid", pa.int32()),
        ("worker", pa.string()),
        ("key_seq", pa.int64()),
    ]
)
_KINDS = pa.array(EVENT_KINDS)
_CLASSES = pa.array(KEY_CLASSES)
_BUTTONS = pa.array(BUTTONS)


class OffsetCache:
    """Local UTC offsets by minute: offsets change on minute boundaries at most."""

    def __init__(self) -> None:
        self._minute = None
        self._offset = 0

    def refresh(self) -> None:
        # Pick up a changed time zone (travel, DST rules) once per flush.
        time.tzset()
        self._minute = None

    def __call__(self, t_ns: int) -> int:
        minute = t_ns // 60_000_000_000
        if minute != self._minute:
            self._minute = minute
            self._offset = time.localtime(t_ns / 1e9).tm_gmtoff
        return self._offset


def to_table(rows: list[tuple], offset_of=None, worker: str = "local") -> pa.Table:
    """Convert queued tuples to an Arrow table in ARROW_SCHEMA order."""
    offset_of = offset_of or OffsetCache()
    n = len(rows)
    ts = [0] * n
    offs = [0] * n
    kinds = [0] * n
    key_class = [None] * n
    button = [None] * n
    x = [None] * n
    y = [None] * n
    dx = [None] * n
    dy = [None] * n
    distance = [None] * n
    app = [None] * n
    title = [None] * n
    pid = [None] * n
    seq = [None] * n
    for i, row in enumerate(rows):
        t_ns, kind = row[0], row[1]
        ts[i] = t_ns // 1000
        offs[i] = offset_of(t_ns)
        kinds[i] = kind
        if kind <= KEY_UP:
            key_class[i], seq[i] = row[2], row[3]
        elif kind <= MOUSE_UP:
            button[i], x[i], y[i] = row[2], row[3], row[4]
        elif kind == SCROLL:
            dx[i], dy[i], x[i], y[i] = row[2], row[3], row[4], row[5]
        elif kind == MOVE:
            distance[i] = row[2]
        elif kind == FOCUS:
            app[i], title[i], pid[i] = row[2], row[3], row[4]
    columns = [
        pa.array(ts, pa.int64()).cast(ARROW_SCHEMA.field("ts").type),
        pa.array(offs, pa.int32()),
        pa.DictionaryArray.from_arrays(pa.array(kinds, pa.int8()), _KINDS),
        pa.DictionaryArray.from_arrays(pa.array(key_class, pa.int8()), _CLASSES),
        pa.DictionaryArray.from_arrays(pa.array(button, pa.int8()), _BUTTONS),
        pa.array(x, pa.int32()),
        pa.array(y, pa.int32()),
        pa.array(dx, pa.int32()),
        pa.array(dy, pa.int32()),
        pa.array(distance, pa.float64()),
        pa.array(app, pa.string()),
        pa.array(title, pa.string()),
        pa.array(pid, pa.int32()),
        pa.array([worker] * n, pa.string()),
        pa.array(seq, pa.int64()),
    ]
    return pa.Table.from_arrays(columns, schema=ARROW_SCHEMA)
