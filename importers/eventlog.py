"""python -m capture import eventlog FILE.csv --case COL --activity COL --time COL

A generic process-mining event log: one row per event, with a case id, an
activity and a timestamp (ISO 8601, with or without a UTC offset, e.g.
``2010-12-30 14:32:00+01:00``; without one it is taken as UTC). Each event
becomes a zero-length focus span (start = stop = its time, app = the
activity, case_id = the case) under one worker (default ``eventlog``). Rows
are stored in file order, which is how events at the same time stay in order
(spans are read by start, then by the order they were stored).
"""

from __future__ import annotations

import io

import pyarrow as pa

from .common import (
    EARLIEST_US,
    TS_TYPE,
    BadInput,
    OutOfRange,
    Prepared,
    batch_id,
    format_parser,
    latest_us,
    parse_timestamp,
    read_file,
)
from .progress import QUIET, Progress

SOURCE = "eventlog"


HELP = """
Imports a process-mining event log: a CSV file with a header line and one row
per event, holding a case id, an activity and a time. Name those three columns
with --case, --activity and --time.

Times are ISO 8601, e.g. 2010-12-30 14:32:00+01:00; a time without a UTC
offset is taken as UTC. Each event is kept as a moment in its activity, within
its case, under one worker (--worker, default eventlog); events at the same
time keep the order of the file.

A bad row (an empty field, a time that cannot be read) stops the import with
nothing written, naming the line. Importing the same file again adds nothing.
"""


def add_parser(isub, common) -> None:
    parser = format_parser(isub, common, "eventlog", "a (case, activity, timestamp) CSV event log", HELP)
    parser.add_argument("source", metavar="FILE.csv", help="comma-separated, with a header line, UTF-8")
    parser.add_argument("--case", required=True, metavar="COL", help="column with the case id")
    parser.add_argument("--activity", required=True, metavar="COL", help="column with the activity")
    parser.add_argument("--time", required=True, metavar="COL", help="column with the timestamp")
    parser.add_argument("--worker", default="eventlog", help="worker id to store under (default: eventlog)")


def _read(content: bytes, label: str):

    import polars as pl  # here, not at import: the CLI loads every importer to build its help
    try:
        # Every column as text: types are checked here, with line numbers.
        return pl.read_csv(io.BytesIO(content), infer_schema=False)
    except pl.exceptions.NoDataError:
        raise BadInput(f"{label}: the file is empty") from None
    except (pl.exceptions.PolarsError, UnicodeDecodeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BadInput(f"{label}: not a readable CSV file ({first})") from None


def physical_line(content: bytes, record: int) -> int:
    """The file line (1 = the header) on which data record ``record`` (0-based)
    starts: a quoted field may span several lines, so it is not record + 2.
    Only asked for when reporting an error."""
    import csv

    reader = csv.reader(io.StringIO(content.decode("utf-8", "replace"), newline=""))
    start = 1
    for index, _ in enumerate(reader):
        if index == record + 1:
            return start
        start = reader.line_num + 1
    return start


def load(args, progress: Progress = QUIET) -> Prepared:
    """Read and validate the log; raises BadInput naming the file, the line
    (counting the header as line 1) and what is wrong: a missing column, an
    empty case, activity or time, or a time that is not ISO 8601."""
    import polars as pl  # here, not at import: the CLI loads every importer to build its help

    progress.step("reading the file", "MB")
    label, content = read_file(args.source)
    frame = _read(content, label)
    progress.add(len(content) >> 20)
    context = (args.worker, args.case, args.activity, args.time)
    batch = batch_id(content, "spans", *context)
    del content  # the frame holds the rows now: an error reads the file again for its line number

    def line_of(record: int) -> int:
        return physical_line(read_file(args.source)[1], record)
    wanted = {"--case": args.case, "--activity": args.activity, "--time": args.time}
    missing = [f"{option} {col!r}" for option, col in wanted.items() if col not in frame.columns]
    if missing:
        raise BadInput(f"{label}: no column {', '.join(missing)}; the columns are: "
                       + ", ".join(repr(c) for c in frame.columns))
    frame = frame.select(case=pl.col(args.case), activity=pl.col(args.activity), time=pl.col(args.time))
    if frame.height == 0:
        raise BadInput(f"{label}: no events (only a header line)")
    for column, col in (("case", args.case), ("activity", args.activity), ("time", args.time)):
        empty = frame.with_row_index().filter(pl.col(column).is_null() | (pl.col(column).str.strip_chars() == ""))
        if empty.height:
            raise BadInput(f"{label}: line {line_of(empty['index'][0])}: {col} is empty")
    times = _times(frame, label, args.time, line_of, progress)
    stamps = times["us"].to_arrow().cast(TS_TYPE)
    table = pa.table({
        "worker": _constant(args.worker, frame.height),
        "kind": _constant("focus", frame.height),
        "start": stamps,
        "stop": stamps,
        "utc_offset": times["offset"].to_arrow().cast(pa.int32()),
        # As dictionaries: a log repeats its activities and cases on every row, and
        # plain text columns would take a copy of each as large as the frame's.
        "app": frame["activity"].cast(pl.Categorical).to_arrow(),
        "title": pa.nulls(frame.height, pa.string()),
        "case_id": frame["case"].cast(pl.Categorical).to_arrow(),
        "source": _constant(SOURCE, frame.height),
    })
    first, last = int(times["us"].min()), int(times["us"].max())
    return Prepared(
        label=label, source=f"import:eventlog:{label}",
        batches=[(batch, table, "spans")],
        workers={args.worker: first}, first=first, last=last,
        notes=[f"{frame.height:,} events in {frame['case'].n_unique():,} cases, "
               f"{frame['activity'].n_unique():,} activities"],
        row_labels={"spans": "events (zero-length focus spans)"},
    )


# The shape nearly every log uses, read without Python per row:
# 2010-12-30 14:32, 2010-12-30T14:32:05.123456, with Z or +HH:MM / +HHMM.
# Anything else (a date alone, the basic format, an offset with seconds, a
# bad date) goes through parse_timestamp once per distinct text, so it is read
# exactly as before, and a bad one is named with its line.
_ISO = (r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?"
        r"(?:(Z)|([+-])(\d{2}):?(\d{2}))?$")


TIME_SLICE = 65_536


def _vectorised(texts):
    """(us, offset) of every text of the common shape, null where a text is
    not of that shape or not a real time (a 30 February, hour 24). Times out
    of range are read; the caller refuses them. Read in slices, as one lazy
    plan: polars runs the slices side by side, and the parts of every text at
    once would take several times the column's memory."""
    import polars as pl

    slices = [_plan(texts.slice(i, TIME_SLICE)) for i in range(0, max(len(texts), 1), TIME_SLICE)]
    return pl.concat(slices).collect()


def _plan(texts):
    import polars as pl

    parts = pl.col("parts")
    fields = {name: parts.struct.field(str(i)).cast(pl.Int64)
              for i, name in ((1, "y"), (2, "mo"), (3, "d"), (4, "h"), (5, "mi"), (6, "s"), (10, "oh"), (11, "om"))}
    frame = (pl.LazyFrame({"t": texts}).select(parts=pl.col("t").str.strip_chars().str.extract_groups(_ISO))
             .select(**fields, frac=parts.struct.field("7"), sign=parts.struct.field("9")))
    y, mo, d, s = pl.col("y"), pl.col("mo"), pl.col("d"), pl.col("s").fill_null(0)
    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    days_in_month = (pl.when(mo == 2).then(pl.when(leap).then(29).otherwise(28))
                     .when(mo.is_in([4, 6, 9, 11])).then(30).otherwise(31))
    # Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
    ya = y - (mo <= 2).cast(pl.Int64)
    era = ya // 400
    yoe = ya - era * 400
    doy = (153 * (mo + pl.when(mo > 2).then(-3).otherwise(9)) + 2) // 5 + d - 1
    days = era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468
    micros = pl.col("frac").str.slice(0, 6).str.pad_end(6, "0").cast(pl.Int64).fill_null(0)
    offset = (pl.when(pl.col("sign").is_null()).then(0)
              .otherwise((pl.col("oh") * 3600 + pl.col("om") * 60)
                         * pl.when(pl.col("sign") == "-").then(-1).otherwise(1)))
    valid = (mo.is_between(1, 12) & d.is_between(1, days_in_month) & pl.col("h").is_between(0, 23)
             & pl.col("mi").is_between(0, 59) & s.is_between(0, 59)
             & pl.col("om").fill_null(0).is_between(0, 59) & (offset.abs() < 86_400))
    local_us = (days * 86_400 + pl.col("h") * 3600 + pl.col("mi") * 60 + s) * 1_000_000 + micros
    return frame.select(
        us=pl.when(valid).then(local_us - offset * 1_000_000),
        offset=pl.when(valid).then(offset).cast(pl.Int32),
    )


def _constant(value: str, n: int) -> pa.Array:
    """``value`` n times, as one dictionary entry and n zero indices (the store reads it as text)."""
    import numpy as np

    return pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, np.int32)), pa.array([value]))


def _times(frame, label: str, column: str, line_of, progress: Progress = QUIET):
    """Microseconds since the epoch and UTC offset of every row: the common
    ISO 8601 shape in bulk, the rest once per distinct text. Raises BadInput
    naming the first line whose time cannot be read or lies outside 1990 to
    tomorrow. Linear in the rows (a lookup of every distinct text through
    replace_strict grew quadratically: 22 s at 800k rows)."""
    import polars as pl  # here, not at import: the CLI loads every importer to build its help

    progress.step("reading the times", "times", frame.height)
    times = _vectorised(frame["time"])
    usable = times["us"].is_between(EARLIEST_US, latest_us()).fill_null(False)
    progress.add(int(usable.sum()))
    if usable.all():
        return times
    # The rows the bulk reader did not take, or read out of range: each distinct
    # text through parse_timestamp, in file order, so the first bad line is named.
    rest = frame.select("time").with_row_index().filter(~usable)
    parsed = {}
    for index, text in rest.unique("time", keep="first", maintain_order=True).iter_rows():
        try:
            parsed[text] = parse_timestamp(text)
        except ValueError as exc:
            why = str(exc) if isinstance(exc, OutOfRange) else "is not an ISO 8601 timestamp"
            raise BadInput(f"{label}: line {line_of(index)}: {column} {text!r} {why}") from None
    progress.add(rest.height)
    known = pl.DataFrame({"time": list(parsed), "us": [v[0] for v in parsed.values()],
                          "offset": [v[1] for v in parsed.values()]},
                         schema={"time": pl.String, "us": pl.Int64, "offset": pl.Int32})
    looked_up = frame.select("time").join(known, on="time", how="left", maintain_order="left")
    return pl.DataFrame({"us": times["us"].zip_with(usable, looked_up["us"]),
                         "offset": times["offset"].zip_with(usable, looked_up["offset"])})
