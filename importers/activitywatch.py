"""python -m capture import activitywatch FILE_OR_URL: an ActivityWatch export.

Reads ``GET /api/0/export`` files (``buckets`` an object keyed by id, as real
servers write it, or a list, as aw-core's schema has it) or a running server.
Bucket types:

- ``currentwindow`` ({app, title} on desktops, {app, package, classname} on
  Android): each event becomes a focus span from its timestamp to timestamp +
  duration, with the UTC offset written in the timestamp. Titles are dropped
  unless ``--store-titles`` is given, as for capture.
- ``afkstatus`` ({status: afk | not-afk}): not-afk events become active spans.
- ``os.hid.input`` (5-second totals of presses, clicks, pointer and scroll
  deltas): rows of input_totals, coarse counts kept apart from exact events.
- anything else (Android unlocks, browser tabs, ...) is skipped with a note.

Events are stored as recorded, so plain sums over spans are ActivityWatch's
per-app sums of event durations. ``--flood SECONDS`` applies ActivityWatch's
flood transform first (see flood.py), as its dashboards do.
"""

from __future__ import annotations

import json
import math

import pyarrow as pa

from .common import (
    TS_TYPE,
    BadInput,
    OutOfRange,
    Prepared,
    batch_id,
    check_time,
    format_parser,
    parse_timestamp,
    read_file,
)
from .flood import flood
from .progress import QUIET, Progress

WINDOW, AFK, INPUT = "currentwindow", "afkstatus", "os.hid.input"
# os.hid.input data keys and the input_totals columns they go to.
INPUT_FIELDS = {"presses": "presses", "clicks": "clicks", "deltaX": "delta_x", "deltaY": "delta_y",
                "scrollX": "scroll_x", "scrollY": "scroll_y"}
SOURCE = "activitywatch"


HELP = """
Imports what ActivityWatch recorded: an export file (its web UI's Settings >
Export, or http://127.0.0.1:5600/api/0/export) or a running ActivityWatch
server, given by its address.

What is kept:
  - which app had focus, and when (window titles only with --store-titles);
  - when you were active (from its AFK watcher);
  - input counts from aw-watcher-input, kept as 5-second totals.
Anything else (Android unlocks, browser tabs, ...) is left out, and the
summary says what was.

Times are kept as ActivityWatch recorded them, so per-app totals match its
own. If the file cannot be read, nothing is written and the error says which
event was wrong. Importing the same export again adds nothing.
"""


def add_parser(isub, common) -> None:
    parser = format_parser(isub, common, "activitywatch", "an ActivityWatch export file or server URL", HELP)
    parser.add_argument("source", metavar="FILE_OR_URL", help="export JSON file, or e.g. http://127.0.0.1:5600")
    parser.add_argument("--worker", default="activitywatch", help="worker id to store under (default: activitywatch)")
    parser.add_argument("--store-titles", action="store_true", help="also store window titles (dropped by default)")
    parser.add_argument("--flood", type=float, metavar="SECONDS",
                        help="fill gaps up to SECONDS between events first, as ActivityWatch's flood does "
                             "(its dashboards use 5); off by default: events are stored as recorded")


def load(args, progress: Progress = QUIET) -> Prepared:
    """Read and validate the whole export; raises BadInput naming the file,
    bucket and event (1-based, in file order) and what is wrong."""
    if args.flood is not None and not (math.isfinite(args.flood) and args.flood >= 0):
        raise BadInput(f"--flood {args.flood}: must be a number of seconds, 0 or more")
    if args.source.startswith(("http://", "https://")):
        from .awserver import fetch_export  # urllib (and ssl) only when a server is asked

        label = args.source
        export = fetch_export(args.source)
        content = json.dumps(export, sort_keys=True).encode()
    else:
        label, content = read_file(args.source)
        export = _decode(content, label)

    spans, totals, notes, skipped = [], [], [], 0
    buckets = _buckets(export, label)
    progress.step("reading events", "events",
                  sum(len(b["events"]) for _, b in buckets if isinstance(b.get("events"), list)))
    for bucket_id, bucket in buckets:
        where = f"{label}: bucket {bucket_id!r}"
        kind = bucket.get("type")
        events = bucket.get("events")
        if not isinstance(events, list):
            raise BadInput(f"{where}: has no list of events")
        if kind == WINDOW:
            spans += _window_spans([_event(e, where, i) for i, e in enumerate(events, 1)], where, args)
        elif kind == AFK:
            spans += _active_spans([_event(e, where, i) for i, e in enumerate(events, 1)], where, args.flood)
        elif kind == INPUT:
            totals += [_input_row(_event(e, where, i), where, i) for i, e in enumerate(events, 1)]
        else:
            skipped += len(events)
            notes.append(f"skipped bucket {bucket_id!r} (type {kind!r}, {len(events):,} events): "
                         "not a type Workprint imports")
        progress.add(len(events))
    return _prepare(label, content, spans, totals, notes, skipped, args)


def _decode(content: bytes, label: str):
    try:
        return json.loads(content)
    except UnicodeDecodeError as exc:
        raise BadInput(f"{label}: not UTF-8 text (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise BadInput(f"{label}: not valid JSON, line {exc.lineno} column {exc.colno}: {exc.msg} "
                       "(truncated or damaged file?)") from None


def _buckets(export, label: str) -> list[tuple[str, dict]]:
    if not isinstance(export, dict) or "buckets" not in export:
        raise BadInput(f"{label}: not an ActivityWatch export (no top-level 'buckets')")
    raw = export["buckets"]
    if isinstance(raw, dict):
        items = [(b.get("id", key) if isinstance(b, dict) else key, b) for key, b in raw.items()]
    elif isinstance(raw, list):
        items = [(b.get("id", f"#{i}") if isinstance(b, dict) else f"#{i}", b) for i, b in enumerate(raw, 1)]
    else:
        raise BadInput(f"{label}: 'buckets' is neither an object nor a list")
    for bucket_id, bucket in items:
        if not isinstance(bucket, dict):
            raise BadInput(f"{label}: bucket {bucket_id!r} is not an object")
    return items


def _event(event, where: str, i: int) -> tuple[int, int, int, dict]:
    """(start_us, duration_us, utc_offset_s, data) of one event, validated."""
    if not isinstance(event, dict):
        raise BadInput(f"{where}, event {i}: not an object")
    if "id" in event:
        where = f"{where}, event {i} (id {event['id']})"
    else:
        where = f"{where}, event {i}"
    stamp = event.get("timestamp")
    try:
        start, offset = parse_timestamp(stamp)
    except OutOfRange as exc:
        raise BadInput(f"{where}: timestamp {stamp!r}: {exc}") from None
    except ValueError:
        raise BadInput(f"{where}: timestamp {stamp!r} is not ISO 8601") from None
    duration = event.get("duration", 0)
    if isinstance(duration, bool) or not isinstance(duration, (int, float)) or not (0 <= duration < math.inf):
        raise BadInput(f"{where}: duration {duration!r} is not a number of seconds, 0 or more")
    try:
        check_time(start + round(duration * 1_000_000), "its end")
    except (OutOfRange, OverflowError) as exc:
        raise BadInput(f"{where}: duration {duration!r}: {exc}") from None
    data = event.get("data", {})
    if not isinstance(data, dict):
        raise BadInput(f"{where}: data is not an object")
    return start, round(duration * 1_000_000), offset, data


def _key(data: dict) -> str:
    # ActivityWatch compares whole data objects when flooding.
    return json.dumps(data, sort_keys=True, ensure_ascii=False)


def _window_spans(events, where: str, args) -> list[tuple]:
    for i, (_, _, _, data) in enumerate(events, 1):
        if not isinstance(data.get("app"), str):
            raise BadInput(f"{where}, event {i}: data.app is missing or not text")
    if args.flood is not None:
        flooded = flood([(s, d, _key(data), (off, data)) for s, d, off, data in events], args.flood)
        events = [(s, d, off, data) for s, d, _, (off, data) in flooded]
    return [("focus", s, s + d, off, data["app"], _title(data, args.store_titles)) for s, d, off, data in events]


def _title(data: dict, store_titles: bool):
    title = data.get("title")
    return title if store_titles and isinstance(title, str) else None


def _active_spans(events, where: str, pulsetime) -> list[tuple]:
    for i, (_, _, _, data) in enumerate(events, 1):
        if data.get("status") not in ("afk", "not-afk"):
            raise BadInput(f"{where}, event {i}: status {data.get('status')!r} is neither 'afk' nor 'not-afk'")
    if pulsetime is not None:
        flooded = flood([(s, d, _key(data), (off, data)) for s, d, off, data in events], pulsetime)
        events = [(s, d, off, data) for s, d, _, (off, data) in flooded]
    return [("active", s, s + d, off, None, None) for s, d, off, data in events if data["status"] == "not-afk"]


def _input_row(event, where: str, i: int) -> tuple:
    start, duration, _, data = event
    values = []
    for key in INPUT_FIELDS:
        value = data.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or abs(value) >= 2**31):
            raise BadInput(f"{where}, event {i}: data.{key} {value!r} is not a whole number")
        values.append(value)
    return (start, duration, *values)


def _prepare(label, content, spans, totals, notes, skipped, args) -> Prepared:
    context = (args.worker, f"flood={args.flood}", f"titles={args.store_titles}")
    batches = []
    if spans:
        table = _spans_table(sorted(spans, key=lambda r: r[1:3]), args.worker)
        batches.append((batch_id(content, "spans", *context), table, "spans_by_event"))
        focus = sum(1 for r in spans if r[0] == "focus")
        notes.insert(0, f"spans: {focus:,} focus, {len(spans) - focus:,} active")
    if totals:
        table = _totals_table(sorted(totals, key=lambda r: r[0]), args.worker)
        batches.append((batch_id(content, "input_totals", *context), table, "input_totals_by_event"))
    if not batches:
        raise BadInput(f"{label}: no window, afk or input events to import")
    starts = [r[1] for r in spans] + [r[0] for r in totals]
    stops = [r[2] for r in spans] + [r[0] + r[1] for r in totals]
    return Prepared(label=label, source=f"import:activitywatch:{label}", batches=batches,
                    workers={args.worker: min(starts)}, first=min(starts), last=max(stops), skipped=skipped,
                    skipped_what="events of other bucket types", notes=notes,
                    row_labels={"spans_by_event": "spans", "input_totals_by_event": "input totals"})


def _spans_table(rows, worker: str) -> pa.Table:
    kind, start, stop, offset, app, title = zip(*rows)
    n = len(rows)
    return pa.table({
        "worker": pa.array([worker] * n, pa.string()),
        "kind": pa.array(kind, pa.string()),
        "start": pa.array(start, pa.int64()).cast(TS_TYPE),
        "stop": pa.array(stop, pa.int64()).cast(TS_TYPE),
        "utc_offset": pa.array(offset, pa.int32()),
        "app": pa.array(app, pa.string()),
        "title": pa.array(title, pa.string()),
        "case_id": pa.nulls(n, pa.string()),
        "source": pa.array([SOURCE] * n, pa.string()),
    })


def _totals_table(rows, worker: str) -> pa.Table:
    columns = list(zip(*rows))
    n = len(rows)
    table = {
        "worker": pa.array([worker] * n, pa.string()),
        "start": pa.array(columns[0], pa.int64()).cast(TS_TYPE),
        "duration_s": pa.array([d / 1_000_000 for d in columns[1]], pa.float64()),
    }
    for column, values in zip(INPUT_FIELDS.values(), columns[2:]):
        table[column] = pa.array(values, pa.int32())
    table["source"] = pa.array([SOURCE] * n, pa.string())
    return pa.table(table)
