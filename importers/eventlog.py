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

from .common import TS_TYPE, BadInput, OutOfRange, Prepared, batch_id, format_parser, parse_timestamp, read_file
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
            raise BadInput(f"{label}: line {physical_line(content, empty['index'][0])}: {col} is empty")
    times = _times(frame, label, args.time, content, progress)
    table = pa.table({
        "worker": pa.array([args.worker] * frame.height, pa.string()),
        "kind": pa.array(["focus"] * frame.height, pa.string()),
        "start": times["us"].to_arrow().cast(TS_TYPE),
        "stop": times["us"].to_arrow().cast(TS_TYPE),
        "utc_offset": times["offset"].to_arrow().cast(pa.int32()),
        "app": frame["activity"].to_arrow().cast(pa.string()),
        "title": pa.nulls(frame.height, pa.string()),
        "case_id": frame["case"].to_arrow().cast(pa.string()),
        "source": pa.array([SOURCE] * frame.height, pa.string()),
    })
    first, last = int(times["us"].min()), int(times["us"].max())
    context = (args.worker, args.case, args.activity, args.time)
    return Prepared(
        label=label, source=f"import:eventlog:{label}",
        batches=[(batch_id(content, "spans", *context), table, "spans")],
        workers={args.worker: first}, first=first, last=last,
        notes=[f"{frame.height:,} events in {frame['case'].n_unique():,} cases, "
               f"{frame['activity'].n_unique():,} activities"],
        row_labels={"spans": "events (zero-length focus spans)"},
    )


def _times(frame, label: str, column: str, content: bytes, progress: Progress = QUIET):
    """Microseconds since the epoch and UTC offsets, parsed once per distinct text."""
    import polars as pl  # here, not at import: the CLI loads every importer to build its help

    parsed = {}
    texts = frame["time"].unique(maintain_order=True).to_list()
    progress.step("reading the times", "times", len(texts))
    for n, text in enumerate(texts, 1):
        if n % 10_000 == 0:
            progress.add(10_000)
        try:
            parsed[text] = parse_timestamp(text)
        except ValueError as exc:
            line = physical_line(content, frame.with_row_index().filter(pl.col("time") == text)["index"][0])
            why = str(exc) if isinstance(exc, OutOfRange) else "is not an ISO 8601 timestamp"
            raise BadInput(f"{label}: line {line}: {column} {text!r} {why}") from None
    keys = list(parsed)
    return frame.select(
        us=pl.col("time").replace_strict(keys, [parsed[k][0] for k in keys], return_dtype=pl.Int64),
        offset=pl.col("time").replace_strict(keys, [parsed[k][1] for k in keys], return_dtype=pl.Int32),
    )
