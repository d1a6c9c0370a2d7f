"""``workprint query list | run NAME``: the named queries, results to stdout.

    workprint query list
    workprint query run NAME [--db PATH] [--param key=value ...] [--format csv|json|parquet] [--out FILE]

Parameters are given as text and cast by each query; a value the query cannot
cast is refused naming the parameter and the form it takes.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sys

import queries
import store
from store import client


def add_parser(sub) -> None:
    parser = sub.add_parser("query", help="list or run the named queries (results to stdout)",
                            description="Workprint's named queries")
    parser.set_defaults(handler=cmd_query)
    qsub = parser.add_subparsers(dest="query_command", required=True)
    qsub.add_parser("list", help="every query with its parameters")
    run = qsub.add_parser("run", help="run one query; the result goes to stdout")
    run.add_argument("name")
    run.add_argument("--db", help="database file (default: $WORKPRINT_DB or data/workprint.duckdb)")
    run.add_argument("--param", action="append", default=[], metavar="KEY=VALUE")
    run.add_argument("--format", choices=("csv", "json", "parquet"), default="csv")
    run.add_argument("--out", metavar="FILE", help="write the result to FILE (owner-only) instead of stdout")


# The form each cast of the named queries takes, for a value it refuses.
EXPECTED = {
    "TIMESTAMPTZ": "a date or a date and time, e.g. 2026-11-30, '2026-11-30 09:00' or 2026-11-30T09:00+01:00 "
                   "(or -infinity, infinity)",
    "INTEGER": "a whole number, e.g. 20",
    "DOUBLE": "a number, e.g. 180 or 2.5",
    "BOOLEAN": "true or false",
}
_CAST = re.compile(r"\$(\w+)::(\w+)")


def _text(value) -> str:
    return "null" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


def cmd_list() -> int:
    for name in queries.names():
        query = queries.catalog()[name]
        print(f"{name}  ({query.file})")
        print(f"    {query.doc}")
        for param in query.params:
            default = f" (default: {_text(query.defaults[param])})" if param in query.defaults else " (required)"
            print(f"    --param {param}=...  {query.param_docs.get(param, '')}{default}")
    return 0


def _params(pairs: list[str]) -> dict:
    params = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"--param needs key=value, got {pair!r}")
        params[key] = None if value.lower() == "null" else value
    return params


def refused_value(name: str, params: dict, error: Exception) -> str | None:
    """The message for a parameter value the query could not cast, naming the
    parameter and the form it takes; None if ``error`` is not about one.
    DuckDB quotes the value it refused ("invalid timestamp field format:
    \"yesterday\"", "Could not convert string 'abc' to INT32")."""
    text = str(error)
    if "Conversion Error" not in text:
        return None
    casts = dict(_CAST.findall(queries.catalog()[name].sql))
    for key, value in params.items():
        if isinstance(value, str) and key in casts and (f'"{value}"' in text or f"'{value}'" in text):
            return f"--param {key}={value} is not {EXPECTED.get(casts[key], 'a ' + casts[key])}"
    return None


# --- writing a result ---------------------------------------------------------
# Straight from the Arrow table, in the forms polars gave (what scripts of ours
# and the worker's parse): a process that runs one query does not load polars.
def _csv_float(v: float) -> str:
    if v != v:
        return "NaN"
    if v in (float("inf"), float("-inf")):
        return "inf" if v > 0 else "-inf"
    return repr(v)


def _csv_text(v: str) -> str:
    if v == "" or any(c in v for c in ',"\n\r'):
        return '"' + v.replace('"', '""') + '"'
    return v


def _csv_cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, str):
        return _csv_text(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return _csv_float(v)
    if isinstance(v, dt.datetime):
        text = v.strftime("%Y-%m-%dT%H:%M:%S.%f")
        return text + "+0000" if v.tzinfo is not None else text  # the store's times are UTC
    if isinstance(v, dt.date):
        return v.isoformat()
    return _csv_text(str(v))


def _json_cell(v):
    if isinstance(v, float) and (v != v or v in (float("inf"), float("-inf"))):
        return None
    if isinstance(v, dt.datetime):  # as polars: fractional seconds to the millisecond if that is exact
        text = v.replace(microsecond=0).isoformat(sep="T" if v.tzinfo is not None else " ")
        if v.microsecond:
            us = v.microsecond
            fraction = f".{us // 1000:03d}" if us % 1000 == 0 else f".{us:06d}"
            text = text[:19] + fraction + text[19:]
        return text
    if isinstance(v, dt.date):
        return v.isoformat()
    return v


def _write(names: list[str], rows: list, fmt: str, out) -> None:
    if fmt == "csv":
        lines = [",".join(_csv_text(n) for n in names)]
        lines += [",".join(_csv_cell(v) for v in row) for row in rows]
        out.write(("\n".join(lines) + "\n").encode())
    else:
        records = [{n: _json_cell(v) for n, v in zip(names, row)} for row in rows]
        out.write(json.dumps(records, ensure_ascii=False, separators=(",", ":")).encode())
        out.write(b"\n")


def _result(name: str, db, fmt: str, params: dict):
    """What cmd_run writes: an Arrow table for Parquet, else names and rows."""
    if fmt == "parquet":
        return queries.table(name, db=db, upgrade=True, **params)
    return queries.rows(name, db=db, upgrade=True, **params)


def _write_result(result, fmt: str, out) -> None:
    if fmt == "parquet":
        import pyarrow.parquet as pq

        pq.write_table(result, out)
    else:
        _write(*result, fmt, out)


def cmd_run(args) -> int:
    if args.format == "parquet" and args.out is None and sys.stdout.isatty():
        print("error: --format parquet is binary and would garble your terminal: write it to a file with "
              "--out FILE, or pipe it (| program, > FILE)", file=sys.stderr)
        return 2
    params = _params(args.param)
    try:  # a file from an older Workprint lacks today's macros: brought forward first
        result = _result(args.name, args.db, args.format, params)
    except Exception as exc:
        message = refused_value(args.name, params, exc)
        if message is None:
            raise
        print(f"error: {message}", file=sys.stderr)
        return 2
    if args.out is None:
        _write_result(result, args.format, sys.stdout.buffer)
        return 0
    with open(os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as out:
        _write_result(result, args.format, out)
    return 0


def cmd_query(args) -> int:
    if args.query_command == "list":
        return cmd_list()
    try:
        return cmd_run(args)
    except (KeyError, ValueError, store.StoreError, client.DaemonError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
        print(f"error: {message}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - DuckDB's errors (a bad parameter value, say) name what was wrong
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
